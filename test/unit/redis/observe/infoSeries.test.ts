import * as assert from 'node:assert/strict';
import { connectRedis } from '../../../../src/redis/connection';
import { parseInfo } from '../../../../src/redis/info';
import { clientsPerService, InfoReading, InfoSeries, readingOf } from '../../../../src/redis/observe/infoSeries';
import { useRedisServer } from '../../../support/useRedisServer';

const NO_CLIENTS = { counts: {} };

function reading(at: number, fields: Partial<InfoReading> = {}): InfoReading {
  return {
    at,
    runId: 'run-1',
    totalCommands: 0,
    usedMemory: 1_000_000,
    maxMemory: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    ...fields,
  };
}

describe('InfoSeries: rates from INFO counters', function () {
  it('divides each counter delta by the seconds between two readings', () => {
    const series = new InfoSeries();
    const first = series.add(reading(10_000, { totalCommands: 100, expiredKeys: 5, evictedKeys: 1 }), NO_CLIENTS);
    assert.equal(first.restart, 'first');
    assert.equal(first.opsPerSec, null, 'no rate without an interval');
    const second = series.add(
      reading(12_000, {
        totalCommands: 2_500,
        expiredKeys: 9,
        evictedKeys: 1,
        usedMemory: 2_000_000,
        maxMemory: 4_000_000,
      }),
      NO_CLIENTS,
    );
    assert.equal(second.restart, undefined);
    assert.equal(second.opsPerSec, 1_200);
    assert.equal(second.expiredPerSec, 2);
    assert.equal(second.evictedPerSec, 0);
    assert.equal(second.usedMemory, 2_000_000);
    assert.equal(second.maxMemory, 4_000_000);
  });

  it('computes the hit ratio over the interval, and says "no lookups" (null, 0 lookups) for 0/0', () => {
    const series = new InfoSeries();
    series.add(reading(0, { keyspaceHits: 1_000, keyspaceMisses: 1_000 }), NO_CLIENTS);
    const idle = series.add(reading(2_000, { keyspaceHits: 1_000, keyspaceMisses: 1_000 }), NO_CLIENTS);
    assert.equal(idle.hitRatio, null);
    assert.equal(idle.lookups, 0);
    const busy = series.add(reading(4_000, { keyspaceHits: 1_030, keyspaceMisses: 1_010 }), NO_CLIENTS);
    assert.equal(busy.hitRatio, 0.75, "the interval's 30 hits of 40 lookups, not the lifetime 1030/2040");
    assert.equal(busy.lookups, 40);
    const allMisses = series.add(reading(6_000, { keyspaceHits: 1_030, keyspaceMisses: 1_020 }), NO_CLIENTS);
    assert.equal(allMisses.hitRatio, 0);
  });

  it('starts a new segment instead of a negative rate when a counter goes backwards (CONFIG RESETSTAT)', () => {
    const series = new InfoSeries();
    series.add(reading(0, { totalCommands: 50_000, keyspaceHits: 10 }), NO_CLIENTS);
    const reset = series.add(reading(2_000, { totalCommands: 3, keyspaceHits: 0 }), NO_CLIENTS);
    assert.equal(reset.restart, 'counters reset');
    assert.equal(reset.opsPerSec, null);
    assert.equal(reset.hitRatio, null);
    const after = series.add(reading(4_000, { totalCommands: 23, keyspaceHits: 0 }), NO_CLIENTS);
    assert.equal(after.opsPerSec, 10);
    for (const point of series.points) assert.ok(point.opsPerSec === null || point.opsPerSec >= 0);
  });

  it('starts a new segment when the run_id changes (a restart) even if the counters grew meanwhile', () => {
    const series = new InfoSeries();
    series.add(reading(0, { totalCommands: 10 }), NO_CLIENTS);
    const restarted = series.add(reading(2_000, { runId: 'run-2', totalCommands: 5_000 }), NO_CLIENTS);
    assert.equal(restarted.restart, 'counters reset');
    assert.equal(restarted.opsPerSec, null);
  });

  it('records a gap with its reason, and resumes with a new segment after it', () => {
    const series = new InfoSeries();
    series.add(reading(0, { totalCommands: 10 }), NO_CLIENTS);
    const gap = series.addGap(2_000, '127.0.0.1:6379 is unreachable');
    assert.equal(gap.gap, '127.0.0.1:6379 is unreachable');
    assert.equal(gap.opsPerSec, null);
    const resumed = series.add(reading(4_000, { totalCommands: 30 }), NO_CLIENTS);
    assert.equal(resumed.restart, 'resumed');
    assert.equal(resumed.opsPerSec, null, 'no rate across the gap');
    assert.equal(series.add(reading(6_000, { totalCommands: 50 }), NO_CLIENTS).opsPerSec, 10);
  });

  it('keeps at most `capacity` points, dropping the oldest (a panel left open overnight)', () => {
    const series = new InfoSeries(300);
    for (let i = 0; i < 1_000; i++) series.add(reading(i * 2_000, { totalCommands: i }), NO_CLIENTS);
    assert.equal(series.points.length, 300);
    assert.equal(series.points[0]?.at, 700 * 2_000);
    assert.equal(series.points.at(-1)?.at, 999 * 2_000);
  });

  it('carries the clients per service, or why they could not be counted', () => {
    const series = new InfoSeries();
    const counted = series.add(reading(0), { counts: { 'Auth Service': 2 } });
    assert.deepEqual(counted.clients, { 'Auth Service': 2 });
    const refused = series.add(reading(2_000), { error: 'may not run CLIENT LIST; grant +client|list' });
    assert.equal(refused.clients, null);
    assert.match(refused.clientsError ?? '', /\+client\|list/);
    assert.equal(refused.opsPerSec, 0, 'the other charts still work');
  });

  it('groups clients by the service their user maps to, others under their user name', () => {
    const services: Record<string, string> = { 'auth-service': 'Auth Service', 'user-service': 'User Service' };
    const counts = clientsPerService(
      [{ user: 'auth-service' }, { user: 'auth-service' }, { user: 'user-service' }, { user: 'default' }],
      (user) => services[user],
    );
    assert.deepEqual(counts, { 'Auth Service': 2, 'User Service': 1, default: 1 });
  });
});

