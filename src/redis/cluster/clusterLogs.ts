import type { DeniedAccess } from '../observe/aclLog';
import { callWithRight, NamespaceOwner } from '../observe/clientList';
import { resetSlowLog, SlowLogEntry } from '../observe/slowLog';
import {
  clusterAclLogs,
  clusterCheckNodes,
  clusterSlowLogs,
  NodeDeniedAccesses,
  NodeSlowLog,
  onEveryNode,
} from './clusterChecks';
import type { Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** A slow log entry and the node that logged it (`host:port`). */
export interface NodeSlowLogEntry extends SlowLogEntry {
  readonly node: string;
}

/** Show Slow Log on a cluster: what each node keeps, and every node's entries in one list. */
export interface ClusterSlowLog {
  /** Each node's own log, masters and their replicas in slot-map order. */
  readonly nodes: readonly NodeSlowLog[];
  /** Every node's entries, newest first. */
  readonly entries: readonly NodeSlowLogEntry[];
}

/**
 * SLOWLOG of every node of the cluster, masters and replicas: a slow command is logged by
 * the node that ran it only (a replica serves reads too), so one node's log is never the
 * cluster's. The entries are merged newest first; ties in the same second keep each
 * node's own order (its ids grow with time).
 */
export async function readClusterSlowLog(
  topology: ClusterTopology,
  owners: readonly NamespaceOwner[],
  delimiter: string,
): Promise<ClusterSlowLog> {
  const nodes = await clusterSlowLogs(clusterCheckNodes(topology).nodes, owners, delimiter);
  const entries = namingTheirNode(
    nodes,
    (node) => node.log.entries,
    (a, b) => b.time.getTime() - a.time.getTime() || (a.node === b.node ? b.id - a.id : 0),
  );
  return { nodes, entries };
}

/** How many entries one node's slow log holds (SLOWLOG LEN). */
export interface NodeSlowLogLength {
  readonly node: string;
  readonly description: string;
  readonly length: number;
}

/** SLOWLOG LEN of every node Show Slow Log reads: what a reset would remove, said per node before asking. */
export function clusterSlowLogLengths(topology: ClusterTopology): Promise<NodeSlowLogLength[]> {
  return onEveryNode(clusterCheckNodes(topology).nodes, async (client, node) => ({
    node: node.address,
    description: node.description,
    length: Number(await callWithRight(client, ['SLOWLOG', 'LEN'], 'SLOWLOG LEN', '+slowlog')),
  }));
}

/** SLOWLOG RESET on every node Show Slow Log reads (masters and replicas); resolves to their addresses. */
export function resetClusterSlowLogs(topology: ClusterTopology): Promise<string[]> {
  return onEveryNode(clusterCheckNodes(topology).nodes, async (client, node) => {
    await resetSlowLog(client);
    return node.address;
  });
}

/** A refusal and the node that refused it (`host:port`). */
export interface NodeDeniedAccess extends DeniedAccess {
  readonly node: string;
}

/** Show Denied Accesses on a cluster: each node's ACL LOG, and every refusal in one list. */
export interface ClusterDeniedAccesses {
  readonly nodes: readonly NodeDeniedAccesses[];
  /** Every node's refusals, the most recent first. */
  readonly entries: readonly NodeDeniedAccess[];
}

/**
 * ACL LOG of every node, masters and replicas: each node checks the ACL, and logs a
 * refusal, on its own (a service refused by one master is in that master's log only).
 */
export async function readClusterAclLog(
  topology: ClusterTopology,
  owners: readonly NamespaceOwner[],
  delimiter: string,
): Promise<ClusterDeniedAccesses> {
  const nodes = await clusterAclLogs(clusterCheckNodes(topology).nodes, owners, delimiter);
  return {
    nodes,
    entries: namingTheirNode(
      nodes,
      (node) => node.entries,
      (a, b) => a.ageSeconds - b.ageSeconds,
    ),
  };
}

/** Every node's entries in one list, each with its node's address, in `order` (a stable sort keeps ties in node order). */
function namingTheirNode<N extends { readonly node: string }, E>(
  nodes: readonly N[],
  entriesOf: (node: N) => readonly E[],
  order: (a: E & { readonly node: string }, b: E & { readonly node: string }) => number,
): (E & { readonly node: string })[] {
  return nodes.flatMap((node) => entriesOf(node).map((entry) => ({ ...entry, node: node.node }))).sort(order);
}
