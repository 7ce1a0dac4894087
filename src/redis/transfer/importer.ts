import { stat } from 'node:fs/promises';
import type Redis from 'ioredis';
import { describeEndpoint, type RedisEndpoint } from '../endpoint';
import { classifyRedisError, isReplyError } from '../errors';
import { endpointOfClient, keyspaceError, queuedRefusal } from '../keyspace/errors';
import { writeTarget } from '../migration/copier';
import { readOnlyReplicaOf } from '../readOnlyReplica';
import { FileCheck, FileHeader, KeyRecord, ReadableValue, readExportFile } from './exportFile';

export const DEFAULT_IMPORT_BATCH = 500;
/** Payload bytes one RESTORE pipeline carries at most (a batch of large values is cut earlier). */
export const DEFAULT_IMPORT_BATCH_BYTES = 32 * 1024 * 1024;
/** Arguments per command when a value is written from its readable form (HSET, RPUSH, …). */
const ARGS_PER_COMMAND = 1000;
const EXAMPLES = 5;

/** The server refused the payload: written by a Redis with a newer RDB format (or damaged). */
const PAYLOAD_REFUSED = /DUMP payload version or checksum are wrong/i;
/** This user may not run RESTORE: its ACL leaves out @dangerous (the extension's service users), yet it may write its keys. */
const RESTORE_NOT_ALLOWED = /^NOPERM\b.*'restore'/i;
/** A refusal that holds for every key (the server is a read-only replica): the import stops there. */
const READ_ONLY = /^READONLY\b/;

/** The file changed between the dry run and the import: nothing was written. */
export class ImportFileChangedError extends Error {
  override readonly name = 'ImportFileChangedError';
}

/** The dry run found the target a read-only replica, which refuses every write: nothing was written. */
export class ImportTargetReadOnlyError extends Error {
  override readonly name = 'ImportTargetReadOnlyError';
}

/** What the dry run found: the file checked whole, and which target keys exist already. */
export interface ImportPlan {
  readonly file: string;
  readonly check: FileCheck;
  readonly header: FileHeader | undefined;
  /** Each key's part after the file's prefix goes under this prefix. */
  readonly targetPrefix: Buffer;
  /** Valid key lines. */
  readonly keys: number;
  /** Of `keys`: their target key does not exist now. */
  readonly toCreate: number;
  /** Of `keys`: their target key exists (it will be skipped, never overwritten). */
  readonly existing: number;
  readonly existingExamples: readonly Buffer[];
  readonly withTtl: number;
  readonly byType: Readonly<Record<string, number>>;
}

export interface PlanOptions {
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  /** After each EXISTS batch: key lines read so far. */
  readonly onProgress?: (read: number) => void;
}

/** The key a record lands on: the target prefix and the rest of its name after the file's prefix. */
export function targetKeyOf(record: KeyRecord, header: FileHeader, targetPrefix: Buffer): Buffer {
  return Buffer.concat([targetPrefix, record.key.subarray(header.prefix.length)]);
}

/**
 * The dry run: reads and checks the whole file (readExportFile) and asks the server which
 * target keys exist (EXISTS, pipelined per batch). Writes nothing. A target that is a
 * read-only replica is refused first (ImportTargetReadOnlyError): every write would be.
 */
