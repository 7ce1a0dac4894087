// The walk at scale: 1M, 5M and 10M keys in a bare Node process, each figure beside the
// server's own SCAN time in the same walk, optionally beside a baseline tree's walker.
// Run: npm run compile-tests && node --expose-gc out/test/bench/keyspaceScale.bench.js
// Knobs: BENCH_SIZES (default 1000000,5000000,10000000), BENCH_RUNS (3), BENCH_VARIANTS
// (walks of this tree to compare, `parts x scanCount` each, e.g. `2x1000,4x1000`;
// default the walker's defaults), BENCH_BASELINE (a directory holding
// another tree's compiled out/, e.g. main's, walked against the same server in the same
// runs), BENCH_OUTPUT (default test-results/bench-keyspace-scale.md).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import Redis from 'ioredis';
import { RedisEndpoint } from '../../src/redis/endpoint';
import { NamespaceModel } from '../../src/redis/keyspace/namespaceModel';
import { NamespaceKeyPager } from '../../src/redis/keyspace/pager';
import * as current from '../../src/redis/keyspace/walker';
import { startRedisServer } from '../support/redisServer';
import { keyName, NamespacePlan, SPARSE_NAMESPACE } from './keyspace/fill';

const SIZES = (process.env['BENCH_SIZES'] ?? '1000000,5000000,10000000').split(',').map(Number);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const BASELINE = process.env['BENCH_BASELINE'];
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-keyspace-scale.md';
const MB = 1024 * 1024;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('Run with node --expose-gc (the model heap needs it).');
  process.exit(2);
}

