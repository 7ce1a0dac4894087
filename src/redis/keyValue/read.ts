import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { isReplyError, RedisConnectionError } from '../errors';
import { endpointOfClient, KeyspaceCommandError, keyspaceError } from '../keyspace/errors';

/** A string is read up to this many bytes per page (GETRANGE), 1 MiB. */
export const STRING_PAGE_BYTES = 1024 * 1024;
/** A collection is read up to this many elements per page. */
export const ELEMENT_PAGE_SIZE = 1000;
/** About how many bytes of a collection a page reads, 4 MiB: a page of large elements holds fewer. */
export const ELEMENT_PAGE_BYTES = 4 * 1024 * 1024;

export interface ReadOptions {
  /** Pages to show: page 1 is the first bound, each more page one bound more (default 1). */
  readonly pages?: number;
  /** Bytes of a string per page (default 1 MiB). */
  readonly stringPageBytes?: number;
  /** Elements of a collection per page (default 1,000); also the COUNT of each command. */
  readonly elementPageSize?: number;
  /** About how many bytes of a collection a page reads (default 4 MiB): fewer elements when they are large. */
  readonly elementPageBytes?: number;
  readonly endpoint?: RedisEndpoint;
}

/** What every key shows above its value. */
export interface KeyHeader {
  readonly key: Buffer;
  /** TYPE's answer: `string`, `hash`, … (module types as they are named). */
  readonly type: string;
  /** PTTL in milliseconds, -1 without TTL. */
  readonly pttlMs: number;
  /** OBJECT ENCODING, undefined when the server did not say. */
  readonly encoding: string | undefined;
  /** MEMORY USAGE in bytes, undefined when the server did not say. */
  readonly memoryBytes: number | undefined;
  /** Bytes of a string, elements of a collection (STRLEN, HLEN, LLEN, SCARD, ZCARD, XLEN). */
  readonly length: number;
}

export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly (readonly [Buffer, Buffer])[];
}

/** A key's value, as much of it as the pages asked for. `shown` counts what was read. */
export type KeyValue =
  | { readonly kind: 'gone'; readonly key: Buffer }
  | { readonly kind: 'string'; readonly header: KeyHeader; readonly bytes: Buffer }
  | {
      readonly kind: 'hash';
      readonly header: KeyHeader;
      readonly entries: readonly (readonly [Buffer, Buffer])[];
      readonly complete: boolean;
    }
  | { readonly kind: 'list'; readonly header: KeyHeader; readonly items: readonly Buffer[] }
  | {
      readonly kind: 'set';
      readonly header: KeyHeader;
      readonly members: readonly Buffer[];
      readonly complete: boolean;
    }
  | { readonly kind: 'zset'; readonly header: KeyHeader; readonly members: readonly (readonly [Buffer, string])[] }
  | { readonly kind: 'stream'; readonly header: KeyHeader; readonly entries: readonly StreamEntry[] }
  | { readonly kind: 'unsupported'; readonly header: KeyHeader };

/** The key's type changed between TYPE and reading its value (WRONGTYPE). */
export class KeyTypeChangedError extends Error {
  override readonly name = 'KeyTypeChangedError';

  constructor(
    readonly key: Buffer,
    readonly expectedType: string,
  ) {
    super(`The key changed type while it was read (it was a ${expectedType}).`);
  }
}

const LENGTH_COMMAND: Record<string, string> = {
  string: 'STRLEN',
  hash: 'HLEN',
  list: 'LLEN',
  set: 'SCARD',
  zset: 'ZCARD',
  stream: 'XLEN',
};

/**
 * Reads a key for inspection: header (TYPE, PTTL, OBJECT ENCODING, MEMORY USAGE and
 * the length, pipelined), then at most `pages` bounds of its value, each command
 * bounded by the page size: GETRANGE for strings, HSCAN/SSCAN with COUNT, LRANGE,
 * ZRANGE WITHSCORES and XRANGE COUNT in slices; a page of large elements holds fewer
 * (about ELEMENT_PAGE_BYTES). Never one command for a whole huge value. Exact bytes throughout.
 *
 * Failures: a key gone before or during the read is `{ kind: 'gone' }`; a type that
 * changed under the read is KeyTypeChangedError; authentication and transport failures
 * are RedisConnectionError; other server refusals KeyspaceCommandError.
 */
