import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { hashSlot } from '../hashSlot';
import { parseInfo } from '../info';
import { isNoPermission, MissingRightError } from '../observe/clientList';
import { followUnansweredMaster, nodeEndpoint } from './connection';

/** Redis Cluster's number of hash slots. */
export const SLOT_COUNT = 16384;

/** One master of a cluster as the current slot map shows it. */
export interface ClusterMaster {
  /** `host:port` as this machine dials it (after the natMap). */
  readonly address: string;
  /** The cluster's endpoint with this node's host and port: for connections of a walk's own. */
  readonly endpoint: RedisEndpoint;
  /** The connection ioredis keeps to this master; undefined once it dropped it (the node stopped answering). */
  readonly client: Redis | undefined;
  /** Slot ranges it serves, inclusive, ascending. */
  readonly slots: readonly (readonly [number, number])[];
  /** `host:port` of its replicas as CLUSTER SLOTS lists them (Redis leaves out a replica that has replicated nothing yet). */
  readonly replicas: readonly string[];
  /** Says it did not answer in time: the slot map is then read again until a replica takes over (followUnansweredMaster). */
  readonly noAnswer: () => void;
}

/**
 * How the extension's connection reaches its data: one server, or a Redis Cluster. Code
 * that sends node-local commands (SCAN, INFO, DBSIZE, CLIENT LIST …) asks here first and,
 * on a cluster, sends them to every master.
 */
export type Topology =
  | { readonly kind: 'single'; readonly client: Redis; readonly endpoint: RedisEndpoint }
  | {
      readonly kind: 'cluster';
      /** Routes keyed commands by slot (MOVED/ASK followed); refuses node-local ones. */
      readonly cluster: Cluster;
      readonly endpoint: RedisEndpoint;
      /** One entry per master of the current slot map (replicas are never walked: nothing counts twice). */
      masters(): ClusterMaster[];
    };

/** The hash slot of a key (its `{hash tag}` when it has one), as Redis computes it. */
export function keySlot(key: Buffer | string): number {
  // Not cluster-key-slot: it hashes `{bar` of `foo{}{bar}` where Redis hashes the whole key.
  return hashSlot(key);
}

/** Which node serves a slot now, from the client's slot map. */
export interface SlotOwner {
  readonly slot: number;
  /** `host:port` of the master. */
  readonly master: string;
  readonly replicas: readonly string[];
}

export function nodeForSlot(cluster: Cluster, slot: number): SlotOwner | undefined {
  const nodes = cluster.slots[slot];
  const master = nodes?.[0];
  return master === undefined ? undefined : { slot, master, replicas: nodes?.slice(1) ?? [] };
}

/** A key's hash slot and who serves it, for a tooltip: `127.0.0.1:7001 (master; replica 127.0.0.1:7004)`. */
export function slotOfKey(cluster: Cluster, key: Buffer | string): { slot: number; node: string } {
  const slot = keySlot(key);
  const owner = nodeForSlot(cluster, slot);
  if (!owner) return { slot, node: 'no node (the slot is not served)' };
  const replicas = owner.replicas.length === 0 ? '' : `; replica ${owner.replicas.join(', ')}`;
  return { slot, node: `${owner.master} (master${replicas})` };
}

/** The masters of the client's current slot map, with their slot ranges and replicas. */
export function clusterMasters(cluster: Cluster, endpoint: RedisEndpoint): ClusterMaster[] {
  const ranges = new Map<string, [number, number][]>();
  const replicas = new Map<string, string[]>();
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const nodes = cluster.slots[slot];
    const master = nodes?.[0];
    if (master === undefined) continue;
    let list = ranges.get(master);
    if (!list) {
      list = [];
      ranges.set(master, list);
      replicas.set(master, nodes?.slice(1) ?? []);
    }
    const last = list[list.length - 1];
    if (last && last[1] === slot - 1) last[1] = slot;
    else list.push([slot, slot]);
  }
  const clients = new Map(cluster.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  const masters: ClusterMaster[] = [];
  for (const [address, slots] of ranges) {
    // A master the client lost stays listed (with no client): a caller must say it did not answer, not skip it.
    const client = clients.get(address);
    masters.push({
      address,
      endpoint: nodeEndpoint(endpoint, address),
      client,
      slots,
      replicas: replicas.get(address) ?? [],
      noAnswer: () => followUnansweredMaster(cluster, address),
    });
  }
  return masters.sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0));
}

/** `0-5460` or `0-5460, 10923-16383`. */
export function formatSlotRanges(slots: readonly (readonly [number, number])[]): string {
  return slots.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');
}

/**
 * True when the server runs in cluster mode. Asks `INFO cluster` first; a user who may not
 * run INFO (it is @dangerous: `+@all -@dangerous` is a common hardened user) is asked
 * CLUSTER MYID (not @dangerous on Redis 7; it fails with "cluster support disabled" on a
 * single server), then HELLO's `mode` (Redis 6, where CLUSTER is still @dangerous). When
 * the user may run none of them, throws a MissingRightError naming INFO: taking a cluster
 * node for a single server would show one master's keys as the whole keyspace.
 */
export async function isClusterEnabled(client: Redis): Promise<boolean> {
  try {
    return parseInfo(await client.info('cluster')).get('cluster')?.['cluster_enabled'] === '1';
  } catch (error) {
    if (!isNoPermission(error)) throw error;
  }
  try {
    await client.call('CLUSTER', 'MYID');
    return true;
  } catch (error) {
    if (/cluster support disabled/i.test(errorText(error))) return false;
    if (!isNoPermission(error)) throw error;
  }
  try {
    // Protocol 2 is the one ioredis speaks: the connection stays as it was.
    const mode = helloMode(await client.call('HELLO', '2'));
    if (mode !== undefined) return mode === 'cluster';
  } catch (error) {
    if (!isNoPermission(error) && !/unknown command/i.test(errorText(error))) throw error;
  }
  throw new MissingRightError(
    'INFO (nor CLUSTER MYID or HELLO), so the extension cannot tell a Redis Cluster node from a single server',
    '+info',
    userOf(client),
  );
}

/** `mode` of a RESP2 HELLO reply (a flat list of names and values): `standalone`, `sentinel` or `cluster`. */
function helloMode(reply: unknown): string | undefined {
  if (!Array.isArray(reply)) return undefined;
  const at = reply.findIndex((item) => String(item) === 'mode');
  return at < 0 || at + 1 >= reply.length ? undefined : String(reply[at + 1]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function userOf(client: Redis): string {
  const username = (client.options as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' && username !== '' ? username : 'default';
}
