import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { lostConnection } from '../cluster/nodes';
import { clusterMasters } from '../cluster/topology';
import type { RedisEndpoint } from '../endpoint';
import { hashSlot as keySlot } from '../hashSlot';
import { displayBytes, formatKeyCount, groupThousands } from '../keyspace';
import { ScanBound, scanPrefix } from './scan';
import type { Finding } from './types';

/** Keys looked at, at most, per run: the groups are kept in memory. */
export const DEFAULT_SLOT_ADVICE_MAX_KEYS = 200_000;

/** One entity's keys: the same name up to the last delimiter, ending in an id (`auth:42:`). */
export interface EntityGroup {
  /** The key name without its last segment, delimiter included: `auth:42:`. */
  readonly parent: Buffer;
  /** The id segment (`42`). */
  readonly id: Buffer;
  readonly keys: readonly { readonly key: Buffer; readonly slot: number }[];
}

/** Groups of one namespace shape (`auth:<id>:…`) whose keys of one id land in different slots. */
export interface CrossSlotShape {
  /** The namespace before the id, delimiter included: `auth:`. */
  readonly namespace: Buffer;
  /** Ids whose keys span several slots. */
  readonly ids: number;
  /** Keys in those groups. */
  readonly keys: number;
  /** The first such group, for the explanation. */
  readonly example: EntityGroup;
}

export interface SlotAdviceResult {
  readonly shapes: readonly CrossSlotShape[];
  /** Keys looked at. */
  readonly looked: number;
  /** False when the walk stopped early (scan bound or key bound): there may be more. */
  readonly exact: boolean;
  readonly delimiter: Buffer;
}

/** An id segment: it has a digit (`42`, `u42`, a UUID, a hex hash); words like `session` or `profile` do not. */
function looksLikeId(segment: Buffer): boolean {
  return segment.some((byte) => byte >= 0x30 && byte <= 0x39);
}

/**
 * Finds data a service most likely uses together in one command, transaction or script,
 * and that a Redis Cluster would refuse with CROSSSLOT: keys that differ only in their last
 * segment under one id (`auth:42:session`, `auth:42:tokens`: one user's data, read and written
 * together), whose slots differ. Keys of different ids (`user:profile:1`, `user:profile:2`) are
 * independent and never grouped; a group that a hash tag already keeps in one slot is fine.
 */
export function findCrossSlotShapes(keys: Iterable<Buffer>, delimiter: Buffer): CrossSlotShape[] {
  const groups = new Map<
    string,
    { parent: Buffer; id: Buffer; namespace: Buffer; keys: { key: Buffer; slot: number }[] }
  >();
  for (const key of keys) {
    const last = key.lastIndexOf(delimiter);
    if (last <= 0) continue;
    const parent = key.subarray(0, last + delimiter.length);
    const idEnd = last;
    const idStart = key.lastIndexOf(delimiter, idEnd - 1);
    if (idStart < 0) continue; // `42:session`: no namespace before the id
    const id = key.subarray(idStart + delimiter.length, idEnd);
    if (id.length === 0 || !looksLikeId(id)) continue;
    const name = parent.toString('latin1');
    let group = groups.get(name);
    if (!group) {
      group = {
        parent: Buffer.from(parent),
        id: Buffer.from(id),
        namespace: Buffer.from(key.subarray(0, idStart + delimiter.length)),
        keys: [],
      };
      groups.set(name, group);
    }
    group.keys.push({ key: Buffer.from(key), slot: keySlot(key) });
  }
  const shapes = new Map<string, { namespace: Buffer; ids: number; keys: number; example: EntityGroup }>();
  for (const group of groups.values()) {
    if (group.keys.length < 2 || new Set(group.keys.map((k) => k.slot)).size < 2) continue;
    const name = group.namespace.toString('latin1');
    const shape = shapes.get(name);
    const example = {
      parent: group.parent,
      id: group.id,
      keys: group.keys.sort((a, b) => Buffer.compare(a.key, b.key)),
    };
    if (shape) {
      shape.ids += 1;
      shape.keys += group.keys.length;
    } else shapes.set(name, { namespace: group.namespace, ids: 1, keys: group.keys.length, example });
  }
  return [...shapes.values()].sort((a, b) => b.keys - a.keys || Buffer.compare(a.namespace, b.namespace));
}