type Walker = Pick<typeof current, 'walkKeyspace'>;
const CURRENT_WALKER = resolve(__dirname, '../../src/redis/keyspace/walker.js');
interface Variant {
  readonly name: string;
  readonly walker: Walker;
  /** The compiled walker.js, for the first walk of a fresh process. */
  readonly walkerPath: string;
  readonly options: current.WalkOptions;
}
const variants: Variant[] = (process.env['BENCH_VARIANTS'] ?? 'default').split(',').map((spec) => {
  if (spec === 'default') {
    return {
      name: `this tree (${current.DEFAULT_PARTS} parts × COUNT ${current.walkCallCount(current.DEFAULT_SCAN_COUNT, current.DEFAULT_PARTS)} on ${current.WALK_CONNECTIONS} connections)`,
      walker: current,
      walkerPath: CURRENT_WALKER,
      options: {},
    };
  }
  const [parts, count] = spec.split('x').map(Number) as [1 | 2 | 4 | 8, number];
  return {
    name: `this tree (${parts} parts × COUNT ${current.walkCallCount(count, parts)})`,
    walker: current,
    walkerPath: CURRENT_WALKER,
    options: { parts, count },
  };
});
if (BASELINE) {
  const walkerPath = resolve(BASELINE, 'out/src/redis/keyspace/walker.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const walker = require(walkerPath) as Walker;
  variants.unshift({ name: 'baseline (its own defaults)', walker, walkerPath, options: {} });
}

/** The keyspace.bench plan scaled to `total` keys: the big namespaces grow with it, the small and sparse ones (`billing:refund`, 1,500 keys) stay. */
function scaledPlan(total: number): NamespacePlan[] {
  const factor = total / 1_000_000;
  const plan: NamespacePlan[] = [
    { path: 'auth:session', keys: 250_000 * factor, kind: 'hash' },
    { path: 'auth:token', keys: 150_000 * factor, kind: 'string' },
    { path: 'auth:refresh', keys: 100_000 * factor, kind: 'string' },
    { path: 'auth:attempts', keys: 40_000 * factor, kind: 'string' },
    { path: 'user:profile', keys: 150_000 * factor, kind: 'hash' },
    { path: 'user:roles', keys: 80_000 * factor, kind: 'set' },
    { path: 'user:permissions', keys: 60_000 * factor, kind: 'set' },
    { path: 'user:search', keys: 10, kind: 'zset' },
    { path: 'shared:config', keys: 25, kind: 'hash' },
    { path: 'shared:cache:pages', keys: 80_000 * factor, kind: 'string' },
    { path: 'shared:cache:api', keys: 60_000 * factor, kind: 'string' },
    { path: 'shared:cache:geo', keys: 20_000 * factor, kind: 'string' },
    { path: 'billing:invoice', keys: 3_000, kind: 'string' },
    { path: SPARSE_NAMESPACE, keys: 1_500, kind: 'string' },
    { path: 'tmp', keys: 1_000, kind: 'string' },
    { path: '', keys: 1_000, kind: 'string' },
  ];
  const assigned = plan.reduce((sum, p) => sum + p.keys, 0);
  plan.push({ path: 'shared:cache:i18n', keys: total - assigned, kind: 'string' });
  return plan;
}

function resp(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** Writes the plan through `redis-cli --pipe` (the mass-insertion path), ~70% with a TTL of
 * 1 hour to 3 days (none expires during the bench, so every walk must count them all). */
async function fillWithPipe(port: number, plan: NamespacePlan[]): Promise<void> {
  const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolveExit) => cli.on('close', (code) => resolveExit(code ?? -1)));
  const stdin = cli.stdin;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (!stdin.write(batch.join(''))) await new Promise((r) => stdin.once('drain', r));
    batch = [];
  };
  for (const p of plan) {
    for (let i = 0; i < p.keys; i++) {
      const key = keyName(p, i);
      const ttl = i % 10 < 7 ? String(3_600_000 + ((Math.imul(i, 40503) >>> 0) % 255_600_000)) : undefined;
      if (p.kind === 'string') batch.push(resp(ttl ? ['SET', key, String(i), 'PX', ttl] : ['SET', key, String(i)]));
      else if (p.kind === 'hash') batch.push(resp(['HSET', key, 'id', String(i), 'device', i % 2 ? 'ios' : 'web']));
      else if (p.kind === 'set') batch.push(resp(['SADD', key, 'reader', i % 3 ? 'editor' : 'admin']));
      else batch.push(resp(['ZADD', key, String(i), 'alice', String(i + 1), 'bob']));
      if (ttl && p.kind !== 'string') batch.push(resp(['PEXPIRE', key, ttl]));
      if (batch.length >= 20_000) await flush();
    }
  }
  await flush();
  stdin.end();
  const code = await exited;
  if (code !== 0 || !/errors: 0,/.test(output)) throw new Error(`redis-cli --pipe failed (${code}): ${output.trim()}`);
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function cpuTimes(): number[] {
  try {
    return (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}
function stealShare(since: number[]): number {
  const delta = cpuTimes().map((v, i) => v - (since[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  return total > 0 ? (delta[7] ?? 0) / total : 0;
}

interface ScanStats {
  readonly calls: number;
  readonly usec: number;
  /** Upper bounds (µs) of the histogram buckets holding the 50th and 99th percentile calls, and the slowest. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The 99th percentile exactly (INFO latencystats, Redis 7's latency tracking), µs. */
  readonly p99Exact: number;
}

/** The server's CPU so far, ms: INFO cpu's used_cpu_user + used_cpu_sys. */
async function serverCpuMs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** What a fresh page costs here: touching 16 MiB of memory never used before, µs per 4 KiB page (median of 5). */
function freshPageMicros(): number {
  const costs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    new Int32Array(4 << 20).fill(1);
    costs.push(((performance.now() - t0) * 1000) / 4096);
  }
  return median(costs);
}

/** SCAN's calls and time (INFO commandstats) and LATENCY HISTOGRAM since the last CONFIG RESETSTAT. */
async function scanStats(admin: Redis): Promise<ScanStats> {
  const stats = await admin.info('commandstats');
  const m = /^cmdstat_scan:calls=(\d+),usec=(\d+)/m.exec(stats);
  const reply = (await admin.call('LATENCY', 'HISTOGRAM', 'scan')) as unknown[];
  const body = (reply[1] ?? []) as unknown[];
  const histogram = (body[body.indexOf('histogram_usec') + 1] ?? []) as number[];
  const buckets: [number, number][] = [];
  for (let i = 0; i + 1 < histogram.length; i += 2) buckets.push([Number(histogram[i]), Number(histogram[i + 1])]);
  const calls = Number(m?.[1] ?? 0);
  const at = (share: number): number => buckets.find(([, cumulative]) => cumulative >= share * calls)?.[0] ?? NaN;
  const tracked = /^latency_percentiles_usec_scan:.*\bp99=([\d.]+)/m.exec(await admin.info('latencystats'));
  const p99Exact = Number(tracked?.[1] ?? NaN);
  return { calls, usec: Number(m?.[2] ?? 0), p50: at(0.5), p99: at(0.99), max: buckets.at(-1)?.[0] ?? NaN, p99Exact };
}

interface Sample {
  wallMs: number;
  serverMs: number;
  /** The server's own CPU (INFO cpu, user + system) during the walk: its SCAN time and the rest (reading commands, writing replies). */
  serverCpuMs: number;
  /** Minor page faults of this process during the walk: each fresh 4 KiB page of memory it touched. */
  pageFaults: number;
  cpuMs: number;
  firstMs: number;
  heapMB: number;
  peakExternalMB: number;
  stats: ScanStats;
  steal: number;
  load: number;
  sparsePageMs: number;
  sparseScans: number;
}

async function walkOnce(
  variant: Variant,
  admin: Redis,
  endpoint: RedisEndpoint,
  total: number,
  measureSparse: boolean,
  collect = true,
): Promise<Sample> {
  let model: NamespaceModel | undefined;
  // The model's heap needs full collections around the walk. They also free every object the
  // last walk left (its sockets, its table of seen keys), and V8 then drops the optimized code
  // that referred to their hidden classes: the walk after a full collection compiles its hot
  // path again, as an extension host's walk does after an idle pause. `collect: false` measures
  // a walk right after another instead (a refresh soon after a refresh).
  if (collect) {
    gc?.();
    gc?.();
  }
  const heapBefore = process.memoryUsage().heapUsed;
  const externalBefore = process.memoryUsage().arrayBuffers;
  let peakExternal = 0;
  await admin.call('CONFIG', 'RESETSTAT');
  const cpuBefore = cpuTimes();
  const serverCpuBefore = await serverCpuMs(admin);
  const faultsBefore = process.resourceUsage().minorPageFault;
  const load = loadavg()[0] ?? NaN;
  const usage = process.cpuUsage();
  let first = NaN;
  const t0 = performance.now();
  const options = {
    ...variant.options,
    onProgress: (p: { model: NamespaceModel }): void => {
      if (Number.isNaN(first) && p.model.root.childCount > 0) first = performance.now() - t0;
      peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers - externalBefore);
    },
  };
  model = await variant.walker.walkKeyspace({ endpoint, credentials: {} }, options).done;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(usage);
  const pageFaults = process.resourceUsage().minorPageFault - faultsBefore;
  const serverCpu = (await serverCpuMs(admin)) - serverCpuBefore;
  const steal = stealShare(cpuBefore);
  const stats = await scanStats(admin);
  if (!model.complete || model.totalKeys !== total) {
    throw new Error(`${variant.name}: counted ${model.totalKeys} of ${total}`);
  }
  if (model.findNamespace(SPARSE_NAMESPACE)?.count !== 1500) throw new Error(`${SPARSE_NAMESPACE} miscounted`);
  if (collect) {
    gc?.();
    gc?.();
  }
  const heapMB = collect ? (process.memoryUsage().heapUsed - heapBefore) / MB : NaN; // the model is alive here
  let sparsePageMs = NaN;
  let sparseScans = NaN;
  if (measureSparse) {
    const node = model.findNamespace(SPARSE_NAMESPACE);
    if (!node) throw new Error(`no ${SPARSE_NAMESPACE}`);
    const client = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: true });
    await client.connect();
    const p0 = performance.now();
    const page = await new NamespaceKeyPager(client, node).next();
    sparsePageMs = performance.now() - p0;
    sparseScans = page.scans;
    client.disconnect();
    if (page.keys.length !== 200) throw new Error(`first page of ${SPARSE_NAMESPACE}: ${page.keys.length} keys`);
  }
  model = undefined;
  return {
    wallMs,
    serverMs: stats.usec / 1000,
    serverCpuMs: serverCpu,
    pageFaults,
    cpuMs: (cpu.user + cpu.system) / 1000,
    firstMs: first,
    heapMB,
    peakExternalMB: peakExternal / MB,
    stats,
    steal,
    load,
    sparsePageMs,
    sparseScans,
  };
}

interface FirstWalk {
  readonly wallMs: number;
  /** Minor page faults during the walk: each fresh 4 KiB page the process touched. */
  readonly pageFaults: number;
}

/**
 * One walk in a new Node process, as an extension host's first walk: its memory is all fresh,
 * each page a fault (a long-lived process reuses what earlier walks freed).
 */
function firstWalk(variant: Variant, endpoint: RedisEndpoint): Promise<FirstWalk> {
  const script = `
    const faults = () => process.resourceUsage().minorPageFault;
    const { walkKeyspace } = require(${JSON.stringify(variant.walkerPath)});
    const f0 = faults(); const t0 = performance.now();
    walkKeyspace({ endpoint: ${JSON.stringify(endpoint)}, credentials: {} }, ${JSON.stringify(variant.options)}).done.then(() => {
      process.stdout.write(JSON.stringify({ wallMs: performance.now() - t0, pageFaults: faults() - f0 }));
    }, (error) => { console.error(error); process.exit(1); });`;
  return new Promise((resolveWalk, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolveWalk(JSON.parse(output) as FirstWalk)
        : reject(new Error(`first walk of ${variant.name} exited with ${code}`)),
    );
  });
}

