import type Docker from 'dockerode';
import { execIn } from '../backup/containerFiles';
import { StackError } from './errors';
import type { WaitOptions } from './health';
import { tailLogs } from './logs';

/** One node of a cluster stack, as the engine names it. */
export interface ClusterNodeContainer {
  readonly service: string;
  readonly containerId: string;
}

/** A line of `CLUSTER NODES`. */
export interface ClusterNodesLine {
  readonly id: string;
  /** The announced hostname (`redis-node-1`), or the address when it announces none. */
  readonly name: string;
  readonly myself: boolean;
  readonly role: 'master' | 'replica';
  /** The master's node id, for a replica. */
  readonly masterId: string | undefined;
  /** Failed, without an address, or not connected: the node cannot be reached from the one asked. */
  readonly broken: boolean;
  /** `0-5460`, as Redis lists them (importing/migrating markers left out). */
  readonly slots: readonly string[];
}

/** What one node says of the cluster, from inside its container. */
export interface ClusterNodeView {
  readonly service: string;
  /** `ok` or `fail` (CLUSTER INFO's cluster_state); undefined when the node did not answer. */
  readonly state: string | undefined;
  readonly nodes: readonly ClusterNodesLine[];
  /** Why the node did not answer. */
  readonly error: string | undefined;
}

/** Parses `CLUSTER NODES` (see the Redis docs: id, address, flags, master, ..., link state, slots). */
export function parseClusterNodes(text: string): ClusterNodesLine[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((line) => {
    const [id = '', address = '', flagText = '', master = '-', , , , link = '', ...slots] = line.split(' ');
    const flags = flagText.split(',');
    const hostname = address.split(',')[1];
    return {
      id,
      name: hostname || address.split('@')[0] || address,
      myself: flags.includes('myself'),
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: master === '-' ? undefined : master,
      broken: flags.includes('fail') || flags.includes('noaddr') || link !== 'connected',
      slots: slots.filter((s) => !s.startsWith('[')),
    };
  });
}

/** Asks one node, in its container, through redis-cli (it logs in with the container's REDISCLI_AUTH). */
export async function clusterNodeView(docker: Docker, node: ClusterNodeContainer): Promise<ClusterNodeView> {
  const container = docker.getContainer(node.containerId);
  try {
    const info = await execIn(docker, container, ['redis-cli', 'cluster', 'info']);
    const state = /^cluster_state:(\w+)/m.exec(info.stdout)?.[1];
    if (info.exitCode !== 0 || state === undefined) {
      return { service: node.service, state: undefined, nodes: [], error: (info.stderr || info.stdout).trim() || `redis-cli exited with ${info.exitCode}` };
    }
    const nodes = await execIn(docker, container, ['redis-cli', 'cluster', 'nodes']);
    return { service: node.service, state, nodes: parseClusterNodes(nodes.stdout), error: undefined };
  } catch (error) {
    return { service: node.service, state: undefined, nodes: [], error: error instanceof Error ? error.message : String(error) };
  }
}

/** Every node's view, asked in parallel. */
export function clusterViews(docker: Docker, nodes: readonly ClusterNodeContainer[]): Promise<ClusterNodeView[]> {
  return Promise.all(nodes.map((n) => clusterNodeView(docker, n)));
}

/** Healthy: `cluster_state:ok` and every other node known and connected. */
function settled(view: ClusterNodeView, size: number): boolean {
  // A master without slots is a replica whose role has not reached this node yet (right after the init).
  return (
    view.state === 'ok' &&
    view.nodes.length === size &&
    view.nodes.every((n) => !n.broken && (n.role === 'replica' || n.slots.length > 0))
  );
}

/** Every node of the cluster answers `cluster_state:ok` and sees all of them connected: the cluster is formed. */
export function clusterFormed(views: readonly ClusterNodeView[]): boolean {
  return views.length > 0 && views.every((v) => settled(v, views.length));
}

/**
 * The containers' addresses change when they start again (the engine hands out addresses
 * anew), while each node's nodes.conf remembers the old ones: nodes that lost each other
 * are introduced again with `CLUSTER MEET` at their current addresses. Redis matches the
 * node id and updates the address it knew (a MEET to a known node only renews its address).
 */
