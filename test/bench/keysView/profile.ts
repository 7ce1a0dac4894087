/**
 * Where the extension host's time goes while the Keys view walks 1M keys: one run of the
 * user's path (see userPath.ts) with a CPU profile of the extension host (the V8
 * inspector's Profiler, from the click until every count is on screen), summarised as
 * the functions with the most self time, and the same by file.
 *
 *   npm run compile-tests && node out/test/bench/keysView/profile.js   (BENCH_SIZE=1M, BENCH_TOP=30)
 *
 * To compare two builds by the extension host's CPU time (the figure a loaded, shared
 * machine leaves comparable; wall times move with the load): BENCH_RUNS=N runs each,
 * BENCH_BASELINE_VSIX=<a .vsix> interleaves runs of that build with this tree's (same
 * redis, same keys, baseline first in each pair), BENCH_PROFILE=0 runs without the
 * profiler (its 200 µs sampling costs the host CPU itself), BENCH_SAVE_VSIX=<path> keeps
 * this tree's .vsix to be a later baseline. The detailed report is of the last profiled run.
 *
 * VS Code's port finder (remote.autoForwardPorts) reads /proc and runs `ls -l /proc/[0-9]*
 * /fd/[0-9]*` in the extension host every few seconds: ~0.5 s of the host's CPU in a 10 s
 * run, growing with the run's length (so with the machine's load), none of it ours. It is
 * off here unless BENCH_PORT_FINDER=1, so the host's CPU says what the extension costs.
 * BENCH_TEAM=1 profiles the team's workspace, where the extension is active before the click.
 * BENCH_QUIET_ENGINE=1 points sharedRedis.dockerHost at a socket that accepts and never answers
 * (an engine starting or hung): the stack's first snapshot then waits for the probe's timeout.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { repoRoot, runCleanups, startTestRedis, tempDir } from '../../support/codeServer';
import { packageExtension } from '../startup/packages';
import { fillWithRedisCli, shapedKeyspace } from './fill';
import { CpuProfile, runWithWebSocket, selfTimes } from './inspector';
import { describeCpu } from './processCpu';
import { userPathRun } from './userPath';

const SIZE = Number((process.env['BENCH_SIZE'] ?? '1M').replace(/M$/i, '')) * 1_000_000;
const TOP = Number(process.env['BENCH_TOP'] ?? 30);
/** Where to keep the raw profile (a .cpuprofile file DevTools opens), if set. */
const SAVE = process.env['BENCH_PROFILE_OUT'];
/** The timeline's bin width (ms). */
const BIN_MS = Number(process.env['BENCH_BIN_MS'] ?? 100);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 1);
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
const BASELINE = process.env['BENCH_BASELINE_VSIX'];
const SAVE_VSIX = process.env['BENCH_SAVE_VSIX'];
const SETTINGS: Record<string, unknown> =
  process.env['BENCH_PORT_FINDER'] === '1' ? {} : { 'remote.autoForwardPorts': false };
const QUIET_ENGINE = process.env['BENCH_QUIET_ENGINE'] === '1';
/** BENCH_TEAM=1: the team's workspace (the extension active before the click: the click only opens the view). */
const TEAM = process.env['BENCH_TEAM'] === '1';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

