import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { escapeGlob, fromBinary, KeyspaceCancelledError } from '../keyspace';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
import { asScanReply, scanArguments } from '../keyspace/scanSource';

export const DEFAULT_CHECK_SCAN_COUNT = 1000;
/** SCAN calls at most per namespace for a check (a million keys at COUNT 1000). */
export const DEFAULT_CHECK_MAX_SCAN_CALLS = 1000;

export interface ScanBound {
  /** COUNT of each SCAN call (setting `scanCount`). */
  readonly scanCount?: number | undefined;
  /** SCAN calls at most; past that the result is a lower bound. */
  readonly maxScanCalls?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly endpoint?: RedisEndpoint | undefined;
}

export interface ScanOutcome {
  readonly calls: number;
  /** True when SCAN went through the whole keyspace (cursor back to 0). */
  readonly complete: boolean;
}

/**
 * `SCAN MATCH <escaped prefix>*` (or every key when the prefix is empty), never KEYS:
 * bounded COUNT per call and at most `maxScanCalls` calls. Each key is checked byte for
 * byte against the prefix (MATCH is a glob). `batch` gets each call's keys and may
 * return false to stop early. May hand the same key twice (SCAN does): dedupe there.
 */
export async function scanPrefix(client: Redis, prefix: Buffer, bound: ScanBound, batch: (keys: Buffer[]) => Promise<boolean | void> | boolean | void): Promise<ScanOutcome> {
  const endpoint = bound.endpoint ?? endpointOfClient(client);
  const request = { count: Math.max(1, Math.floor(bound.scanCount ?? DEFAULT_CHECK_SCAN_COUNT)), match: prefix.length > 0 ? Buffer.concat([escapeGlob(prefix), Buffer.from('*')]) : undefined };
  const maxCalls = Math.max(1, Math.floor(bound.maxScanCalls ?? DEFAULT_CHECK_MAX_SCAN_CALLS));
  let cursor = '0';
  let calls = 0;
  do {
    if (bound.signal?.aborted) throw new KeyspaceCancelledError();
    if (calls >= maxCalls) return { calls, complete: false };
    let reply: [string, Buffer[]];
    try {
      reply = asScanReply(await client.callBuffer('SCAN', ...scanArguments(cursor, request)));
    } catch (error) {
      throw keyspaceError(error, endpoint, 'SCAN');
    }
    calls++;
    const [next, keys] = reply;
    cursor = next;
    const inside = prefix.length === 0 ? keys : keys.filter((key) => key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix));
    if (inside.length > 0 && (await batch(inside)) === false) return { calls, complete: false };
  } while (cursor !== '0');
  return { calls, complete: true };
}

/** PTTL of each key in one pipelined round trip: -1 without a TTL, -2 gone. */
export async function pttlOf(client: Redis, keys: readonly Buffer[], endpoint?: RedisEndpoint): Promise<number[]> {
  if (keys.length === 0) return [];
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.pttl(key);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw keyspaceError(error, endpoint ?? endpointOfClient(client), 'PTTL');
  }
  if (replies === null) throw keyspaceError(new Error('the pipeline was not run'), endpoint ?? endpointOfClient(client), 'PTTL');
  return keys.map((_, i) => {
    const [error, value] = replies?.[i] ?? [new Error('missing reply'), undefined];
    if (error) throw keyspaceError(error, endpoint ?? endpointOfClient(client), 'PTTL');
    return Number(value);
  });
}

export function prefixOf(path: string, delimiter: Buffer): Buffer {
  return Buffer.concat([fromBinary(path), delimiter]);
}
