import type Redis from 'ioredis';
import type { ChainableCommander, Cluster } from 'ioredis';
import { CommandArgs, execKeyCommands, KeyCommands } from '../cluster/clusterKeyWrites';
import { RedisEndpoint } from '../endpoint';
import { classifyRedisError, isReplyError, RedisConnectionError } from '../errors';
import { BinaryString, cursorFraction, fromBinary, groupThousands, toBinary } from '../keyspace';
import { endpointOfClient, KeyspaceCancelledError, keyspaceError } from '../keyspace/errors';
import { keyHash } from '../keyspace/keyHash';
import { asScanReply, quietly, scanArguments } from '../keyspace/scanSource';
import { SeenKeys } from '../keyspace/seenKeys';
import { binaryOf, CompiledMapping, KeyMapper, targetsMeet } from './mapping';

/**
 * - `dry-run` (the default): reads the source and checks the target, writes nothing;
 *   `copied` counts what a copy would write.
 * - `copy`: RESTORE without REPLACE; a key that exists in the target is skipped.
 * - `replace`: RESTORE ... REPLACE; an existing target key is overwritten (`replaced`), only
 *   those of `replaceOnly` when it is given.
 */
export type MigrationMode = 'dry-run' | 'copy' | 'replace';

export const DEFAULT_MIGRATION_BATCH = 500;
export const DEFAULT_MIGRATION_SCAN_COUNT = 1000;
export const DEFAULT_EXAMPLES = 5;
export const DEFAULT_MAX_BATCH_BYTES = 32 * 1024 * 1024;

export const REASON_EXISTS = 'exists in the target';
export const REASON_EXPIRED = 'expired or deleted in the source before it was copied';
/** Nested targets (`legacy -> app` and keys without a delimiter `-> app:legacy`) can send two
 * source keys to one name: the first keeps it, whatever the mode (Copy and replace too). */
export const REASON_SAME_TARGET = 'another key of this migration was copied to this name (nested targets)';

export interface KeyExample {
  readonly source: Buffer;
  readonly target: Buffer;
}

/** All keys skipped or failed for one reason, with a few examples. */
export interface ReasonGroup {
  readonly kind: 'skipped' | 'failed';
  /** REASON_EXISTS, REASON_EXPIRED, or the server's error reply (`ERR DUMP payload version or checksum are wrong`). */
  readonly reason: string;
  count: number;
  readonly examples: KeyExample[];
}

export interface MappingTotals {
  readonly mapping: CompiledMapping;
  /** Source keys of this mapping looked at. */
  processed: number;
  copied: number;
  replaced: number;
  skipped: number;
  failed: number;
}

export interface MigrationResult {
  readonly mode: MigrationMode;
  /** The cancellation stopped it between two batches: every key looked at was copied
   * whole (with its TTL) or not at all; the keys not reached yet are not in the target. */
  readonly cancelled: boolean;
  /** Distinct source keys SCAN returned (mapped or not). */
  readonly scanned: number;
  /** Source keys whose first segment is mapped, looked at (copied, skipped or failed). */
  readonly processed: number;
  /** Keys written (a dry run: keys that would be written). */
  readonly copied: number;
  /** Of `copied`, keys that overwrote an existing target key (mode `replace`; a dry run
   * counts none: existing keys are skipped). */
  readonly replaced: number;
  readonly skippedExisting: number;
  readonly skippedExpired: number;
  /** Keys another key of this migration was copied over first (nested targets, see REASON_SAME_TARGET). */
  readonly skippedSameTarget: number;
  readonly failed: number;
  /** Skips and failures by reason, largest first. */
  readonly reasons: readonly ReasonGroup[];
  readonly perMapping: readonly MappingTotals[];
  /** Keys copied (or that would be) per TYPE. */
  readonly byType: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

/**
 * Target names a dry run found existing (see `onExisting`), as 64-bit hashes (8 bytes a name):
 * what Copy and replace may replace once the user confirmed their count (`replaceOnly`).
 */
export class ExistingTargets {
  private readonly names = new SeenKeys(1 << 10);
  /** A few of them, to name in the question. */
  readonly examples: Buffer[] = [];

  get count(): number {
    return this.names.size;
  }

  add(target: Buffer): void {
    if (this.names.addHash(...keyHash(target)) && this.examples.length < 3) this.examples.push(target);
  }

