/**
 * The Keys view on the user's path: the packaged .vsix installed into code-server, the
 * workbench in headless Chromium, the Keys view opened by a click, what it shows read
 * from the DOM. At 1M, 5M and 10M keys (keyspace.bench's namespaces, scaled, with a
 * sparse namespace of 1,500 keys among them) and on a wide keyspace (1M keys over
 * 250,000 ids `user:{id}:…`), it times from the click: the first namespace row, every
 * top-level count exact (walk complete), and from a second click the first rows of the
 * sparse (or wide) namespace. Beside each figure, in the same run: the server's SCAN
 * time during the view's walk (INFO commandstats, LATENCY HISTOGRAM scan), and a bare
 * walk (walkKeyspace in this process); the extension host's heap through its inspector.
 *
 *   npm run bench -- keysView      (or: node out/test/bench/keysView.bench.js)
 *   BENCH_RUNS=3 (runs per size), BENCH_SIZES=1M,5M,10M, BENCH_WIDE=0 to skip the wide case,
 *   BENCH_TEAM=1 to also open the view in the team's workspace (the extension active before the click).
 *   BENCH_BASELINE_VSIX=FILE: each run also runs that .vsix (e.g. the packaged main), the two
 *   in alternating order, and the section ends with both side by side (same load, same server).
 *
 * Writes a Markdown section to $BENCH_OUTPUT (default test-results/bench-keysView.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Redis from 'ioredis';
import { runCleanups, startTestRedis, tempDir } from '../support/codeServer';
import {
  fillWithRedisCli,
  Keyspace,
  label,
  shapedKeyspace,
  SPARSE_KEYS,
  wideKeyspace,
  WIDE_IDS,
} from './keysView/fill';
import { packageExtension } from './startup/packages';
import { repoRoot } from '../support/codeServer';
import { runWithWebSocket } from './keysView/inspector';
import { describeCpu } from './keysView/processCpu';
import { BareWalk, bareWalk, UserPathRun, userPathRun } from './keysView/userPath';
import { DEFAULT_PARTS, DEFAULT_SCAN_COUNT, WALK_CONNECTIONS, walkCallCount } from '../../src/redis/keyspace/walker';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SIZES = (process.env['BENCH_SIZES'] ?? '1M,5M,10M')
  .split(',')
  .map((s) => Math.round(Number(s.trim().replace(/M$/i, '')) * (/M$/i.test(s.trim()) ? 1_000_000 : 1)));
const WIDE = process.env['BENCH_WIDE'] !== '0';
const WARM_UP = process.env['BENCH_WARMUP'] !== '0';
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-keysView.md';
const MB = 1024 * 1024;
const BASELINE_VSIX = process.env['BENCH_BASELINE_VSIX'];
/** BENCH_TEAM=1: each run also opens the view in the team's workspace (the extension active before the click). */
const TEAM = process.env['BENCH_TEAM'] === '1';

interface Measured {
  readonly keyspace: Keyspace;
  readonly fillSeconds: number;
  readonly runs: { ui: UserPathRun; bare: BareWalk }[];
  /** The baseline .vsix's runs, interleaved with these (BENCH_BASELINE_VSIX). */
  readonly baseline: UserPathRun[];
  /** The same .vsix in the team's workspace, interleaved with these (BENCH_TEAM=1). */
  readonly team: UserPathRun[];
}