export async function planImport(
  client: Redis,
  file: string,
  targetPrefix: Buffer | undefined,
  options: PlanOptions = {},
): Promise<ImportPlan> {
  const endpoint = options.endpoint ?? endpointOfClient(client);
  // First, before the file is read: a replica would refuse every key of the import (READONLY).
  const replica = await readOnlyReplicaOf(client).catch((error: unknown) => {
    throw classifyRedisError(error, endpoint);
  });
  if (replica) {
    throw new ImportTargetReadOnlyError(
      `Nothing was imported: the Redis at ${describeEndpoint(endpoint)} is a read-only replica (of ${replica.master}) and refuses every write. Import into its master, or into a Redis that is not a replica.`,
    );
  }
  let prefix = targetPrefix;
  let keys = 0;
  let existing = 0;
  let withTtl = 0;
  const byType: Record<string, number> = {};
  const existingExamples: Buffer[] = [];
  let batch: Buffer[] = [];
  const checkBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    // On a Redis Cluster each key is asked of its slot's master (writeTarget groups them by node).
    const replies = await writeTarget(
      client,
      batch.map((key) => ({ key, commands: [['EXISTS', [key]]] })),
      endpoint,
    );
    replies.forEach(([error, reply], i) => {
      if (error) throw classifyRedisError(error, endpoint);
      if (Number(reply) > 0) {
        existing++;
        if (existingExamples.length < EXAMPLES) existingExamples.push(batch[i] as Buffer);
      }
    });
    batch = [];
    options.onProgress?.(keys);
  };
  const check = await readExportFile(
    file,
    async (record, header) => {
      prefix ??= header.prefix;
      keys++;
      if (record.ttlMs !== undefined) withTtl++;
      byType[record.type] = (byType[record.type] ?? 0) + 1;
      batch.push(targetKeyOf(record, header, prefix));
      if (batch.length >= DEFAULT_IMPORT_BATCH) await checkBatch();
    },
    options.signal,
  );
  await checkBatch();
  return {
    file,
    check,
    header: check.header,
    targetPrefix: prefix ?? check.header?.prefix ?? Buffer.alloc(0),
    keys,
    toCreate: keys - existing,
    existing,
    existingExamples,
    withTtl,
    byType,
  };
}

export interface ImportOptions {
  readonly batchSize?: number;
  readonly maxBatchBytes?: number;
  /** Checked between batches: a batch sent is finished, nothing after it is sent. */
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  /** After each batch: key lines handled so far (created, skipped or failed) of `plan.keys`. */
  readonly onProgress?: (progress: { processed: number; created: number; total: number }) => void;
}

export interface ImportFailure {
  readonly reason: string;
  count: number;
  /** Line numbers in the file. */
  readonly lines: number[];
}

export interface ImportResult {
  readonly cancelled: boolean;
  readonly total: number;
  readonly processed: number;
  /** Keys written (by RESTORE, or from the readable value). */
  readonly created: number;
  /** Keys that existed (also those created by someone else since the dry run): not touched. */
  readonly existing: number;
  /** Of `created`: written from the readable value because the server refused the DUMP
   * payload (a newer Redis wrote it), which alone holds stream consumer groups. Lines
   * without a payload (written by hand) are not counted: nothing of theirs was left out. */
  readonly fromReadableValue: number;
  /** This user may not run RESTORE (its ACL): that, not a newer Redis's payloads, is why the
   * keys of `fromReadableValue` were written from their readable value. */
  readonly restoreNotAllowed: boolean;
  readonly failed: number;
  readonly failures: readonly ImportFailure[];
}

/**
 * Writes a planned file: RESTORE (without REPLACE: an existing key answers BUSYKEY and is
 * skipped) of each key under the target prefix with the TTL it had when it was exported,
 * counted from now (files are shared test data: a session exported with 59 minutes left
 * gets 59 minutes again, whenever the file is imported). Pipelined per batch. A payload
 * the server refuses (a newer RDB version) is written from the line's readable value
 * instead: on its own connection, WATCH, EXISTS, then MULTI with the type's commands and
 * PEXPIRE, so an existing key is still never touched; so is every line when this user may
 * not run RESTORE (an ACL without @dangerous) but may write its keys. Refuses a plan with
 * invalid lines, and a file that changed since its dry run (ImportFileChangedError), before
 * any write.
 */