async function introduceAgain(docker: Docker, nodes: readonly ClusterNodeContainer[], views: readonly ClusterNodeView[]): Promise<void> {
  const addresses = await Promise.all(nodes.map(async (n) => {
    const info = await docker.getContainer(n.containerId).inspect();
    return Object.values(info.NetworkSettings.Networks ?? {})[0]?.IPAddress;
  }));
  await Promise.all(nodes.map(async (node, i) => {
    const view = views[i];
    if (!view || view.state === undefined || settled(view, nodes.length)) return;
    for (const [j, address] of addresses.entries()) {
      if (j === i || !address) continue;
      await execIn(docker, docker.getContainer(node.containerId), ['redis-cli', 'cluster', 'meet', address, '6379']).catch(() => undefined);
    }
  }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every node says `cluster_state:ok` and sees all the others connected; nodes
 * that lost each other (new addresses after a start) are introduced again. Fails after the
 * timeout naming the nodes that are not there yet, with the last log lines of the first.
 */
export async function waitForCluster(docker: Docker, nodes: readonly ClusterNodeContainer[], options: WaitOptions = {}): Promise<ClusterNodeView[]> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let lastMeet = Date.now();
  let lastSummary = '';
  for (;;) {
    if (options.signal?.aborted) throw new StackError('cancelled', 'Starting the cluster was cancelled.');
    const views = await clusterViews(docker, nodes);
    const waiting = views.filter((v) => !settled(v, nodes.length));
    if (waiting.length === 0) return views;
    const summary = `cluster: ${views.filter((v) => v.state === 'ok').length} of ${nodes.length} nodes ok`;
    if (summary !== lastSummary) { lastSummary = summary; options.onState?.(summary); }
    if (Date.now() > deadline) {
      const first = waiting[0];
      const node = nodes.find((n) => n.service === first?.service);
      const logs = node ? await tailLogs(docker, node.containerId, 20).catch(() => []) : [];
      const names = waiting.map((v) => `${v.service} (${v.error ?? `cluster_state:${v.state ?? '?'}, ${v.nodes.filter((n) => !n.broken).length} of ${nodes.length} nodes connected`})`);
      throw new StackError('unhealthy', `The cluster did not reach cluster_state:ok on every node within ${Math.round(timeoutMs / 1000)} s: ${names.join(', ')}.`, first?.service, logs);
    }
    // Once the nodes have had a moment to find each other on their own.
    if (Date.now() - lastMeet > 5_000 && waiting.some((v) => v.state !== undefined && v.nodes.length > 1)) {
      lastMeet = Date.now();
      await introduceAgain(docker, nodes, views);
    }
    await sleep(1_000);
  }
}

/** INFO replication of a replica says it holds its master's data: the link is up and no full sync is running. */
export function replicaSynced(infoReplication: string): boolean {
  return /^master_link_status:up\r?$/m.test(infoReplication) && /^master_sync_in_progress:0\r?$/m.test(infoReplication);
}

/** CLUSTER SLOTS (as redis-cli prints it) lists every one of these node ids. */
export function slotsListAll(clusterSlots: string, ids: readonly string[]): boolean {
  const listed = new Set(clusterSlots.split('\n').map((l) => l.trim()));
  return ids.every((id) => listed.has(id));
}

/**
 * Waits until every replica has synced with its master and every node lists it in CLUSTER
 * SLOTS. A replica whose data was put on its volume (a restore) has a new replication id,
 * so it makes a full sync when it starts; until it has, Redis leaves it out of CLUSTER
 * SLOTS, and a cluster client that reads its slot map then (ioredis reads it again only on
 * a redirection) lists no replicas. Resolves to the replicas still not there at the
 * timeout (empty when all are).
 */
export async function waitForReplicas(docker: Docker, nodes: readonly ClusterNodeContainer[], options: WaitOptions = {}): Promise<string[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (options.signal?.aborted) throw new StackError('cancelled', 'Waiting for the replicas was cancelled.');
    const views = await clusterViews(docker, nodes);
    const replicas = views.flatMap((view) => {
      const myself = view.nodes.find((n) => n.myself);
      return myself?.role === 'replica' ? [{ service: view.service, id: myself.id }] : [];
    });
    const slots = await Promise.all(nodes.map((n) => execIn(docker, docker.getContainer(n.containerId), ['redis-cli', 'cluster', 'slots']).catch(() => undefined)));
    const listedEverywhere = (id: string): boolean => slots.every((s) => s?.exitCode === 0 && slotsListAll(s.stdout, [id]));
    const lagging: string[] = [];
    for (const replica of replicas) {
      const node = nodes.find((n) => n.service === replica.service);
      const info = node ? await execIn(docker, docker.getContainer(node.containerId), ['redis-cli', 'info', 'replication']).catch(() => undefined) : undefined;
      if (!info || info.exitCode !== 0 || !replicaSynced(info.stdout) || !listedEverywhere(replica.id)) lagging.push(replica.service);
    }
    if (lagging.length === 0) return [];
    options.onState?.(`waiting for ${lagging.join(', ')} to sync with ${lagging.length === 1 ? 'its master' : 'their masters'}`);
    if (Date.now() > deadline) return lagging;
    await sleep(1_000);
  }
}