describe('readingOf: the chart fields of a real INFO reply', function () {
  this.timeout(10_000);
  const server = useRedisServer();

  it('reads counters, memory and maxmemory (0: no limit), and sees hits and misses move', async () => {
    const client = await connectRedis({ host: server.host, port: server.port, db: 0, tls: false }, {});
    try {
      const before = readingOf(parseInfo(await client.info()), 0);
      await client.set('series:probe', 'x');
      await client.get('series:probe');
      await client.get('series:missing');
      await client.config('SET', 'maxmemory', '64mb');
      const after = readingOf(parseInfo(await client.info()), 2_000);
      assert.equal(before.maxMemory, 0);
      assert.equal(after.maxMemory, 64 * 1024 * 1024);
      assert.ok((after.usedMemory ?? 0) > 0);
      assert.match(after.runId ?? '', /^[0-9a-f]{40}$/);
      assert.equal((after.keyspaceHits ?? 0) - (before.keyspaceHits ?? 0), 1);
      assert.equal((after.keyspaceMisses ?? 0) - (before.keyspaceMisses ?? 0), 1);
      const series = new InfoSeries();
      series.add(before, NO_CLIENTS);
      const point = series.add(after, NO_CLIENTS);
      assert.equal(point.hitRatio, 0.5);
      // INFO, SET, GET, GET, CONFIG SET between the two readings: 5 commands in 2 s.
      assert.equal(point.opsPerSec, 2.5);
      await client.unlink('series:probe');
    } finally {
      client.disconnect();
    }
  });
});
