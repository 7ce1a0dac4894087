import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import type Redis from 'ioredis';
import {
  masterPortsOf,
  RedisClusterFixture,
  RedisClusterOptions,
  startRedisCluster,
  waitForClusterOk,
  withNode,
} from './redisCluster';

/*
 * Test clusters shared by the suites of one mocha process. Forming a cluster (six
 * redis-servers, `redis-cli --cluster create`, the replicas' first sync) costs seconds on
 * a 2-core machine, and some twenty unit suites each formed their own. Now a suite takes a
 * started cluster of the same shape, put back first as a new one would be: no keys, no
 * clients, no scripts, empty slow/ACL/latency logs and counters, every CONFIG value as
 * started, the ACL users and password the suite asks for. A suite that changes the topology
 * (a node stopped or paused, a failover, a slot given to another master) gets its cluster
 * stopped at its end, as before; a slot left MIGRATING/IMPORTING is set STABLE once its keys
 * are flushed. Whatever cannot be put back for certain is stopped and a new cluster started.
 * The last cluster stops in a root `after` hook. Only with SHARED_REDIS_SHARE_CLUSTERS=1,
 * which the unit level sets (scripts/test-all.mjs); elsewhere (the integration suite inside
 * VS Code, a mocha run by hand) each suite has its own cluster, as before.
 * SHARED_REDIS_CLUSTER_LOG=<file>: which cluster was started, reused or stopped, and why.
 */

/** A cluster of a suite: the nodes answer to the suite's password; `release` in its `after`. */
export interface SuiteCluster {
  readonly fixture: RedisClusterFixture;
  release(): Promise<void>;
}

/** The ACL file of a shared cluster that was asked for no ACL: the default user as Redis makes it. */
const NEUTRAL_ACL = 'user default on nopass ~* &* +@all\n';

interface Pooled {
  /** Shape and whether the nodes load an ACL file: only clusters of one key are shared. */
  readonly key: string;
  /** The nodes as started: no password, and the neutral ACL file when `withAclFile`. */
  readonly started: RedisClusterFixture;
  readonly withAclFile: boolean;
  readonly replicas: number;
  /** CLUSTER NODES of the new cluster, each line reduced to what must not change (see `canonical`). */
  readonly topology: string;
  readonly masterPorts: readonly number[];
  /** Each node's `CONFIG GET *` when new. */
  readonly configs: readonly ReadonlyMap<string, string>[];
  /** Each node's `ACL LIST` line of the default user when new (clusters without an ACL file). */
  readonly defaultUsers: readonly string[];
  /** The default user's password now (the password of the suite that has or had it). */
  login: string | undefined;
  inUse: boolean;
}

