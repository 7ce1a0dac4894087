// Cluster walk benchmark: the keyspace bench's 1,000,000 keys spread over the three masters
// of a real local Redis Cluster (each key written to the master of its slot), walked with
// walkCluster, against the slowest master's SCAN server time and against the single-node
// walk of the same keys in the same run. Medians of several runs; CPU steal reported.
// Run: npm run bench -- cluster. Writes a Markdown section to $BENCH_OUTPUT.
import { mkdirSync, writeFileSync } from 'node:fs';
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

    const walls: number[] = [];
    const slowest: number[] = [];
    const singles: number[] = [];
    const steals: number[] = [];
    const masterAdmins = admins.slice(0, -1);
    for (let run = 0; run < RUNS; run++) {
      const before = await Promise.all(masterAdmins.map(scanUsec));
      const cpu = cpuTimes();
      const sizeBefore = await clusterSize();
      const t0 = performance.now();
      const model = await walkCluster(cluster, endpoint, {}, { count: COUNT }).done;
      const wall = performance.now() - t0;
      const after = await Promise.all(masterAdmins.map(scanUsec));
      const serverMs = Math.max(...after.map((usec, i) => (usec - (before[i] ?? 0)) / 1000));
      await checkCounts(model, clusterSize, sizeBefore);
      const s0 = performance.now();
      await walkedSingle();
      const singleWall = performance.now() - s0;
      const steal = stealShare(cpu);
      walls.push(wall);
      slowest.push(serverMs);
      singles.push(singleWall);
      steals.push(steal);
      console.log(
        `run ${run + 1}/${RUNS}: cluster walk ${wall.toFixed(0)} ms, slowest master SCAN ${serverMs.toFixed(0)} ms (ratio ${(wall / serverMs).toFixed(2)}), single-node walk ${singleWall.toFixed(0)} ms, CPU steal ${(steal * 100).toFixed(1)}%`,
      );
    }
    const ratio = median(walls.map((wall, i) => wall / (slowest[i] ?? wall)));
    const vsSingle = median(walls.map((wall, i) => wall / (singles[i] ?? wall)));
    const rows = [
      [
        `Cluster walk of ${total.toLocaleString('en-US')} keys (3 masters), wall time`,
        `${(median(walls) / 1000).toFixed(2)} s`,
        '—',
        '—',
        `walkCluster: from the call (slot map read, two SCAN connections per master opened, DBSIZE) until the complete model, scanCount ${COUNT}; the count checked against the masters' DBSIZE before and after.`,
      ],
      [
        'Cluster walk wall time ÷ slowest master’s SCAN server time',
        ratio.toFixed(2),
        '≤ 1.2',
        ratio <= 1.2 ? 'pass' : 'FAIL',
        'Per run: wall time divided by the largest delta of INFO commandstats cmdstat_scan usec among the masters over the same walk.',
      ],
      [
        'Cluster walk ÷ single-node walk of the same keys',
        vsSingle.toFixed(2),
        '—',
        '—',
        `The same 1,000,000 keys on one redis-server, walked with walkKeyspace (two connections) right after each cluster walk: single-node median ${(median(singles) / 1000).toFixed(2)} s.`,
      ],
    ];
    const markdown = [
      '## Cluster walk',
      '',
      `Three masters and three replicas (local redis-server processes, cluster-enabled), the keyspace bench's keys written each to the master of its slot; median of ${RUNS} runs after a warm-up. Median CPU steal ${(median(steals) * 100).toFixed(1)} %. The machine's cores are shared by the masters, the walk and the single server: on a machine with fewer cores than masters the masters' SCANs cannot all run at once, which the ratio to the slowest master shows.`,
      '',
      '| Figure | Median | Target | Result | Method |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
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