  has(target: Buffer): boolean {
    return this.names.hasHash(...keyHash(target));
  }
}

export interface MigrationProgress {
  readonly processed: number;
  /** What the caller said to expect (the scan's counts of the mapped segments), if given. */
  readonly expected: number | undefined;
  readonly copied: number;
  readonly skipped: number;
  readonly failed: number;
  /** Share of the source keyspace walked, 0 to 1 (from the SCAN cursor). */
  readonly scanFraction: number;
}

export interface MigrationOptions {
  readonly mode?: MigrationMode;
  readonly delimiter?: Buffer | string;
  /** Keys per DUMP/RESTORE pipeline (default 500). */
  readonly batchSize?: number;
  /** Payload bytes a batch should stay under (default 32 MiB): after a batch of large
   * values the next batches take fewer keys (at least one), and grow back after small ones. */
  readonly maxBatchBytes?: number;
  /** SCAN COUNT on the source (default 1000). */
  readonly scanCount?: number;
  /** Checked between batches: a batch started is finished, nothing after it is read or written. */
  readonly signal?: AbortSignal;
  readonly expected?: number;
  /** After each batch. */
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** Example keys kept per reason (default 5). */
  readonly examples?: number;
  readonly sourceEndpoint?: RedisEndpoint;
  readonly targetEndpoint?: RedisEndpoint;
  /**
   * Mode `replace`: the only target names it may replace (the existing ones a dry run counted
   * and the user confirmed). Another name that exists by the time it is written (another client
   * wrote it since) is skipped as existing, as in mode `copy`.
   */
  readonly replaceOnly?: ExistingTargets;
  /** A dry run: called with each target name it finds existing. */
  readonly onExisting?: (target: Buffer) => void;
  /** Target names earlier calls wrote, when targets are nested (a cluster source's masters share one). */
  readonly targetsTaken?: SeenKeys;
  /**
   * Keys earlier calls looked at (a cluster source's masters share one): one SCAN returns
   * again is skipped, not counted twice, so a master can be copied again after a reshard
   * moved keys to it.
   */
  readonly seen?: SeenKeys;
}

/** A connection failure in the middle of a migration; `partial` says what was done
 * before it (the batch in flight may or may not have been written: run again to finish). */
export interface PartialMigration {
  readonly partial: MigrationResult;
  /** Keys of the batch whose write was sent but not answered: written or not, not counted in `partial`. */
  readonly inFlight?: number;
}

interface Item {
  readonly source: Buffer;
  readonly target: Buffer;
  readonly totals: MappingTotals;
}

/**
 * Copies the mapped source keys into the target with DUMP/RESTORE, keeping types and
 * TTLs. Walks the source with SCAN (bounded COUNT, each key once), and per batch sends
 * one pipeline to the source (PTTL, TYPE, DUMP per key) and one to the target (RESTORE
 * with the remaining TTL, without REPLACE unless the mode is `replace`; EXISTS for a dry
 * run). A RESTORE refused with BUSYKEY is a key skipped as existing; any other refusal
 * is a failure with the server's reason; a key gone between SCAN and DUMP is skipped as
 * expired. TTLs: the remaining milliseconds PTTL gave, less the time since PTTL was
 * sent, so a copy never outlives its source.
 *
 * Resolves with the result, also when cancelled (between batches). Rejects with a
 * RedisConnectionError (with `partial`) when either server cannot be reached.
 */
export async function migrateKeys(
  source: Redis,
  target: Redis | Cluster,
  mappings: readonly CompiledMapping[],
  options: MigrationOptions = {},
): Promise<MigrationResult> {
  const mode = options.mode ?? 'dry-run';
  const batchSize = options.batchSize ?? DEFAULT_MIGRATION_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('The batch size must be a positive integer.');
  const scanCount = options.scanCount ?? DEFAULT_MIGRATION_SCAN_COUNT;
  const maxExamples = options.examples ?? DEFAULT_EXAMPLES;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  let batchLimit = batchSize;
  const sourceEndpoint = options.sourceEndpoint ?? endpointOfClient(source);
  const targetEndpoint = options.targetEndpoint ?? endpointOfClient(target as Redis);
  const mapper = new KeyMapper(mappings, options.delimiter ?? ':');
  const totals = new Map<CompiledMapping, MappingTotals>(
    mappings.map((mapping) => [mapping, { mapping, processed: 0, copied: 0, replaced: 0, skipped: 0, failed: 0 }]),
  );
  const reasons = new Map<string, ReasonGroup>();
  const byType: Record<string, number> = {};
  const seen = options.seen ?? new SeenKeys(options.expected ?? 1 << 15);
  const replaceOnly = options.replaceOnly;
  const taken = nestedTargets(mappings, options.delimiter ?? ':')
    ? (options.targetsTaken ?? new SeenKeys(options.expected ?? 1 << 15))
    : undefined;
  const started = performance.now();
  let scanned = 0;
  let processed = 0;
  let copied = 0;
  let replaced = 0;
  let skippedExisting = 0;
  let skippedExpired = 0;
  let skippedSameTarget = 0;
  let failed = 0;
  let scanFraction = 0;

  const result = (cancelled: boolean): MigrationResult => ({
    mode,
    cancelled,
    scanned,
    processed,
    copied,
    replaced,
    skippedExisting,
    skippedExpired,
    skippedSameTarget,
    failed,
    reasons: [...reasons.values()].sort((a, b) => b.count - a.count),
    perMapping: [...totals.values()],
    byType: { ...byType },
    elapsedMs: performance.now() - started,
  });

  const note = (kind: ReasonGroup['kind'], reason: string, item: Item): void => {
    let group = reasons.get(`${kind}\n${reason}`);
    if (!group) {
      group = { kind, reason, count: 0, examples: [] };
      reasons.set(`${kind}\n${reason}`, group);
    }
    group.count++;
    if (group.examples.length < maxExamples) group.examples.push({ source: item.source, target: item.target });
  };
  const skip = (item: Item, reason: string): void => {
    if (reason === REASON_EXPIRED) skippedExpired++;
    else if (reason === REASON_SAME_TARGET) skippedSameTarget++;
    else skippedExisting++;
    item.totals.skipped++;
    note('skipped', reason, item);
  };
  const fail = (item: Item, reason: string): void => {
    failed++;
    item.totals.failed++;
    note('failed', reason, item);
  };
  const copy = (item: Item, type: string, overwrote: boolean): void => {
    copied++;
    item.totals.copied++;
    byType[type] = (byType[type] ?? 0) + 1;
    if (overwrote) {
      replaced++;
      item.totals.replaced++;
    }
  };

  const live = mode !== 'dry-run';
  interface Read {
    readonly batch: Item[];
    readonly sentAt: number;
    readonly replies: PipelineReplies;
  }

  /** DUMP bytes a key of the last read averaged (a copy); unknown before the first. */
  let keyBytes: number | undefined;
  /** Reads a batch from the source: PTTL, then DUMP (a copy: the type is the payload's
   * first byte) or TYPE (a dry run). Counts nothing: a read whose write never starts
   * (a cancel) leaves no trace. A copy reads no more than about maxBatchBytes: in pipelines
   * of as many keys as the bytes left fit at the size seen so far (one key first, when none
   * was read yet); the keys it did not read go back to the front of the queue. */
  const readBatch = async (batch: Item[]): Promise<Read> => {
    const replies: PipelineReplies = [];
    let sentAt: number | undefined;
    let bytes = 0;
    let read = 0;
    while (read < batch.length && bytes < maxBatchBytes) {
      const fit = keyBytes === undefined ? 1 : Math.floor((maxBatchBytes - bytes) / keyBytes);
      const take = live ? Math.min(batch.length - read, Math.max(read === 0 ? 1 : 0, fit)) : batch.length;
      if (take < 1) break;
      const reads = source.pipeline();
      for (const item of batch.slice(read, read + take)) {
        reads.pttl(item.source);
        if (live) reads.dumpBuffer(item.source);
        else reads.type(item.source);
      }
      // A dry run DUMPs one key too: a user that may not DUMP is refused that as the copy would be.
      if (!live && batch[0]) reads.dumpBuffer(batch[0].source);
      sentAt ??= performance.now();
      const chunk = await execute(reads, sourceEndpoint);
      read += take;
      if (!live) {
        replies.push(...withDumpRefusal(chunk));
        break;
      }
      replies.push(...chunk);
      let chunkBytes = 0;
      for (let i = 1; i < chunk.length; i += 2) {
        const payload = chunk[i]?.[1];
        if (Buffer.isBuffer(payload)) chunkBytes += payload.length;
      }
      bytes += chunkBytes;
      keyBytes = Math.max(1, chunkBytes / take);
    }
    pending.unshift(...batch.slice(read));
    if (live) {
      // As many keys of this batch's average size as fit in maxBatchBytes: fewer after large
      // values, back to batchSize after small ones.
      batchLimit =
        bytes === 0 ? batchSize : Math.max(1, Math.min(batchSize, Math.floor(maxBatchBytes / (bytes / read))));
    }
    return { batch: batch.slice(0, read), sentAt: sentAt ?? performance.now(), replies };
  };

  /** Writes a batch read before (EXISTS for a dry run) and counts every key of it. */
  const writeBatch = async ({ batch, sentAt, replies }: Read): Promise<void> => {
    const writes: KeyCommands[] = [];
    /** Each key written, where its replies start, and whether it may replace an existing key. */
    const written: { item: Item; type: string; at: number; replacing: boolean }[] = [];
    let replyAt = 0;
    /** Nested targets: the names this batch writes, each with the keys that wait for how its write ends. */
    const claims = new Map<BinaryString, Item[]>();
    batch.forEach((item, i) => {
      const [pttlError, pttlReply] = replies[2 * i] ?? [null, null];
      const [secondError, secondReply] = replies[2 * i + 1] ?? [null, null];
      const error = pttlError ?? secondError;
      if (error) {
        fail(item, `source refused: ${error.message}`);
        return;
      }
      const pttl = Number(pttlReply);
      const payload = live && Buffer.isBuffer(secondReply) ? secondReply : undefined;
      const type = live ? (payload ? payloadType(payload) : 'none') : String(secondReply);
      if (pttl === -2 || type === 'none') {
        skip(item, REASON_EXPIRED);
        return;
      }
      let ttl = 0;
      if (pttl >= 0) {
        // What is left of it now: the copy never outlives its source.
        ttl = Math.floor(pttl - (performance.now() - sentAt));
        if (ttl <= 0) {
          skip(item, REASON_EXPIRED);
          return;
        }
      }
      const key = item.target;
      if (taken) {
        // Taken only once a key was copied there: a name that exists, or that the server
        // refuses, gives every key sent to it that outcome, not "another key was copied".
        const [h1, h2] = keyHash(key);
        if (taken.hasHash(h1, h2)) {
          skip(item, REASON_SAME_TARGET);
          return;
        }
        const name = toBinary(key);
        const waiting = claims.get(name);
        if (waiting) {
          waiting.push(item);
          return;
        }
        claims.set(name, []);
      }
      const exists: [string, CommandArgs] = ['EXISTS', [key]];
      // An empty payload is never restored (the server checks it first): the refusals the copy
      // would get before that (READONLY, NOPERM, OOM) without writing anything.
      const mayRestore: [string, CommandArgs] = ['RESTORE', [key, 0, Buffer.alloc(0)]];
      const restore: [string, CommandArgs] = ['RESTORE', [key, ttl, payload as Buffer]];
      const replace: [string, CommandArgs] = ['RESTORE', [key, ttl, payload as Buffer, 'REPLACE']];
      const replacing = mode === 'replace' && (replaceOnly === undefined || replaceOnly.has(key));
      const commands = mode === 'dry-run' ? [exists, mayRestore] : replacing ? [exists, replace] : [restore];
      writes.push({ key, commands });
      written.push({ item, type, at: replyAt, replacing });
      replyAt += commands.length;
    });
    let wrote: PipelineReplies = [];
    try {
      if (written.length > 0) wrote = await writeTarget(target, writes, targetEndpoint);
    } catch (error) {
      throw live ? unansweredWrite(error, written.length) : error;
    }
    /** Keys handed back to be written in a later batch (see below). */
    const retry = new Set<Item>();
    written.forEach(({ item, type, at, replacing }) => {
      let outcome: { copied: true } | { skipped: string } | { failed: string };
      if (mode === 'dry-run') {
        const [error, exists] = wrote[at] ?? [null, 0];
        const [refused] = wrote[at + 1] ?? [null];
        // A refused check (an ACL, a MOVED) says nothing about the key: it would fail, not be copied.
        if (error) outcome = { failed: error.message };
        else if (Number(exists) > 0) {
          outcome = { skipped: REASON_EXISTS };
          options.onExisting?.(item.target);
        } else if (refused && !EMPTY_PAYLOAD_REFUSED.test(refused.message)) outcome = { failed: refused.message };
        else outcome = { copied: true };
        if ('copied' in outcome) copy(item, type, false);
      } else if (!replacing) {
        const [error] = wrote[at] ?? [null];
        if (!error) outcome = { copied: true };
        else if (/^BUSYKEY\b/.test(error.message)) outcome = { skipped: REASON_EXISTS };
        else outcome = { failed: error.message };
        if ('copied' in outcome) copy(item, type, false);
      } else {
        const [, exists] = wrote[at] ?? [null, 0];
        const [error] = wrote[at + 1] ?? [null];
        outcome = error ? { failed: error.message } : { copied: true };
        if ('copied' in outcome) copy(item, type, Number(exists) > 0);
      }
      if ('skipped' in outcome) skip(item, outcome.skipped);
      else if ('failed' in outcome) fail(item, outcome.failed);
      if (!taken) return;
      const waiting = claims.get(toBinary(item.target)) ?? [];
      if ('copied' in outcome) {
        const [h1, h2] = keyHash(item.target);
        taken.addHash(h1, h2);
        for (const other of waiting) skip(other, REASON_SAME_TARGET);
      } else if ('skipped' in outcome) {
        for (const other of waiting) skip(other, outcome.skipped);
      } else if (mode === 'dry-run' || /^NOPERM\b/.test(outcome.failed)) {
        // A refusal of the name (an ACL): the others would get it too.
        for (const other of waiting) fail(other, outcome.failed);
      } else {
        // A refusal of this key's payload (a newer RDB version, a module type) says nothing of
        // the others: the name is still free, and they are read and written again.
        for (const other of waiting) retry.add(other);
      }
    });
    processed += batch.length - retry.size;
    for (const item of batch) if (!retry.has(item)) item.totals.processed++;
    pending.unshift(...retry);
    options.onProgress?.({
      processed,
      expected: options.expected,
      copied,
      skipped: skippedExisting + skippedExpired + skippedSameTarget,
      failed,
      scanFraction,
    });
  };

  // One write in flight while the next batch is read (and the next SCAN runs).
  let writing: Promise<void> | undefined;
  const settle = async (): Promise<void> => {
    const inFlight = writing;
    writing = undefined;
    if (inFlight) await inFlight;
  };
  const pending: Item[] = [];
  /** Sends the full batches (all, at the end); false when cancelled. A cancel is seen
   * between batches: a batch whose write started is finished and counted, one only read
   * is dropped. */
  const flush = async (all: boolean): Promise<boolean> => {
    while (pending.length >= batchLimit || (all && pending.length > 0)) {
      if (options.signal?.aborted) return false;
      const reading = quietly(readBatch(pending.splice(0, batchLimit)));
      await settle();
      if (options.signal?.aborted) {
        await reading.catch(() => undefined);
        return false;
      }
      writing = quietly(writeBatch(await reading));
    }
    return true;
  };

  try {
    let cursor = '0';
    do {
      if (options.signal?.aborted) {
        await settle();
        return result(true);
      }
      let reply: [string, Buffer[]];
      try {
        reply = asScanReply(await source.callBuffer('SCAN', ...scanArguments(cursor, { count: scanCount })));
      } catch (error) {
        throw keyspaceError(error, sourceEndpoint, 'SCAN');
      }
      const [next, keys] = reply;
      for (const key of keys) {
        const [h1, h2] = keyHash(key);
        if (!seen.addHash(h1, h2)) continue;
        scanned++;
        const mapped = mapper.map(toBinary(key));
        if (!mapped) continue;
        pending.push({
          source: key,
          target: fromBinary(mapped.target),
          totals: totals.get(mapped.mapping) as MappingTotals,
        });
      }
      cursor = next;
      scanFraction = cursor === '0' ? 1 : cursorFraction(cursor);
      if (!(await flush(cursor === '0'))) {
        await settle();
        return result(true);
      }
    } while (cursor !== '0');
    // The last batches may hand keys back (writeBatch's retry): they go in further batches.
    for (await settle(); pending.length > 0; await settle()) {
      if (!(await flush(true))) {
        await settle();
        return result(true);
      }
    }
    return result(false);
  } catch (error) {
    // A write still in flight (the failure was a SCAN or a read) lands or fails first, so `partial` counts it.
    await writing?.catch(() => undefined);
    if (error instanceof KeyspaceCancelledError) return result(true);
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { partial: result(false) });
  }
}