/**
 * Walks the keyspace (bounded SCAN, never KEYS) and finds the entity groups that span slots.
 * On a Redis Cluster (the shared connection is then a Cluster client) SCAN answers for one
 * node: every master of the slot map is walked instead, replicas never (they hold copies).
 */
export async function checkClusterSlots(
  client: Redis,
  delimiter: Buffer,
  bound: ScanBound & { readonly maxKeys?: number | undefined } = {},
): Promise<SlotAdviceResult> {
  const maxKeys = bound.maxKeys ?? DEFAULT_SLOT_ADVICE_MAX_KEYS;
  const seen: Buffer[] = [];
  let truncated = false;
  let complete = true;
  for (const node of nodesToWalk(client, bound.endpoint)) {
    const outcome = await scanPrefix(node.client, Buffer.alloc(0), { ...bound, endpoint: node.endpoint }, (keys) => {
      for (const key of keys) {
        if (seen.length >= maxKeys) {
          truncated = true;
          return false;
        }
        seen.push(key);
      }
      return true;
    });
    complete &&= outcome.complete;
    if (truncated) break;
  }
  return {
    shapes: findCrossSlotShapes(seen, delimiter),
    looked: seen.length,
    exact: complete && !truncated,
    delimiter,
  };
}

/** The server itself, or each master of a cluster (a master the client lost fails, naming it). */
function nodesToWalk(
  client: Redis,
  endpoint: RedisEndpoint | undefined,
): { readonly client: Redis; readonly endpoint: RedisEndpoint | undefined }[] {
  const shared: unknown = client;
  if (!(shared instanceof Cluster)) return [{ client, endpoint }];
  const where = endpoint ?? { host: 'the cluster', port: 0, db: 0, tls: false };
  return clusterMasters(shared, where).map((master) => {
    if (!master.client) throw lostConnection(master);
    return { client: master.client, endpoint: master.endpoint };
  });
}

/** With the id in a hash tag: `auth:{42}:session`. */
function tagged(group: EntityGroup, key: Buffer, delimiter: Buffer): Buffer {
  const namespaceLength = group.parent.length - group.id.length - delimiter.length;
  return Buffer.concat([
    key.subarray(0, namespaceLength),
    Buffer.from('{'),
    group.id,
    Buffer.from('}'),
    key.subarray(namespaceLength + group.id.length),
  ]);
}

/** One finding per namespace shape, explaining CROSSSLOT and the hash tag that avoids it, with slots. */
export function clusterSlotFindings(result: SlotAdviceResult): Finding[] {
  return result.shapes.map((shape) => {
    const group = shape.example;
    const shown = group.keys.slice(0, 3);
    const ns = displayBytes(shape.namespace);
    const id = displayBytes(group.id);
    const now = shown.map((k) => `${displayBytes(k.key)} → slot ${k.slot}`).join(', ');
    const fixed = shown.map((k) => displayBytes(tagged(group, k.key, result.delimiter))).join(', ');
    const more = result.exact ? '' : ` (${groupThousands(result.looked)} keys looked at; there may be more)`;
    return {
      check: 'clusterSlots',
      id: `clusterSlots:${shape.namespace.toString('latin1')}`,
      severity: 'info',
      label: `${ns}<id>${displayBytes(result.delimiter)}…`,
      description: `${groupThousands(shape.ids)} ${shape.ids === 1 ? 'id' : 'ids'} whose keys span hash slots · ${formatKeyCount(shape.keys)}${more}`,
      detail:
        `Keys of one id that differ only in their last segment are one entity's data, which a service reads and writes together (MGET, MULTI, a Lua script). ` +
        `On a Redis Cluster they land in different hash slots: ${now}; a command or transaction over them fails with CROSSSLOT. ` +
        `A hash tag keeps them together: Redis hashes only what is between the first "{" and the first "}" after it, so ${fixed} all map to slot ${keySlot(group.id)} (the slot of "${id}"). Worth doing before moving to a cluster; on a single Redis nothing fails yet.`,
      namespacePath: shape.namespace.subarray(0, shape.namespace.length - result.delimiter.length).toString('latin1'),
      count: shape.keys,
      countExact: result.exact,
      examples: shown.map((k) => k.key),
    };
  });
}
