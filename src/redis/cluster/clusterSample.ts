import { readServerSample, ServerSample } from '../observe/infoSampler';
import type { ClientsReading, InfoReading } from '../observe/infoSeries';
import { onReachedNodes, reachEveryNode } from './everyNode';
import type { Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/**
 * One chart sample of a whole cluster: INFO and CLIENT LIST of every node (masters and
 * replicas, those the slot map leaves out too) at once, summed, the same totals as the INFO
 * view's cluster card (ops, memory and clients over every node). A failure names the node.
 */
export async function readClusterServerSample(
  topology: ClusterTopology,
  serviceOf: (user: string) => string | undefined,
  now: () => number = Date.now,
): Promise<ServerSample> {
  const at = now();
  const reached = await reachEveryNode(topology, { connectionName: 'shared-redis-charts' });
  try {
    const samples = await onReachedNodes(reached.nodes, async (client, node) => ({
      node: node.address,
      sample: await readServerSample(client, serviceOf, () => at),
    }));
    return {
      reading: summedReading(
        samples.map((s) => s.sample.reading),
        at,
      ),
      clients: summedClients(samples.map((s) => ({ node: s.node, clients: s.sample.clients }))),
    };
  } finally {
    reached.close();
  }
}

/**
 * The nodes' readings as one: counters and memory summed (a field one node does not report
 * is unknown for the cluster, not a smaller sum); `maxmemory` 0 on any node means no limit
 * for the whole; the run ids joined, so a restart of any node starts a new segment of the lines.
 */
export function summedReading(readings: readonly InfoReading[], at: number): InfoReading {
  const sum = (field: keyof Omit<InfoReading, 'at' | 'runId'>): number | undefined =>
    readings.some((reading) => reading[field] === undefined)
      ? undefined
      : readings.reduce((total, reading) => total + (reading[field] ?? 0), 0);
  const maxMemory = sum('maxMemory');
  return {
    at,
    runId: readings.some((reading) => reading.runId === undefined)
      ? undefined
      : readings.map((reading) => reading.runId).join(','),
    totalCommands: sum('totalCommands'),
    usedMemory: sum('usedMemory'),
    maxMemory: readings.some((reading) => reading.maxMemory === 0) ? 0 : maxMemory,
    keyspaceHits: sum('keyspaceHits'),
    keyspaceMisses: sum('keyspaceMisses'),
    expiredKeys: sum('expiredKeys'),
    evictedKeys: sum('evictedKeys'),
  };
}

/** Connections per service over every node; a node that could not list them makes the chart say which and why. */
function summedClients(nodes: readonly { node: string; clients: ClientsReading }[]): ClientsReading {
  const counts: Record<string, number> = {};
  for (const { node, clients } of nodes) {
    if ('error' in clients) return { error: `${node}: ${clients.error}` };
    for (const [service, count] of Object.entries(clients.counts)) counts[service] = (counts[service] ?? 0) + count;
  }
  return { counts };
}
