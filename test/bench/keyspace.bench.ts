// Key browser benchmark: walks 1,000,000 keys with the keyspace core and reports medians.
// Run: npx tsc -p . && node --expose-gc out/test/bench/keyspace.bench.js
// Writes a Markdown section to $BENCH_OUTPUT (default test-results/bench-keyspace.md).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Redis from 'ioredis';
import { RedisEndpoint } from '../../src/redis/endpoint';
import { NamespaceModel } from '../../src/redis/keyspace/namespaceModel';
import { NamespaceKeyPager } from '../../src/redis/keyspace/pager';
import {
  DEFAULT_PARTS,
  DEFAULT_SCAN_COUNT,
  WALK_CONNECTIONS,
  walkCallCount,
  walkKeyspace,
  WalkOptions,
} from '../../src/redis/keyspace/walker';
import { startRedisServer } from '../support/redisServer';
import {
  BIG_NAMESPACE,
  expectedCounts,
  fillKeyspace,
  MID_NAMESPACE,
  PLAN,
  SMALL_NAMESPACE,
  SPARSE_NAMESPACE,
} from './keyspace/fill';
import { WIDE_IDS, wideModelFigures } from './keyspace/wide';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const GENTLE_RUNS = 5;
const PARTS = Number(process.env['BENCH_PARTS'] ?? DEFAULT_PARTS) as 1 | 2 | 4 | 8;
const COUNT = Number(process.env['BENCH_COUNT'] ?? DEFAULT_SCAN_COUNT);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-keyspace.md';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('Run with node --expose-gc (heap growth needs it).');
  process.exit(2);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const MB = 1024 * 1024;

