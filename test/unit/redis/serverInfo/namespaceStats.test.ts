import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { connectRedis } from '../../../../src/redis/connection';
import { describeNamespaceStats, namespaceStats, namespaceStatsTable } from '../../../../src/redis/serverInfo';
import { useRedisServer } from '../../../support/useRedisServer';

describe('per-namespace stats', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;
  before(async () => {
    client = server.keep(await connectRedis({ host: server.host, port: server.port, db: 0, tls: false }, {}));
    const pipeline = client.pipeline();
    for (let i = 0; i < 30; i++) pipeline.set(`auth:session:${i}`, 'x'.repeat(100), 'EX', 3600);
    for (let i = 0; i < 10; i++) pipeline.set(`auth:token:${i}`, 't');
    pipeline.set('auth:sessions:neighbour', 'n'); // shares the letters, not the namespace
    pipeline.set('we*ird:[a]:1', 'glob characters in the prefix');
    pipeline.set('weXird:[a]:2', 'would match an unescaped glob');
    for (let i = 0; i < 3000; i++) {
      if (i % 4 === 0) pipeline.set(`big:${i}`, String(i), 'EX', 600);
      else pipeline.set(`big:${i}`, String(i));
    }
    for (let i = 0; i < 9; i++) pipeline.set(`other:${i}`, 'o');
    await pipeline.exec();
  });
  const total = 30 + 10 + 1 + 2 + 3000 + 9;

  it('counts keys, share of all keys and share with a TTL exactly on a small namespace', async () => {
    const stats = await namespaceStats(client, { name: 'auth:session', prefix: 'auth:session:' });
    assert.equal(stats.keys, 30);
    assert.equal(stats.keysExact, true);
    assert.equal(stats.shareOfAll, 30 / total);
    assert.equal(stats.sampled, 30);
    assert.equal(stats.sampledWithTtl, 30);
    assert.equal(stats.ttlShare, 1);
    assert.equal(stats.exact, true);
    assert.ok(stats.sampledBytes > 30 * 100, `memory ${stats.sampledBytes}`);
    assert.equal(stats.estimatedBytes, stats.sampledBytes);

    const auth = await namespaceStats(client, { name: 'auth', prefix: 'auth:' });
    assert.equal(auth.keys, 41);
    assert.equal(auth.sampledWithTtl, 30);
    assert.equal(auth.ttlShare, 30 / 41);
    const row = describeNamespaceStats(auth);
    assert.equal(row.keys, '41 keys');
    assert.equal(row.withTtl, '73.2%');
    assert.equal(row.sample, '41 of 41 keys sampled');
    assert.doesNotMatch(row.memory, /≈/);
  });

  it('escapes glob characters of the prefix', async () => {
    const stats = await namespaceStats(client, { name: 'we*ird:[a]', prefix: 'we*ird:[a]:' });
    assert.equal(stats.keys, 1);
    assert.equal(stats.ttlShare, 0);
  });

  it('bounds the sample and says how many keys were sampled', async () => {
    const stats = await namespaceStats(
      client,
      { name: 'big', prefix: 'big:', keys: 3000 },
      { sampleSize: 50, scanCount: 100 },
    );
    assert.equal(stats.keys, 3000);
    assert.equal(stats.sampled, 50);
    assert.equal(stats.exact, false);
    assert.ok(stats.scanCalls < 3000 / 100, `scan calls ${stats.scanCalls}`);
    assert.ok(stats.estimatedBytes !== undefined && stats.estimatedBytes > stats.sampledBytes * 50);
    assert.ok(stats.ttlShare !== undefined && stats.ttlShare >= 0 && stats.ttlShare <= 1);
    const row = describeNamespaceStats(stats);
    assert.equal(row.sample, '50 of 3,000 keys sampled');
    assert.match(row.memory, /^≈ /);
  });

  it('without a known count, a bounded SCAN gives a lower bound and says so', async () => {
    const stats = await namespaceStats(
      client,
      { name: 'big', prefix: 'big:' },
      { sampleSize: 10, scanCount: 10, maxScanCalls: 3 },
    );
    assert.equal(stats.scanCalls, 3);
    assert.equal(stats.keysExact, false);
    assert.ok(stats.sampled <= 10);
    assert.match(describeNamespaceStats(stats).keys, /^≥ /);
    const full = await namespaceStats(client, { name: 'big', prefix: 'big:' }, { sampleSize: 500 });
    assert.equal(full.keys, 3000);
    assert.equal(full.keysExact, true);
    assert.equal(full.sampled, 500);
    // a quarter of the keys have a TTL; SCAN's order makes the sample close to that
    assert.ok(full.ttlShare !== undefined && Math.abs(full.ttlShare - 0.25) < 0.1, `ttl share ${full.ttlShare}`);
  });

  it('gives a table for a namespace and its children', async () => {
    const rows = await namespaceStatsTable(client, [
      { name: 'auth', prefix: 'auth:' },
      { name: 'auth:session', prefix: 'auth:session:' },
      { name: 'auth:token', prefix: 'auth:token:' },
      { name: 'none', prefix: 'none:' },
    ]);
    assert.deepEqual(
      rows.map((r) => [r.name, r.keys, r.ttlShare]),
      [
        ['auth', 41, 30 / 41],
        ['auth:session', 30, 1],
        ['auth:token', 10, 0],
        ['none', 0, undefined],
      ],
    );
    assert.equal(describeNamespaceStats(rows[3]!).memory, '–');
  });
});
