import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { hashSlot } from '../hashSlot';
import type { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary, KeyBytes, toBinary } from '../keyspace/binary';
import { formatKeyCount, groupThousands } from '../keyspace/format';
import { endpointOfClient, writeError } from '../keyspace/errors';
import { scanKeysWithPrefix } from '../keyspace/prefixScan';

export const DEFAULT_UNLINK_BATCH = 500;
export const DEFAULT_COUNT_SCAN = 1000;

/**
 * Exactly the keys under one namespace, counted once: every key whose bytes start with
 * `prefix` (the namespace's path and the delimiter, e.g. `auth:session:`). SCAN MATCH
 * with the prefix's glob characters escaped narrows what the server sends, and each key
 * it returns is checked again byte for byte, so `auth:sessions:x` never counts for
 * `auth:session:`. The names are kept: a deletion removes these and nothing else.
 */
export interface NamespacePlan {
  readonly prefix: Buffer;
  /** The keys found, as binary strings (exact bytes), each once. */
  readonly keys: readonly BinaryString[];
  readonly count: number;
}

export interface CountOptions {
  /** SCAN COUNT per call (default 1000): the most work one call asks of the server. */
  readonly scanCount?: number;
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  /** After each SCAN call: keys found so far. */
  readonly onProgress?: (found: number) => void;
}

/** The namespace prefix (`path` + delimiter) as bytes. */
export function namespacePrefix(path: KeyBytes, delimiter: KeyBytes): Buffer {
  const bytes = (value: KeyBytes): Buffer => (typeof value === 'string' ? fromBinary(value) : value);
  return Buffer.concat([bytes(path), bytes(delimiter)]);
}

/** Walks the keyspace with SCAN MATCH and collects the namespace's keys. Rejects with a
 * typed error (keyspaceError), or KeyspaceCancelledError when `signal` fires. */
export async function planNamespaceDeletion(
  client: Redis,
  prefix: Buffer,
  options: CountOptions = {},
): Promise<NamespacePlan> {
  if (prefix.length === 0) throw new RangeError('An empty prefix would be every key: refusing.');
  const found = new Set<BinaryString>();
  await scanKeysWithPrefix(
    client,
    prefix,
    { scanCount: options.scanCount ?? DEFAULT_COUNT_SCAN, signal: options.signal, endpoint: options.endpoint },
    (keys) => {
      for (const key of keys) found.add(toBinary(key));
      options.onProgress?.(found.size);
    },
  );
  const keys = [...found];
  return { prefix, keys, count: keys.length };
}

export interface DeleteOptions {
  /** Keys per UNLINK (default 500). */
  readonly batchSize?: number;
  /** Checked between batches: a batch sent is finished, nothing after it is sent. */
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  /** After each batch: keys removed so far, keys looked at so far, of `plan.count`. */
  readonly onProgress?: (progress: { deleted: number; processed: number; total: number }) => void;
}

export interface DeleteResult {
  readonly prefix: Buffer;
  /** Keys the plan held. */
  readonly total: number;
  /** Keys UNLINK removed. */
  readonly deleted: number;
  /** Keys of the plan sent to UNLINK (removed, or already gone). */
  readonly processed: number;
  /** Keys of the plan that were already gone (expired or deleted by someone else). */
  readonly alreadyGone: number;
  /** Keys of the plan never sent: they remain. */
  readonly remaining: number;
  readonly cancelled: boolean;
}

/**
 * UNLINKs the plan's keys in batches. A cancel between batches stops there and reports
 * what was removed; a failure rejects with a typed error whose `partial` says the same.
 */
export async function deleteNamespaceKeys(
  client: Redis | Cluster,
  plan: NamespacePlan,
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  const batchSize = options.batchSize ?? DEFAULT_UNLINK_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('The batch size must be a positive integer.');
  const endpoint = options.endpoint ?? (client.isCluster ? undefined : endpointOfClient(client as Redis));
  if (!endpoint) throw new RangeError('A cluster deletion must name its endpoint.');
  let deleted = 0;
  let processed = 0;
  const result = (cancelled: boolean): DeleteResult => ({
    prefix: plan.prefix,
    total: plan.count,
    deleted,
    processed,
    alreadyGone: processed - deleted,
    remaining: plan.count - processed,
    cancelled,
  });
  while (processed < plan.count) {
    if (options.signal?.aborted) return result(true);
    const batch = plan.keys.slice(processed, processed + batchSize).map(fromBinary);
    let removed: number;
    try {
      removed = await unlinkBatch(client, batch);
    } catch (error) {
      // On a cluster the batch's other slot groups were unlinked: counted, and the refused ones named.
      const groups = error instanceof SlotGroupsFailed ? error : undefined;
      deleted += groups?.removed ?? 0;
      processed += groups?.processed ?? 0;
      const partial = result(false);
      const notReached = partial.remaining - (groups?.failedKeys ?? 0);
      const rest = notReached > 0 ? ` and ${formatKeyCount(notReached)} not reached` : '';
      if (groups?.slotsMoving) {
        // Not "unreachable": every node answers, the slots' keys are between two masters.
        const failure = new Error(
          `Redis Cluster is moving ${groups.failed.length === 1 ? 'this slot' : 'these slots'} between masters (a reshard), and refused to delete ${groups.failed.length === 1 ? 'its' : 'their'} keys meanwhile (${groups.firstMessage}); not deleted: ${groups.describeLeft()}${rest}. Run Delete Namespace again once the reshard is over: it counts the keys again.`,
        );
        throw Object.assign(failure, { partial });
      }
      const failure = writeError(groups?.first ?? error, endpoint, 'UNLINK');
      if (groups) failure.message = `${failure.message}; not deleted: ${groups.describeLeft()}${rest}`;
      throw Object.assign(failure, { partial });
    }
    deleted += removed;
    processed += batch.length;
    options.onProgress?.({ deleted, processed, total: plan.count });
  }
  return result(false);
}

