/** Eight parts of the cursor space side by side, COUNT 250 each at the default scanCount
 * (see walkCallCount): eight outstanding calls keep the server busy while the client turns
 * each reply around (keyspaceScale.bench). */
export const DEFAULT_PARTS = 8;

/** The connections a walk of several parts runs them on, half of the parts each (see
 * RespScanSource.scanParts): two, so that the server answers one while the client reads
 * the other's replies; on one, the server waited while the client read (1.9× its SCAN time). */
export const WALK_CONNECTIONS = 2;

/**
 * COUNT of each SCAN call of a walk in `parts` parts: together the parts ask for twice
 * `count` (never more than `count` in one call). Measured at 1M keys on 2 quiet cores
 * (INFO latencystats, INFO cpu): eight calls of 125 took 1.34× the server's SCAN time with
 * SCAN's p99 at 160 µs; of 250, 1.16–1.22× with p99 at 270–280 µs (the server's own CPU is
 * 1.07–1.19× its SCAN time, the floor of that ratio); of 500, 1.14× but p99 525 µs, which
 * doubles at 10M keys.
 */
export function walkCallCount(count: number, parts: number): number {
  return Math.min(count, Math.ceil((count * 2) / parts));
}

/** One SCAN loop's arguments: COUNT (the bound on work per call), MATCH and TYPE. */
export interface ScanRequest {
  readonly count: number;
  readonly match?: Buffer | undefined;
  readonly type?: string | undefined;
  /** Which part of the cursor space: all of it (default), or one half for two walks
   * side by side (see `cursorHalf`). */
  readonly half?: CursorHalf | undefined;
  /** Or one of 2, 4 or 8 equal parts, for that many walks side by side (see CursorPart);
   * wins over `half`. */
  readonly part?: CursorPart | undefined;
}

/**
 * SCAN visits the table's buckets in reverse-binary order of their index: all even
 * buckets come first (cursors 0 … until the first odd one), then all odd buckets
 * (cursor 1 … until 0). So the cursor space splits in two halves two connections can
 * walk at once: 'even' starts at 0 and stops at the first odd cursor returned, 'odd'
 * starts at 1 and stops at 0. A call that crosses the middle returns a few keys of the
 * other half too, and a resize during the walk may repeat keys; the model counts every
 * key once (SeenKeys), so the halves together count each key exactly once.
 */
export type CursorHalf = 'even' | 'odd';

/**
 * The same split in `of` parts (2, 4 or 8): SCAN's cursor order is the order of the
 * bucket index's bits reversed, so the low k bits of a cursor (of = 2^k), reversed, say
 * which k-th of the walk it is in. Part `index` (0 … of - 1, in walk order) starts at the
 * cursor whose low k bits are `index` reversed, and ends at the first returned cursor
 * whose low bits differ (it entered a later part; cursors only move forward in that
 * order, also across a resize) or at 0. Half 'even' is part 0 of 2, 'odd' part 1 of 2.
 * As with halves, a call may return keys of the next part, and a table smaller than `of`
 * buckets makes parts share buckets; the walk's SeenKeys counts those keys once.
 */
export interface CursorPart {
  readonly index: number;
  readonly of: 2 | 4 | 8;
}

export function cursorParts(of: 2 | 4 | 8): CursorPart[] {
  return Array.from({ length: of }, (_, index) => ({ index, of }));
}

function partOf(request: ScanRequest): CursorPart | undefined {
  if (request.part !== undefined) return request.part;
  if (request.half !== undefined) return { index: request.half === 'even' ? 0 : 1, of: 2 };
  return undefined;
}

/** The low bits a part's cursors have: its index, k bits reversed. */
function partBits(part: CursorPart): number {
  let bits = 0;
  for (let of = part.of, index = part.index; of > 1; of >>= 1, index >>= 1) bits = (bits << 1) | (index & 1);
  return bits;
}

export function firstCursor(request: ScanRequest): string {
  const part = partOf(request);
  return part === undefined ? '0' : String(partBits(part));
}

/** True when the walk of this request ends at this returned cursor. */
export function isLastCursor(cursor: string, request: ScanRequest): boolean {
  if (cursor === '0') return true;
  const part = partOf(request);
  if (part === undefined) return false;
  // A number's value mod 8 is that of its last three decimal digits (1000 is a multiple of 8).
  return (Number(cursor.slice(-3)) & (part.of - 1)) !== partBits(part);
}

/** Receives a SCAN loop's keys as they are read, and the end of each reply. */
export interface ScanSink {
  /** A key: the bytes `bytes[start, end)`, valid only during the call. */
  key(bytes: Buffer, start: number, end: number): void;
  /** A reply was read to its end; `cursor` is the one it returned ('0' at the end). */
  batchEnd(cursor: string): void;
}

/** One SCAN loop to run: its request (a part of the cursor space, COUNT …) and where its keys go. */
export interface ScanJob {
  readonly request: ScanRequest;
  readonly sink: ScanSink;
}

/** Runs a whole SCAN loop, from cursor 0 until the server returns cursor 0. */
export interface ScanSource {
  /** DBSIZE: the keys in the database when the walk starts (sizes the walk's tables and
   * gives its progress a denominator). */
  dbsize(signal?: AbortSignal): Promise<number>;
  /** Resolves at the end of the keyspace; rejects with a typed error (keyspaceError), or
   * KeyspaceCancelledError soon after `signal` fires. */
  scanAll(request: ScanRequest, sink: ScanSink, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export function scanArguments(cursor: string, request: ScanRequest): (string | Buffer | number)[] {
  const args: (string | Buffer | number)[] = [cursor, 'COUNT', request.count];
  if (request.match !== undefined) args.push('MATCH', request.match);
  if (request.type !== undefined) args.push('TYPE', request.type);
  return args;
}

/** Checks the shape of a SCAN reply from ioredis's callBuffer. */
export function asScanReply(reply: unknown): [string, Buffer[]] {
  if (Array.isArray(reply) && reply.length === 2 && Buffer.isBuffer(reply[0]) && Array.isArray(reply[1])) {
    return [reply[0].toString('latin1'), reply[1] as Buffer[]];
  }
  throw new Error('unexpected SCAN reply');
}

/** Silences a promise's rejection that nobody may wait for any more (a SCAN sent ahead
 * of a cancellation); whoever awaits it still sees the error. */
export function quietly<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
