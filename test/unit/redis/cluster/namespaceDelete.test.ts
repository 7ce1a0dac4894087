import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { clusterMasters, keySlot, Topology } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import {
  ClusterNamespacePlan,
  deleteNamespaceKeysOn,
  planNamespaceDeletionOn,
} from '../../../../src/redis/cluster/clusterNamespaceDelete';
import { KeyspaceCancelledError } from '../../../../src/redis/keyspace/errors';
import { DeleteResult, describeDeletion, namespacePrefix } from '../../../../src/redis/mutations';
import { fillCluster, nodeKeys as keysOf, slotOwners, useRedisCluster } from '../../../support/redisCluster';
import { startSlotMigration } from '../../../support/slotMigration';

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

  it('when one slot group is refused, the partial report counts only what was unlinked and names the slot left', async () => {
    const refused = Array.from({ length: 40 }, (_, i) => `auth:session:{refused}${i}`);
    await fillCluster(fixture.cluster, [...namespaceKeys(), ...refused]);
    const prefix = namespacePrefix('auth:session', ':');
    const plan = (await planNamespaceDeletionOn(topology(), prefix)) as ClusterNamespacePlan;
    const slot = keySlot('{refused}');
    const owner = plan.byMaster.find(({ master }) => master.slots.some(([from, to]) => slot >= from && slot <= to));
    assert.ok(owner?.master.client);
    // A real refusal of one slot's keys only: on its master, the user may touch only names going on with a digit.
    const denied = owner.master.client;
    await denied.call('ACL', 'SETUSER', 'default', 'resetkeys', '~auth:session:[0-9]*');
    let partial: DeleteResult | undefined;
    try {
      // One batch per master: the refused slot's UNLINK goes with the other slots' of its master.
      await assert.rejects(deleteNamespaceKeysOn(topology(), plan, { batchSize: 100_000 }), (error: Error) => {
        partial = (error as { partial?: DeleteResult }).partial;
        assert.match(error.message, new RegExp(`40 keys in slot ${slot}\\b`));
        assert.match(error.message, /NOPERM/);
        return true;
      });
    } finally {
      await denied.call('ACL', 'SETUSER', 'default', 'resetkeys', '~*');
    }
    const left = await planNamespaceDeletionOn(topology(), prefix);
    assert.ok(partial);
    assert.deepEqual(
      { deleted: partial.deleted, remaining: partial.remaining },
      { deleted: plan.count - left.count, remaining: left.count },
    );
    await deleteNamespaceKeysOn(topology(), left);
  });

  it('counts each key once, and misses none, while a slot moves between masters during the count', async () => {
    const moving = Array.from({ length: 600 }, (_, i) => `auth:session:{mover}${i}`);
    const keys = [...namespaceKeys(), ...moving];
    await fillCluster(fixture.cluster, keys);
    const slot = keySlot('{mover}');
    const from = (await slotOwners(fixture.cluster))[slot];
    const to = (await fixture.cluster.masterPorts()).find((port) => port !== from);
    assert.ok(from && to);
    const migration = await startSlotMigration(fixture.cluster, slot, from, to);
    let moved: Promise<void> | undefined;
    try {
      const prefix = namespacePrefix('auth:session', ':');
      // The slot's keys move while the masters are scanned in small steps.
      const plan = await planNamespaceDeletionOn(topology(), prefix, {
        scanCount: 10,
        onProgress: () => (moved ??= migration.step(300).then(() => migration.finish())),
      });
      await moved;
      const names = plan.keys.map((key) => Buffer.from(key, 'latin1').toString());
      assert.deepEqual(
        names.filter((key, i) => names.indexOf(key) !== i),
        [],
        'no key counted twice',
      );
      assert.deepEqual([...names].sort(), [...keys].sort(), 'every key counted');
      assert.equal(plan.count, keys.length);
      const result = await deleteNamespaceKeysOn(topology(), plan, { batchSize: 500 });
      assert.deepEqual([result.deleted, result.remaining], [keys.length, 0]);
    } finally {
      await moved?.catch(() => undefined);
      migration.close();
    }
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