export async function readKeyValue(client: Redis, key: Buffer, options: ReadOptions = {}): Promise<KeyValue> {
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const pages = Math.max(1, Math.floor(options.pages ?? 1));
  const pageBytes = options.stringPageBytes ?? STRING_PAGE_BYTES;
  const pageSize = options.elementPageSize ?? ELEMENT_PAGE_SIZE;
  let header: KeyHeader | undefined;
  try {
    header = await readHeader(client, key);
    if (!header) return { kind: 'gone', key };
    const perPage = elementsPerPage(header, pageSize, options.elementPageBytes ?? ELEMENT_PAGE_BYTES);
    const value = await readBody(client, header, pages * pageBytes, pages * perPage, perPage);
    if (readShort(value, pages * pageBytes)) {
      // A user refused EXISTS (an ACL) is shown what was read, as before this check.
      const still = await client.exists(key).catch((error: unknown) => {
        if (isReplyError(error) && /^NOPERM\b/.test(error.message)) return 1;
        throw error;
      });
      if (still === 0) return { kind: 'gone', key };
    }
    return value;
  } catch (error) {
    if (error instanceof Error && /^WRONGTYPE\b/.test(error.message) && header) {
      if ((await client.exists(key).catch(() => 1)) === 0) return { kind: 'gone', key };
      throw new KeyTypeChangedError(key, header.type);
    }
    if (
      error instanceof KeyTypeChangedError ||
      error instanceof RedisConnectionError ||
      error instanceof KeyspaceCommandError
    ) {
      throw error;
    }
    throw keyspaceError(error, endpoint, 'reading the value');
  }
}

/**
 * Elements per page of a collection: the page size, or fewer when its elements are large (MEMORY
 * USAGE over the length says about how large), so that 1,000 blobs of 1 MB are not one reply of
 * 1 GB that the shared Redis must buffer (its memory, the other services' writes) and the editor
 * must hold. Without MEMORY USAGE (an ACL refused it) the page size.
 */
function elementsPerPage(header: KeyHeader, pageSize: number, pageBytes: number): number {
  if (header.memoryBytes === undefined || header.length <= 0) return pageSize;
  const average = header.memoryBytes / header.length;
  return Math.max(1, Math.min(pageSize, Math.floor(pageBytes / average)));
}

/**
 * A read that may have found its key gone after TYPE (EXISTS then says): an empty collection
 * (Redis never keeps one); a string of no bytes, or fewer than STRLEN said, because STRLEN of a
 * key that expired answers 0 and GETRANGE "", exactly as for a key that holds "".
 */
function readShort(value: KeyValue, byteLimit: number): boolean {
  switch (value.kind) {
    case 'gone':
    case 'unsupported':
      return false;
    case 'string':
      return value.bytes.length === 0 || value.bytes.length < Math.min(value.header.length, byteLimit);
    default:
      return shownCount(value) === 0;
  }
}

/** How many elements (or bytes of a string) a value holds as read. */
export function shownCount(value: KeyValue): number {
  switch (value.kind) {
    case 'gone':
    case 'unsupported':
      return 0;
    case 'string':
      return value.bytes.length;
    case 'hash':
      return value.entries.length;
    case 'list':
      return value.items.length;
    case 'set':
      return value.members.length;
    case 'zset':
      return value.members.length;
    case 'stream':
      return value.entries.length;
  }
}

async function readHeader(client: Redis, key: Buffer): Promise<KeyHeader | undefined> {
  const first = await client
    .pipeline()
    .type(key)
    .pttl(key)
    .call('OBJECT', 'ENCODING', key)
    .call('MEMORY', 'USAGE', key, 'SAMPLES', 5)
    .exec();
  if (!first) throw new Error('the pipeline was not run');
  const [typeReply, ttlReply, encodingReply, memoryReply] = first;
  const [typeError, type] = typeReply ?? [new Error('missing reply'), undefined];
  const [ttlError, pttl] = ttlReply ?? [new Error('missing reply'), undefined];
  if (typeError) throw typeError;
  if (ttlError) throw ttlError;
  const typeName = String(type);
  if (typeName === 'none' || Number(pttl) === -2) return undefined;
  // OBJECT ENCODING and MEMORY USAGE are nice to have: a server that refuses them (an ACL) still shows the value.
  const encoding =
    encodingReply && !encodingReply[0] && encodingReply[1] !== null ? String(encodingReply[1]) : undefined;
  const memory = memoryReply && !memoryReply[0] && memoryReply[1] !== null ? Number(memoryReply[1]) : undefined;
  const lengthCommand = LENGTH_COMMAND[typeName];
  const length = lengthCommand ? Number(await client.call(lengthCommand, key)) : 0;
  return { key, type: typeName, pttlMs: Number(pttl), encoding, memoryBytes: memory, length };
}