async function main(): Promise<void> {
  const ours = packageExtension(repoRoot(), tempDir('shared-redis-profile-package-'));
  // An engine that accepts and never answers: its connections are held open until the end.
  const held: Socket[] = [];
  const quiet = createServer((socket) => void held.push(socket));
  if (QUIET_ENGINE) {
    const path = join(tempDir('shared-redis-quiet-engine-'), 'docker.sock');
    await new Promise<void>((resolve) => quiet.listen(path, resolve));
    SETTINGS['sharedRedis.dockerHost'] = `unix://${path}`;
  }
  const keyspace = shapedKeyspace(SIZE);
  const redis = await startTestRedis();
  const admin = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
  await admin.connect();
  try {
    if (SAVE_VSIX) copyFileSync(ours.vsix, SAVE_VSIX);
    await fillWithRedisCli(redis.host, redis.port, keyspace);
    const variants = [
      ...(BASELINE ? [{ name: 'baseline', vsix: BASELINE }] : []),
      { name: 'this tree', vsix: ours.vsix },
    ];
    const results = new Map(
      variants.map((v) => [v.name, [] as { host: number; counts: number; first: number; load: number }[]]),
    );
    let run: Awaited<ReturnType<typeof userPathRun>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      for (const variant of variants) {
        const done = await userPathRun({
          vsix: variant.vsix,
          redis,
          admin,
          keyspace,
          expand: 'sparse',
          profile: PROFILE,
          settings: SETTINGS,
          team: TEAM,
        });
        const host = done.cpu.get('extension host') ?? Number.NaN;
        results.get(variant.name)?.push({ host, counts: done.countsMs, first: done.firstNamespaceMs, load: done.load });
        console.log(
          `run ${i + 1} ${variant.name}: extension host CPU ${host.toFixed(0)} ms, first namespace after ${done.firstNamespaceMs.toFixed(0)} ms, counts after ${done.countsMs.toFixed(0)} ms, load ${done.load.toFixed(1)}`,
        );
        // BENCH_LOG=1: every line the extension logged after the click, timed from it (as the
        // log file showed it: VS Code writes a channel's lines in batches).
        if (process.env['BENCH_LOG'] === '1') {
          for (const l of done.log) console.log(`  ${l.ms.toFixed(0)} ms ${l.line}`);
        }
        const loaded = done.log.find((l) => l.line.includes('Loaded the second stage'));
        if (loaded) {
          const what = loaded.line.replace(/^.*?(Loaded the second stage)/, '$1');
          console.log(`  ${what} (${loaded.ms.toFixed(0)} ms after the click)`);
        }
        if (variant.name === 'this tree' && done.profile) run = done;
      }
    }
    for (const [name, runs] of results) {
      console.log(
        `${name}: extension host CPU click → counts median ${median(runs.map((r) => r.host)).toFixed(0)} ms ` +
          `(${runs.map((r) => r.host.toFixed(0)).join(', ')}), first namespace median ${median(runs.map((r) => r.first)).toFixed(0)} ms ` +
          `(${runs.map((r) => r.first.toFixed(0)).join(', ')}), counts median ${median(runs.map((r) => r.counts)).toFixed(0)} ms, ` +
          `load ${runs.map((r) => r.load.toFixed(1)).join(', ')}${PROFILE ? ' (profiled)' : ''}`,
      );
    }
    if (!run?.profile) return;
    if (SAVE) writeFileSync(SAVE, JSON.stringify(run.profile));
    const functions = selfTimes(run.profile);
    const total = functions.reduce((sum, f) => sum + f.ms, 0);
    console.log(
      `\n${keyspace.name}: counts on screen after ${run.countsMs.toFixed(0)} ms (first namespace ${run.firstNamespaceMs.toFixed(0)} ms, server SCAN ${run.scan.serverMs.toFixed(0)} ms); ` +
        `extension host profile ${total.toFixed(0)} ms sampled, load ${run.load.toFixed(1)}\n`,
    );
    console.log(`CPU used from the click until the counts showed: ${describeCpu(run.cpu)}\n`);
    console.log("The extension's log, from the click:");
    for (const { ms, line } of run.log) console.log(`${ms.toFixed(0).padStart(7)} ms  ${line}`);
    console.log(`\nTimeline from the click (${BIN_MS} ms bins): idle, the extension's code (dist/), the rest`);
    for (const bin of timeline(run.profile, BIN_MS)) console.log(bin);
    console.log('\nSelf time by function:');
    for (const f of functions.slice(0, TOP)) {
      console.log(`${f.ms.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.fn}`);
    }
    console.log('\nTotal time (with callees) of the functions of the extension (dist/) and of the extension host:');
    for (const f of selfTimes(run.profile, true)
      .filter((f) => /dist\/|extensionHostProcess/.test(f.fn))
      .slice(0, TOP)) {
      console.log(`${f.ms.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.fn}`);
    }
    const byFile = new Map<string, number>();
    for (const f of functions) {
      const file = /\s(\S+):\d+$/.exec(f.fn)?.[1] ?? (f.fn.startsWith('(') ? f.fn : '(native)');
      byFile.set(file, (byFile.get(file) ?? 0) + f.ms);
    }
    console.log('\nSelf time by file:');
    for (const [file, ms] of [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${file}`);
    }
  } finally {
    admin.disconnect();
    await redis.stop();
    for (const socket of held) socket.destroy();
    quiet.close();
  }
}

/**
 * What the extension host did in each bin of the profile: idle, garbage collection, the
 * extension's own frames (dist/ on the stack, by the innermost function of ours), the rest.
 */
function timeline(profile: CpuProfile, binMs: number): string[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const ours = (id: number): string | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (frame && /dist\//.test(frame.url)) return frame.functionName || '(top level)';
    }
    return undefined;
  };
  const bins: Map<string, number>[] = [];
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = 0;
  for (let i = 0; i < samples.length; i++) {
    t += (deltas[i] ?? 0) / 1000;
    const id = samples[i] as number;
    const name = nodes.get(id)?.callFrame.functionName ?? '';
    const what =
      name === '(idle)'
        ? 'idle'
        : name === '(garbage collector)'
          ? 'GC'
          : (ours(id) ?? `host:${name || '(anonymous)'}`);
    const bin = (bins[Math.floor(t / binMs)] ??= new Map());
    bin.set(what, (bin.get(what) ?? 0) + ((deltas[i + 1] ?? 0) as number) / 1000);
  }
  return bins.map((bin, i) => {
    const parts = [...(bin ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
    return `${String(i * binMs).padStart(6)} ms  ${parts.map(([w, ms]) => `${w} ${ms.toFixed(0)}`).join(', ')}`;
  });
}

runWithWebSocket(__filename, main, runCleanups);
