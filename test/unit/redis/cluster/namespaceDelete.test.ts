import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { clusterMasters, Topology } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import {
  ClusterNamespacePlan,
  deleteNamespaceKeysOn,
  planNamespaceDeletionOn,
} from '../../../../src/redis/cluster/clusterNamespaceDelete';
import { KeyspaceCancelledError } from '../../../../src/redis/keyspace/errors';
import { DeleteResult, describeDeletion, namespacePrefix } from '../../../../src/redis/mutations';
import { fillCluster, nodeKeys as keysOf, useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-delete-password-5c1a';
const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };
const NAMESPACE_KEYS = 3000;

/** Keys that share the prefix's letters but are not under `auth:session:`. */
const NEIGHBOURS = [
  'auth:sessions:x',
  'auth:session',
  'auth:sessionX',
  'auth:sessionx:1',
  'auth:session-1',
  'auth:Session:1',
  'xauth:session:1',
  'auth::session:1',
  'auth:session;1',
  'auth:session\\:1',
  'user:auth:session:1',
];

function namespaceKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < NAMESPACE_KEYS - 2; i++) keys.push(`auth:session:${i}`);
  // Hash tags put keys of the namespace into the slots of other names, and glob characters must match as bytes.
  keys.push('auth:session:{user:42}', 'auth:session:*?[x]');
  return keys;
}

describe('Delete Namespace on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  let cluster: Cluster;
  let endpoint: RedisEndpoint;

  before(async () => {
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, { password: PASSWORD }, FAST);
  });
  after(() => cluster?.disconnect());

  const topology = (): Extract<Topology, { kind: 'cluster' }> => ({
    kind: 'cluster',
    cluster,
    endpoint,
    masters: () => clusterMasters(cluster, endpoint),
  });

  it('counts the namespace over every master, then removes exactly it on each, keeping look-alikes', async () => {
    const others = [...NEIGHBOURS, ...Array.from({ length: 500 }, (_, i) => `orders:${i}`)];
    await fillCluster(fixture.cluster, [...namespaceKeys(), ...others]);
    const masters = topology().masters();
    assert.equal(masters.length, 3);
    for (const master of masters) {
      assert.ok(master.client);
      const held = (await keysOf(master.client)).filter((key) => key.startsWith('auth:session:'));
      assert.ok(held.length > 0, `master ${master.address} holds keys of the namespace`);
    }
    const prefix = namespacePrefix('auth:session', ':');

    const counted: number[] = [];
    const plan = await planNamespaceDeletionOn(topology(), prefix, {
      scanCount: 100,
      onProgress: (found) => counted.push(found),
    });
    // The count the confirmation shows: every master's, summed, each key once.
    assert.deepEqual(
      plan.keys.map((key) => Buffer.from(key, 'latin1').toString()).filter((key) => !namespaceKeys().includes(key)),
      [],
    );
    assert.equal(plan.count, NAMESPACE_KEYS);
    assert.equal(counted.at(-1), NAMESPACE_KEYS);
    const progress: number[] = [];
    const result = await deleteNamespaceKeysOn(topology(), plan, {
      batchSize: 200,
      onProgress: ({ processed }) => progress.push(processed),
    });
    assert.deepEqual(
      { deleted: result.deleted, remaining: result.remaining, cancelled: result.cancelled },
      { deleted: NAMESPACE_KEYS, remaining: 0, cancelled: false },
    );
    assert.equal(describeDeletion(result, 'auth:session:'), 'Deleted 3,000 keys under auth:session:');
    assert.equal(progress.at(-1), NAMESPACE_KEYS);

    const left: string[] = [];
    for (const master of topology().masters()) {
      assert.ok(master.client);
      left.push(...(await keysOf(master.client)));
    }
    assert.deepEqual(left.sort(), [...others].sort());
  });

  it('names the master that refused, and says what was deleted before it', async () => {
    await fillCluster(fixture.cluster, namespaceKeys());
    const prefix = namespacePrefix('auth:session', ':');
    const plan = (await planNamespaceDeletionOn(topology(), prefix)) as ClusterNamespacePlan;
    const [first, refusing] = plan.byMaster;
    assert.ok(first && refusing?.master.client);
    // A real refusal on one node only (ACLs are per node): that master's default user loses UNLINK.
    const denied = refusing.master.client;
    await denied.call('ACL', 'SETUSER', 'default', '-unlink');
    try {
      await assert.rejects(deleteNamespaceKeysOn(topology(), plan, { batchSize: 200 }), (error: Error) => {
        assert.match(error.message, new RegExp(`^${refusing.master.address.replace(/\./g, '\\.')} .*NOPERM`));
        const partial = (error as { partial?: DeleteResult }).partial;
        assert.ok(partial);
        assert.equal(partial.deleted, first.plan.count);
        assert.equal(partial.remaining, NAMESPACE_KEYS - first.plan.count);
        assert.match(describeDeletion({ ...partial, cancelled: true }, 'auth:session:'), /remain$/);
        return true;
      });
    } finally {
      await denied.call('ACL', 'SETUSER', 'default', '+unlink');
    }
    const again = await planNamespaceDeletionOn(topology(), prefix);
    assert.equal(again.count, NAMESPACE_KEYS - first.plan.count);
  });

  it('cancelled between batches, says what was deleted, and the rest stays on the masters', async () => {
    await fillCluster(fixture.cluster, namespaceKeys());
    const prefix = namespacePrefix('auth:session', ':');
    const plan = await planNamespaceDeletionOn(topology(), prefix);
    assert.equal(plan.count, NAMESPACE_KEYS);
    const abort = new AbortController();
    const result = await deleteNamespaceKeysOn(topology(), plan, {
      batchSize: 100,
      signal: abort.signal,
      onProgress: ({ processed }) => {
        if (processed >= 300) abort.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.deleted, 300);
    const left = await planNamespaceDeletionOn(topology(), prefix);
    assert.equal(left.count, result.remaining);
    assert.equal(left.count, NAMESPACE_KEYS - 300);
    await deleteNamespaceKeysOn(topology(), left);
  });

  it('a count cancelled before it starts asks no master and rejects as cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(
      planNamespaceDeletionOn(topology(), namespacePrefix('auth:session', ':'), { signal: abort.signal }),
      KeyspaceCancelledError,
    );
  });
});