/** UNLINKs one batch. On a cluster a multi-key command must stay within one hash slot
 * (CROSSSLOT otherwise): one UNLINK per slot of the batch, sent together. */
async function unlinkBatch(client: Redis | Cluster, keys: Buffer[]): Promise<number> {
  if (!client.isCluster) return Number(await client.callBuffer('UNLINK', ...keys));
  const bySlot = new Map<number, Buffer[]>();
  for (const key of keys) {
    const slot = hashSlot(key);
    const group = bySlot.get(slot);
    if (group) group.push(key);
    else bySlot.set(slot, [key]);
  }
  const groups = [...bySlot];
  const settled = await Promise.allSettled(groups.map(([, group]) => unlinkSlotGroup(client as Cluster, group)));
  let removed = 0;
  let processed = 0;
  const failed: { slot: number; keys: number; error: unknown }[] = [];
  settled.forEach((outcome, i) => {
    const [slot, group] = groups[i] as [number, Buffer[]];
    if (outcome.status === 'fulfilled') {
      removed += Number(outcome.value);
      processed += group.length;
    } else {
      failed.push({ slot, keys: group.length, error: outcome.reason });
    }
  });
  if (failed.length > 0) throw new SlotGroupsFailed(removed, processed, failed);
  return removed;
}

/**
 * One UNLINK for a slot's keys; while a reshard moves that slot (its keys split between the
 * source and the target master), Redis answers a multi-key command with TRYAGAIN for as long
 * as the move lasts: then one UNLINK per key, each of which follows the slot (ASK) on its own.
 */
async function unlinkSlotGroup(cluster: Cluster, keys: Buffer[]): Promise<number> {
  try {
    return Number(await cluster.callBuffer('UNLINK', ...keys));
  } catch (error) {
    if (keys.length === 1 || !isSlotMoving(error)) throw error;
  }
  const removed = await Promise.all(keys.map((key) => cluster.callBuffer('UNLINK', key)));
  return removed.reduce((sum: number, n) => sum + Number(n), 0);
}

/**
 * A refusal because the slot is moving between masters: TRYAGAIN, or ioredis giving up
 * after following MOVED/ASK redirections ("Too many Cluster redirections").
 */
function isSlotMoving(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /\bTRYAGAIN\b|Too many Cluster redirections/.test(message);
}

/** Some slot groups of a cluster batch failed; the others were unlinked. */
class SlotGroupsFailed extends Error {
  constructor(
    /** Keys the other groups' UNLINKs removed. */
    readonly removed: number,
    /** Keys of the groups that succeeded. */
    readonly processed: number,
    readonly failed: readonly { readonly slot: number; readonly keys: number; readonly error: unknown }[],
  ) {
    super('UNLINK failed for some slots');
  }

  get first(): unknown {
    return this.failed[0]?.error;
  }

  get firstMessage(): string {
    const error = this.first;
    return error instanceof Error ? error.message : String(error);
  }

  /** Keys of the failed groups. */
  get failedKeys(): number {
    return this.failed.reduce((sum, group) => sum + group.keys, 0);
  }

  /** Every failed group was refused because its slot is moving between masters (a reshard). */
  get slotsMoving(): boolean {
    return this.failed.every((group) => isSlotMoving(group.error));
  }

  /** `40 keys in slot 2903, 3 keys in slot 17` (at most 5 named). */
  describeLeft(): string {
    const named = this.failed.slice(0, 5).map(({ slot, keys }) => `${formatKeyCount(keys)} in slot ${slot}`);
    if (this.failed.length > 5) named.push(`${this.failed.length - 5} more slots`);
    return named.join(', ');
  }
}

/** What a deletion did, in one sentence: `Deleted 270,000 keys under auth:session:`, or
 * `Cancelled after deleting 1,000 of 270,000 keys under auth:session:; 269,000 keys remain`. */
export function describeDeletion(result: DeleteResult, prefixText: string): string {
  const gone = result.alreadyGone > 0 ? ` (${formatKeyCount(result.alreadyGone)} had already gone)` : '';
  if (result.cancelled) {
    return `Cancelled after deleting ${groupThousands(result.deleted)} of ${formatKeyCount(result.total)} under ${prefixText}${gone}; ${formatKeyCount(result.remaining)} remain`;
  }
  return `Deleted ${formatKeyCount(result.deleted)} under ${prefixText}${gone}`;
}
