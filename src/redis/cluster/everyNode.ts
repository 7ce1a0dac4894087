import type Redis from 'ioredis';
import { connectRedis } from '../connection';
import type { RedisEndpoint } from '../endpoint';
import { classifyRedisError, isNoAnswer } from '../errors';
import { describeMaster } from './clusterWalk';
import { nodeEndpoint } from './connection';
import { lostConnection } from './nodes';
import { namingNode } from './perMaster';
import type { ReplicaCache } from './replicaCache';
import { replicaNodesOf } from './replicas';
import type { ClusterMaster, Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** One node of a cluster, master or replica, and a connection to it when it answered. */
export interface ReachedNode {
  /** `host:port` as this machine dials it. */
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** For a master, the master itself; for a replica, its master. */
  readonly master: ClusterMaster;
  /** `127.0.0.1:7002 (cluster master, slots 5461-10922)`, `127.0.0.1:7005 (cluster replica of 127.0.0.1:7002)`. */
  readonly description: string;
  readonly endpoint: RedisEndpoint;
  /** The cluster client's connection, or one of these nodes' own; undefined when the node did not answer. */
  readonly client: Redis | undefined;
  /** Why there is no connection to it. */
  readonly unreachable: Error | undefined;
}

export interface ReachedNodes {
  /** Masters in slot order, each followed by its replicas. */
  readonly nodes: readonly ReachedNode[];
  /** Closes the connections opened here (the cluster client's own stay open). */
  close(): void;
}

export interface ReachOptions {
  /** CLIENT SETNAME of the connections opened here. */
  readonly connectionName: string;
  /** Also the replicas the cluster flags `fail` (the INFO view gives them a card saying so). */
  readonly includeFailed?: boolean;
  readonly timeoutMs?: number;
  /** For a poll: the replica lists kept between reads (else each master's CLUSTER REPLICAS, every time). */
  readonly replicas?: ReplicaCache;
}

/**
 * Every node of the cluster: the masters of the slot map and each one's replicas as its
 * CLUSTER REPLICAS lists them (the slot map leaves out a replica that has not finished its
 * first sync, and ioredis does not read the slot map again by itself). A node the cluster
 * client keeps a connection to is used through it; a replica it does not know gets a
 * connection of its own with the cluster's login, closed by `close()`. A node that does not
 * answer is returned with the reason, never dropped.
 */
export async function reachEveryNode(topology: ClusterTopology, options: ReachOptions): Promise<ReachedNodes> {
  const clients = new Map(
    topology.cluster.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  const password = topology.cluster.options.redisOptions?.password;
  const opened: Redis[] = [];
  const close = (): void => {
    for (const client of opened.splice(0)) client.disconnect();
  };
  const replicaNode = async (master: ClusterMaster, address: string): Promise<ReachedNode> => {
    const endpoint = nodeEndpoint(master.endpoint, address);
    const base = {
      address,
      role: 'replica' as const,
      master,
      endpoint,
      description: `${address} (cluster replica of ${master.address})`,
    };
    const known = clients.get(address);
    if (known && known.status !== 'end' && known.status !== 'close') {
      return { ...base, client: known, unreachable: undefined };
    }
    try {
      const client = await connectRedis(endpoint, password === undefined ? {} : { password }, {
        timeoutMs: options.timeoutMs ?? 3000,
        maxReconnects: 0,
        connectionName: options.connectionName,
      });
      opened.push(client);
      return { ...base, client, unreachable: undefined };
    } catch (error) {
      return { ...base, client: undefined, unreachable: classifyRedisError(error, endpoint) };
    }
  };
  try {
    const known = await options.replicas?.read(topology);
    const perMaster = await Promise.all(
      topology.masters().map(async (master): Promise<ReachedNode[]> => {
        const self: ReachedNode = {
          address: master.address,
          role: 'master',
          master,
          description: describeMaster(master),
          endpoint: master.endpoint,
          client: master.client,
          unreachable: master.client ? undefined : lostConnection(master),
        };
        const replicas = (known?.get(master.address) ?? (await replicaNodesOf(master, topology.endpoint))).filter(
          (replica) => options.includeFailed === true || !replica.failed,
        );
        return [self, ...(await Promise.all(replicas.map((replica) => replicaNode(master, replica.address))))];
      }),
    );
    const nodes = perMaster.flat();
    // A node that did not answer may be gone, failed over or back soon: the next poll reads the lists again.
    if (nodes.some((node) => !node.client)) options.replicas?.invalidate();
    return { nodes, close };
  } catch (error) {
    options.replicas?.invalidate();
    close();
    throw error;
  }
}

/** `work` on every reached node at once, in their order; a node that did not answer, or whose work failed, fails it all, naming the node. */
export function onReachedNodes<T>(
  nodes: readonly ReachedNode[],
  work: (client: Redis, node: ReachedNode) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    nodes.map(async (node) => {
      if (!node.client) throw namingNode(node.unreachable ?? new Error('no connection'), node.description);
      try {
        return await work(node.client, node);
      } catch (error) {
        if (node.role === 'master' && isNoAnswer(error)) node.master.noAnswer();
        throw namingNode(error, node.description);
      }
    }),
  );
}
