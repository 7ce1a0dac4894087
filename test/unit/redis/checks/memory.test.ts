import * as assert from 'node:assert/strict';
import IORedis from 'ioredis';
import type Redis from 'ioredis';
import { checkMemory, parseMemorySize, runChecks } from '../../../../src/redis/checks';
import { parseInfo } from '../../../../src/redis/info';
import { useRedisServer } from '../../../support/useRedisServer';
import { DEFAULT_DECLARED, put, range, walk } from './support';

const MAXMEMORY = 8 * 1024 * 1024;

async function usedMemory(client: Redis): Promise<number> {
  return Number(parseInfo(await client.info('memory')).get('memory')?.['used_memory']);
}

describe('checks: memory against maxmemory or the budget', function () {
  this.timeout(60_000);
  // A Redis at 85% of its maxmemory, most of it in the blob namespace.
  const limited = useRedisServer({
    extraArgs: ['--maxmemory', String(MAXMEMORY), '--maxmemory-policy', 'allkeys-lru'],
  });
  // A Redis without maxmemory and little in it.
  const unlimited = useRedisServer();
  let full: Redis;
  let roomy: Redis;

  before(async () => {
    full = await limited.connect();
    await put(
      full,
      range(20, (i) => `auth:session:${i}`),
      3600,
    );
    await put(
      full,
      range(40, (i) => `shared:config:${i}`),
    );
    for (let i = 0; (await usedMemory(full)) < 0.85 * MAXMEMORY; i++) {
      await full.set(`blob:${i}`, 'x'.repeat(128 * 1024));
    }
    roomy = await unlimited.connect();
    await put(
      roomy,
      range(20, (i) => `auth:session:${i}`),
      3600,
    );
  });

  it('reads memory sizes as redis.conf writes them', () => {
    assert.equal(parseMemorySize('256mb'), 256 * 1024 * 1024);
    assert.equal(parseMemorySize(' 1GB '), 1024 ** 3);
    assert.equal(parseMemorySize('1g'), 1e9);
    assert.equal(parseMemorySize('512 kb'), 512 * 1024);
    assert.equal(parseMemorySize('1.5mb'), 1.5 * 1024 * 1024);
    assert.equal(parseMemorySize('1048576'), 1048576);
    assert.equal(parseMemorySize(''), undefined);
    assert.equal(parseMemorySize('0'), undefined);
    for (const bad of ['lots', '-5mb', '12tb', 'mb']) assert.equal(parseMemorySize(bad), null, bad);
  });

  it('reports used memory against maxmemory, the policy and the namespaces holding the most', async () => {
    const before = await usedMemory(full);
    const result = await checkMemory(full, { model: await walk(full), budgetBytes: 1024 });
    assert.equal(result.maxmemoryBytes, MAXMEMORY);
    assert.equal(result.limitSource, 'maxmemory', 'maxmemory wins over the budget');
    assert.equal(result.limitBytes, MAXMEMORY);
    assert.equal(result.policy, 'allkeys-lru');
    assert.ok(Math.abs(result.usedBytes - before) < 256 * 1024, `${result.usedBytes} vs ${before}`);
    assert.ok(result.share !== undefined && result.share >= 0.85 && result.share < 1, String(result.share));
    assert.deepEqual(
      result.topNamespaces.map((n) => n.name),
      ['blob', 'shared', 'auth'],
    );
    const blob = result.topNamespaces[0];
    assert.ok(blob && blob.bytes > 0.7 * MAXMEMORY, String(blob?.bytes));
    assert.equal(result.evictedKeys, 0);
  });

  it('uses the budget when maxmemory is 0, and has no limit without either', async () => {
    const budget = await checkMemory(roomy, { budgetBytes: 512 * 1024 });
    assert.equal(budget.maxmemoryBytes, 0);
    assert.equal(budget.limitSource, 'budget');
    assert.equal(budget.limitBytes, 512 * 1024);
    assert.ok(budget.share !== undefined && budget.share > 1, 'an idle Redis uses more than 512 KiB');
    assert.equal(budget.policy, 'noeviction');
    const none = await checkMemory(roomy, {});
    assert.deepEqual([none.limitSource, none.limitBytes, none.share], ['none', undefined, undefined]);
    assert.deepEqual(none.topNamespaces, [], 'no walk, no namespace sampling');
  });

  it('turns memory over the threshold into a finding, and a roomy Redis into none', async () => {
    const broken = await runChecks(full, await walk(full), DEFAULT_DECLARED, { scanCount: 100 });
    assert.deepEqual(broken.errors, {});
    const memory = broken.findings.filter((f) => f.check === 'memory');
    assert.equal(memory.length, 1);
    assert.equal(memory[0]?.severity, 'warning');
    assert.match(memory[0]?.description ?? '', /^(8\d|9\d)% of maxmemory \(\d+\.\d MiB of 8\.0 MiB\)$/);
    assert.match(memory[0]?.detail ?? '', /allkeys-lru/);
    // blob:* is outside every declared namespace too.
    assert.deepEqual(
      broken.findings.filter((f) => f.check === 'undeclared').map((f) => f.label),
      ['blob'],
    );

    const over = await runChecks(roomy, await walk(roomy), DEFAULT_DECLARED, { budgetBytes: 512 * 1024 });
    assert.deepEqual(
      over.findings.map((f) => [f.check, f.severity]),
      [['memory', 'error']],
    );
    assert.match(over.findings[0]?.detail ?? '', /maxmemory is not set/);

    const clean = await runChecks(roomy, await walk(roomy), DEFAULT_DECLARED, { budgetBytes: 256 * 1024 * 1024 });
    assert.deepEqual(clean.findings, []);
    assert.deepEqual(clean.errors, {});
    assert.equal(clean.memory?.limitSource, 'budget');
    assert.ok((clean.memory?.share ?? 1) < 0.1);
    assert.deepEqual(
      clean.memory?.topNamespaces.map((n) => n.name),
      ['auth'],
    );
  });
});

describe('checks: one failing check does not stop the others', function () {
  this.timeout(30_000);
  // INFO renamed away, as some managed servers do: the memory check cannot read it.
  const server = useRedisServer({ extraArgs: ['--rename-command', 'INFO', 'INFO_HIDDEN_FOR_TEST'] });
  let client: Redis;
  before(async () => {
    // ioredis's ready check sends INFO: without it, as a client of such a server must.
    client = server.keep(
      new IORedis({
        host: server.host,
        port: server.port,
        lazyConnect: true,
        enableReadyCheck: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      }),
    );
    await client.connect();
    await put(client, ['orders:1', 'user:search:q1']);
  });

  it("reports the failed check with the server's reason and the findings of the others", async () => {
    const report = await runChecks(client, await walk(client), DEFAULT_DECLARED, { budgetBytes: 1024 });
    assert.equal(report.memory, undefined);
    assert.match(report.errors.memory ?? '', /unknown command/i);
    assert.deepEqual(
      report.findings.map((f) => [f.check, f.label, f.description]),
      [
        ['undeclared', 'orders', '1 key outside every declared namespace'],
        ['cacheTtl', 'user:search', '1 of 1 key without a TTL'],
      ],
    );
  });
});
