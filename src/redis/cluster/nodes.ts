import { formatBytes, groupThousands } from '../keyspace';
import { isNoAnswer, RedisConnectionError } from '../errors';
import { keyspaceError } from '../keyspace/errors';
import { parseInfo } from '../info';
import { formatPing, pingServer, PingResult } from '../ping';
import { InfoSummary, productVersion, SummarySection, summarizeInfo } from '../serverInfo/summary';
import { describeMaster } from './clusterWalk';
import { reachEveryNode } from './everyNode';
import { ClusterMaster, formatSlotRanges, Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** One master's answer to PING, or why it did not answer. */
export type MasterPing =
  | { readonly master: ClusterMaster; readonly result: PingResult }
  | { readonly master: ClusterMaster; readonly error: Error };

/** PING every master at once (each on its own connection); a failure is kept with its master, never thrown. */
export async function pingMasters(topology: ClusterTopology): Promise<MasterPing[]> {
  return Promise.all(
    topology.masters().map((master) =>
      (master.client ? pingServer(master.client) : Promise.reject(lostConnection(master))).then(
        (result): MasterPing => ({ master, result }),
        (error: unknown): MasterPing => {
          if (isNoAnswer(error)) master.noAnswer();
          return { master, error: error instanceof Error ? error : new Error(String(error)) };
        },
      ),
    ),
  );
}

/**
 * `PONG from 3 of 3 masters · Redis 7.0.15 · 127.0.0.1:7001 0.4 ms, …`. Throws, naming
 * each master that did not answer and what happened, when one did not.
 */
export function formatMasterPings(pings: readonly MasterPing[]): string {
  const failed = pings.filter((ping): ping is Extract<MasterPing, { error: Error }> => 'error' in ping);
  const answered = pings.filter((ping): ping is Extract<MasterPing, { result: PingResult }> => 'result' in ping);
  if (failed.length > 0) {
    const what = failed.map((ping) => `${describeMaster(ping.master)}: ${ping.error.message}`).join('; ');
    throw new Error(`${failed.length} of ${pings.length} cluster masters did not answer PING: ${what}`);
  }
  const named = answered.find((ping) => ping.result.version)?.result;
  const version = named && `${named.product ?? 'Redis'} ${named.version ?? ''}`;
  const times = answered
    .map(
      (ping) => `${ping.master.address} ${formatPing({ ...ping.result, version: undefined }).replace(/^\S+ in /, '')}`,
    )
    .join(', ');
  return `PONG from ${answered.length} of ${pings.length} masters${version ? ` · ${version}` : ''} · ${times}`;
}

/** The error for a master whose connection the cluster client dropped. */
export function lostConnection(master: ClusterMaster): RedisConnectionError {
  return new RedisConnectionError(
    'unreachable',
    describeMaster(master),
    'is in the slot map but its connection was closed',
    'The node may have stopped; check it, or wait for a replica to take over its slots, then try again.',
  );
}

/** A node's INFO as the INFO view shows it, or why it could not be read. */
export interface NodeInfo {
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a master, the slots it serves; for a replica, its master's address. */
  readonly serves: string;
  /** Undefined when the node did not answer (see `error`). */
  readonly summary: InfoSummary | undefined;
  readonly raw: string;
  /** Why the node's INFO could not be read: its card says so. */
  readonly error?: string;
}

/**
 * INFO of every node, read at once: the masters of the slot map and each one's replicas as
 * its CLUSTER REPLICAS lists them (the slot map leaves out a replica that has not finished
 * its first sync). A node that does not answer gets an entry saying why, so that it still
 * has its card.
 */
export async function readNodeInfos(topology: ClusterTopology): Promise<NodeInfo[]> {
  const reached = await reachEveryNode(topology, { connectionName: 'shared-redis-info', includeFailed: true });
  try {
    return await Promise.all(
      reached.nodes.map(async (node): Promise<NodeInfo> => {
        const serves =
          node.role === 'master' ? `slots ${formatSlotRanges(node.master.slots)}` : `replica of ${node.master.address}`;
        const base = { address: node.address, role: node.role, serves };
        if (!node.client) {
          return { ...base, summary: undefined, raw: '', error: node.unreachable?.message ?? 'no connection' };
        }
        try {
          const raw = await node.client.info();
          return { ...base, summary: summarizeInfo(parseInfo(raw)), raw };
        } catch (error) {
          const typed = keyspaceError(error, node.endpoint, 'INFO');
          return { ...base, summary: undefined, raw: '', error: typed.message };
        }
      }),
    );
  } finally {
    reached.close();
  }
}

const sum = (values: readonly (number | undefined)[]): number =>
  values.reduce<number>((total, value) => total + (value ?? 0), 0);

/**
 * The INFO view's cards on a cluster: totals first (keys over the masters only, since
 * replicas hold copies; memory, clients and ops over every node), then one card per node.
 */
export function describeNodeInfos(nodes: readonly NodeInfo[]): SummarySection[] {
  const read = nodes.filter((node): node is NodeInfo & { summary: InfoSummary } => node.summary !== undefined);
  const masters = read.filter((node) => node.role === 'master');
  const keysOf = (node: { summary: InfoSummary }): number => sum(node.summary.keyspace.map((db) => db.keys));
  const masterCount = nodes.filter((node) => node.role === 'master').length;
  const missing = nodes.length - read.length;
  const totals: SummarySection = {
    title: 'Cluster totals',
    fields: [
      { label: 'Nodes', value: `${masterCount} masters, ${nodes.length - masterCount} replicas` },
      ...(missing > 0
        ? [{ label: 'Not reachable', value: `${missing} ${missing === 1 ? 'node' : 'nodes'}, not in the totals below` }]
        : []),
      { label: 'Keys (masters)', value: groupThousands(sum(masters.map(keysOf))) },
      { label: 'Used memory (all nodes)', value: formatBytes(sum(read.map((n) => n.summary.memory.usedBytes))) },
      { label: 'Connected clients', value: groupThousands(sum(read.map((n) => n.summary.clients.connected))) },
      { label: 'Ops/sec', value: groupThousands(sum(read.map((n) => n.summary.stats.opsPerSec))) },
    ],
  };
  const cards = nodes.map((node): SummarySection => {
    const serves = {
      label: node.role === 'master' ? 'Slots' : 'Replica of',
      value: node.serves.replace(/^(slots |replica of )/, ''),
    };
    const summary = node.summary;
    if (!summary) {
      return {
        title: `${node.address} · ${node.role} · not reachable`,
        fields: [serves, { label: 'Not reachable', value: node.error ?? 'no answer' }],
      };
    }
    return {
      title: `${node.address} · ${node.role}`,
      fields: [
        serves,
        { label: 'Keys', value: groupThousands(keysOf({ summary })) },
        {
          label: 'Used memory',
          value: summary.memory.usedBytes === undefined ? '–' : formatBytes(summary.memory.usedBytes),
        },
        { label: 'Connected clients', value: groupThousands(summary.clients.connected ?? 0) },
        { label: 'Ops/sec', value: groupThousands(summary.stats.opsPerSec ?? 0) },
        { label: 'Version', value: summary.server.version === undefined ? '–' : productVersion(summary.server) },
      ],
    };
  });
  return [totals, ...cards];
}

/** Every node's raw INFO, each under a line naming the node. */
export function rawNodeInfos(nodes: readonly NodeInfo[]): string {
  return nodes
    .map(
      (node) =>
        `### ${node.address} (${node.role}, ${node.serves})\n${node.error === undefined ? node.raw : `# not reachable: ${node.error}\n`}`,
    )
    .join('\n');
}