export async function importNamespace(
  client: Redis,
  plan: ImportPlan,
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (!plan.header || plan.check.invalidCount > 0) {
    throw new RangeError('The file has invalid lines: nothing is imported.');
  }
  if (plan.targetPrefix.length === 0) throw new RangeError('An empty target prefix: refusing.');
  const now = await stat(plan.file);
  if (now.size !== plan.check.size || now.mtimeMs !== plan.check.mtimeMs) {
    throw new ImportFileChangedError(`${plan.file} changed since the dry run: nothing was imported. Run Import again.`);
  }
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_IMPORT_BATCH_BYTES;
  const header = plan.header;
  let processed = 0;
  let created = 0;
  let existing = 0;
  let fromReadableValue = 0;
  let restoreNotAllowed = false;
  let failed = 0;
  const failures = new Map<string, ImportFailure>();
  const fail = (record: KeyRecord, reason: string): void => {
    failed++;
    let failure = failures.get(reason);
    if (!failure) failures.set(reason, (failure = { reason, count: 0, lines: [] }));
    failure.count++;
    if (failure.lines.length < EXAMPLES) failure.lines.push(record.line);
  };
  let writer: Redis | undefined;
  /** Writes a line's readable value: a line without a payload (written by hand), or one whose payload the server refused. */
  const fallback = async (record: KeyRecord, key: Buffer): Promise<void> => {
    if (!record.value) {
      fail(
        record,
        !record.dump
          ? 'the line has neither a DUMP payload nor a readable value'
          : restoreNotAllowed
            ? 'this user may not run RESTORE and the line has no readable value to write instead'
            : 'the server refused its DUMP payload and the line has no readable value to write instead',
      );
      return;
    }
    try {
      if (!writer) {
        writer = client.duplicate({ lazyConnect: true });
        await writer.connect();
      }
      const outcome = await writeReadable(writer, key, record.value, record.ttlMs);
      if (outcome === 'existing') existing++;
      else if (typeof outcome === 'object') fail(record, outcome.refused);
      else {
        created++;
        if (record.dump) fromReadableValue++;
      }
    } catch (error) {
      const refusal = queuedRefusal(error);
      if (isReplyError(refusal) && READ_ONLY.test(refusal.message)) throw keyspaceError(refusal, endpoint, 'MULTI');
      if (isReplyError(error)) fail(record, error.message);
      else throw classifyRedisError(error, endpoint);
    }
  };

  let batch: { record: KeyRecord; key: Buffer }[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    batchBytes = 0;
    // Once RESTORE was refused to this user, every line goes straight to its readable value.
    const restores = restoreNotAllowed ? [] : current.filter(({ record }) => record.dump);
    // On a Redis Cluster each key is written to its slot's master (writeTarget groups them by node).
    const replies =
      restores.length > 0
        ? await writeTarget(
            client,
            restores.map(({ record, key }) => ({
              key,
              commands: [['RESTORE', [key, record.ttlMs ?? 0, record.dump as Buffer]]],
            })),
            endpoint,
          )
        : [];
    const later = current.filter(({ record }) => !record.dump || restoreNotAllowed);
    restores.forEach((item, i) => {
      const [error] = replies[i] ?? [null];
      if (!error) created++;
      // Every key would be refused so: stop instead of sending every batch to be refused.
      else if (READ_ONLY.test(error.message)) throw keyspaceError(error, endpoint, 'RESTORE');
      else if (/^BUSYKEY\b/.test(error.message)) existing++;
      else if (PAYLOAD_REFUSED.test(error.message)) later.push(item);
      else if (RESTORE_NOT_ALLOWED.test(error.message)) {
        restoreNotAllowed = true;
        later.push(item);
      } else fail(item.record, error.message);
    });
    for (const { record, key } of later) await fallback(record, key);
    processed += current.length;
    options.onProgress?.({ processed, created, total: plan.keys });
  };

  let cancelled = false;
  const result = (): ImportResult => ({
    cancelled,
    total: plan.keys,
    processed,
    created,
    existing,
    fromReadableValue,
    restoreNotAllowed,
    failed,
    failures: [...failures.values()].sort((a, b) => b.count - a.count),
  });
  try {
    const check = await readExportFile(
      plan.file,
      async (record) => {
        if (options.signal?.aborted) {
          cancelled = true;
          return;
        }
        batch.push({ record, key: targetKeyOf(record, header, plan.targetPrefix) });
        batchBytes += record.dump?.length ?? 0;
        if (batch.length >= batchSize || batchBytes >= maxBatchBytes) await flush();
      },
      options.signal,
    );
    if (options.signal?.aborted) cancelled = true;
    if (!cancelled) await flush();
    // The dry run found the file valid; a line invalid now means it changed under us (same size and time).
    for (const invalid of check.invalid) fail({ line: invalid.line } as KeyRecord, invalid.reason);
  } catch (error) {
    // Keys written before the failure stay: `partial` says how many, as a namespace deletion's does.
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { partial: result() });
  } finally {
    writer?.disconnect();
  }
  return result();
}

/** A key written from its readable form, found existing, or refused by the server (nothing of it kept, or why it was). */
type ReadableOutcome = 'created' | 'existing' | { readonly refused: string };

/**
 * Writes a value from its readable form, only if the key does not exist: WATCH, EXISTS,
 * then MULTI (the type's commands, PEXPIRE, DUMP) EXEC, which does nothing if the key was
 * created in between. A command refused inside EXEC does not undo the others, so a refusal
 * leaves a key only this import wrote: it is removed again (removeIfStill). A user who may
 * not DUMP gets the MULTI without it, and such a key is left (and said so). `client` is a
 * connection of its own (WATCH is per connection).
 */