export type PipelineReplies = [Error | null, unknown][];

/** RESTORE's answer to the dry run's empty payload when it may restore there. */
const EMPTY_PAYLOAD_REFUSED = /DUMP payload version or checksum are wrong|Bad data format/i;

/**
 * A dry run's source replies (PTTL and TYPE a key) without the one DUMP read at their end: a
 * refusal of the DUMP command (an ACL) is every key's, as the copy would get it; a refusal of
 * that key alone is its own.
 */
function withDumpRefusal(replies: PipelineReplies): PipelineReplies {
  const [refusal] = replies.pop() ?? [null];
  if (!refusal) return replies;
  const everyKey = !/\bkeys?\b/i.test(refusal.message);
  return replies.map((reply, i) => (i % 2 === 1 && (everyKey || i === 1) && !reply[0] ? [refusal, null] : reply));
}

/**
 * A write pipeline sent and not answered (a timeout, a dropped connection) may have been
 * applied all the same (a server paused for writes applies it when the pause ends): the
 * message says how many keys that is, and to look before running again.
 */
function unansweredWrite(error: unknown, keys: number): unknown {
  if (!(error instanceof RedisConnectionError) || error.kind === 'auth-failed') return error;
  const more = `${groupThousands(keys)} more ${keys === 1 ? 'key' : 'keys'} (the batch in flight)`;
  const landed = `${more} may have been written all the same, not counted as copied: look at the target's keys before running the import again.`;
  const hint =
    error.kind === 'timeout'
      ? `It may still apply the last batch when it answers: ${landed}`
      : `${error.hint} ${landed}`;
  return Object.assign(new RedisConnectionError(error.kind, error.endpoint, error.reason, hint), { inFlight: keys });
}

