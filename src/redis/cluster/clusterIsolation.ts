import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { hashSlot } from '../hashSlot';
import { connectRedis } from '../connection';
import { classifyRedisError } from '../errors';
import { isNoPermission } from '../observe/clientList';
import { clusterAddresses, connectCluster, nodeEndpoint } from './connection';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { ClusterMaster, clusterMasters, isClusterEnabled } from './topology';

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
      for (const { address, down } of await replicasOf(master, endpoint)) {
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

/**
 * The replicas of a master, as reachable `host:port`: the master's own CLUSTER REPLICAS,
 * since CLUSTER SLOTS (the client's slot map) leaves out a replica that has replicated
 * nothing yet, and its users are in force all the same. A replica flagged `fail` or
 * `noaddr` serves nothing and is left out. Without the right to run CLUSTER REPLICAS, the
 * slot map's replicas.
 */
async function replicasOf(master: ClusterMaster, endpoint: RedisEndpoint): Promise<ReplicaAddress[]> {
  const client = master.client;
  if (!client) return master.replicas.map((address) => ({ address }));
  let lines: string[];
  try {
    const id = String(await client.call('CLUSTER', 'MYID'));
    lines = ((await client.call('CLUSTER', 'REPLICAS', id)) as unknown[]).map(String);
  } catch (error) {
    if (isNoPermission(error)) return master.replicas.map((address) => ({ address }));
    throw error;
  }
  return replicaAddresses(lines, clusterAddresses(endpoint).natMap, master.replicas);
}

/** A replica of CLUSTER REPLICAS, as this machine dials it. */
export interface ReplicaAddress {
  readonly address: string;
  /** Set when the cluster flags it `fail` or `noaddr`: it serves nothing now. */
  readonly down?: string;
}

/**
 * Where this machine dials each replica of CLUSTER REPLICAS' lines, one address per node:
 * the line lists a replica once, by its IP and, when it announces one, its hostname; the
 * slot map and the natMap name it by the hostname when there is one (the cluster stack's
 * `redis-node-4:6379` → `127.0.0.1:<published port>`). Its IP, dialled as well, would
 * check the same node twice.
 */
export function replicaAddresses(
  lines: readonly string[],
  natMap: Readonly<Record<string, { readonly host: string; readonly port: number }>>,
  slotMapReplicas: readonly string[],
): ReplicaAddress[] {
  const found = new Map<string, ReplicaAddress>();
  for (const line of lines) {
    // `<id> <ip:port@cport[,hostname]> <flags> <master id> …`
    const [id = '', announced = '', flags = ''] = line.split(' ');
    const down = /(^|,)(fail|noaddr)(,|$)/.exec(flags)?.[2];
    const [ipPort = '', hostname = ''] = announced.split(',');
    const ipAndPort = ipPort.replace(/@.*$/, '');
    // An IPv6 address has colons of its own: the port is after the last one.
    const port = ipAndPort.slice(ipAndPort.lastIndexOf(':') + 1);
    const names = hostname === '' ? [ipAndPort] : [`${hostname}:${port}`, ipAndPort];
    const mapped = names.map((name) => natMap[name]).find((reachable) => reachable !== undefined);
    const address = mapped
      ? `${mapped.host}:${mapped.port}`
      : (names.find((name) => slotMapReplicas.includes(name)) ??
        // `noaddr`: the cluster knows no address for it (`:0`), only its id.
        (down === 'noaddr' ? `node ${id.slice(0, 8)} (no address)` : ipAndPort));
    if (!found.has(address)) found.set(address, down === undefined ? { address } : { address, down });
  }
  return [...found.values()];
}

/** `<probeId>-<n>` with the smallest n whose hash slot lies in `slots` (a few tries: each master serves a third of the slots). */
function tagServedBy(probeId: string, slots: readonly (readonly [number, number])[]): string {
  for (let n = 0; ; n++) {
    const tag = `${probeId}-${n}`;
    const slot = hashSlot(tag);
    if (slots.some(([from, to]) => slot >= from && slot <= to)) return tag;
  }
}
