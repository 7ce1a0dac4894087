import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import {
  migrateFromClusterMasters,
  scanClusterSourceSegments,
} from '../../../../src/redis/cluster/clusterSourceImport';
import { clusterMasters } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import {
  compileMappings,
  migrateKeys,
  MigrationMode,
  MigrationResult,
  REASON_EXISTS,
} from '../../../../src/redis/migration';
import { fillCluster, nodeKeys as keysOf, useRedisCluster } from '../../../support/redisCluster';
import { useRedisServer } from '../../../support/useRedisServer';

const PASSWORD = 'cluster-import-password-8e2d';
const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };
const SESSIONS = 3000;
const MAPPINGS = compileMappings(
  [
    { source: 'session', target: 'auth:session' },
    { source: 'profile', target: 'user:profile' },
  ],
  { delimiter: ':', declared: [] },
);

/** What a user reads first in the summary. */
const tally = (result: MigrationResult): { copied: number; skippedExisting: number; failed: number } => ({
  copied: result.copied,
  skippedExisting: result.skippedExisting,
  failed: result.failed,
});

describe('Import from Another Redis into a Redis Cluster (a real redis-server into a real six-node cluster)', function () {
  this.timeout(120_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const source = useRedisServer();
  let cluster: Cluster;
  let endpoint: RedisEndpoint;
  let sourceClient: Redis;

  before(async () => {
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, { password: PASSWORD }, FAST);
    sourceClient = await source.connect();
    const pipeline = sourceClient.pipeline();
    for (let i = 0; i < SESSIONS; i++) {
      if (i % 2 === 0) pipeline.set(`session:${i}`, `s${i}`, 'PX', 3_600_000);
      else pipeline.set(`session:${i}`, `s${i}`);
    }
    // Hash tags and odd names land in slots of their own; a hash and a list keep their types.
    pipeline.hset('profile:{42}:card', 'name', 'Ada');
    pipeline.rpush('profile:{42}:visits', 'a', 'b', 'c');
    pipeline.set('profile:x{}{y}', 'odd tag');
    pipeline.set('other:1', 'never mapped');
    await pipeline.exec();
  });
  after(() => cluster?.disconnect());
  const importInto = (mode: MigrationMode, batchSize: number): Promise<MigrationResult> =>
    migrateKeys(sourceClient, cluster, MAPPINGS, { mode, batchSize, targetEndpoint: endpoint });

  it('a dry run counts what would be copied and the conflicts on every master; a copy writes each key to its slot’s master and never overwrites', async () => {
    // Conflicts that exist already, on every master (one per master at least): their values must survive.
    const conflicts = Array.from({ length: 30 }, (_, i) => `auth:session:${i * 97}`);
    for (const key of conflicts) await cluster.set(key, 'kept');
    const masters = clusterMasters(cluster, endpoint);
    assert.equal(masters.length, 3);
    for (const master of masters) {
      assert.ok(master.client);
      assert.ok(
        (await keysOf(master.client)).some((k) => conflicts.includes(k)),
        `a conflict on ${master.address}`,
      );
    }

    const dry = await importInto('dry-run', 200);
    assert.deepEqual(
      { copied: dry.copied, skippedExisting: dry.skippedExisting, failed: dry.failed, processed: dry.processed },
      {
        copied: SESSIONS + 3 - conflicts.length,
        skippedExisting: conflicts.length,
        failed: 0,
        processed: SESSIONS + 3,
      },
      JSON.stringify(dry.reasons),
    );
    for (const master of masters) {
      assert.ok(master.client);
      assert.equal(
        (await keysOf(master.client)).filter((k) => !conflicts.includes(k)).length,
        0,
        'the dry run wrote nothing',
      );
    }

    const copy = await importInto('copy', 200);
    assert.deepEqual(
      tally(copy),
      { copied: SESSIONS + 3 - conflicts.length, skippedExisting: conflicts.length, failed: 0 },
      JSON.stringify(copy.reasons),
    );
    assert.deepEqual(
      copy.reasons.map((r) => r.reason),
      [REASON_EXISTS],
    );
    for (const key of conflicts) assert.equal(await cluster.get(key), 'kept', key);
    assert.equal(await cluster.get('auth:session:1'), 's1');
    assert.ok((await cluster.pttl('auth:session:2')) > 3_000_000);
    assert.deepEqual(await cluster.hgetall('user:profile:{42}:card'), { name: 'Ada' });
    assert.deepEqual(await cluster.lrange('user:profile:{42}:visits', 0, -1), ['a', 'b', 'c']);
    assert.equal(await cluster.get('user:profile:x{}{y}'), 'odd tag');
    assert.equal(await cluster.exists('other:1'), 0);

    // Every master got its share, and each holds only keys of its own slots (no MOVED left behind).
    let total = 0;
    for (const master of clusterMasters(cluster, endpoint)) {
      assert.ok(master.client);
      const held = await keysOf(master.client);
      assert.ok(held.length > SESSIONS / 6, `${master.address} holds ${held.length} keys`);
      total += held.length;
    }
    assert.equal(total, SESSIONS + 3);

    // Again: everything exists now, nothing is written.
    const again = await importInto('copy', 500);
    assert.deepEqual(tally(again), {
      copied: 0,
      skippedExisting: SESSIONS + 3,
      failed: 0,
    });

    // Replace, when asked: every key is overwritten on its own master, and counted as replaced.
    const replaced = await importInto('replace', 500);
    assert.deepEqual(
      { ...tally(replaced), replaced: replaced.replaced },
      { copied: SESSIONS + 3, skippedExisting: 0, failed: 0, replaced: SESSIONS + 3 },
    );
    for (const key of conflicts) assert.equal(await cluster.get(key), key.replace('auth:session:', 's'), key);
  });

  it('from a cluster source: counts and copies every master’s keys (replicas not twice), conflicts skipped', async () => {
    const orders = Array.from({ length: 2000 }, (_, i) => `orders:${i}`);
    await fillCluster(fixture.cluster, [...orders, 'orders:{7}:a', 'orders:{7}:b'], 'order');
    const target = await source.connect();
    await target.set('sales:orders:5', 'kept');
    const credentials = { password: PASSWORD };
    const scan = await scanClusterSourceSegments(cluster, endpoint, credentials, { delimiter: ':', count: 100 });
    const ordersCount = scan.segments.find((s) => s.segment?.toString() === 'orders')?.count;
    assert.equal(ordersCount, orders.length + 2);
    const mappings = compileMappings([{ source: 'orders', target: 'sales:orders' }], { delimiter: ':', declared: [] });
    const result = await migrateFromClusterMasters(cluster, endpoint, target, mappings, {
      mode: 'copy',
      batchSize: 300,
    });
    assert.deepEqual(tally(result), { copied: orders.length + 1, skippedExisting: 1, failed: 0 });
    assert.equal(result.processed, orders.length + 2);
    assert.equal(result.perMapping[0]?.copied, orders.length + 1);
    assert.equal(await target.get('sales:orders:5'), 'kept');
    assert.equal(await target.get('sales:orders:1999'), 'order');
    assert.equal(await target.get('sales:orders:{7}:b'), 'order');
  });
});
