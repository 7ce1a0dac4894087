import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { escapeGlob } from './binary';
import { endpointOfClient, KeyspaceCancelledError, keyspaceError } from './errors';
import { asScanReply, scanArguments } from './scanSource';

/** COUNT of each call when none is given: the most work one SCAN asks of the server. */
export const DEFAULT_PREFIX_SCAN_COUNT = 1000;

export interface ScanBound {
  /** COUNT of each SCAN call (setting `scanCount`). */
  readonly scanCount?: number | undefined;
  /** SCAN calls at most (default: no limit); past that the result is a lower bound. */
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
export async function scanKeysWithPrefix(
  client: Redis,
  prefix: Buffer,
  bound: ScanBound,
  batch: (keys: Buffer[]) => Promise<boolean | void> | boolean | void,
): Promise<ScanOutcome> {
  const endpoint = bound.endpoint ?? endpointOfClient(client);
  const request = {
    count: Math.max(1, Math.floor(bound.scanCount ?? DEFAULT_PREFIX_SCAN_COUNT)),
    match: prefix.length > 0 ? Buffer.concat([escapeGlob(prefix), Buffer.from('*')]) : undefined,
  };
  const maxCalls = Math.max(1, Math.floor(bound.maxScanCalls ?? Number.MAX_SAFE_INTEGER));
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
    const inside =
      prefix.length === 0
        ? keys
        : keys.filter((key) => key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix));
    // Stopping on the last page still saw every key.
    if (inside.length > 0 && (await batch(inside)) === false) return { calls, complete: cursor === '0' };
  } while (cursor !== '0');
  return { calls, complete: true };
}
