import { formatBytes, groupThousands } from '../keyspace';
import { RedisConnectionError } from '../errors';
import { keyspaceError } from '../keyspace/errors';
import { parseInfo } from '../info';
import { formatPing, pingServer, PingResult } from '../ping';
import { InfoSummary, SummarySection, summarizeInfo } from '../serverInfo/summary';
import { describeMaster } from './clusterWalk';
import { nodeEndpoint } from './connection';
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
        (error: unknown): MasterPing => ({
          master,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
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
  const version = answered.find((ping) => ping.result.version)?.result.version;
  const times = answered
    .map(
      (ping) => `${ping.master.address} ${formatPing({ ...ping.result, version: undefined }).replace(/^\S+ in /, '')}`,
    )
    .join(', ');
  return `PONG from ${answered.length} of ${pings.length} masters${version ? ` · Redis ${version}` : ''} · ${times}`;
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

/** A node's INFO as the INFO view shows it. */
export interface NodeInfo {
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a master, the slots it serves; for a replica, its master's address. */
  readonly serves: string;
  readonly summary: InfoSummary;
  readonly raw: string;
}

/** INFO of every node of the slot map (masters and the replicas it lists), read at once. Fails naming a node that did not answer. */
export async function readNodeInfos(topology: ClusterTopology): Promise<NodeInfo[]> {
  const masters = topology.masters();
  const clients = new Map(
    topology.cluster.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  const wanted: { address: string; role: NodeInfo['role']; serves: string; master: ClusterMaster }[] = [];
  for (const master of masters) {
    wanted.push({ address: master.address, role: 'master', serves: `slots ${formatSlotRanges(master.slots)}`, master });
    for (const replica of master.replicas) {
      wanted.push({ address: replica, role: 'replica', serves: `replica of ${master.address}`, master });
    }
  }
  return Promise.all(
    wanted.map(async (node) => {
      const client = clients.get(node.address) ?? (node.role === 'master' ? node.master.client : undefined);
      if (!client) throw new Error(`The cluster client has no connection to ${node.address} (${node.serves}).`);
      let raw: string;
      try {
        raw = await client.info();
      } catch (error) {
        const typed = keyspaceError(error, nodeEndpoint(node.master.endpoint, node.address), 'INFO');
        throw new Error(`${node.address} (${node.role}, ${node.serves}): ${typed.message}`);
      }
      return {
        address: node.address,
        role: node.role,
        serves: node.serves,
        summary: summarizeInfo(parseInfo(raw)),
        raw,
      };
    }),
  );
}

const sum = (values: readonly (number | undefined)[]): number =>
  values.reduce<number>((total, value) => total + (value ?? 0), 0);

/**
 * The INFO view's cards on a cluster: totals first (keys over the masters only, since
 * replicas hold copies; memory, clients and ops over every node), then one card per node.
 */
export function describeNodeInfos(nodes: readonly NodeInfo[]): SummarySection[] {
  const masters = nodes.filter((node) => node.role === 'master');
  const keysOf = (node: NodeInfo): number => sum(node.summary.keyspace.map((db) => db.keys));
  const totals: SummarySection = {
    title: 'Cluster totals',
    fields: [
      { label: 'Nodes', value: `${masters.length} masters, ${nodes.length - masters.length} replicas` },
      { label: 'Keys (masters)', value: groupThousands(sum(masters.map(keysOf))) },
      { label: 'Used memory (all nodes)', value: formatBytes(sum(nodes.map((n) => n.summary.memory.usedBytes))) },
      { label: 'Connected clients', value: groupThousands(sum(nodes.map((n) => n.summary.clients.connected))) },
      { label: 'Ops/sec', value: groupThousands(sum(nodes.map((n) => n.summary.stats.opsPerSec))) },
    ],
  };
  const cards = nodes.map((node): SummarySection => ({
    title: `${node.address} · ${node.role}`,
    fields: [
      {
        label: node.role === 'master' ? 'Slots' : 'Replica of',
        value: node.serves.replace(/^(slots |replica of )/, ''),
      },
      { label: 'Keys', value: groupThousands(keysOf(node)) },
      {
        label: 'Used memory',
        value: node.summary.memory.usedBytes === undefined ? '–' : formatBytes(node.summary.memory.usedBytes),
      },
      { label: 'Connected clients', value: groupThousands(node.summary.clients.connected ?? 0) },
      { label: 'Ops/sec', value: groupThousands(node.summary.stats.opsPerSec ?? 0) },
      { label: 'Version', value: node.summary.server.version ?? '–' },
    ],
  }));
  return [totals, ...cards];
}

/** Every node's raw INFO, each under a line naming the node. */
export function rawNodeInfos(nodes: readonly NodeInfo[]): string {
  return nodes.map((node) => `### ${node.address} (${node.role}, ${node.serves})\n${node.raw}`).join('\n');
}