const pool: Pooled[] = [];
const sharing = process.env['SHARED_REDIS_SHARE_CLUSTERS'] === '1' && typeof after === 'function';
if (sharing) {
  after('stop the shared test clusters', async function () {
    this.timeout(60_000);
    await Promise.all(pool.map((pooled) => discard(pooled, 'the run ended')));
  });
  // Should the run end without its root hooks (killed mid-way), leave no redis-server behind.
  process.once('exit', () => {
    for (const pooled of pool) {
      for (const node of pooled.started.nodes) {
        try {
          process.kill(node.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
}

/** Mocha `before`: a cluster for the suite, shared when it can be (see above). */
export async function acquireRedisCluster(options: RedisClusterOptions): Promise<SuiteCluster> {
  if (!sharing) {
    const own = await startRedisCluster(options);
    return { fixture: own, release: () => own.stop() };
  }
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const key = `${masters}x${replicas}${options.acl === undefined ? '' : ' with an ACL file'}`;
  for (
    let idle = pool.find((p) => p.key === key && !p.inUse);
    idle;
    idle = pool.find((p) => p.key === key && !p.inUse)
  ) {
    idle.inUse = true;
    try {
      await putBack(idle);
      await configure(idle, options);
      trace(`reused ${named(idle)}`);
      return suiteCluster(idle, options);
    } catch (error) {
      await discard(idle, `it could not be put back: ${String(error)}`);
    }
  }
  const pooled = await startPooled(key, masters, replicas, options.acl !== undefined);
  try {
    await configure(pooled, options);
  } catch (error) {
    await discard(pooled, `it could not be configured: ${String(error)}`);
    throw error;
  }
  return suiteCluster(pooled, options);
}

function suiteCluster(pooled: Pooled, options: RedisClusterOptions): SuiteCluster {
  const password = options.password;
  // The suite's view: its password on every node (clientOf and the like log in with it).
  const nodes = pooled.started.nodes.map((node) => ({ ...node, password }));
  let released = false;
  return {
    fixture: {
      host: pooled.started.host,
      nodes,
      password,
      masterPorts: () => masterPortsOf(nodes, password),
      stop: () => discard(pooled, 'the suite stopped it'),
    },
    release: async () => {
      if (released) return;
      released = true;
      if (!pool.includes(pooled)) return;
      // Read only: the suite's own `after` hooks may still have connections open.
      const damage = await topologyDamage(pooled, { migratingIsRepairable: true }).catch(
        (error: unknown) => `a node did not answer: ${String(error)}`,
      );
      if (damage) await discard(pooled, damage);
      else pooled.inUse = false;
    },
  };
}

async function startPooled(key: string, masters: number, replicas: number, withAclFile: boolean): Promise<Pooled> {
  const started = await startRedisCluster({
    masters,
    replicasPerMaster: replicas,
    ...(withAclFile ? { acl: NEUTRAL_ACL } : {}),
  });
  let pooled: Pooled;
  try {
    const [first] = started.nodes;
    if (!first) throw new Error('a test cluster without nodes');
    pooled = {
      key,
      started,
      withAclFile,
      replicas: masters * replicas,
      ...(await admin(first, undefined, async (client) => {
        const { lines, masterPorts } = canonical(String(await client.cluster('NODES')));
        return { topology: lines, masterPorts };
      })),
      configs: await Promise.all(started.nodes.map((node) => admin(node, undefined, configOf))),
      defaultUsers: await Promise.all(
        started.nodes.map(async (node) => (await admin(node, undefined, aclList)).join('\n')),
      ),
      login: undefined,
      inUse: true,
    };
  } catch (error) {
    await started.stop();
    throw error;
  }
  pool.push(pooled);
  trace(`started ${named(pooled)}`);
  // A write each replica applies: until a replica's offset is past 0, CLUSTER SLOTS leaves it out
  // (Redis 7), for up to repl-ping-replica-period (10 s). A reused cluster had its FLUSHALL too.
  await Promise.all(
    started.nodes
      .filter((node) => pooled.masterPorts.includes(node.port))
      .map((node) => admin(node, undefined, (client) => client.call('FLUSHALL', 'SYNC'))),
  );
  return pooled;
}

/** Makes `pooled` what a new cluster is, before its password and users (see the header). */
async function putBack(pooled: Pooled): Promise<void> {
  const nodes = pooled.started.nodes;
  const login = pooled.login;
  // First the connections a suite may have left (and with them subscriptions, MONITORs, pauses).
  await Promise.all(
    nodes.map((node) =>
      admin(node, login, async (client) => {
        await client.call('CLIENT', 'UNPAUSE');
        await client.call('CLIENT', 'KILL', 'TYPE', 'normal');
        await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      }),
    ),
  );
  await Promise.all(
    nodes
      .filter((node) => pooled.masterPorts.includes(node.port))
      .map((node) =>
        admin(node, login, async (client) => {
          await client.call('FLUSHALL', 'SYNC');
          await client.call('FUNCTION', 'FLUSH', 'SYNC');
        }),
      ),
  );
  await Promise.all(
    nodes.map((node, i) =>
      admin(node, login, async (client) => {
        // A reshard a test began and left: its keys are gone with FLUSHALL, the slot stays where it was.
        const mine = canonical(String(await client.cluster('NODES')));
        for (const slot of mine.migrating) {
          trace(`CLUSTER SETSLOT ${slot} STABLE on ${node.port}`);
          await client.cluster('SETSLOT', slot, 'STABLE');
        }
        const now = await configOf(client);
        for (const [name, value] of pooled.configs[i] ?? []) {
          if (name === 'requirepass' || name === 'masterauth') continue;
          if (now.get(name) === value) continue;
          trace(`CONFIG SET ${name} back to "${value}" on ${node.port}`);
          await client.config('SET', name, value);
        }
        await client.call('SCRIPT', 'FLUSH', 'SYNC');
        await client.call('SLOWLOG', 'RESET');
        await client.call('ACL', 'LOG', 'RESET');
        await client.call('LATENCY', 'RESET');
        await client.call('CONFIG', 'RESETSTAT');
      }),
    ),
  );
  // The replicas apply their master's FLUSHALL in a moment.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const sizes = await Promise.all(nodes.map((node) => admin(node, login, (client) => client.dbsize())));
    if (sizes.every((size) => size === 0)) break;
    if (Date.now() > deadline) throw new Error(`keys left after FLUSHALL: ${sizes.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const damage = await topologyDamage(pooled, { migratingIsRepairable: false });
  if (damage) throw new Error(damage);
  await waitForClusterOk(nodes, pooled.replicas, login);
}

/** The suite's password (`requirepass`, `masterauth`) and ACL users on every node. */
async function configure(pooled: Pooled, options: RedisClusterOptions): Promise<void> {
  const password = options.password ?? '';
  await Promise.all(
    pooled.started.nodes.map((node, i) =>
      admin(node, pooled.login, async (client) => {
        await client.config('SET', 'masterauth', password);
        if (pooled.withAclFile) {
          // As at a start with both: requirepass first, then the file (whose default user wins).
          await client.config('SET', 'requirepass', password);
          const [, file] = (await client.config('GET', 'aclfile')) as [string, string];
          writeFileSync(file, options.acl ?? NEUTRAL_ACL, { mode: 0o600 }); // it may hold password hashes
          await client.call('ACL', 'LOAD');
          return;
        }
        for (const user of (await client.call('ACL', 'USERS')) as string[]) {
          if (user !== 'default') await client.call('ACL', 'DELUSER', user);
        }
        const fresh = pooled.defaultUsers[i] ?? '';
        // Not `reset`, which adds the flag sanitize-payload that a new default user does not show.
        const clear = ['resetpass', 'resetkeys', 'resetchannels', 'clearselectors', '-@all'];
        await client.call('ACL', 'SETUSER', 'default', ...clear, ...fresh.split(' ').slice(2));
        await client.config('SET', 'requirepass', password);
        // As new: the default user only, its rules as when started, with the suite's password.
        const hash = `#${createHash('sha256').update(password).digest('hex')}`;
        const expected = password ? [...fresh.split(' ').filter((rule) => rule !== 'nopass'), hash] : fresh.split(' ');
        const now = (await aclList(client)).join('\n');
        if (now.split(' ').sort().join(' ') !== expected.sort().join(' ')) {
          throw new Error(`ACL LIST reads "${now}", not the rules of "${fresh}" with the suite's password`);
        }
      }),
    ),
  );
  pooled.login = options.password;
}

/** Why the cluster is no longer as it was formed, or undefined when it is. */
async function topologyDamage(
  pooled: Pooled,
  { migratingIsRepairable }: { migratingIsRepairable: boolean },
): Promise<string | undefined> {
  const views = await Promise.all(
    pooled.started.nodes.map((node) =>
      admin(node, pooled.login, async (client) => ({
        port: node.port,
        nodes: canonical(String(await client.cluster('NODES'))),
        info: String(await client.cluster('INFO')),
        replication: await client.info('replication'),
      })),
    ),
  );
  for (const view of views) {
    const at = `node ${view.port}`;
    if (view.nodes.lines !== pooled.topology) return `${at} sees another topology:\n${view.nodes.lines}`;
    if (view.nodes.unwell.length > 0) return `${at} sees ${view.nodes.unwell.join('; ')}`;
    if (!migratingIsRepairable && view.nodes.migrating.length > 0) return `${at} migrates ${view.nodes.migrating}`;
    if (!/cluster_state:ok/.test(view.info)) return `${at} is not cluster_state:ok`;
    if (/role:slave/.test(view.replication) && !/master_link_status:up/.test(view.replication)) {
      return `${at} lost its master`;
    }
  }
  return undefined;
}

/**
 * CLUSTER NODES reduced to what a new cluster must have again: each node's id, port, role,
 * master and slots, sorted (not who answers, epochs or ping times). `unwell`: flags such as
 * fail or handshake, or a link not connected; `migrating`: slots MIGRATING or IMPORTING here.
 */
function canonical(text: string): { lines: string; masterPorts: number[]; unwell: string[]; migrating: number[] } {
  const lines: string[] = [];
  const masterPorts: number[] = [];
  const unwell: string[] = [];
  const migrating: number[] = [];
  for (const line of text.split('\n')) {
    const [id, address = '', flagText = '', master, , , , link, ...slots] = line.trim().split(' ');
    if (!id) continue;
    const port = Number(/:(\d+)@/.exec(address)?.[1]);
    const flags = flagText.split(',').filter((flag) => flag !== 'myself');
    const role = flags.includes('master') ? 'master' : 'slave';
    if (flags.some((flag) => flag !== 'master' && flag !== 'slave') || link !== 'connected') {
      unwell.push(`${port} ${flagText} ${link}`);
    }
    if (role === 'master') masterPorts.push(port);
    for (const slot of slots.filter((s) => s.startsWith('['))) migrating.push(Number(/^\[(\d+)/.exec(slot)?.[1]));
    lines.push(`${id} ${port} ${role} ${master} ${slots.filter((s) => !s.startsWith('[')).join(' ')}`);
  }
  return { lines: lines.sort().join('\n'), masterPorts, unwell, migrating };
}

async function configOf(client: Redis): Promise<Map<string, string>> {
  const flat = (await client.config('GET', '*')) as string[];
  const config = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) config.set(flat[i] as string, flat[i + 1] as string);
  return config;
}

async function aclList(client: Redis): Promise<string[]> {
  return (await client.call('ACL', 'LIST')) as string[];
}

/** A short connection to one node as its default user; fails fast when the node does not answer. */
function admin<T>(
  node: { host: string; port: number },
  password: string | undefined,
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  return withNode(node, password, use, { connectTimeout: 2000, commandTimeout: 10_000 });
}

async function discard(pooled: Pooled, why: string): Promise<void> {
  const at = pool.indexOf(pooled);
  if (at >= 0) pool.splice(at, 1);
  trace(`stopped ${named(pooled)}: ${why}`);
  await pooled.started.stop();
}

function named(pooled: Pooled): string {
  return `cluster ${pooled.started.nodes.map((node) => node.port).join(',')} (${pooled.key})`;
}

function trace(line: string): void {
  const file = process.env['SHARED_REDIS_CLUSTER_LOG'];
  if (file) appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}