async function writeReadable(
  client: Redis,
  key: Buffer,
  value: ReadableValue,
  ttlMs: number | undefined,
  withDump = true,
): Promise<ReadableOutcome> {
  await client.watch(key);
  if ((await client.exists(key)) > 0) {
    await client.unwatch();
    return 'existing';
  }
  const multi = client.multi();
  const commands = valueCommands(key, value);
  for (const args of commands) multi.callBuffer(args[0] as string, ...args.slice(1));
  if (ttlMs !== undefined) multi.pexpire(key, ttlMs);
  // What EXEC left, byte for byte: after a refusal the key is removed only while it is still exactly that.
  if (withDump) multi.dumpBuffer(key);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await multi.exec();
  } catch (error) {
    // Refused when queued, so nothing ran (EXECABORT): without DUMP if that was the refused one.
    if (withDump && dumpNotAllowed(error)) {
      return writeReadable(client, key, value, ttlMs, false);
    }
    throw error;
  }
  if (replies === null) return 'existing';
  const dumpAt = withDump ? commands.length + (ttlMs !== undefined ? 1 : 0) : -1;
  const failure = replies.find(([error], i) => error && i !== dumpAt)?.[0];
  if (!failure) return 'created';
  const [dumpError, left] = replies[dumpAt] ?? [null, undefined];
  return { refused: `${failure.message} (${await removeIfStill(client, key, dumpError ? undefined : left)})` };
}

/** A MULTI aborted (EXECABORT) because this user may not run DUMP (ACL): ioredis keeps the queued refusals. */
function dumpNotAllowed(error: unknown): boolean {
  if (!isReplyError(error) || !/^EXECABORT\b/.test(error.message)) return false;
  const queued = (error as { previousErrors?: unknown }).previousErrors;
  return Array.isArray(queued) && queued.some((e) => e instanceof Error && /^NOPERM\b.*'dump'/i.test(e.message));
}

/**
 * Unlinks `key` if it is still byte for byte `left` (its DUMP when this import's EXEC ended):
 * WATCH, DUMP, MULTI UNLINK EXEC, so a key someone else changed since is never removed.
 * Says what became of the key.
 */
async function removeIfStill(client: Redis, key: Buffer, left: unknown): Promise<string> {
  if (left === null) return 'nothing of the key was written';
  if (left === undefined) return 'the part written is left: this user may not DUMP to check it is only ours';
  await client.watch(key);
  const now = await client.dumpBuffer(key);
  if (!Buffer.isBuffer(left) || !now || !now.equals(left)) {
    await client.unwatch();
    return 'the part written is left: the key changed since, or could not be compared';
  }
  const removed = await client.multi().unlink(key).exec();
  return removed === null ? 'the part written is left: the key changed since' : 'the part written was removed again';
}

/** The commands that build a value from scratch, at most ARGS_PER_COMMAND arguments each. */
function valueCommands(key: Buffer, value: ReadableValue): (string | Buffer)[][] {
  const chunked = (command: string, args: (string | Buffer)[], step: number): (string | Buffer)[][] => {
    const commands: (string | Buffer)[][] = [];
    for (let at = 0; at < args.length; at += step) commands.push([command, key, ...args.slice(at, at + step)]);
    return commands;
  };
  const even = ARGS_PER_COMMAND - (ARGS_PER_COMMAND % 2);
  switch (value.type) {
    case 'string':
      return [['SET', key, value.bytes]];
    case 'hash':
      return chunked('HSET', value.entries.flat(), even);
    case 'list':
      return chunked('RPUSH', [...value.items], ARGS_PER_COMMAND);
    case 'set':
      return chunked('SADD', [...value.items], ARGS_PER_COMMAND);
    case 'zset':
      return chunked(
        'ZADD',
        value.members.flatMap(([member, score]) => [score, member]),
        even,
      );
    case 'stream':
      // An empty stream still exists: one entry added and trimmed away at once.
      if (value.entries.length === 0) return [['XADD', key, 'MAXLEN', '0', '*', 'empty', '']];
      return value.entries.map((entry) => ['XADD', key, entry.id, ...entry.fields.flat()]);
  }
}
