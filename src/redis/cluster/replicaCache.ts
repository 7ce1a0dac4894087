import type { Cluster } from 'ioredis';
import { isNoPermission } from '../observe/clientList';
import { ReplicaNode, replicaNodesOf } from './replicas';
import type { ClusterMaster, Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** Each master's replicas, by the master's address, as its own CLUSTER REPLICAS lists them. */
export type ReplicaMap = ReadonlyMap<string, readonly ReplicaNode[]>;

/**
 * The longest a replica list is kept while nothing says the cluster changed. The change
 * signal is one node's view (gossip): the master whose CLUSTER REPLICAS was read may learn
 * of a replica a moment after the node asked for the signal did, and a list read in that
 * moment would be kept under the new signal. 15 polls of the Clients view (2 s each).
 */
export const REPLICA_LIST_MAX_AGE_MS = 30_000;

/** Every master's CLUSTER MYID and CLUSTER REPLICAS, at once. */
export async function readReplicaMap(topology: ClusterTopology): Promise<ReplicaMap> {
  const masters = topology.masters();
  const lists = await Promise.all(masters.map((master) => replicaNodesOf(master, topology.endpoint)));
  return new Map(masters.map((master, i) => [master.address, lists[i] ?? []]));
}

/**
 * The replica lists of a poll that runs every few seconds (the Clients view): CLUSTER MYID
 * and CLUSTER REPLICAS on every master each time would be 2 commands per master per poll
 * for a list that changes only when the cluster does. They are read again when:
 * - the cluster's node table changed: one CLUSTER NODES on one master per poll (node ids,
 *   addresses, flags, master ids: a replica added, forgotten, re-pointed, failed, promoted);
 *   the client's slot map changed (a failover, a resharding), or a master lost its connection;
 * - a node did not answer or failed (`invalidate()`), and while any replica is flagged down:
 *   such a picture is in flux (it comes back, or is failed over) and CLUSTER NODES' flags
 *   alone do not say when its master lists it again;
 * - the list is older than REPLICA_LIST_MAX_AGE_MS: the safety net for gossip lag, above;
 * - no signal could be read (no right to CLUSTER NODES, no master connected): every poll,
 *   as without a cache.
 */
export class ReplicaCache {
  private cached:
    | { readonly cluster: Cluster; readonly signal: string; readonly at: number; readonly replicas: ReplicaMap }
    | undefined;

  constructor(
    private readonly maxAgeMs = REPLICA_LIST_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async read(topology: ClusterTopology): Promise<ReplicaMap> {
    const masters = topology.masters();
    const signal = await changeSignal(masters);
    const kept = this.cached;
    if (
      kept &&
      signal !== undefined &&
      kept.cluster === topology.cluster &&
      kept.signal === signal &&
      this.now() - kept.at < this.maxAgeMs
    ) {
      return kept.replicas;
    }
    this.cached = undefined;
    const replicas = await readReplicaMap(topology);
    const anyDown = [...replicas.values()].some((list) => list.some((replica) => replica.failed));
    if (signal !== undefined && !anyDown) {
      this.cached = { cluster: topology.cluster, signal, at: this.now(), replicas };
    }
    return replicas;
  }

  /** A node did not answer, or work on it failed: the next read asks every master again. */
  invalidate(): void {
    this.cached = undefined;
  }
}

/**
 * What changes when the replicas may have: the slot map's masters (address, slots, replicas,
 * connection) and the first connected master's CLUSTER NODES without its ever-moving columns
 * (pings, pongs, epochs, link state, slots). Undefined when it cannot be read.
 */
async function changeSignal(masters: readonly ClusterMaster[]): Promise<string | undefined> {
  const asked = masters.find((master) => master.client !== undefined);
  if (!asked?.client) return undefined;
  let nodes: string;
  try {
    nodes = String(await asked.client.call('CLUSTER', 'NODES'));
  } catch (error) {
    if (isNoPermission(error)) return undefined;
    throw error;
  }
  const table = nodes
    .split('\n')
    .map((line) => line.trim().split(' ').slice(0, 4).join(' '))
    .filter((line) => line !== '')
    .sort();
  const slotMap = masters.map(
    (m) => `${m.address} ${m.client ? 'connected' : 'lost'} ${JSON.stringify(m.slots)} ${m.replicas.join(',')}`,
  );
  return [...slotMap, ...table].join('\n');
}
