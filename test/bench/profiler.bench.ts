// Profiler benchmark: what MONITOR (through the profiler core, which parses, attributes and
// counts every line) costs a shared Redis, and that the profiler ends by itself at its limits.
// Load: redis-benchmark (Debian's redis-tools) SET/GET, 20 clients, no pipelining (how services talk).
// Run: npm run bench -- profiler. Writes a Markdown section to $BENCH_OUTPUT (default test-results/bench-profiler.md).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname } from 'node:path';
import Redis from 'ioredis';
import { parseClientList } from '../../src/redis/observe/clientList';
import { Profiler, ProfilerEnded, ProfilerOptions } from '../../src/redis/observe/profiler';
import { cpuTimes, stealShare } from '../support/cpuSteal';
import { startRedisServer } from '../support/redisServer';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 100_000);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-profiler.md';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** redis-benchmark's requests per second for SET and GET (its CSV), run without blocking this event loop. */
async function load(port: number, requests = REQUESTS, pipeline = 1): Promise<{ set: number; get: number }> {
  const child = spawn('redis-benchmark', [
    '-P',
    String(pipeline),
    '-p',
    String(port),
    '-t',
    'set,get',
    '-n',
    String(requests),
    '-c',
    '20',
    '-q',
    '--csv',
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${out}`);
  const rps = (name: string): number => Number(new RegExp(`^"${name}","([\\d.]+)"`, 'm').exec(out)?.[1] ?? NaN);
  return { set: rps('SET'), get: rps('GET') };
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis({ port: server.port, host: server.host });
  const options = (overrides: Partial<ProfilerOptions>, onEnd: (ended: ProfilerEnded) => void): ProfilerOptions => ({
    maxSeconds: 600,
    maxLines: 100_000_000,
    delimiter: ':',
    summaryEveryMs: 10_000,
    listClients: async () => parseClientList(String(await admin.call('CLIENT', 'LIST'))),
    onCommand: () => undefined,
    onRates: () => undefined,
    onEnd,
    ...overrides,
  });
  const endpoint = { host: server.host, port: server.port, db: 0, tls: false };
  /** The monitor client's output buffer on the server (omem), sampled while the load runs: how far the profiler lags. */
  const sampleOmem = (): { stop: () => number } => {
    let max = 0;
    const timer = setInterval(() => {
      void admin.call('CLIENT', 'LIST').then((text) => {
        for (const c of parseClientList(String(text))) {
          if (c.flags.includes('O')) max = Math.max(max, Number(c.fields.get('omem') ?? 0));
        }
      });
    }, 250);
    return { stop: () => (clearInterval(timer), max) };
  };

  try {
    await load(server.port, 20_000); // warm-up
    const steal = cpuTimes();
    const load1 = os.loadavg()[0] ?? 0;
    /** Without and with the profiler, in alternating order (the machine is shared: drift hits both). */
    const measure = async (pipeline: number, requests: number) => {
      const result = {
        without: [] as number[],
        with: [] as number[],
        lines: [] as number[],
        omem: [] as number[],
        ends: [] as string[],
      };
      const plain = async (): Promise<void> => {
        const r = await load(server.port, requests, pipeline);
        result.without.push(r.set + r.get);
      };
      const profiled = async (): Promise<void> => {
        let ended: ProfilerEnded | undefined;
        const profiler = await Profiler.start(
          endpoint,
          {},
          options({}, (e) => (ended = e)),
        );
        const sampler = sampleOmem();
        const r = await load(server.port, requests, pipeline);
        result.omem.push(sampler.stop());
        profiler.stop();
        result.with.push(r.set + r.get);
        result.lines.push(ended?.lines ?? 0);
        result.ends.push(ended?.end.reason ?? 'running');
      };
      for (let run = 0; run < RUNS; run++) {
        if (run % 2 === 0) {
          await plain();
          await profiled();
        } else {
          await profiled();
          await plain();
        }
        console.log(
          `-P ${pipeline} run ${run + 1}: without ${fmt(result.without[run] ?? 0)}, with ${fmt(result.with[run] ?? 0)} ops/s`,
        );
      }
      return result;
    };
    const single = await measure(1, REQUESTS);
    const pipelined = await measure(16, REQUESTS * 4);
    const stealDuring = stealShare(steal);

    // Ends by itself: a 3 s time limit under load, and a 50,000-line limit under load.
    const limited = async (overrides: Partial<ProfilerOptions>): Promise<ProfilerEnded> => {
      let resolveEnd: (ended: ProfilerEnded) => void = () => undefined;
      const done = new Promise<ProfilerEnded>((resolve) => (resolveEnd = resolve));
      await Profiler.start(endpoint, {}, options(overrides, resolveEnd));
      const loading = load(server.port, 400_000);
      const end = await done;
      await loading;
      return end;
    };
    const byTime = await limited({ maxSeconds: 3 });
    const byLines = await limited({ maxLines: 50_000 });
    const monitorsLeft = parseClientList(String(await admin.call('CLIENT', 'LIST'))).filter((c) =>
      c.flags.includes('O'),
    ).length;

    const row = (label: string, m: Awaited<ReturnType<typeof measure>>): string => {
      const w = median(m.without);
      const p = median(m.with);
      return `| ${label} | ${fmt(w)} (${m.without.map(fmt).join(', ')}) | ${fmt(p)} (${m.with.map(fmt).join(', ')}) | **${((1 - p / w) * 100).toFixed(0)} %** | ${m.lines.map(fmt).join(', ')} | ${m.omem.map(fmt).join(', ')} | ${m.ends.join(', ')} |`;
    };
    const section = `## profiler

What \`MONITOR\` costs the shared server while **Start Profiler** runs: ops/s (SET + GET rates) of
\`redis-benchmark -t set,get -c 20\` against a local redis-server, without and with the profiler
consuming the stream through its core (parse, attribute, count), in alternating order. Medians
of ${RUNS} runs; CPU steal during the runs: ${(stealDuring * 100).toFixed(1)} %; load average
before: ${load1.toFixed(2)} on ${os.cpus().length} CPUs (other work on the machine makes single
runs noisy). "lines" is what the profiler read per run; "omem" the monitor client's largest
output buffer on the server (sampled every 250 ms: above 0 means the profiler lagged); "ended" how
the profile ended: \`stopped\` at the end of the load, or \`backlog\` when the server held more than
16 MiB of unread output for it (the rest of that run's load then ran without MONITOR).

| load | ops/s without (runs) | ops/s with the profiler (runs) | cost | lines | omem (bytes) | ended |
|---|---:|---:|---:|---|---|---|
${row(`no pipelining, ${fmt(REQUESTS)} requests`, single)}
${row(`pipelines of 16, ${fmt(REQUESTS * 4)} requests`, pipelined)}

Ends by itself under load: with a 3 s limit it ended by **${byTime.end.reason}** after
${(byTime.elapsedMs / 1000).toFixed(2)} s (${fmt(byTime.lines)} lines); with a 50,000-line limit by
**${byLines.end.reason}** after ${(byLines.elapsedMs / 1000).toFixed(2)} s (${fmt(byLines.lines)} lines).
MONITOR connections left afterwards: ${monitorsLeft}.
`;
    mkdirSync(dirname(OUTPUT), { recursive: true });
    writeFileSync(OUTPUT, section);
    console.log(section);
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
