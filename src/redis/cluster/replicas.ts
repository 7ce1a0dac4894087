import type { RedisEndpoint } from '../endpoint';
import { isNoPermission } from '../observe/clientList';
import { clusterAddresses } from './connection';
import type { ClusterMaster } from './topology';

/** A replica of a master as its CLUSTER REPLICAS lists it. */
export interface ReplicaNode {
  /** `host:port` as this machine dials it (after the natMap); `node <id> (no address)` for a `noaddr` one. */
  readonly address: string;
  /** Flagged `fail` or `noaddr`: the cluster holds it unreachable, it serves nothing. */
  readonly failed: boolean;
  /** Which of the two flags, when failed. */
  readonly down?: 'fail' | 'noaddr';
}

/**
 * The replicas of a master, found by the master's own CLUSTER REPLICAS: CLUSTER SLOTS (the
 * client's slot map, which ioredis reads only when it connects or is redirected) leaves out a
 * replica that has replicated nothing yet (Redis 7.0: until its first sync ends), and that
 * replica has users, clients and INFO of its own all the same. Without the right to run
 * CLUSTER REPLICAS (or with no connection to the master), the slot map's replicas.
 */
export async function replicaNodesOf(master: ClusterMaster, endpoint: RedisEndpoint): Promise<ReplicaNode[]> {
  const fromSlotMap = (): ReplicaNode[] => master.replicas.map((address) => ({ address, failed: false }));
  const client = master.client;
  if (!client) return fromSlotMap();
  let lines: string[];
  try {
    const id = String(await client.call('CLUSTER', 'MYID'));
    lines = ((await client.call('CLUSTER', 'REPLICAS', id)) as unknown[]).map(String);
  } catch (error) {
    if (isNoPermission(error)) return fromSlotMap();
    throw error;
  }
  return replicaNodes(lines, clusterAddresses(endpoint).natMap, master.replicas);
}

/** The replicas of a master that serve (not flagged `fail` or `noaddr`), as reachable `host:port`. */
export async function replicasOf(master: ClusterMaster, endpoint: RedisEndpoint): Promise<string[]> {
  return (await replicaNodesOf(master, endpoint)).filter((r) => !r.failed).map((r) => r.address);
}

/**
 * Where this machine dials each replica of CLUSTER REPLICAS' lines, one address per node:
 * the line lists a replica once, by its IP and, when it announces one, its hostname; the
 * slot map and the natMap name it by the hostname when there is one (the cluster stack's
 * `redis-node-4:6379` → `127.0.0.1:<published port>`). Its IP, dialled as well, would
 * reach the same node twice.
 */
export function replicaNodes(
  lines: readonly string[],
  natMap: Readonly<Record<string, { readonly host: string; readonly port: number }>>,
  slotMapReplicas: readonly string[],
): ReplicaNode[] {
  const found = new Map<string, ReplicaNode>();
  for (const line of lines) {
    // `<id> <ip:port@cport[,hostname]> <flags> <master id> …`
    const [id = '', announced = '', flags = ''] = line.split(' ');
    if (!announced) continue;
    const down = /(^|,)(fail|noaddr)(,|$)/.exec(flags)?.[2] as 'fail' | 'noaddr' | undefined;
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
    if (!found.has(address)) {
      found.set(address, down === undefined ? { address, failed: false } : { address, failed: true, down });
    }
  }
  return [...found.values()];
}

/** The serving replicas of CLUSTER REPLICAS' lines (flagged neither `fail` nor `noaddr`), one address per node. */
export function replicaAddresses(
  lines: readonly string[],
  natMap: Readonly<Record<string, { readonly host: string; readonly port: number }>>,
  slotMapReplicas: readonly string[],
): string[] {
  return replicaNodes(lines, natMap, slotMapReplicas)
    .filter((r) => !r.failed)
    .map((r) => r.address);
}
