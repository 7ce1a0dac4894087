// Cluster walk benchmark: the keyspace bench's 1,000,000 keys spread over the three masters
// of a real local Redis Cluster (each key written to the master of its slot), walked with
// walkCluster, against the slowest master's SCAN server time and against the single-node
// walk of the same keys in the same run. Medians of several runs; CPU steal reported.
// Run: npm run bench -- cluster. Writes a Markdown section to $BENCH_OUTPUT.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { walkCluster } from '../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../src/redis/cluster/connection';
import { clusterMasters, keySlot } from '../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../src/redis/endpoint';
import { NamespaceModel } from '../../src/redis/keyspace/namespaceModel';
import { DEFAULT_SCAN_COUNT, walkKeyspace } from '../../src/redis/keyspace/walker';
import { cpuTimes, stealShare } from '../support/cpuSteal';
import { slotOwners, startRedisCluster } from '../support/redisCluster';
import { startRedisServer } from '../support/redisServer';
import { fillKeyspace } from './keyspace/fill';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const COUNT = Number(process.env['BENCH_COUNT'] ?? DEFAULT_SCAN_COUNT);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-cluster.md';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** One run's measurements (milliseconds). */
interface Run {
  readonly wall: number;
  readonly mastersScan: number[];
  readonly slowestScan: number;
  readonly clientCpu: number;
  readonly mastersCpu: number[];
  readonly separateWall: number;
  readonly singleWall: number;
  readonly singleScan: number;
  readonly steal: number;
  readonly load: number;
}

/** A process's CPU time so far (user + system, /proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function scanUsec(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  return Number(/^cmdstat_scan:calls=\d+,usec=(\d+)/m.exec(stats)?.[1] ?? 0);
}

/**
 * The walk counted what the servers held: between the keys before and after it (the fill's
 * shortest TTLs are a minute, and filling a cluster on a small machine takes about that long,
 * so a few keys expire while the bench runs; exact per-namespace counts are the tests' job).
 */
async function checkCounts(model: NamespaceModel, sizes: () => Promise<number>, before: number): Promise<void> {
  const after = await sizes();
  if (!model.complete || model.totalKeys > before || model.totalKeys < after) {
    throw new Error(`walk counted ${model.totalKeys} keys; the servers held ${before} before and ${after} after`);
  }
}

