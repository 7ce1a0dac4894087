/** One SCAN loop's arguments: COUNT (the bound on work per call), MATCH and TYPE. */
export interface ScanRequest {
  readonly count: number;
  readonly match?: Buffer | undefined;
  readonly type?: string | undefined;
  /** Which part of the cursor space: all of it (default), or one half for two walks
   * side by side (see `cursorHalf`). */
  readonly half?: CursorHalf | undefined;
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

export function firstCursor(request: ScanRequest): string {
  return request.half === 'odd' ? '1' : '0';
}

/** True when the walk of this request ends at this returned cursor. */
export function isLastCursor(cursor: string, request: ScanRequest): boolean {
  if (cursor === '0') return true;
  // The parity of a decimal number is that of its last digit, and '0'…'9' are 48…57.
  return request.half === 'even' && (cursor.charCodeAt(cursor.length - 1) & 1) === 1;
}

/** Receives a SCAN loop's keys as they are read, and the end of each reply. */
export interface ScanSink {
  /** A key: the bytes `bytes[start, end)`, valid only during the call. */
  key(bytes: Buffer, start: number, end: number): void;
  /** A reply was read to its end; `cursor` is the one it returned ('0' at the end). */
  batchEnd(cursor: string): void;
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