/**
 * Sends each key's commands to the target: one pipeline to a single server; on a Redis
 * Cluster, each key to its slot's master (execKeyCommands). Replies in the order given.
 */
export async function writeTarget(
  target: Redis | Cluster,
  writes: readonly KeyCommands[],
  endpoint: RedisEndpoint,
): Promise<PipelineReplies> {
  if (target.isCluster) {
    const cluster = target as Cluster;
    return checkReplies(await execKeyCommands(cluster, writes, (pipeline) => execute(pipeline, endpoint)), endpoint);
  }
  const pipeline = (target as Redis).pipeline();
  for (const { commands } of writes) for (const [name, args] of commands) pipeline.call(name, args);
  return execute(pipeline, endpoint);
}

/** Runs a pipeline. A server's refusal of one command stays with that command (it is
 * about one key); anything else (a dropped connection, a timeout) fails the whole
 * migration as a RedisConnectionError. */
export async function execute(pipeline: ChainableCommander, endpoint: RedisEndpoint): Promise<PipelineReplies> {
  let replies: PipelineReplies | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw classifyRedisError(error, endpoint);
  }
  if (!replies) throw classifyRedisError(new Error('the pipeline was discarded'), endpoint);
  return checkReplies(replies, endpoint);
}

function checkReplies(replies: PipelineReplies, endpoint: RedisEndpoint): PipelineReplies {
  for (const [error] of replies) {
    if (error && !isReplyError(error)) throw classifyRedisError(error, endpoint);
    // An authentication reply is about the connection, not the key.
    if (error && /^(NOAUTH|WRONGPASS)\b/.test(error.message)) throw classifyRedisError(error, endpoint);
  }
  return replies;
}

