import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { connectRedis } from '../../../../src/redis/connection';
import { parseInfo } from '../../../../src/redis/info';
import {
  describeSummary,
  formatDuration,
  formatPercent,
  hitRatio,
  parseKeyspace,
  summarizeInfo,
} from '../../../../src/redis/serverInfo';
import { NEWER_SERVERS, startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';

describe('INFO summary', function () {
  this.timeout(10_000);
  const server = useRedisServer({ extraArgs: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
  let client: Redis;
  before(async () => {
    client = server.keep(await connectRedis({ host: server.host, port: server.port, db: 0, tls: false }, {}));
  });

  it('reads every field of a real INFO reply', async () => {
    await client.set('a', '1');
    await client.set('b', '2', 'EX', 600);
    await client.select(2);
    await client.set('c', '3');
    await client.select(0);
    await client.get('a'); // hit
    await client.get('a'); // hit
    await client.get('a'); // hit
    await client.get('missing'); // miss
    const summary = summarizeInfo(parseInfo(await client.info('everything')));
    assert.match(summary.server.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(summary.server.mode, 'standalone');
    assert.ok((summary.server.uptimeSeconds ?? -1) >= 0);
    assert.ok((summary.clients.connected ?? 0) >= 1);
    assert.equal(summary.clients.blocked, 0);
    assert.equal(summary.clients.max, 10000);
    assert.ok((summary.memory.usedBytes ?? 0) > 0);
    assert.ok((summary.memory.peakBytes ?? 0) >= (summary.memory.usedBytes ?? Infinity) * 0.5);
    assert.ok((summary.memory.fragmentationRatio ?? 0) > 0);
    assert.equal(summary.memory.maxBytes, 64 * 1024 * 1024);
    assert.equal(summary.memory.policy, 'allkeys-lru');
    assert.ok((summary.persistence.lastSaveUnix ?? 0) > 1_600_000_000);
    assert.equal(summary.persistence.aofEnabled, false);
    assert.equal(summary.persistence.lastBgsaveStatus, 'ok');
    assert.equal(summary.stats.keyspaceHits, 3);
    assert.equal(summary.stats.keyspaceMisses, 1);
    assert.equal(summary.stats.hitRatio, 0.75);
    assert.equal(summary.stats.expiredKeys, 0);
    assert.equal(summary.stats.evictedKeys, 0);
    assert.ok((summary.stats.opsPerSec ?? -1) >= 0);
    assert.deepEqual(
      summary.keyspace.map((db) => [db.db, db.keys, db.expires]),
      [
        [0, 2, 1],
        [2, 1, 0],
      ],
    );

    const sections = describeSummary(summary);
    assert.deepEqual(
      sections.map((s) => s.title),
      ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Keyspace'],
    );
    const field = (title: string, label: string): string | undefined =>
      sections.find((s) => s.title === title)?.fields.find((f) => f.label === label)?.value;
    assert.equal(field('Memory', 'Max memory'), '64.0 MiB');
    assert.equal(field('Memory', 'Eviction policy'), 'allkeys-lru');
    assert.equal(field('Stats', 'Keyspace hit ratio'), '75.0% (3 hits, 1 misses)');
    assert.equal(field('Persistence', 'AOF'), 'off');
    // Redis reports avg_ttl only once its expire cycle (10 times a second) has sampled the key,
    // which a slow machine reaches before INFO: the figure may be there or not, never another.
    assert.match(
      field('Keyspace', 'db0') ?? '',
      /^2 keys · 1 with a TTL(?: · average TTL (?:9m [1-5]?\ds|10m(?: 0s)?))?$/,
    );
    assert.equal(field('Keyspace', 'db2'), '1 key · 0 with a TTL');
  });

  it('leaves out what the server did not report', () => {
    const summary = summarizeInfo(parseInfo('# Server\r\nredis_version:7.2.4\r\n'));
    assert.equal(summary.server.version, '7.2.4');
    assert.equal(summary.memory.usedBytes, undefined);
    assert.equal(summary.stats.hitRatio, undefined);
    assert.deepEqual(summary.keyspace, []);
    const memory = describeSummary(summary).find((s) => s.title === 'Memory');
    assert.equal(memory?.fields.find((f) => f.label === 'Used')?.value, '–');
  });

  it('parses keyspace lines, ignoring what is not a db', () => {
    assert.deepEqual(
      parseKeyspace({ db10: 'keys=5,expires=2,avg_ttl=1000', db1: 'keys=1,expires=0,avg_ttl=0', other: 'x' }),
      [
        { db: 1, keys: 1, expires: 0, avgTtlMs: 0 },
        { db: 10, keys: 5, expires: 2, avgTtlMs: 1000 },
      ],
    );
  });
});

describe('keyspace hit ratio', () => {
  it('is hits over lookups', () => {
    assert.equal(hitRatio(3, 1), 0.75);
    assert.equal(hitRatio(1, 0), 1);
    assert.equal(hitRatio(0, 5), 0);
    assert.equal(hitRatio(1, 2), 1 / 3);
    assert.equal(hitRatio(9_000_000_000_000, 1_000_000_000_000), 0.9);
  });

  it('is undefined before the first lookup or for nonsense', () => {
    assert.equal(hitRatio(0, 0), undefined);
    assert.equal(hitRatio(undefined, 3), undefined);
    assert.equal(hitRatio(Number.NaN, 3), undefined);
    assert.equal(hitRatio(-1, 3), undefined);
  });

  it('formats as a percentage a person reads', () => {
    assert.equal(formatPercent(0.75), '75.0%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(0.99999), '>99.9%');
    assert.equal(formatPercent(0.00001), '<0.1%');
    assert.equal(formatPercent(undefined), '–');
    assert.equal(formatDuration(59), '59s');
    assert.equal(formatDuration(3599), '59m 59s');
    assert.equal(formatDuration(90_000), '1d 1h');
  });
});

describe('INFO summary of a Valkey server', function () {
  this.timeout(10_000);
  it('shows Valkey and its own version in the Server section, not the Redis version it is compatible with', async () => {
    const valkey = await startRedisServer({ binary: NEWER_SERVERS['Valkey 8.1'] });
    const client = await connectRedis({ host: valkey.host, port: valkey.port, db: 0, tls: false }, {});
    try {
      const summary = summarizeInfo(parseInfo(await client.info()));
      const version = describeSummary(summary)
        .find((section) => section.title === 'Server')
        ?.fields.find((field) => field.label === 'Version')?.value;
      assert.match(version ?? '', /^Valkey 8\.\d+\.\d+$/);
    } finally {
      client.disconnect();
      await valkey.stop();
    }
  });
});