async function readBody(
  client: Redis,
  header: KeyHeader,
  byteLimit: number,
  elementLimit: number,
  pageSize: number,
): Promise<KeyValue> {
  const key = header.key;
  switch (header.type) {
    case 'string': {
      const chunks: Buffer[] = [];
      let read = 0;
      const end = Math.min(header.length, byteLimit);
      while (read < end) {
        const stop = Math.min(end, read + STRING_PAGE_BYTES) - 1;
        const chunk = await client.getrangeBuffer(key, read, stop);
        if (chunk.length === 0) break;
        chunks.push(chunk);
        read += chunk.length;
      }
      return { kind: 'string', header, bytes: Buffer.concat(chunks) };
    }
    case 'list': {
      const items: Buffer[] = [];
      while (items.length < elementLimit) {
        const start = items.length;
        const stop = Math.min(elementLimit, start + pageSize) - 1;
        const slice = await client.lrangeBuffer(key, start, stop);
        items.push(...slice);
        if (slice.length < stop - start + 1) break;
      }
      return { kind: 'list', header, items };
    }
    case 'zset': {
      const members: [Buffer, string][] = [];
      while (members.length < elementLimit) {
        const start = members.length;
        const stop = Math.min(elementLimit, start + pageSize) - 1;
        const flat = await client.zrangeBuffer(key, start, stop, 'WITHSCORES');
        for (let i = 0; i + 1 < flat.length; i += 2) {
          members.push([flat[i] as Buffer, (flat[i + 1] as Buffer).toString('latin1')]);
        }
        if (flat.length / 2 < stop - start + 1) break;
      }
      return { kind: 'zset', header, members };
    }
    case 'hash': {
      const { items, complete } = await scanAll(client, 'HSCAN', key, elementLimit, pageSize, 2);
      const entries = items.map((pair) => [pair[0] as Buffer, pair[1] as Buffer] as const);
      entries.sort((a, b) => Buffer.compare(a[0], b[0]));
      return { kind: 'hash', header, entries, complete };
    }
    case 'set': {
      const { items, complete } = await scanAll(client, 'SSCAN', key, elementLimit, pageSize, 1);
      const members = items.map((one) => one[0] as Buffer);
      members.sort(Buffer.compare);
      return { kind: 'set', header, members, complete };
    }
    case 'stream': {
      const entries: StreamEntry[] = [];
      let start = '-';
      while (entries.length < elementLimit) {
        const count = Math.min(pageSize, elementLimit - entries.length);
        const reply = (await client.callBuffer('XRANGE', key, start, '+', 'COUNT', count)) as [Buffer, Buffer[]][];
        for (const [id, flat] of reply) {
          const fields: [Buffer, Buffer][] = [];
          for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i] as Buffer, flat[i + 1] as Buffer]);
          entries.push({ id: id.toString('latin1'), fields });
        }
        const last = reply[reply.length - 1];
        if (reply.length < count || !last) break;
        start = nextStreamId(last[0].toString('latin1'));
      }
      return { kind: 'stream', header, entries };
    }
    default:
      return { kind: 'unsupported', header };
  }
}

/**
 * HSCAN/SSCAN with COUNT until `limit` elements are collected or the cursor returns to 0.
 * `complete` when the scan finished: then every element was read. The server may give an
 * element twice (during a rehash); each is kept once.
 */
async function scanAll(
  client: Redis,
  command: 'HSCAN' | 'SSCAN',
  key: Buffer,
  limit: number,
  count: number,
  width: number,
): Promise<{ items: Buffer[][]; complete: boolean }> {
  const items: Buffer[][] = [];
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const reply = (await client.callBuffer(command, key, cursor, 'COUNT', count)) as [Buffer, Buffer[]];
    cursor = reply[0].toString('latin1');
    const flat = reply[1];
    for (let i = 0; i + width - 1 < flat.length; i += width) {
      const group = flat.slice(i, i + width);
      const id = (group[0] as Buffer).toString('latin1');
      if (seen.has(id)) continue;
      seen.add(id);
      items.push(group);
    }
  } while (cursor !== '0' && items.length < limit);
  if (items.length > limit) items.length = limit;
  return { items, complete: cursor === '0' && seen.size <= limit };
}

/** The smallest stream id after `id` (`ms-seq`), for the next XRANGE page. */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  const sequence = BigInt(seq ?? '0');
  if (sequence < 18446744073709551615n) return `${ms ?? '0'}-${sequence + 1n}`;
  return `${BigInt(ms ?? '0') + 1n}-0`;
}