/**
 * The key's type from a DUMP payload: its first byte is the RDB object type (rdb.h:
 * RDB_TYPE_*), one code per type and encoding. Saves a TYPE per key on a copy; only
 * the summary's per-type counts use it.
 */
const RDB_TYPES: Readonly<Record<number, string>> = {
  0: 'string',
  1: 'list',
  2: 'set',
  3: 'zset',
  4: 'hash',
  5: 'zset',
  6: 'module',
  7: 'module',
  9: 'hash',
  10: 'list',
  11: 'set',
  12: 'zset',
  13: 'hash',
  14: 'list',
  15: 'stream',
  16: 'hash',
  17: 'zset',
  18: 'list',
  19: 'stream',
  20: 'set',
  21: 'stream',
  22: 'hash',
  23: 'hash',
  24: 'hash',
  25: 'hash',
};

export function payloadType(payload: Buffer): string {
  return RDB_TYPES[payload[0] ?? -1] ?? 'other';
}

/** True when two mappings' targets can meet (`app` and `app:legacy`; with `::`, `app` and
 * `app:` too): only then may two source keys map to one name. */
function nestedTargets(mappings: readonly CompiledMapping[], delimiter: Buffer | string): boolean {
  const d = binaryOf(delimiter);
  return mappings.some((a) => mappings.some((b) => a !== b && targetsMeet(a.target, b.target, d)));
}