async function main(): Promise<void> {
  const fixture = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  const single = await startRedisServer();
  const singleEndpoint: RedisEndpoint = { host: single.host, port: single.port, db: 0, tls: false };
  let cluster: Cluster | undefined;
  const admins: Redis[] = [];
  try {
    const owners = await slotOwners(fixture);
    const masterPorts = await fixture.masterPorts();
    console.log('filling 1,000,000 keys into the cluster (per master) and the single server…');
    const fillStart = Date.now();
    const [written, ...shares] = await Promise.all([
      fillKeyspace(single.port, single.host),
      ...masterPorts.map((port) => fillKeyspace(port, fixture.host, (key) => owners[keySlot(key)] === port)),
    ]);
    const total = shares.reduce((a, b) => a + b, 0);
    if (total !== written) throw new Error(`cluster holds ${total} keys, the single server ${written}`);
    console.log(`filled in ${((Date.now() - fillStart) / 1000).toFixed(1)} s; per master: ${shares.join(', ')}`);

    const seed = fixture.nodes[0];
    if (!seed) throw new Error('no node');
    const endpoint: RedisEndpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, {});
    for (const master of clusterMasters(cluster, endpoint)) {
      const admin = new Redis({ host: master.endpoint.host, port: master.endpoint.port, lazyConnect: true });
      await admin.connect();
      admins.push(admin);
    }
    const singleAdmin = new Redis({ host: single.host, port: single.port, lazyConnect: true });
    await singleAdmin.connect();
    admins.push(singleAdmin);

    const clusterSize = async (): Promise<number> =>
      (await Promise.all(admins.slice(0, -1).map((admin) => admin.dbsize()))).reduce((a, b) => a + b, 0);
    const singleSize = (): Promise<number> => singleAdmin.dbsize();
    const walkedCluster = async (active: Cluster): Promise<NamespaceModel> => {
      const before = await clusterSize();
      const model = await walkCluster(active, endpoint, {}, { count: COUNT }).done;
      await checkCounts(model, clusterSize, before);
      return model;
    };
    const walkedSingle = async (): Promise<void> => {
      const before = await singleSize();
      const model = await walkKeyspace({ endpoint: singleEndpoint, credentials: {} }, { count: COUNT }).done;
      await checkCounts(model, singleSize, before);
    };

    // Warm-up (JIT, allocator), checked but not measured.
    await walkedCluster(cluster);
    await walkedSingle();

    const masterAdmins = admins.slice(0, -1);
    const masterEndpoints = clusterMasters(cluster, endpoint).map((master) => master.endpoint);
    const masterPids = fixture.nodes.filter((node) => masterPorts.includes(node.port)).map((node) => node.pid);
    const runs: Run[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cpu = cpuTimes();
      const sizeBefore = await clusterSize();
      const usecBefore = await Promise.all(masterAdmins.map(scanUsec));
      const mastersBefore = masterPids.map(processCpuMs);
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      const model = await walkCluster(cluster, endpoint, {}, { count: COUNT }).done;
      const wall = performance.now() - t0;
      const client = process.cpuUsage(client0);
      const mastersCpu = masterPids.map((pid, i) => processCpuMs(pid) - (mastersBefore[i] ?? 0));
      const usecAfter = await Promise.all(masterAdmins.map(scanUsec));
      await checkCounts(model, clusterSize, sizeBefore);
      const mastersScan = usecAfter.map((usec, i) => (usec - (usecBefore[i] ?? 0)) / 1000);

      // The same masters walked as three single servers side by side (walkKeyspace each, models of their own):
      // what the cluster walk costs beyond walking each master like a single server.
      const separateBefore = await clusterSize();
      const p0 = performance.now();
      const separate = await Promise.all(
        masterEndpoints.map((master) => walkKeyspace({ endpoint: master, credentials: {} }, { count: COUNT }).done),
      );
      const separateWall = performance.now() - p0;
      const separateKeys = separate.reduce((sum, walked) => sum + walked.totalKeys, 0);
      if (separateKeys > separateBefore || separateKeys < (await clusterSize())) {
        throw new Error(`the separate walks counted ${separateKeys} keys; the masters held ${separateBefore} before`);
      }

      const singleUsec = await scanUsec(singleAdmin);
      const s0 = performance.now();
      await walkedSingle();
      const singleWall = performance.now() - s0;
      const singleScan = ((await scanUsec(singleAdmin)) - singleUsec) / 1000;
      const result: Run = {
        wall,
        mastersScan,
        slowestScan: Math.max(...mastersScan),
        clientCpu: (client.user + client.system) / 1000,
        mastersCpu,
        separateWall,
        singleWall,
        singleScan,
        steal: stealShare(cpu),
        load: loadavg()[0] ?? 0,
      };
      runs.push(result);
      console.log(
        `run ${run + 1}/${RUNS}: cluster walk ${wall.toFixed(0)} ms; masters' SCAN ${mastersScan.map((ms) => ms.toFixed(0)).join(' / ')} ms ` +
          `(wall ÷ slowest ${(wall / result.slowestScan).toFixed(2)}); masters' CPU ${mastersCpu.join(' / ')} ms; ` +
          `walk process CPU ${result.clientCpu.toFixed(0)} ms; masters walked separately ${separateWall.toFixed(0)} ms; single-node walk ${singleWall.toFixed(0)} ms (its SCAN ${singleScan.toFixed(0)} ms); ` +
          `CPU steal ${(result.steal * 100).toFixed(1)}%, load average ${result.load.toFixed(1)}`,
      );
    }
    const med = (figure: (run: Run) => number): number => median(runs.map(figure));
    const ratio = med((r) => r.wall / r.slowestScan);
    const vsSingle = med((r) => r.wall / r.singleWall);
    const clientBound = med((r) => r.clientCpu / Math.max(...r.mastersCpu));
    const rows = [
      [
        `Cluster walk of ${total.toLocaleString('en-US')} keys (3 masters), wall time`,
        `${(med((r) => r.wall) / 1000).toFixed(2)} s`,
        '—',
        '—',
        `walkCluster: from the call (slot map read, two SCAN connections per master opened, DBSIZE) until the complete model, scanCount ${COUNT}; the count checked against the masters' DBSIZE before and after.`,
      ],
      [
        'Cluster walk wall time ÷ slowest master’s SCAN server time',
        ratio.toFixed(2),
        '≤ 1.2',
        ratio <= 1.2 ? 'pass' : 'FAIL',
        `Per run: wall time divided by the largest delta of INFO commandstats cmdstat_scan usec among the masters over the same walk (slowest master median ${med((r) => r.slowestScan).toFixed(0)} ms).`,
      ],
      [
        'Cluster walk ÷ single-node walk of the same keys',
        vsSingle.toFixed(2),
        '—',
        '—',
        `The same 1,000,000 keys on one redis-server, walked with walkKeyspace (its default connections) right after each cluster walk: single-node median ${(med((r) => r.singleWall) / 1000).toFixed(2)} s, ${med((r) => r.singleWall / r.singleScan).toFixed(2)}× its server's SCAN time.`,
      ],
      [
        'Cluster walk ÷ the three masters walked as single servers (information)',
        med((r) => r.wall / r.separateWall).toFixed(2),
        '—',
        '—',
        `Right after each cluster walk, each master walked with walkKeyspace (its default connections, a model of its own), all three at once: median ${(med((r) => r.separateWall) / 1000).toFixed(2)} s. Near 1, the cluster walk costs what walking every master like a single server costs, and the rest of the first ratio is the machine's.`,
      ],
      [
        'Walk process CPU ÷ slowest master’s CPU (information)',
        clientBound.toFixed(2),
        '—',
        '—',
        `The walk's one JavaScript thread counts every master's keys: its CPU time over the walk (median ${med((r) => r.clientCpu).toFixed(0)} ms, process.cpuUsage) divided by the busiest master's (/proc/PID/stat utime+stime, median ${med((r) => Math.max(...r.mastersCpu)).toFixed(0)} ms). Above 1, the walk cannot keep pace with the masters even with a free core for each process: roughly the floor of the first ratio on any machine.`,
      ],
      [
        `This machine's floor for the first ratio (information): all CPU the walk needs ÷ ${cpus().length} cores ÷ slowest master's SCAN`,
        med((r) => (r.mastersCpu.reduce((a, b) => a + b, 0) + r.clientCpu) / cpus().length / r.slowestScan).toFixed(2),
        '—',
        '—',
        `The masters' CPU and the walk's CPU over the walk, added, cannot be done in less wall time than that sum spread over every core: no walk reaches a ratio below this on this machine. The first ratio near this floor means the walk adds no waiting of its own.`,
      ],
    ];
    const markdown = [
      '## Cluster walk',
      '',
      `Three masters and three replicas (local redis-server processes, cluster-enabled), the keyspace bench's keys written each to the master of its slot; median of ${RUNS} runs after a warm-up, on ${cpus().length} cores. ` +
        `CPU steal median ${(med((r) => r.steal) * 100).toFixed(1)} %, 1-minute load average median ${med((r) => r.load).toFixed(1)} (other work on the same cores). ` +
        'The cores are shared by the three masters, the walk and everything else running: with fewer free cores than masters plus the walk, the masters cannot all SCAN at once, and the first ratio measures the machine more than the walk.',
      '',
      '| Figure | Median | Target | Result | Method |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      `All runs (cluster walk ms / slowest master's SCAN ms / masters walked separately ms / single-node walk ms / load): ${runs
        .map(
          (r) =>
            `${r.wall.toFixed(0)} / ${r.slowestScan.toFixed(0)} / ${r.separateWall.toFixed(0)} / ${r.singleWall.toFixed(0)} / ${r.load.toFixed(1)}`,
        )
        .join(
          '; ',
        )}. Reproduce: \`npm run compile-tests && BENCH_RUNS=${RUNS} BENCH_OUTPUT=${OUTPUT} node --expose-gc out/test/bench/cluster.bench.js\`.`,
      '',
    ].join('\n');
    mkdirSync(dirname(OUTPUT), { recursive: true });
    writeFileSync(OUTPUT, markdown);
    console.log(markdown);
    console.log(`written to ${OUTPUT}`);
  } finally {
    for (const admin of admins) admin.disconnect();
    cluster?.disconnect();
    await fixture.stop();
    await single.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
