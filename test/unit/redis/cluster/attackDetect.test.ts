import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { isClusterEnabled } from '../../../../src/redis/cluster/topology';
import { connectRedis } from '../../../../src/redis/connection';
import { namespacePrefix, planNamespaceDeletion } from '../../../../src/redis/mutations';
import { MissingRightError } from '../../../../src/redis/observe/clientList';
import { fillCluster, useRedisCluster } from '../../../support/redisCluster';
import { RedisServerOptions } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
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

/** A server and a connection to it as `user`, an ACL user with `rules` set by the default user. */
function useServerWithUser(options: RedisServerOptions = {}): (user: string, rules: string) => Promise<Redis> {
  const server = useRedisServer(options);
  return async (user, rules) => {
    const admin = await server.connect();
    await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${OPERATOR_PASSWORD}`, '~*', '&*', ...rules.split(' '));
    const endpoint = { host: server.host, port: server.port, db: 0, tls: false, username: user };
    return server.keep(await connectRedis(endpoint, { password: OPERATOR_PASSWORD }, FAST));
  };
}

describe('telling a single server from a cluster node for a user who may not run INFO', function () {
  this.timeout(20_000);
  const connectAs = useServerWithUser();

  it('knows a single server as one (CLUSTER MYID says cluster support is disabled)', async () => {
    assert.equal(await isClusterEnabled(await connectAs('hardened', '+@all -@dangerous')), false);
  });

  it('knows a single server as one when CLUSTER is refused too (HELLO says standalone)', async () => {
    assert.equal(await isClusterEnabled(await connectAs('no-cluster', '+@all -@dangerous -cluster')), false);
  });
});

describe('a user who may run none of INFO, CLUSTER MYID and HELLO', function () {
  this.timeout(20_000);
  // Redis always lets anyone run HELLO (it is how one logs in), so only a server without it
  // (renamed away here; before Redis 6 it did not exist) leaves nothing that can tell.
  const connectAs = useServerWithUser({ config: 'rename-command HELLO ""\n' });

  it('refuses to guess "single server", naming the right to grant', async () => {
    const client = await connectAs('blind', '+@all -@dangerous -cluster');
    await assert.rejects(isClusterEnabled(client), (error: unknown) => {
      assert.ok(error instanceof MissingRightError, String(error));
      assert.match(error.message, /may not run INFO/);
      assert.match(error.message, /ACL SETUSER blind \+info/);
      return true;
    });
  });
});
