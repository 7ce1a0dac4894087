import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { hashSlot } from '../hashSlot';
import { connectRedis } from '../connection';
import { classifyRedisError } from '../errors';
import { connectCluster, nodeEndpoint } from './connection';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { replicaNodesOf } from './replicas';
import { clusterMasters, isClusterEnabled } from './topology';

/** Where Verify Namespace Isolation proves the users' limits: the one server, or one node (master or replica) of a cluster. */
export interface IsolationNode {
  /** `host:port` of a cluster node; undefined on a single server. */
  readonly address: string | undefined;
  /**
   * A replica serves reads only (to clients that sent READONLY): its reads are run for real,
   * its writes checked with ACL DRYRUN (its users are the ones in force after a failover).
   */
  readonly role: 'server' | 'master' | 'replica';
  /** How its checks are named in a report: `127.0.0.1:7002 (cluster master, slots 5461-10922)`. */
  readonly description: string | undefined;
  /** Where the services log in. */
  readonly endpoint: RedisEndpoint;
  /** The operator's connection to this node (ACL DRYRUN, ACL GETUSER, removing probe keys);
   * undefined for a node that cannot be checked (see `unreachable`). */
  readonly operator: Redis | undefined;
  /** Why this node's users cannot be checked (a replica down or flagged `fail`): each service gets an error naming it. */
  readonly unreachable?: string;
  /** A hash tag whose slot this master (a replica's master) serves: the probe keys carry it so that they land here, all in one slot. */
  readonly hashTag: string | undefined;
}

export interface IsolationNodes {
  readonly nodes: readonly IsolationNode[];
  /** Closes the connections opened for the nodes. */
  close(): void;
}

/**
 * The nodes to check: the server itself, or, when the operator's server runs in cluster mode,
 * every master and replica of the cluster, since each node keeps its own ACL users (a user
 * changed with ACL SETUSER on one node is changed there only, and a replica serves reads to
 * clients that sent READONLY). The nodes are reached with the operator's own login, the
 * masters through a cluster client, the replicas on connections of their own (the
 * endpoint's natMap turns the addresses the nodes announce into reachable ones).
 */
export async function isolationNodes(
  endpoint: RedisEndpoint,
  operator: Redis,
  probeId: string,
): Promise<IsolationNodes> {
  if (endpoint.cluster === undefined && !(await isClusterEnabled(operator))) {
    return {
      nodes: [{ address: undefined, role: 'server', description: undefined, endpoint, operator, hashTag: undefined }],
      close: () => undefined,
    };
  }
  const cluster = await connectCluster(
    { ...endpoint, db: 0, username: operator.options.username },
    { password: operator.options.password },
  );
  const opened: Redis[] = [];
  const close = (): void => {
    for (const client of opened.splice(0)) client.disconnect();
    cluster.disconnect();
  };
  try {
    const nodes: IsolationNode[] = [];
    for (const master of clusterMasters(cluster, endpoint)) {
      if (!master.client) throw lostConnection(master);
      const hashTag = tagServedBy(probeId, master.slots);
      nodes.push({
        address: master.address,
        role: 'master',
        description: describeMaster(master),
        endpoint: { ...master.endpoint, username: endpoint.username },
        operator: master.client,
        hashTag,
      });
      for (const { address, down } of await replicaNodesOf(master, endpoint)) {
        const replicaEndpoint = { ...nodeEndpoint(endpoint, address), username: operator.options.username };
        const replica = {
          address,
          role: 'replica' as const,
          description: `${address} (cluster replica of ${master.address})`,
          endpoint: { ...replicaEndpoint, username: endpoint.username },
          hashTag,
        };
        // A replica that is down still has users, in force again when it is back (or promoted):
        // it is named as not checked, and the nodes that answer are checked all the same.
        if (down !== undefined) {
          nodes.push({ ...replica, operator: undefined, unreachable: `the cluster flags it ${down}` });
          continue;
        }
        try {
          const replicaOperator = await connectRedis(
            replicaEndpoint,
            { password: operator.options.password },
            { timeoutMs: 5000, maxReconnects: 0, connectionName: 'shared-redis-isolation-check' },
          );
          opened.push(replicaOperator);
          nodes.push({ ...replica, operator: replicaOperator });
        } catch (error) {
          nodes.push({
            ...replica,
            operator: undefined,
            unreachable: classifyRedisError(error, replicaEndpoint).message,
          });
        }
      }
    }
    return { nodes, close };
  } catch (error) {
    close();
    throw error;
  }
}

/** `<probeId>-<n>` with the smallest n whose hash slot lies in `slots` (a few tries: each master serves a third of the slots). */
function tagServedBy(probeId: string, slots: readonly (readonly [number, number])[]): string {
  for (let n = 0; ; n++) {
    const tag = `${probeId}-${n}`;
    const slot = hashSlot(tag);
    if (slots.some(([from, to]) => slot >= from && slot <= to)) return tag;
  }
}
