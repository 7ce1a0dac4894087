import * as assert from 'node:assert/strict';
import { isClusterEnabled } from '../../../../src/redis/cluster/topology';
import { connectRedis } from '../../../../src/redis/connection';
import { namespacePrefix, planNamespaceDeletion } from '../../../../src/redis/mutations';
import { fillCluster, useRedisCluster } from '../../../support/redisCluster';
import { FAST } from './attackFixture';

const OPERATOR_PASSWORD = 'cluster-attack-operator-password-9d21';

/*
 * DEFECT (attack: an ACL user without rights the code takes for granted). isClusterEnabled
 * (src/redis/cluster/topology.ts:110-116) answers "not a cluster" when INFO is refused with
 * NOPERM. INFO is in the @dangerous category, and `+@all -@dangerous` is a common hardened
 * operator user. RedisSession.connect (src/redisSession.ts:305-311) and Import from Another
 * Redis (src/commands/migration/importFromRedis.ts:155) then treat a cluster node as a single
 * server: the Keys view, Delete Namespace's count ("Delete 1,0xx keys under orders:?"), and an
 * import see one master's third of the keys, and report success with no word that two thirds
 * were never looked at (no silent truncation, DESIGN). CLUSTER INFO is not @dangerous and
 * would tell; or a NOPERM should be an error that says which right is missing, not a guess.
 */
describe('attack: a cluster node whose user may not run INFO (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({
    acl: `user default on nopass ~* &* +@all\nuser operator on >${OPERATOR_PASSWORD} ~* &* +@all -@dangerous\n`,
  });

  it('is still known as a cluster node, so that no action counts one master’s keys as the whole namespace', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `orders:${i}`);
    await fillCluster(fixture.cluster, keys);
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    const endpoint = { host: seed.host, port: seed.port, db: 0, tls: false, username: 'operator' };
    const client = await connectRedis(endpoint, { password: OPERATOR_PASSWORD }, FAST);
    try {
      // What the operator's connection would count as "the namespace" when taken for a single server.
      const plan = await planNamespaceDeletion(client, namespacePrefix('orders', ':'));
      assert.ok(plan.count < keys.length, `one node holds ${plan.count} of ${keys.length}`);
      let clusterMode: boolean | Error;
      try {
        clusterMode = await isClusterEnabled(client);
      } catch (error) {
        clusterMode = error as Error;
      }
      // Either it knows the node is a cluster node, or it refuses to guess, naming what it may not run.
      if (clusterMode instanceof Error) assert.match(clusterMode.message, /INFO/);
      else {
        assert.equal(
          clusterMode,
          true,
          `taken for a single server: Delete Namespace would offer ${plan.count} of ${keys.length} keys`,
        );
      }
    } finally {
      client.disconnect();
    }
  });
});
