// Export/import benchmark: 100,000 keys of mixed types with TTLs, exported to a file and
// imported into another namespace by the transfer core, against a plain DUMP/RESTORE loop
// over the same keys with ioredis pipelining, and `redis-cli --rdb` for the whole dataset.
// Run: npm run bench -- transfer (BENCH_RUNS, default 5). Writes $BENCH_OUTPUT
// (default test-results/bench-transfer.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { exportNamespace, importNamespace, planImport } from '../../src/redis/transfer';
import { cpuTimes, stealShare } from '../support/cpuSteal';
import { startRedisServer } from '../support/redisServer';

const KEYS = Number(process.env['BENCH_KEYS'] ?? 100_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-transfer.md';
const BATCH = 500;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function fill(client: Redis): Promise<void> {
  for (let start = 0; start < KEYS; start += 5000) {
    const pipeline = client.pipeline();
    for (let i = start; i < Math.min(KEYS, start + 5000); i++) {
      const key = `bench:${i % 6}:${i}`;
      switch (i % 6) {
        case 0:
          pipeline.set(key, `value ${i} `.repeat(4));
          break;
        case 1:
          pipeline.hset(key, 'name', `user ${i}`, 'role', 'admin', 'n', String(i));
          break;
        case 2:
          pipeline.rpush(key, 'a', 'b', String(i));
          break;
        case 3:
          pipeline.sadd(key, 'x', 'y', String(i));
          break;
        case 4:
          pipeline.zadd(key, 1, 'one', i, 'n');
          break;
        default:
          pipeline.xadd(key, '1-1', 'f', String(i));
      }
      if (i % 2 === 0) pipeline.pexpire(key, 3_600_000);
    }
    await pipeline.exec();
  }
}

async function unlinkUnder(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next.toString();
  } while (cursor !== '0');
}

/** The baseline: SCAN, then per batch one pipeline of PTTL + DUMP and one of RESTORE, no file. */
async function dumpRestoreLoop(client: Redis, from: string, to: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${from}*`, 'COUNT', 1000);
    cursor = next.toString();
    for (let at = 0; at < keys.length; at += BATCH) {
      const batch = keys.slice(at, at + BATCH);
      const reads = client.pipeline();
      for (const key of batch) reads.pttl(key).dumpBuffer(key);
      const replies = (await reads.exec()) ?? [];
      const writes = client.pipeline();
      batch.forEach((key, i) => {
        const ttl = Number(replies[2 * i]?.[1]);
        const payload = replies[2 * i + 1]?.[1] as Buffer;
        writes.restore(Buffer.concat([Buffer.from(to), key.subarray(from.length)]), ttl > 0 ? ttl : 0, payload);
      });
      await writes.exec();
    }
  } while (cursor !== '0');
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const client = new Redis({ host: server.host, port: server.port });
  const dir = mkdtempSync(join(tmpdir(), 'bench-transfer-'));
  try {
    await fill(client);
    const file = join(dir, 'bench.redis.jsonl');
    const since = cpuTimes();
    const exportMs: number[] = [];
    const importMs: number[] = [];
    const baselineMs: number[] = [];
    const rdbMs: number[] = [];
    let fileBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      exportMs.push(
        await timed(() => exportNamespace(client, Buffer.from('bench:'), file, { delimiter: Buffer.from(':') })),
      );
      fileBytes = statSync(file).size;
      importMs.push(
        await timed(async () => {
          const plan = await planImport(client, file, Buffer.from('copy:'));
          const result = await importNamespace(client, plan);
          if (result.created !== KEYS) throw new Error(`imported ${result.created} of ${KEYS}`);
        }),
      );
      await unlinkUnder(client, 'copy:');
      baselineMs.push(await timed(() => dumpRestoreLoop(client, 'bench:', 'copy:')));
      await unlinkUnder(client, 'copy:');
      rdbMs.push(
        await timed(async () =>
          execFileSync('redis-cli', ['-h', server.host, '-p', String(server.port), '--rdb', join(dir, 'dump.rdb')], {
            stdio: 'ignore',
          }),
        ),
      );
    }
    const steal = stealShare(since);
    const rate = (ms: number): string => `${Math.round(KEYS / (ms / 1000)).toLocaleString('en-US')} keys/s`;
    const row = (what: string, values: number[]): string =>
      `| ${what} | ${Math.round(median(values)).toLocaleString('en-US')} ms | ${rate(median(values))} |`;
    const text = [
      '## transfer',
      '',
      `Export and import of ${KEYS.toLocaleString('en-US')} keys of six types (string, hash, list, set, zset, stream; half with a TTL) on a local redis-server, median of ${RUNS} runs. The export file was ${(fileBytes / 1024 / 1024).toFixed(1)} MiB. CPU steal during the runs: ${(steal * 100).toFixed(1)} %.`,
      '',
      '| What | Median | Throughput |',
      '|---|---|---|',
      row('Export Namespace (SCAN, TYPE + MULTI{TYPE PTTL DUMP read} per key, JSON lines to disk, fsync)', exportMs),
      row('Import Namespace (dry run: read + check the file, EXISTS; then RESTORE pipelined)', importMs),
      row('Baseline: DUMP/RESTORE loop, ioredis pipelines of 500, no file', baselineMs),
      row('Reference: `redis-cli --rdb` (the whole dataset as an RDB file)', rdbMs),
      '',
      `Export + import: ${(median(exportMs) + median(importMs) > 0 ? (median(exportMs) + median(importMs)) / median(baselineMs) : 0).toFixed(1)}× the baseline's time; the extra is the readable value and the file (written, fsynced, then read twice: dry run and import).`,
      '',
    ].join('\n');
    mkdirSync(dirname(OUTPUT), { recursive: true });
    writeFileSync(OUTPUT, text);
    console.log(text);
  } finally {
    client.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
