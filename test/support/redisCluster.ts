import { spawn } from 'node:child_process';
import calculateSlot from 'cluster-key-slot';
import Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { clusterMasters, Topology } from '../../src/redis/cluster/topology';
import type { RedisEndpoint } from '../../src/redis/endpoint';
import { RedisServer, startRedisServer } from './redisServer';
import { acquireRedisCluster, SuiteCluster } from './sharedRedisCluster';

/** One node of a test cluster: a real `redis-server` with `cluster-enabled yes`. */
export type ClusterNodeServer = RedisServer;

/** A real Redis Cluster of local `redis-server` processes (three masters, three replicas by default). */
export interface RedisClusterFixture {
  readonly host: string;
  /** Every node, in the order `redis-cli --cluster create` got them (the first `masters` become masters). */
  readonly nodes: readonly ClusterNodeServer[];
  readonly password: string | undefined;
  /** The nodes that are masters now, from CLUSTER NODES of a live node. */
  masterPorts(): Promise<number[]>;
  /** Stops every node still running and removes their folders. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Default 3. */
  readonly masters?: number;
  /** Replicas per master, default 1. */
  readonly replicasPerMaster?: number;
  /** `requirepass` and `masterauth` (replicas log in to their master with it), through stdin. */
  readonly password?: string;
  /** The text of an ACL file loaded by every node (its `default` user must keep the password for replication). */
  readonly acl?: string;
}

/**
 * Starts the cluster: each node on a free loopback port with its own folder and
 * `nodes.conf`, no persistence; `redis-cli --cluster create … --cluster-yes` assigns the
 * slots; resolves once every node reports `cluster_state:ok`. The password reaches
 * redis-cli through REDISCLI_AUTH, never its command line.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterFixture> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const password = options.password;
  // repl-diskless-sync-delay 0: a replica's first sync starts at once, not after Redis's 5 s wait for more replicas.
  const config =
    'cluster-enabled yes\ncluster-node-timeout 2000\nrepl-diskless-sync-delay 0\n' +
    (password ? `masterauth "${password}"\n` : '');
  const nodes: ClusterNodeServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      // One at a time: freePort() of two parallel starts may hand out the same port.
      nodes.push(
        await startRedisServer({
          config,
          ...(password === undefined ? {} : { password }),
          ...(options.acl === undefined ? {} : { acl: options.acl }),
        }),
      );
    }
    await runRedisCli(
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `${node.host}:${node.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      password,
    );
    await waitForClusterOk(nodes, masters * replicas, password);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    nodes,
    password,
    masterPorts: () => masterPortsOf(nodes, password),
    stop,
  };
}

/**
 * Mocha: a cluster for the calling suite, from `before` to `after` (2 cores, six servers): a
 * started one shared with earlier suites and put back as new, or a new one (sharedRedisCluster.ts).
 */
export function useRedisCluster(options: RedisClusterOptions = {}): { readonly cluster: RedisClusterFixture } {
  let started: SuiteCluster | undefined;
  before(async function () {
    this.timeout(60_000);
    started = await acquireRedisCluster(options);
  });
  after(async function () {
    this.timeout(60_000);
    await started?.release();
    started = undefined;
  });
  return {
    get cluster(): RedisClusterFixture {
      if (!started) throw new Error('useRedisCluster: the cluster runs only inside the suite');
      return started.fixture;
    },
  };
}

function runRedisCli(args: readonly string[], password: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['REDISCLI_AUTH'];
    if (password) env['REDISCLI_AUTH'] = password;
    const child = spawn('redis-cli', [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`redis-cli ${args[0]} ${args[1]} exited ${code}: ${output}`)),
    );
  });
}