/** CPU time the hypervisor gave to others (steal) since `since`, as a share of the machine's CPU time. */
function cpuTimes(): number[] {
  try {
    return (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}
function stealShare(since: number[]): number {
  const now = cpuTimes();
  const delta = now.map((v, i) => v - (since[i] ?? 0));
  const total = delta.reduce((a, b) => a + b, 0);
  return total > 0 ? (delta[7] ?? 0) / total : 0;
}

async function scanUsec(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(/^cmdstat_scan:calls=\d+,usec=(\d+)/m.exec(stats)?.[1] ?? 0);
}

function checkCounts(model: NamespaceModel, total: number): void {
  const { namespaces, topLevel } = expectedCounts();
  if (!model.complete || model.totalKeys !== total) {
    throw new Error(`walk counted ${model.totalKeys} keys, expected ${total}`);
  }
  if (model.root.directCount !== topLevel) {
    throw new Error(`top-level keys ${model.root.directCount}, expected ${topLevel}`);
  }
  for (const [path, count] of namespaces) {
    const node = model.findNamespace(path);
    if (node?.count !== count) throw new Error(`namespace ${path}: ${node?.count} keys, expected ${count}`);
  }
}

class Pinger {
  private constructor(private readonly worker: Worker) {}

  static async start(host: string, port: number): Promise<Pinger> {
    const worker = new Worker(join(__dirname, 'keyspace', 'pinger.js'), { workerData: { host, port } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new Pinger(worker);
  }

  begin(): void {
    this.worker.postMessage('start');
  }

  end(): Promise<number[]> {
    return new Promise((resolve) => {
      this.worker.once('message', (samples: number[]) => resolve(samples));
      this.worker.postMessage('stop');
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage('exit');
    await this.worker.terminate();
  }
}

interface Row {
  figure: string;
  median: string;
  target: string;
  result: string;
  method: string;
}

async function main(): Promise<void> {
  const started = Date.now();
  const server = await startRedisServer();
  const admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await admin.connect();
  const endpoint: RedisEndpoint = { host: server.host, port: server.port, db: 0, tls: false };
  const target = { endpoint, credentials: {} };
  const walkOptions: WalkOptions = { count: COUNT, parts: PARTS };
  const rows: Row[] = [];
  const steals: number[] = [];
  const gentleSteals: number[] = [];
  try {
    console.log(`filling ${PLAN.reduce((s, p) => s + p.keys, 0).toLocaleString('en-US')} keys…`);
    const fillStart = Date.now();
    const total = await fillKeyspace(server.port, server.host);
    const dbsize = await admin.dbsize();
    if (dbsize !== total) throw new Error(`DBSIZE ${dbsize} after writing ${total} keys`);
    const withTtl = Number(/^db0:keys=\d+,expires=(\d+)/m.exec(await admin.info('keyspace'))?.[1] ?? 0);
    console.log(
      `filled ${total} keys (${((withTtl / total) * 100).toFixed(0)}% with TTL) in ${((Date.now() - fillStart) / 1000).toFixed(1)} s`,
    );

    // Warm-up walk (JIT, allocator), checked but not measured.
    checkCounts(await walkKeyspace(target, walkOptions).done, total);

    // (1)-(3): timed walks, nothing else running.
    const walls: number[] = [];
    const ratios: number[] = [];
    const firsts: number[] = [];
    const heaps: number[] = [];
    const peaks: number[] = [];
    let model: NamespaceModel | undefined;
    for (let run = 0; run < RUNS; run++) {
      model = undefined;
      const heapBefore = heap();
      const externalBefore = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const usecBefore = await scanUsec(admin);
      const cpuBefore = cpuTimes();
      let first: number | undefined;
      const t0 = performance.now();
      const walk = walkKeyspace(target, {
        ...walkOptions,
        onProgress: (p) => {
          if (first === undefined && p.model.root.childCount > 0) first = performance.now() - t0;
          const m = process.memoryUsage();
          peak = Math.max(peak, m.heapUsed - heapBefore + m.arrayBuffers - externalBefore);
        },
      });
      model = await walk.done;
      const wall = performance.now() - t0;
      const steal = stealShare(cpuBefore);
      const serverMs = ((await scanUsec(admin)) - usecBefore) / 1000;
      checkCounts(model, total);
      const grown = heap() - heapBefore; // the model is alive here
      walls.push(wall);
      ratios.push(wall / serverMs);
      firsts.push(first ?? NaN);
      heaps.push(grown / MB);
      peaks.push(peak / MB);
      steals.push(steal);
      console.log(
        `walk ${run + 1}/${RUNS}: ${wall.toFixed(0)} ms, server SCAN ${serverMs.toFixed(0)} ms, ratio ${(wall / serverMs).toFixed(3)}, first namespaces ${first?.toFixed(1)} ms, heap +${(grown / MB).toFixed(2)} MB, peak +${(peak / MB).toFixed(1)} MB, CPU steal ${(steal * 100).toFixed(1)}%`,
      );
    }
    if (!model) throw new Error('no walk ran');
    const ratio = median(ratios);
    const first = median(firsts);
    const heapGrowth = median(heaps);
    rows.push(
      {
        figure: `Full walk of ${total.toLocaleString('en-US')} keys, wall time`,
        median: `${(median(walls) / 1000).toFixed(2)} s`,
        target: '—',
        result: '—',
        method: `From the call to walkKeyspace (connecting its own connections, handshake, DBSIZE) until the complete model: ${PARTS === 1 ? `one connection, SCAN COUNT ${COUNT}` : `${PARTS} parts of the cursor space walked side by side on ${WALK_CONNECTIONS} connections, SCAN COUNT ${walkCallCount(COUNT, PARTS)} each (scanCount ${COUNT})`}; every namespace count checked against the data written.`,
      },
      {
        figure: 'Walk wall time ÷ server time in SCAN',
        median: ratio.toFixed(2),
        target: '≤ 1.3',
        result: ratio <= 1.3 ? 'pass' : 'FAIL',
        method: 'Wall time divided by the delta of INFO commandstats cmdstat_scan usec over the same walk.',
      },
      {
        figure: 'Time until the first namespaces are shown',
        median: `${first.toFixed(0)} ms`,
        target: '< 200 ms',
        result: first < 200 ? 'pass' : 'FAIL',
        method: 'From the call to walkKeyspace until the first progress event whose model has a namespace.',
      },
      {
        figure: 'Heap growth holding the model',
        median: `${heapGrowth.toFixed(2)} MB`,
        target: '< 40 MB',
        result: heapGrowth < 40 ? 'pass' : 'FAIL',
        method: `heapUsed after a forced GC with the complete model alive, minus heapUsed after a forced GC before the walk. The model holds ${model.namespaceCount} namespaces with counts and the names of the sparse ones only (${model.storedNames.toLocaleString('en-US')} names); dense ones (≥ 1% of the keyspace) keep counts and page with SCAN.`,
      },
      {
        figure: 'Peak memory during the walk (information)',
        median: `${median(peaks).toFixed(1)} MB`,
        target: '—',
        result: '—',
        method:
          "Largest heapUsed + ArrayBuffer growth seen at progress events; includes the walk's duplicate filter (typed arrays, released at the end) and garbage not yet collected.",
      },
    );

    // (4) Gentleness: PING from a second client (worker thread) during walks, and during KEYS * for contrast.
    const pinger = await Pinger.start(server.host, server.port);
    const walkP99: number[] = [];
    const walkMax: number[] = [];
    let walkSamples = 0;
    for (let run = 0; run < GENTLE_RUNS; run++) {
      const cpuBefore = cpuTimes();
      pinger.begin();
      await walkKeyspace(target, walkOptions).done;
      const samples = await pinger.end();
      gentleSteals.push(stealShare(cpuBefore));
      walkSamples += samples.length;
      walkP99.push(percentile(samples, 99));
      walkMax.push(Math.max(...samples));
      console.log(
        `PING during walk ${run + 1}/${GENTLE_RUNS}: ${samples.length} pings, p99 ${percentile(samples, 99).toFixed(2)} ms, max ${Math.max(...samples).toFixed(2)} ms, CPU steal ${((gentleSteals[run] ?? 0) * 100).toFixed(1)}%`,
      );
    }
    const keysP99: number[] = [];
    for (let run = 0; run < GENTLE_RUNS; run++) {
      const keysClient = new Redis({ host: server.host, port: server.port, lazyConnect: true });
      await keysClient.connect();
      pinger.begin();
      const t0 = performance.now();
      const all = (await keysClient.callBuffer('KEYS', '*')) as Buffer[];
      const keysMs = performance.now() - t0;
      const samples = await pinger.end();
      keysClient.disconnect();
      keysP99.push(percentile(samples, 99));
      console.log(
        `PING during KEYS * ${run + 1}/${GENTLE_RUNS}: ${all.length} keys in ${keysMs.toFixed(0)} ms, ${samples.length} pings, p99 ${percentile(samples, 99).toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`,
      );
    }
    await pinger.close();
    const gentle = median(walkP99);
    rows.push(
      {
        figure: 'PING p99 from a second client during the walk',
        median: `${gentle.toFixed(2)} ms`,
        target: '< 5 ms',
        result: gentle < 5 ? 'pass' : 'FAIL',
        method: `A worker thread sends a PING every ms (open loop: a stall counts once per PING it delays) during ${GENTLE_RUNS} walks (${walkSamples} pings in all; median of the walks' max ${median(walkMax).toFixed(2)} ms).`,
      },
      {
        figure: 'PING p99 during `KEYS *` (contrast)',
        median: `${median(keysP99).toFixed(0)} ms`,
        target: '—',
        result: '—',
        method: 'The same pinger while KEYS * runs on this private server (the command the extension never sends).',
      },
    );

    // (5) Expanding a namespace after the walk: first page with TYPE and PTTL, on an ioredis connection like the tree's.
    const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await client.connect();
    const expand = async (path: string): Promise<{ ms: number; keys: number; scans: number }> => {
      const node = model?.findNamespace(path);
      if (!node) throw new Error(`no namespace ${path}`);
      const times: number[] = [];
      let keys = 0;
      let scans = 0;
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        const page = await new NamespaceKeyPager(client, node).next();
        times.push(performance.now() - t0);
        keys = page.keys.length;
        scans = page.scans;
        if (page.keys.some((k) => k.gone || !k.type)) throw new Error(`page of ${path} has keys without a type`);
      }
      console.log(
        `first page of ${path} (${node.directCount} keys): ${keys} keys, ${scans} SCAN calls, median ${median(times).toFixed(1)} ms`,
      );
      return { ms: median(times), keys, scans };
    };
    const small = await expand(SMALL_NAMESPACE);
    const big = await expand(BIG_NAMESPACE);
    const mid = await expand(MID_NAMESPACE);
    const sparse = await expand(SPARSE_NAMESPACE);
    client.disconnect();
    const bigCount = model.findNamespace(BIG_NAMESPACE)?.count ?? 0;
    const midCount = model.findNamespace(MID_NAMESPACE)?.count ?? 0;
    rows.push(
      {
        figure: `First page of a 10-key namespace (\`${SMALL_NAMESPACE}\`)`,
        median: `${small.ms.toFixed(1)} ms`,
        target: '< 150 ms',
        result: small.ms < 150 ? 'pass' : 'FAIL',
        method: `NamespaceKeyPager.next(): ${small.keys} keys from the names the walk kept, TYPE and PTTL in one pipelined round trip.`,
      },
      {
        figure: `First page of a ${bigCount.toLocaleString('en-US')}-key namespace (\`${BIG_NAMESPACE}\`)`,
        median: `${big.ms.toFixed(1)} ms`,
        target: '< 150 ms',
        result: big.ms < 150 ? 'pass' : 'FAIL',
        method: `${big.keys} direct keys collected with SCAN MATCH ${BIG_NAMESPACE}:* (${big.scans} call${big.scans === 1 ? '' : 's'}), then TYPE and PTTL in one pipelined round trip.`,
      },
      {
        figure: `First page of a ${midCount.toLocaleString('en-US')}-key namespace (\`${MID_NAMESPACE}\`, information)`,
        median: `${mid.ms.toFixed(1)} ms`,
        target: '—',
        result: '—',
        method: `0.3% of the keyspace, a sparse namespace: ${mid.scans === 0 ? 'from the names the walk kept (no SCAN)' : `SCAN MATCH with a COUNT raised to at most 5,000 (${mid.scans} calls)`}, then TYPE and PTTL.`,
      },
      {
        figure: `First page of a sparse 1,500-key namespace (\`${SPARSE_NAMESPACE}\`, 0.15% of the keyspace)`,
        median: `${sparse.ms.toFixed(1)} ms`,
        target: '< 150 ms, no SCAN',
        result: sparse.ms < 150 && sparse.scans === 0 ? 'pass' : 'FAIL',
        method: `Sparse (under 1% of the keyspace): the walk kept its names within the name budget (${(model.storedNameBytes / MB).toFixed(1)} MB estimated for ${model.storedNames.toLocaleString('en-US')} names in all), so the page needs ${sparse.scans} SCAN calls; TYPE and PTTL in one pipelined round trip.`,
      },
    );
  } finally {
    admin.disconnect();
    await server.stop();
  }

  // (6) A wide namespace: the model's memory for 250,000 ids, and expanding it.
  const hostMemory = (): number => {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const wide = wideModelFigures(hostMemory);
  const wideGrowth = (wide.modelBytes + wide.expandBytes) / MB;
  console.log(
    `wide namespace: model ${(wide.modelBytes / MB).toFixed(1)} MB, expand +${(wide.expandBytes / MB).toFixed(1)} MB; ${wide.idGroup}`,
  );
  rows.push({
    figure: `Memory for a namespace with ${WIDE_IDS.toLocaleString('en-US')} child namespaces (1,000,000 keys), model and expanding it`,
    median: `${wideGrowth.toFixed(1)} MB`,
    target: '≤ 60 MB',
    result: wideGrowth <= 60 ? 'pass' : 'FAIL',
    method: `heapUsed + ArrayBuffers after forced GCs: the complete model of user:{id}:profile|roles|sessions|settings keys (fed to NamespaceModel.addBytes, the walk's form; ${wide.namespaces.toLocaleString('en-US')} namespaces tracked, the rest counted as not listed; ${wide.names.toLocaleString('en-US')} names kept) ${(wide.modelBytes / MB).toFixed(1)} MB, plus expanding \`user\` (first page of 200 ids in natural order and the {id} row's children) ${(wide.expandBytes / MB).toFixed(1)} MB. ${wide.idGroup}.`,
  });

  const markdown = [
    '## Key browser',
    '',
    `A private redis-server filled with ${PLAN.reduce((s, p) => s + p.keys, 0).toLocaleString('en-US')} keys over the seed's namespaces (\`auth:session\` 250,000 … \`user:search\` 10, four \`shared:cache:*\` sub-namespaces) and 5,000 outside them, ~70% with a TTL, strings, hashes, sets and sorted sets. Medians of ${RUNS} runs (gentleness: ${GENTLE_RUNS}) after one warm-up walk; figures from \`node --expose-gc out/test/bench/keyspace.bench.js\`, ${((Date.now() - started) / 1000).toFixed(0)} s in all. CPU steal (time the hypervisor gave to other guests, from /proc/stat) during the timed walks: median ${(median(steals) * 100).toFixed(1)}%, during the gentleness walks ${(median(gentleSteals) * 100).toFixed(1)}%; on a shared 2-vCPU VM the figures move with it.`,
    '',
    '| Figure | Median | Target | Result | Method |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.figure} | ${r.median} | ${r.target} | ${r.result} | ${r.method} |`),
    '',
  ].join('\n');
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, markdown);
  console.log(`\n${markdown}`);
  console.log(`written to ${OUTPUT}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