interface SizeResult {
  readonly total: number;
  readonly fillS: number;
  readonly byVariant: Map<string, Sample[]>;
  /** The second of two walks run back to back, without a full collection before either. */
  readonly backToBack: Map<string, Sample[]>;
  readonly firstWalks: Map<string, FirstWalk[]>;
}

async function measureSize(total: number): Promise<SizeResult> {
  const server = await startRedisServer();
  const admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await admin.connect();
  const endpoint: RedisEndpoint = { host: server.host, port: server.port, db: 0, tls: false };
  try {
    const f0 = Date.now();
    await fillWithPipe(server.port, scaledPlan(total));
    const fillS = (Date.now() - f0) / 1000;
    const dbsize = await admin.dbsize();
    if (dbsize !== total) throw new Error(`DBSIZE ${dbsize}, expected ${total}`);
    console.log(`${total.toLocaleString('en-US')} keys filled in ${fillS.toFixed(0)} s`);
    const byVariant = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    const backToBack = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    for (const variant of variants) await walkOnce(variant, admin, endpoint, total, false); // warm-up
    // Interleaved, so that the machine's load falls on every variant alike.
    for (let run = 0; run < RUNS; run++) {
      for (const variant of variants) {
        const s = await walkOnce(variant, admin, endpoint, total, true);
        byVariant.get(variant.name)?.push(s);
        console.log(
          `${total / 1e6}M ${variant.name} ${run + 1}/${RUNS}: wall ${s.wallMs.toFixed(0)} ms, SCAN ${s.serverMs.toFixed(0)} ms (${s.stats.calls} calls), ratio ${(s.wallMs / s.serverMs).toFixed(3)}, server CPU ${(s.serverCpuMs / s.serverMs).toFixed(3)}× SCAN, ${s.pageFaults} page faults, client CPU ${s.cpuMs.toFixed(0)} ms, ` +
            `p50 ≤${s.stats.p50} µs p99 ≤${s.stats.p99} µs (${s.stats.p99Exact.toFixed(0)} µs exactly) max ≤${s.stats.max} µs, first ${s.firstMs.toFixed(0)} ms, heap +${s.heapMB.toFixed(2)} MB, ` +
            `external peak ${s.peakExternalMB.toFixed(0)} MB, sparse page ${s.sparsePageMs.toFixed(1)} ms (${s.sparseScans} SCAN), load ${s.load.toFixed(2)}, steal ${(s.steal * 100).toFixed(1)}%`,
        );
        await walkOnce(variant, admin, endpoint, total, false, false);
        const again = await walkOnce(variant, admin, endpoint, total, false, false);
        backToBack.get(variant.name)?.push(again);
        console.log(
          `${total / 1e6}M ${variant.name} ${run + 1}/${RUNS} right after another walk: wall ${again.wallMs.toFixed(0)} ms, SCAN ${again.serverMs.toFixed(0)} ms, ratio ${(again.wallMs / again.serverMs).toFixed(3)}, client CPU ${again.cpuMs.toFixed(0)} ms`,
        );
      }
    }
    const firstWalks = new Map<string, FirstWalk[]>(variants.map((v) => [v.name, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const variant of variants) {
        const walk = await firstWalk(variant, endpoint);
        firstWalks.get(variant.name)?.push(walk);
        console.log(
          `${total / 1e6}M ${variant.name} first walk of a fresh process ${run + 1}/${RUNS}: wall ${walk.wallMs.toFixed(0)} ms, ${walk.pageFaults} page faults`,
        );
      }
    }
    return { total, fillS, byVariant, backToBack, firstWalks };
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

function section(results: SizeResult[], started: number, pageMicros: number): string {
  const one = results.find((r) => r.total === 1_000_000);
  const rows: string[] = [];
  for (const variant of variants) {
    const walls1 = one ? median((one.byVariant.get(variant.name) ?? []).map((s) => s.wallMs)) : NaN;
    const server1 = one ? median((one.byVariant.get(variant.name) ?? []).map((s) => s.serverMs)) : NaN;
    for (const r of results) {
      const s = r.byVariant.get(variant.name) ?? [];
      const first = r.firstWalks.get(variant.name) ?? [];
      const again = r.backToBack.get(variant.name) ?? [];
      const wall = median(s.map((x) => x.wallMs));
      const server = median(s.map((x) => x.serverMs));
      const cells = [
        variant.name,
        `${r.total / 1e6}M`,
        `${(wall / 1000).toFixed(2)} s`,
        `${(median(first.map((x) => x.wallMs)) / 1000).toFixed(2)} s, ${median(first.map((x) => x.pageFaults)).toLocaleString('en-US')} faults`,
        `${(server / 1000).toFixed(2)} s`,
        median(s.map((x) => x.wallMs / x.serverMs)).toFixed(2),
        `${median(again.map((x) => x.wallMs / x.serverMs)).toFixed(2)} (${(median(again.map((x) => x.wallMs)) / 1000).toFixed(2)} s)`,
        median(s.map((x) => x.serverCpuMs / x.serverMs)).toFixed(2),
        median(s.map((x) => x.pageFaults)).toLocaleString('en-US'),
        `${(median(s.map((x) => x.cpuMs)) / 1000).toFixed(2)} s`,
        r.total === 1_000_000 ? '1×' : `${(wall / walls1).toFixed(2)}× (server ${(server / server1).toFixed(2)}×)`,
        `${median(s.map((x) => x.stats.p50))} / ${median(s.map((x) => x.stats.p99))} / ${median(s.map((x) => x.stats.max))} µs`,
        `${median(s.map((x) => x.stats.calls)).toLocaleString('en-US')}`,
        `${median(s.map((x) => x.firstMs)).toFixed(0)} ms`,
        `${median(s.map((x) => x.heapMB)).toFixed(2)} MB`,
        `${median(s.map((x) => x.peakExternalMB)).toFixed(0)} MB`,
        `${median(s.map((x) => x.sparsePageMs)).toFixed(1)} ms, ${median(s.map((x) => x.sparseScans))} SCAN`,
        `${median(s.map((x) => x.load)).toFixed(1)} / ${(median(s.map((x) => x.steal)) * 100).toFixed(1)}%`,
      ];
      rows.push(`| ${cells.join(' | ')} |`);
    }
  }
  return [
    '## The walk at 1M, 5M and 10M keys (bare process, beside the server)',
    '',
    `One private redis-server per size (\`--save "" --appendonly no\`), filled with \`redis-cli --pipe\`: the keyspace.bench plan scaled (the big namespaces grow, \`${SPARSE_NAMESPACE}\` stays at 1,500 keys, 0.015% of 10M), ~70% with a TTL. Per size: one warm-up walk per variant, then ${RUNS} runs, the variants interleaved; medians. Server SCAN time is INFO commandstats' usec and the percentiles LATENCY HISTOGRAM scan's buckets (≤ the bucket's upper bound), both after CONFIG RESETSTAT before each walk. Heap: heapUsed after forced GCs with the complete model alive minus before the walk. External peak: ArrayBuffers at progress events (the duplicate filter, released at the end). Each measured walk follows two full collections (for its heap figure), which also free the objects the last walk left, so V8 drops the walk's optimized code that referred to their hidden classes and the walk compiles its hot path again, as an extension host's walk does after an idle pause (V8 collects then); Right after another walk: the second of two walks run back to back with no forced collection (a refresh soon after a refresh), its Wall ÷ SCAN and wall. Server CPU: INFO cpu's user + system time over the walk, the floor of Wall ÷ SCAN (the server also reads each command and writes each reply). First walk of a fresh process: one walk in a new Node process per run and variant, after the runs above (as an extension host's first walk: all its memory fresh), wall and page faults. Client page faults: this process's minor faults during the walk, one per fresh 4 KiB page it touched; a fresh page costs ${pageMicros.toFixed(1)} µs here (16 MiB touched once, median of 5). Sparse page: NamespaceKeyPager.next() on \`${SPARSE_NAMESPACE}\` after the walk. Load: 1-minute load average at the walk's start; steal from /proc/stat during the walk. \`node --expose-gc out/test/bench/keyspaceScale.bench.js\`${BASELINE ? `, baseline = the walker compiled from ${BASELINE}` : ''}, ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
    '',
    '| Walker | Keys | Wall | First walk of a fresh process | Server SCAN | Wall ÷ SCAN | Wall ÷ SCAN right after another walk (wall) | Server CPU ÷ SCAN | Client page faults | Client CPU | Wall vs 1M | SCAN p50 / p99 / max | SCAN calls | First namespaces | Model heap | External peak | Sparse first page | Load / steal |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const results: SizeResult[] = [];
  for (const total of SIZES) results.push(await measureSize(total));
  const markdown = section(results, started, freshPageMicros());
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, markdown);
  console.log(`\n${markdown}\nwritten to ${resolve(OUTPUT)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