/** A short connection to one node; `limits` (ms) make it fail fast on a node that hangs (SIGSTOP). */
export async function withNode<T>(
  node: { host: string; port: number },
  password: string | undefined,
  use: (client: Redis) => Promise<T>,
  limits: { readonly connectTimeout?: number; readonly commandTimeout?: number } = {},
): Promise<T> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    ...limits,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Every node says `cluster_state:ok` and knows every replica, and every replica's link to its master is up. */
export async function waitForClusterOk(
  nodes: readonly ClusterNodeServer[],
  replicas: number,
  password: string | undefined,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await Promise.all(
      nodes.map((node) =>
        withNode(node, password, async (client) => {
          const info = String(await client.cluster('INFO'));
          const known = String(await client.cluster('NODES'))
            .split('\n')
            .filter((line) => (line.split(' ')[2] ?? '').split(',').includes('slave')).length;
          const replication = await client.info('replication');
          const linked = !/role:slave/.test(replication) || /master_link_status:up/.test(replication);
          return /cluster_state:ok/.test(info) && known === replicas && linked;
        }).catch(() => false),
      ),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error('the test cluster did not reach cluster_state:ok within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function masterPortsOf(
  nodes: readonly ClusterNodeServer[],
  password: string | undefined,
): Promise<number[]> {
  for (const node of nodes) {
    try {
      const text = await withNode(node, password, async (client) => String(await client.cluster('NODES')));
      return text
        .split('\n')
        .filter((line) => {
          const flags = (line.split(' ')[2] ?? '').split(',');
          return flags.includes('master') && !flags.includes('fail') && !flags.includes('noaddr');
        })
        .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
        .filter((port) => port > 0)
        .sort((a, b) => a - b);
    } catch {
      /* that node is down: ask the next */
    }
  }
  throw new Error('no node of the test cluster answers');
}

/**
 * Writes `key → value` for every key, each straight to the master serving its slot, in
 * pipelines of 5,000 (a cluster pipeline must stay within one slot; a master accepts any
 * slot it serves).
 */
export async function fillCluster(
  fixture: RedisClusterFixture,
  keys: readonly (string | Buffer)[],
  value: string | Buffer = 'v',
): Promise<void> {
  const owners = await slotOwners(fixture);
  const byPort = new Map<number, (string | Buffer)[]>();
  for (const key of keys) {
    const port = owners[calculateSlot(key)];
    if (port === undefined) throw new Error('a slot has no master');
    let list = byPort.get(port);
    if (!list) byPort.set(port, (list = []));
    list.push(key);
  }
  await Promise.all(
    [...byPort].map(([port, list]) =>
      withNode({ host: fixture.host, port }, fixture.password, async (client) => {
        for (let i = 0; i < list.length; i += 5000) {
          const pipeline = client.pipeline();
          for (const key of list.slice(i, i + 5000)) pipeline.set(key, value);
          await pipeline.exec();
        }
      }),
    ),
  );
}

/** The port of the master serving each slot, from CLUSTER SLOTS. */
export async function slotOwners(fixture: RedisClusterFixture): Promise<number[]> {
  const [port] = await fixture.masterPorts();
  const reply = await withNode({ host: fixture.host, port: port ?? 0 }, fixture.password, (client) =>
    client.cluster('SLOTS'),
  );
  const owners: number[] = [];
  for (const [from, to, master] of reply) for (let slot = from; slot <= to; slot++) owners[slot] = master?.[1] ?? 0;
  return owners;
}

/** Every key one node holds, by SCAN on that node (test code on a fixture's own cluster). */
export async function nodeKeys(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** The topology a cluster client gives the extension's code (as RedisSession.topology() does). */
export function clusterTopology(cluster: Cluster, endpoint: RedisEndpoint): Topology {
  return { kind: 'cluster', cluster, endpoint, masters: () => clusterMasters(cluster, endpoint) };
}

/**
 * A seventh node joined to the cluster as a replica of the master at `masterPort` that can
 * never finish its first sync: it has no `masterauth`, so the master refuses it. Redis 7.0
 * leaves such a replica out of CLUSTER SLOTS (its replication offset stays 0) while its
 * master's CLUSTER REPLICAS and CLUSTER NODES list it, and it answers clients all the same,
 * as a replica does for the seconds (or, for a large dataset, minutes) of a real first sync.
 */
export async function addUnsyncedReplica(fixture: RedisClusterFixture, masterPort: number): Promise<ClusterNodeServer> {
  const password = fixture.password;
  const node = await startRedisServer({
    config: 'cluster-enabled yes\ncluster-node-timeout 2000\n',
    ...(password === undefined ? {} : { password }),
  });
  try {
    const master = { host: fixture.host, port: masterPort };
    const masterId = await withNode(master, password, async (client) => String(await client.call('CLUSTER', 'MYID')));
    await withNode(node, password, (client) => client.call('CLUSTER', 'MEET', fixture.host, String(masterPort)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const known = await withNode(node, password, async (client) => String(await client.cluster('NODES')));
      if (known.includes(masterId)) break;
      if (Date.now() > deadline) throw new Error('the seventh node did not learn the master within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await withNode(node, password, (client) => client.call('CLUSTER', 'REPLICATE', masterId));
    for (;;) {
      const replicas = await withNode(master, password, async (client) =>
        ((await client.call('CLUSTER', 'REPLICAS', masterId)) as unknown[]).map(String),
      );
      if (replicas.some((line) => line.includes(`:${node.port}@`))) break;
      if (Date.now() > deadline) throw new Error('the master did not list the seventh node as its replica within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return node;
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/** The ports CLUSTER SLOTS lists (masters and the replicas it names), asked of the node at `port`. */
export async function slotMapPorts(fixture: RedisClusterFixture, port: number): Promise<number[]> {
  const reply = (await withNode({ host: fixture.host, port }, fixture.password, (client) =>
    client.cluster('SLOTS'),
  )) as unknown as [number, number, ...[string, number][]][];
  return [...new Set(reply.flatMap(([, , ...nodes]) => nodes.map((n) => Number(n[1]))))];
}
