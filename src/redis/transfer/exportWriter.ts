import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, readdir, rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { classifyRedisError } from '../errors';
import { parseInfo } from '../info';
import { KeyspaceCancelledError, endpointOfClient, keyspaceError } from '../keyspace/errors';
import { keyHash } from '../keyspace/keyHash';
import { scanKeysWithPrefix } from '../keyspace/prefixScan';
import { SeenKeys } from '../keyspace/seenKeys';
import { PipelineReplies, execute } from '../migration/copier';
import { ExportEnd, ExportHeader, FORMAT_NAME, FORMAT_VERSION, jsonBytes } from './format';
import { MAX_LINE_BYTES } from './lines';
import { processRuns } from '../localProcess';

export const DEFAULT_EXPORT_SCAN_COUNT = 1000;
/** Text handed to the file stream at a time: a huge value goes out in pieces of this size. */
const CHUNK_CHARS = 64 * 1024;
/** Bytes of keys (MEMORY USAGE) read in one pipeline: values of a SCAN batch are held this much at a time. */
const READ_BYTES = 32 * 1024 * 1024;
/** Times a key whose type changed between TYPE and its read is read again before giving up its readable value. */
const TYPE_RETRIES = 3;

export interface ExportOptions {
  /** The namespace's delimiter, recorded in the header. */
  readonly delimiter: Buffer;
  readonly scanCount?: number;
  /** Checked between batches: a cancelled export removes its temporary file; `file` is untouched. */
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  /** After each batch: keys written so far. */
  readonly onProgress?: (exported: number) => void;
  /**
   * The servers to read instead of `client`, one after the other, each SCANned and read on its
   * own connection: the masters of a Redis Cluster (each holds only its own slots' keys).
   */
  readonly sources?: readonly ExportSource[];
}

/** One server an export reads its keys from. */
export interface ExportSource {
  readonly client: Redis;
  readonly endpoint: RedisEndpoint;
}

export interface ExportResult {
  readonly file: string;
  readonly cancelled: boolean;
  /** Keys written to the file. */
  readonly keys: number;
  /** Keys SCAN returned that were gone (deleted or expired) before they were read. */
  readonly gone: number;
  /** Keys whose type kept changing while they were read: exported with their DUMP only. */
  readonly withoutReadableValue: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly bytes: number;
}

/** One key as read: one MULTI, so its type, TTL, DUMP and readable value agree. */
interface KeySnapshot {
  readonly key: Buffer;
  readonly type: string;
  readonly pttl: number;
  readonly dump: Buffer;
  /** The reply of the type's read command, undefined for types without one (modules). */
  readonly value: unknown;
}

/**
 * Writes every key under `prefix` (exact bytes: SCAN MATCH with the prefix escaped, then
 * a byte check, so `auth:sessions:x` is not under `auth:session:`) to `file` in the
 * export format (format.ts). Streamed: one SCAN batch is read at a time (TYPE and MEMORY
 * USAGE, then per key MULTI TYPE PTTL DUMP <read> EXEC in pipelines of at most READ_BYTES of
 * keys) and written out with the file stream's backpressure. The file is written under a temporary name with mode 0600
 * (values may be secrets) and renamed over `file` only when complete: a cancel or a
 * failure (a full disk, a lost connection) leaves `file` as it was. A symbolic link at `file`
 * is replaced by the file, never followed. Partial files of `file` an interrupted export left
 * (stale ones: never another window's in progress) are removed first.
 */
