// Editing benchmark: saving a 1,000-field hash with one field changed, through the key
// document's save (read, edit the text, parse, WATCH + compare + MULTI/EXEC), against a
// naive save that rewrites the whole hash (DEL + HSET of every field in one MULTI), in the
// same run on the same redis-server. Commands are counted with INFO commandstats, bytes
// with INFO stats (total_net_input_bytes), both reset before each save.
// Run: npm run bench -- editing  (writes test-results/bench-editing.md)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Redis from 'ioredis';
import { parseEdited, renderEditable } from '../../src/redis/keyValue/editFormat';
import { readKeyValue } from '../../src/redis/keyValue/read';
import { saveKeyValue } from '../../src/redis/keyValue/save';
import { startRedisServer } from '../support/redisServer';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-editing.md';
const FIELDS = 1000;
const KEY = Buffer.from('bench:user:profile');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface Counted {
  readonly calls: Map<string, number>;
  readonly inputBytes: number;
  readonly ms: number;
}

async function counted(admin: Redis, action: () => Promise<unknown>): Promise<Counted> {
  await admin.config('RESETSTAT');
  const started = process.hrtime.bigint();
  await action();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const stats = await admin.info('commandstats');
  const bytes = Number(/^total_net_input_bytes:(\d+)/m.exec(await admin.info('stats'))?.[1] ?? 0);
  const calls = new Map<string, number>();
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] ?? '', Number(match[2]));
  // The counting itself (CONFIG RESETSTAT, INFO) is not part of the save.
  for (const own of ['config|resetstat', 'info', 'config']) calls.delete(own);
  return { calls, inputBytes: bytes, ms };
}

async function fill(client: Redis, run: number): Promise<void> {
  await client.del(KEY);
  const fields: string[] = [];
  for (let i = 0; i < FIELDS; i++) fields.push(`field:${i}`, `value ${i} of run ${run}`);
  await client.hset(KEY, ...fields);
  await client.expire(KEY, 3600);
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
  const writer = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true });
  await admin.connect();
  await writer.connect();
  const documentSaves: Counted[] = [];
  const naiveSaves: Counted[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      await fill(writer, run);
      const value = await readKeyValue(writer, KEY);
      const text = renderEditable(value).text.replace(
        `"field:500": "value 500 of run ${run}"`,
        '"field:500": "changed"',
      );
      documentSaves.push(
        await counted(admin, async () => {
          const outcome = await saveKeyValue(writer, KEY, value, parseEdited(value, text), { pages: 1 });
          if (outcome.kind !== 'saved') throw new Error(`the save was ${outcome.kind}`);
        }),
      );
      if ((await writer.hget(KEY, 'field:500')) !== 'changed' || (await writer.hlen(KEY)) !== FIELDS) {
        throw new Error('the document save did not write what was edited');
      }
      await fill(writer, run);
      naiveSaves.push(
        await counted(admin, async () => {
          const all = await writer.hgetallBuffer(KEY);
          all['field:500'] = Buffer.from('changed');
          const pttl = await writer.pttl(KEY);
          const transaction = writer.multi().del(KEY).hset(KEY, all);
          if (pttl > 0) transaction.pexpire(KEY, pttl);
          await transaction.exec();
        }),
      );
    }
  } finally {
    admin.disconnect();
    writer.disconnect();
    await server.stop();
  }
  const calls = (saves: Counted[], name: string): number => median(saves.map((s) => s.calls.get(name) ?? 0));
  const writes = (saves: Counted[]): string =>
    ['hset', 'hdel', 'del', 'pexpire'].map((name) => `${name.toUpperCase()} ${calls(saves, name)}`).join(', ');
  const all = (saves: Counted[]): string =>
    [...(saves[0]?.calls.entries() ?? [])]
      .sort()
      .map(([name, n]) => `${name.toUpperCase().replace('|', ' ')} ${n}`)
      .join(', ');
  const line = (label: string, saves: Counted[]): string =>
    `| ${label} | ${writes(saves)} | ${all(saves)} | ${Math.round(median(saves.map((s) => s.inputBytes))).toLocaleString('en-US')} | ${median(saves.map((s) => s.ms)).toFixed(1)} |`;
  const hsetOnce =
    calls(documentSaves, 'hset') === 1 && calls(documentSaves, 'hdel') === 0 && calls(documentSaves, 'del') === 0;
  const section = `## editing

Saving a ${FIELDS.toLocaleString('en-US')}-field hash (with a TTL) after changing one field, ${RUNS} runs, medians, on a local
redis-server. "Key document" is the editor's save (WATCH, read the key again and compare, MULTI with only the
changed field, EXEC); "naive rewrite" (the baseline, same run) reads the whole hash and writes it back
(DEL + HSET of every field + PEXPIRE in one MULTI). Commands from INFO commandstats; bytes the server received
from INFO stats (total_net_input_bytes).

| Save | Writes | Every command the server ran | Bytes sent to Redis | Time (ms) |
|---|---|---|---:|---:|
${line('key document', documentSaves)}
${line('naive rewrite (baseline)', naiveSaves)}

Target: the key document sends exactly one HSET and no HDEL or DEL: ${hsetOnce ? 'met' : '**not met**'}.
`;
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, section);
  console.log(section);
  if (!hsetOnce) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
