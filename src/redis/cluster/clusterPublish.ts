import { publish } from '../observe/subscription';
import { onEveryMaster } from './perMaster';
import type { Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** What PUBLISH answered: the subscribers that got the message, on `node` when it went to one node of a cluster. */
export interface Published {
  readonly receivers: number;
  readonly node?: string;
}

/**
 * PUBLISH on a cluster, through the first master's connection: the cluster forwards the
 * message to every node, but PUBLISH counts only the subscribers of the node that took it,
 * so the node is named with the count (ioredis would pick a random one).
 */
export async function publishOnCluster(
  topology: ClusterTopology,
  channel: string,
  message: string,
): Promise<Published> {
  const [first] = topology.masters();
  if (!first) throw new Error('The cluster has no master in its slot map.');
  const [receivers] = await onEveryMaster([first], (client) => publish(client, channel, message));
  return { receivers: receivers ?? 0, node: first.address };
}

/** `Published to orders:events: 2 subscribers received it.`, on a cluster naming the node the count is of. */
export function publishedText(channel: string, published: Published): string {
  const { receivers, node } = published;
  const count = `${receivers} ${receivers === 1 ? 'subscriber' : 'subscribers'}`;
  if (node === undefined) return `Published to ${channel}: ${count} received it.`;
  return `Published to ${channel} through ${node}: ${count} there received it; the cluster forwards it to every node, whose subscribers Redis does not count.`;
}