export async function exportNamespace(
  client: Redis,
  prefix: Buffer,
  file: string,
  options: ExportOptions,
): Promise<ExportResult> {
  if (prefix.length === 0) throw new RangeError('An empty prefix would be every key: refusing.');
  const sources = options.sources ?? [{ client, endpoint: options.endpoint ?? endpointOfClient(client) }];
  const [first] = sources;
  if (!first) throw new RangeError('An export needs a server to read.');
  // The path itself, not where a link there points: the rename replaces a link planted at the
  // destination (the entry the user agreed to replace), never the file it names elsewhere.
  const target = resolve(file);
  await removeStaleTemps(target);
  // The process's id in the name: the sweep below never removes the file of a live export (another window's).
  const temp = join(dirname(target), `${tempPrefix(target)}${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const server = await serverVersion(first.client, first.endpoint);
  // flush: the data is on disk (fsync) before the stream closes, and so before the rename.
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true, encoding: 'utf8' });
  let streamError: Error | undefined;
  out.on('error', (error) => (streamError = error));
  let bytes = 0;
  let keys = 0;
  let gone = 0;
  let withoutReadableValue = 0;
  const byType: Record<string, number> = {};
  const write = async (text: string): Promise<void> => {
    if (streamError) throw streamError;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  const result = (cancelled: boolean): ExportResult => ({
    file: target,
    cancelled,
    keys,
    gone,
    withoutReadableValue,
    byType: { ...byType },
    bytes,
  });
  try {
    await once(out, 'open');
    await chmod(temp, 0o600); // exactly 0600, whatever the umask
    const header: ExportHeader = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      prefix: jsonBytes(prefix),
      delimiter: jsonBytes(options.delimiter),
      exportedAt: new Date().toISOString(),
      server: `redis ${server}`,
    };
    await write(`${JSON.stringify(header)}\n`);
    const seen = new SeenKeys();
    let cancelled = false;
    for (const { client, endpoint } of sources) {
      if (cancelled) break;
      await scanKeysWithPrefix(
        client,
        prefix,
        { scanCount: options.scanCount ?? DEFAULT_EXPORT_SCAN_COUNT, signal: options.signal, endpoint },
        async (found) => {
          const fresh = found.filter((key) => {
            const [h1, h2] = keyHash(key);
            return seen.addHash(h1, h2);
          });
          let pending = fresh;
          for (let attempt = 1; pending.length > 0; attempt++) {
            if (options.signal?.aborted) {
              cancelled = true;
              return false;
            }
            const read = await readBatch(client, pending, endpoint, attempt > TYPE_RETRIES, async (snapshots) => {
              for (const taken of snapshots) {
                const snapshot = readableLine(taken);
                if (snapshot.value === undefined && readCommand(snapshot.type)) withoutReadableValue++;
                await writeChunks(recordChunks(snapshot), write);
                keys++;
                byType[snapshot.type] = (byType[snapshot.type] ?? 0) + 1;
              }
            });
            gone += read.gone;
            pending = read.typeChanged;
          }
          options.onProgress?.(keys);
          return true;
        },
      ).catch((error: unknown) => {
        if (error instanceof KeyspaceCancelledError) cancelled = true;
        else throw error;
      });
    }
    if (cancelled || options.signal?.aborted) {
      await discard();
      return result(true);
    }
    const end: ExportEnd = { end: true, keys };
    await write(`${JSON.stringify(end)}\n`);
    out.end();
    await finished(out);
    if (streamError) throw streamError;
    await rename(temp, target);
    return result(false);
  } catch (error) {
    await discard();
    throw error;
  }

  async function discard(): Promise<void> {
    out.destroy();
    await finished(out).catch(() => undefined);
    await rm(temp, { force: true });
  }
}

/** The hidden partial files of `target` start so: `.auth.jsonl.`, then the writing process's id, `-`, 12 hex digits and `.tmp`. */
function tempPrefix(target: string): string {
  return `.${basename(target)}.`;
}

/** An interrupted export's partial file is at least this old (a crash just now may be a window still closing). */
const STALE_TEMP_MS = 5 * 60_000;

/**
 * Removes the partial files an interrupted export (a crash, a killed window) left next to
 * `target`: they hold real values. Only this target's, only old ones, and never one whose
 * process still runs: an export of a sparse namespace may write nothing for minutes. (A name
 * without a process id is an older version's: its age alone decides.)
 */
async function removeStaleTemps(target: string): Promise<void> {
  const dir = dirname(target);
  const prefix = tempPrefix(target);
  const names = await readdir(dir).catch(() => [] as string[]); // no folder: the write says why
  for (const name of names) {
    const writer = name.startsWith(prefix) ? /^(?:(\d+)-)?[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!writer || (writer[1] !== undefined && processRuns(Number(writer[1])))) continue;
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined); // gone meanwhile
    if (info?.isFile() && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
  }
}

async function serverVersion(client: Redis, endpoint: RedisEndpoint): Promise<string> {
  try {
    const info = parseInfo(await client.info('server'));
    return info.get('server')?.['redis_version'] ?? 'unknown';
  } catch (error) {
    throw keyspaceError(error, endpoint, 'INFO');
  }
}

/** The command that reads a type's whole value, binary-safe; undefined for types without one (modules). */
function readCommand(type: string): string[] | undefined {
  switch (type) {
    case 'string':
      return ['GET'];
    case 'hash':
      return ['HGETALL'];
    case 'list':
      return ['LRANGE', '0', '-1'];
    case 'set':
      return ['SMEMBERS'];
    case 'zset':
      return ['ZRANGE', '0', '-1', 'WITHSCORES'];
    case 'stream':
      return ['XRANGE', '-', '+'];
    default:
      return undefined;
  }
}

interface BatchRead {
  readonly gone: number;
  /** Keys whose type changed between TYPE and the MULTI: read them again. */
  readonly typeChanged: Buffer[];
}

/**
 * Reads `keys` and hands their snapshots to `take` part by part: TYPE and MEMORY USAGE of each
 * key, then one MULTI per key (TYPE PTTL DUMP <read>) in pipelines of at most READ_BYTES of
 * keys (at least one key), each taken before the next is read. A SCAN batch of large values
 * read whole would hold them all, twice (value and payload), at once. A server that refuses
 * MEMORY USAGE (an ACL, a renamed command) leaves the sizes unknown: the batch is read whole.
 */
async function readBatch(
  client: Redis,
  keys: Buffer[],
  endpoint: RedisEndpoint,
  dumpOnly: boolean,
  take: (snapshots: KeySnapshot[]) => Promise<void>,
): Promise<BatchRead> {
  const types = client.pipeline();
  for (const key of keys) {
    types.callBuffer('TYPE', key);
    types.callBuffer('MEMORY', 'USAGE', key);
  }
  const typeReplies = await execute(types, endpoint);
  const expected: { key: Buffer; type: string; read: string[] | undefined; bytes: number }[] = [];
  let gone = 0;
  keys.forEach((key, i) => {
    const [typeError, typeReply] = typeReplies[2 * i] ?? [null, undefined];
    if (typeError) throw keyspaceError(typeError, endpoint, 'TYPE');
    const type = String(typeReply ?? 'none');
    if (type === 'none') {
      gone++;
      return;
    }
    const [usageError, usage] = typeReplies[2 * i + 1] ?? [null, undefined];
    expected.push({
      key,
      type,
      read: dumpOnly ? undefined : readCommand(type),
      bytes: usageError ? 0 : Number(usage) || 0,
    });
  });
  const typeChanged: Buffer[] = [];
  for (let start = 0; start < expected.length;) {
    let end = start + 1;
    let bytes = expected[start]?.bytes ?? 0;
    while (end < expected.length && bytes + (expected[end]?.bytes ?? 0) <= READ_BYTES) {
      bytes += expected[end]?.bytes ?? 0;
      end++;
    }
    const group = expected.slice(start, end);
    start = end;
    const reads = client.pipeline();
    for (const { key, read } of group) {
      reads.callBuffer('MULTI');
      reads.callBuffer('TYPE', key);
      reads.callBuffer('PTTL', key);
      reads.callBuffer('DUMP', key);
      if (read) reads.callBuffer(read[0] as string, key, ...read.slice(1));
      reads.callBuffer('EXEC');
    }
    const replies = await executeAll(reads, endpoint);
    const snapshots: KeySnapshot[] = [];
    let at = 0;
    for (const { key, type, read } of group) {
      at += read ? 5 : 4; // MULTI and the QUEUED replies
      const exec = replies[at++]?.[1];
      if (!Array.isArray(exec)) throw classifyRedisError(new Error('EXEC did not answer'), endpoint);
      const [nowType, pttl, dump, value] = exec as [unknown, unknown, unknown, unknown];
      if (String(nowType) === 'none' || !Buffer.isBuffer(dump)) {
        gone++;
        continue;
      }
      if (String(nowType) !== type || value instanceof Error) {
        typeChanged.push(key);
        continue;
      }
      snapshots.push({ key, type, pttl: Number(pttl), dump, value: read ? value : undefined });
    }
    await take(snapshots);
  }
  return { gone, typeChanged };
}

/** copier's execute (a refusal stays with its command), then any refusal fails the batch: a read should not be refused. */
async function executeAll(pipeline: ChainableCommander, endpoint: RedisEndpoint): Promise<PipelineReplies> {
  const replies = await execute(pipeline, endpoint);
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw keyspaceError(failed[0], endpoint, 'DUMP');
  return replies;
}

/**
 * The snapshot as its line can be written: an import reads a line as one string, so a line
 * longer than MAX_LINE_BYTES could never be imported. Such a key goes without its readable
 * value (its DUMP payload alone restores it); one whose payload alone is too long fails the
 * export, naming the key, rather than leave a file that cannot be imported.
 */
function readableLine(snapshot: KeySnapshot): KeySnapshot {
  if (lineBytesAtMost(snapshot) <= MAX_LINE_BYTES || lineBytes(snapshot) <= MAX_LINE_BYTES) return snapshot;
  const dumpOnly: KeySnapshot = { ...snapshot, value: undefined };
  const bytes = lineBytes(dumpOnly);
  if (bytes <= MAX_LINE_BYTES) return dumpOnly;
  throw new RangeError(
    `The key ${JSON.stringify(jsonBytes(snapshot.key))} is too large for an export file: its line would be ${bytes} bytes, and an import reads lines of at most ${MAX_LINE_BYTES}. No file was written.`,
  );
}

/** The bytes of a record's line, without its newline (counted piece by piece: the line itself may be too long for one string). */
function lineBytes(snapshot: KeySnapshot): number {
  let bytes = -1;
  for (const piece of recordChunks(snapshot)) bytes += Buffer.byteLength(piece);
  return bytes;
}

/** A cheap bound of lineBytes: each byte of a name or value is at most 6 in JSON (`\u00XX`), a payload's base64 4 per 3. */
function lineBytesAtMost(snapshot: KeySnapshot): number {
  return 6 * snapshot.key.length + 4 * Math.ceil(snapshot.dump.length / 3) + valueBytesAtMost(snapshot.value) + 256;
}

function valueBytesAtMost(value: unknown): number {
  if (Buffer.isBuffer(value)) return 6 * value.length + 16; // quotes, or {"base64":""}
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + valueBytesAtMost(item) + 8, 16);
  return 64; // null, a number
}

/** Hands a record's text to `write` in pieces of about CHUNK_CHARS. */
async function writeChunks(pieces: Iterable<string>, write: (text: string) => Promise<void>): Promise<void> {
  let parts: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    parts.push(piece);
    size += piece.length;
    if (size >= CHUNK_CHARS) {
      await write(parts.join(''));
      parts = [];
      size = 0;
    }
  }
  if (size > 0) await write(parts.join(''));
}

/** One key's line, as pieces: `{"key":…,"type":…,"ttlMs":…,"value":…,"dump":"…"}\n`. */
function* recordChunks(snapshot: KeySnapshot): Generator<string> {
  // PTTL 0 is a key with under a millisecond left: RESTORE would read 0 as "no TTL".
  const ttlMs = snapshot.pttl < 0 ? null : Math.max(1, snapshot.pttl);
  yield `{"key":${JSON.stringify(jsonBytes(snapshot.key))},"type":${JSON.stringify(snapshot.type)},"ttlMs":${ttlMs},"value":`;
  yield* valueChunks(snapshot.type, snapshot.value);
  yield ',"dump":"';
  // Base64 of slices whose length is a multiple of 3 concatenates to the base64 of the whole.
  const slice = 3 * 16 * 1024;
  for (let at = 0; at < snapshot.dump.length; at += slice) {
    yield snapshot.dump.subarray(at, at + slice).toString('base64');
  }
  yield '"}\n';
}

function* valueChunks(type: string, value: unknown): Generator<string> {
  if (value === undefined || value === null) {
    yield 'null';
    return;
  }
  switch (type) {
    case 'string':
      yield* bytesChunks(value as Buffer);
      return;
    case 'hash': {
      const flat = value as Buffer[];
      const pairs: [Buffer, Buffer][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as Buffer, flat[i + 1] as Buffer]);
      // An object reads best; field names that are not text make it a list of [field, value] pairs.
      const asObject = pairs.every(([field]) => typeof jsonBytes(field) === 'string');
      yield asObject ? '{' : '[';
      let first = true;
      for (const [field, fieldValue] of pairs) {
        yield first ? '' : ',';
        first = false;
        if (asObject) yield `${JSON.stringify(jsonBytes(field))}:`;
        else yield `[${JSON.stringify(jsonBytes(field))},`;
        yield* bytesChunks(fieldValue);
        if (!asObject) yield ']';
      }
      yield asObject ? '}' : ']';
      return;
    }
    case 'list':
    case 'set': {
      yield '[';
      let first = true;
      for (const item of value as Buffer[]) {
        if (!first) yield ',';
        first = false;
        yield* bytesChunks(item);
      }
      yield ']';
      return;
    }
    case 'zset': {
      const flat = value as Buffer[];
      yield '[';
      for (let i = 0; i + 1 < flat.length; i += 2) {
        yield i > 0 ? ',[' : '[';
        yield* bytesChunks(flat[i] as Buffer);
        yield `,${scoreJson(String(flat[i + 1]))}]`;
      }
      yield ']';
      return;
    }
    case 'stream': {
      yield '[';
      let first = true;
      for (const [id, fields] of value as [Buffer, Buffer[]][]) {
        yield `${first ? '' : ','}{"id":${JSON.stringify(String(id))},"fields":[`;
        first = false;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          yield i > 0 ? ',[' : '[';
          yield* bytesChunks(fields[i] as Buffer);
          yield ',';
          yield* bytesChunks(fields[i + 1] as Buffer);
          yield ']';
        }
        yield ']}';
      }
      yield ']';
      return;
    }
    default:
      yield 'null';
  }
}

/**
 * JsonBytes of a value, in pieces: a long text or base64 is never one string of its whole size
 * (a value of a few hundred MB would be longer than a string can be).
 */
function* bytesChunks(bytes: Buffer): Generator<string> {
  if (bytes.length <= CHUNK_CHARS) {
    yield JSON.stringify(jsonBytes(bytes));
    return;
  }
  if (isUtf8(bytes)) {
    // Escaped slice by slice, each ending between two characters (never inside one's bytes).
    yield '"';
    for (let at = 0; at < bytes.length;) {
      let end = Math.min(at + CHUNK_CHARS, bytes.length);
      while (end < bytes.length && ((bytes[end] as number) & 0xc0) === 0x80) end--;
      yield JSON.stringify(bytes.toString('utf8', at, end)).slice(1, -1);
      at = end;
    }
    yield '"';
    return;
  }
  yield '{"base64":"';
  const slice = 3 * 16 * 1024;
  for (let at = 0; at < bytes.length; at += slice) yield bytes.subarray(at, at + slice).toString('base64');
  yield '"}';
}

/** A score as a JSON number when it is finite (the same double back), else the text Redis gave (`inf`, `-inf`). */
function scoreJson(score: string): string {
  const number = Number(score);
  return Number.isFinite(number) ? JSON.stringify(number) : JSON.stringify(score);
}