function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
const ms = (v: number): string =>
  Number.isNaN(v) ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const us = (v: number): string =>
  Number.isNaN(v) ? '—' : v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} ms` : `${Math.round(v)} µs`;
const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');

async function measure(
  vsix: string,
  keyspace: Keyspace,
  expand: 'sparse' | 'wide',
  warmUp: boolean,
): Promise<Measured> {
  const redis = await startTestRedis();
  const admin = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
  await admin.connect();
  try {
    console.log(`\n== ${keyspace.name}: filling with redis-cli --pipe…`);
    const fillSeconds = await fillWithRedisCli(redis.host, redis.port, keyspace);
    const dbsize = await admin.dbsize();
    if (dbsize !== keyspace.total) throw new Error(`DBSIZE ${dbsize} after writing ${keyspace.total} keys`);
    console.log(`filled ${keyspace.total.toLocaleString('en-US')} keys in ${fillSeconds.toFixed(1)} s`);
    const runs: Measured['runs'] = [];
    const baseline: UserPathRun[] = [];
    const team: UserPathRun[] = [];
    for (let i = warmUp ? 0 : 1; i <= RUNS; i++) {
      // The baseline first in odd runs, second in even ones: neither always gets the quieter slot.
      const runBaseline = async (): Promise<void> => {
        if (!BASELINE_VSIX || i === 0) return;
        const before = await userPathRun({ vsix: BASELINE_VSIX, redis, admin, keyspace, expand });
        baseline.push(before);
        console.log(
          `${keyspace.name} run ${i}/${RUNS} baseline: first namespace ${ms(before.firstNamespaceMs)}, counts ${ms(before.countsMs)} (walk ended at ${ms(before.walkEndMs)}); ` +
            `CPU: ${describeCpu(before.cpu)}; log: ${before.log.map((l) => `${ms(l.ms)} ${l.line.slice(0, l.line.includes('second stage') ? 160 : 60)}`).join('; ')}; load ${before.load.toFixed(1)}`,
        );
      };
      const runTeam = async (): Promise<void> => {
        if (!TEAM || i === 0) return;
        const active = await userPathRun({ vsix, redis, admin, keyspace, expand, team: true });
        team.push(active);
        console.log(
          `${keyspace.name} run ${i}/${RUNS} team workspace (active before the click): first namespace ${ms(active.firstNamespaceMs)}, counts ${ms(active.countsMs)} (walk ended at ${ms(active.walkEndMs)}); ` +
            `CPU: ${describeCpu(active.cpu)}; log: ${active.log.map((l) => `${ms(l.ms)} ${l.line.slice(0, 60)}`).join('; ')}; load ${active.load.toFixed(1)}`,
        );
      };
      if (i % 2 === 1) await runBaseline();
      if (i % 2 === 0) await runTeam();
      const ui = await userPathRun({ vsix, redis, admin, keyspace, expand });
      if (i % 2 === 0) await runBaseline();
      if (i % 2 === 1) await runTeam();
      const bare = await bareWalk(redis, admin, keyspace.total);
      if (i > 0) runs.push({ ui, bare });
      console.log(
        `${keyspace.name} run ${i}/${RUNS}${i === 0 ? ' (warm-up)' : ''}: first namespace ${ms(ui.firstNamespaceMs)}, counts ${ms(ui.countsMs)} ` +
          `(walk ended at ${ms(ui.walkEndMs)}, on screen ${ms(ui.countsMs - ui.walkEndMs)} later) ` +
          `(server SCAN ${ms(ui.scan.serverMs)} in ${ui.scan.calls} calls, p50 ${us(ui.scan.p50Us)} p99 ${us(ui.scan.p99Us)} max ${us(ui.scan.maxUs)}), ` +
          `${expand} first rows ${ms(ui.expandMs)}; bare walk ${ms(bare.wallMs)} (server SCAN ${ms(bare.scan.serverMs)}); ` +
          `CPU: ${describeCpu(ui.cpu)}; ` +
          `log: ${ui.log.map((l) => `${ms(l.ms)} ${l.line.slice(0, l.line.includes('second stage') ? 160 : 60)}`).join('; ')}; ` +
          `heap ${mb(ui.heapBefore)} → ${mb(ui.heapWalked)} → ${mb(ui.heapExpanded)}; CPU steal ${(ui.steal * 100).toFixed(1)}%, load ${ui.load.toFixed(1)}`,
      );
    }
    return { keyspace, fillSeconds, runs, baseline, team };
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

function section(sizes: Measured[], wide: Measured | undefined, seconds: number): string {
  const rows: string[][] = [];
  const pick = (m: Measured, f: (r: Measured['runs'][number]) => number): number => median(m.runs.map(f));
  const base = sizes.find((m) => m.keyspace.total === 1_000_000);
  const baseCounts = base ? pick(base, (r) => r.ui.countsMs) : Number.NaN;
  for (const m of sizes) {
    const size = label(m.keyspace.total);
    const counts = pick(m, (r) => r.ui.countsMs);
    const first = pick(m, (r) => r.ui.firstNamespaceMs);
    const serverMs = pick(m, (r) => r.ui.scan.serverMs);
    const bare = pick(m, (r) => r.bare.wallMs);
    const bareServer = pick(m, (r) => r.bare.scan.serverMs);
    const sparse = pick(m, (r) => r.ui.expandMs);
    const heap = pick(m, (r) => r.ui.heapWalked - r.ui.heapBefore);
    // Exact where the server tracks latency (Redis 7), else the histogram bucket's upper bound.
    const exact = m.runs.every((r) => r.ui.scan.exact !== undefined);
    const p99 = exact ? pick(m, (r) => r.ui.scan.exact?.p99Us ?? Number.NaN) : pick(m, (r) => r.ui.scan.p99Us);
    const bareServerCpu = pick(m, (r) => r.bare.serverCpuMs);
    const ratio = m.keyspace.total / 1_000_000;
    rows.push([
      `${size}: first namespace row visible`,
      ms(first),
      '≤ 300 ms',
      verdict(first <= 300),
      'click on the activity bar icon → a level-1 row with a count',
    ]);
    if (m.team.length > 0) {
      const teamFirst = median(m.team.map((r) => r.firstNamespaceMs));
      rows.push([
        `${size}: first namespace row visible, the extension active before the click`,
        ms(teamFirst),
        '≤ 300 ms',
        verdict(teamFirst <= 300),
        `the team's workspace (it holds shared-redis/docker-compose.yml: VS Code activates the extension at startup), interleaved with the runs above; counts ${ms(median(m.team.map((r) => r.countsMs)))}`,
      ]);
    }
    rows.push([
      `${size}: exact top-level counts visible`,
      ms(counts),
      m === base ? '≤ 2.0 s' : `≤ ${ratio * 1.1}× the 1M figure${base ? ` (${ms(baseCounts * ratio * 1.1)})` : ''}`,
      m === base ? verdict(counts <= 2000) : base ? verdict(counts <= baseCounts * ratio * 1.1) : '— (no 1M run)',
      `every top-level row shows the count the fill wrote, the view no longer counts; ${(counts / bare).toFixed(2)}× the bare walk, ${(counts / serverMs).toFixed(2)}× the server's SCAN time (${ms(serverMs)})` +
        (m === base || !base ? '' : `; ${(counts / baseCounts).toFixed(2)}× the 1M figure`),
    ]);
    rows.push([
      `${size}: from the walk's end to the counts on screen`,
      ms(pick(m, (r) => r.ui.countsMs - r.ui.walkEndMs)),
      '—',
      '—',
      `the extension's log line "Walked …" (from the click: ${ms(pick(m, (r) => r.ui.walkEndMs))}) to the exact counts in the DOM: the last tree update's way to the pixels`,
    ]);
    rows.push([
      `${size}: bare walk ÷ server SCAN time`,
      `${ms(bare)} ÷ ${ms(bareServer)} = ${(bare / bareServer).toFixed(2)}`,
      m === base ? '≤ 1.15' : '—',
      m === base ? verdict(bare / bareServer <= 1.15) : '—',
      `walkKeyspace in the bench process, ${DEFAULT_PARTS} parts on ${WALK_CONNECTIONS} connections, COUNT ${walkCallCount(DEFAULT_SCAN_COUNT, DEFAULT_PARTS)} each (the extension's defaults); ` +
        `the server's own CPU over the walk (INFO cpu) ${ms(bareServerCpu)}, ${(bareServerCpu / bareServer).toFixed(2)}× its SCAN time (reading requests, writing replies): no walk goes below that ratio, and the walk took ${(bare / bareServerCpu).toFixed(2)}× the server's CPU`,
    ]);
    rows.push([
      `${size}: sparse namespace (${SPARSE_KEYS.toLocaleString('en-US')} keys) first page visible`,
      ms(sparse),
      m.keyspace.total === 10_000_000 ? '≤ 300 ms' : '—',
      m.keyspace.total === 10_000_000 ? verdict(sparse <= 300) : '—',
      'click on its row (walk complete) → its first key row (`list · …`)',
    ]);
    rows.push([
      `${size}: server time per SCAN during the view's walk`,
      exact
        ? `p50 ${us(pick(m, (r) => r.ui.scan.exact?.p50Us ?? Number.NaN))}, p99 ${us(p99)}, p99.9 ${us(pick(m, (r) => r.ui.scan.exact?.p999Us ?? Number.NaN))}, max ≤ ${us(pick(m, (r) => r.ui.scan.maxUs))}`
        : `p50 ${us(pick(m, (r) => r.ui.scan.p50Us))}, p99 ${us(p99)}, max ${us(pick(m, (r) => r.ui.scan.maxUs))}`,
      'p99 ≤ 1 ms',
      verdict(p99 <= 1000),
      exact
        ? `INFO latencystats (Redis's own percentiles of SCAN's execution time), max from LATENCY HISTOGRAM scan (a power-of-two bucket's upper bound), ${pick(m, (r) => r.ui.scan.calls).toFixed(0)} calls`
        : `LATENCY HISTOGRAM scan (power-of-two buckets: a figure is its bucket's upper bound), ${pick(m, (r) => r.ui.scan.calls).toFixed(0)} calls`,
    ]);
    rows.push([
      `${size}: extension host heap growth holding the model`,
      mb(heap),
      m.keyspace.total === 10_000_000 ? '≤ 40 MB' : '—',
      m.keyspace.total === 10_000_000 ? verdict(heap <= 40 * MB) : '—',
      `Runtime.getHeapUsage after HeapProfiler.collectGarbage, before the click (extension not loaded) and with the complete model (includes the extension's own code and views, ${mb(pick(m, (r) => r.ui.heapBefore))} before)`,
    ]);
  }
  if (wide) {
    const first = median(wide.runs.map((r) => r.ui.expandMs));
    const growth = median(wide.runs.map((r) => r.ui.heapExpanded - r.ui.heapWalked));
    rows.push(
      [
        `wide (${WIDE_IDS.toLocaleString('en-US')} ids, 1M keys): expand \`user\`, first page visible`,
        ms(first),
        '≤ 300 ms',
        verdict(first <= 300),
        `after the walk (counts in ${ms(median(wide.runs.map((r) => r.ui.countsMs)))}), click on \`user\` → its first child row`,
      ],
      [
        'wide: extension host heap growth expanding `user`',
        mb(growth),
        '≤ 60 MB',
        verdict(growth <= 60 * MB),
        `heap after a forced GC 2 s after the first child row, minus before the click on \`user\` (model ${mb(median(wide.runs.map((r) => r.ui.heapWalked - r.ui.heapBefore)))})`,
      ],
    );
  }
  const cpuLines = sizes.map((m) => {
    const roles = [...new Set(m.runs.flatMap((r) => [...r.ui.cpu.keys()]))].filter((role) => role !== 'other');
    const parts = roles
      .map((role) => [role, pick(m, (r) => r.ui.cpu.get(role) ?? 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([role, used]) => `${role} ${ms(used)}`);
    return `${label(m.keyspace.total)}: ${parts.join(', ')}; bare walk's server SCAN ${ms(pick(m, (r) => r.bare.scan.serverMs))}`;
  });
  const all = [...sizes, ...(wide ? [wide] : [])].flatMap((m) => m.runs);
  const contributions = sizes
    .map((m) => {
      const counts = pick(m, (r) => r.ui.countsMs);
      const server = pick(m, (r) => r.ui.scan.serverMs);
      return `${label(m.keyspace.total)}: server ${ms(server)} of ${ms(counts)} (${((server / counts) * 100).toFixed(0)}%), the rest ${ms(counts - server)} is the extension, the workbench and the round trips; bare walk ${ms(pick(m, (r) => r.bare.wallMs))}`;
    })
    .join('; ');
  const compared = sizes
    .filter((m) => m.baseline.length > 0)
    .map((m) => {
      const figure = (name: string, f: (r: UserPathRun) => number): string =>
        `${name} ${ms(median(m.baseline.map(f)))} → ${ms(median(m.runs.map((r) => f(r.ui))))} ` +
        `(runs: ${m.baseline.map((r) => ms(f(r))).join(', ')} → ${m.runs.map((r) => ms(f(r.ui))).join(', ')})`;
      const host = (r: UserPathRun): number => r.cpu.get('extension host') ?? Number.NaN;
      return (
        `${m.keyspace.name}, baseline → this tree, interleaved runs: ${figure('first namespace', (r) => r.firstNamespaceMs)}; ` +
        `${figure('counts', (r) => r.countsMs)}; ${figure('walk end', (r) => r.walkEndMs)}; ` +
        `${figure('extension host CPU', host)}; load ${m.baseline.map((r) => r.load.toFixed(1)).join(', ')} → ${m.runs.map((r) => r.ui.load.toFixed(1)).join(', ')}.`
      );
    });
  return [
    "## Keys view on the user's path (code-server)",
    '',
    `The packaged extension installed into a fresh code-server (VS Code 1.100) per run, the workbench in headless Chromium, a workspace whose settings point at a private redis-server (\`--save "" --appendonly no\`) filled once per size with \`redis-cli --pipe\`: keyspace.bench's namespaces scaled to the size (\`auth:session\` … \`shared:cache:*\`, \`billing:invoice\`, \`tmp\`, top-level keys; ~70% with a TTL of 1 h to 3 days) and a sparse namespace \`${'outbox'}\` of ${SPARSE_KEYS.toLocaleString('en-US')} list keys among them${wide ? `; the wide case: ${WIDE_IDS.toLocaleString('en-US')} ids × \`user:{id}:profile|roles|settings|sessions\`` : ''}. Times are from the page's own pointerdown of the click until a watcher in the page (a MutationObserver) sees the rows in the DOM. Medians of ${RUNS} runs per size (one warm-up run first); CPU steal median ${(median(all.map((r) => r.ui.steal)) * 100).toFixed(1)}%, 1-minute load average median ${median(all.map((r) => r.ui.load)).toFixed(1)} (on a shared 2-vCPU machine the figures move with it). Fill: ${[...sizes, ...(wide ? [wide] : [])].map((m) => `${m.keyspace.name} ${m.fillSeconds.toFixed(0)} s`).join(', ')}. ${seconds.toFixed(0)} s in all.`,
    '',
    'Reproduce: `SHARED_REDIS_SKIP_SETUP=1 npm run bench -- keysView` (`BENCH_RUNS=N`, `BENCH_SIZES=1M,5M,10M`, `BENCH_WIDE=0`, `BENCH_TEAM=1`, `BENCH_BASELINE_VSIX=FILE`).',
    '',
    '| Figure | Median | Target | Result | Method |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `Who contributes: ${contributions}.`,
    '',
    `CPU time used from the click until the counts showed, by process (medians; 2 cores in all, shared with whatever else runs): ${cpuLines.join('; ')}.`,
    '',
    ...[...sizes, ...(wide ? [wide] : [])].map(
      (m) =>
        `${m.keyspace.name}, all runs: counts ${m.runs.map((r) => ms(r.ui.countsMs)).join(', ')}; first namespace ${m.runs.map((r) => ms(r.ui.firstNamespaceMs)).join(', ')}; expand ${m.runs.map((r) => ms(r.ui.expandMs)).join(', ')}; bare walk ${m.runs.map((r) => ms(r.bare.wallMs)).join(', ')}` +
        (m.team.length > 0
          ? `; team workspace: first namespace ${m.team.map((r) => ms(r.firstNamespaceMs)).join(', ')}, counts ${m.team.map((r) => ms(r.countsMs)).join(', ')}.`
          : '.'),
    ),
    '',
    ...(compared.length > 0 ? [...compared, ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = tempDir('shared-redis-bench-keysview-package-');
  const ours = packageExtension(repoRoot(), work);
  console.log(`packaged ${ours.id}: ${(ours.bytes / 1024).toFixed(0)} KiB`);
  const sizes: Measured[] = [];
  for (const [i, total] of SIZES.entries()) {
    sizes.push(await measure(ours.vsix, shapedKeyspace(total), 'sparse', WARM_UP && i === 0));
  }
  const wide = WIDE ? await measure(ours.vsix, wideKeyspace(), 'wide', false) : undefined;
  const markdown = section(sizes, wide, (Date.now() - started) / 1000);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, markdown);
  console.log(`\n${markdown}\nwritten to ${OUTPUT}`);
}

runWithWebSocket(__filename, main, runCleanups);
