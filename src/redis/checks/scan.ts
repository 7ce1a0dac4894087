import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { fromBinary } from '../keyspace';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
import { DEFAULT_PREFIX_SCAN_COUNT, ScanBound, ScanOutcome, scanKeysWithPrefix } from '../keyspace/prefixScan';

export { ScanBound };

export const DEFAULT_CHECK_SCAN_COUNT = DEFAULT_PREFIX_SCAN_COUNT;
/** SCAN calls at most per namespace for a check (a million keys at COUNT 1000). */
export const DEFAULT_CHECK_MAX_SCAN_CALLS = 1000;

/** The keyspace's prefix scan, bounded by default as the checks are: at most 1,000 calls. */
export function scanPrefix(
  client: Redis,
  prefix: Buffer,
  bound: ScanBound,
  batch: (keys: Buffer[]) => Promise<boolean | void> | boolean | void,
): Promise<ScanOutcome> {
  return scanKeysWithPrefix(
    client,
    prefix,
    { ...bound, maxScanCalls: bound.maxScanCalls ?? DEFAULT_CHECK_MAX_SCAN_CALLS },
    batch,
  );
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
  if (replies === null) {
    throw keyspaceError(new Error('the pipeline was not run'), endpoint ?? endpointOfClient(client), 'PTTL');
  }
  return keys.map((_, i) => {
    const [error, value] = replies?.[i] ?? [new Error('missing reply'), undefined];
    if (error) throw keyspaceError(error, endpoint ?? endpointOfClient(client), 'PTTL');
    return Number(value);
  });
}

export function prefixOf(path: string, delimiter: Buffer): Buffer {
  return Buffer.concat([fromBinary(path), delimiter]);
}
