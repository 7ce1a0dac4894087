import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary, KeyBytes, toBinary } from './binary';
import { isReplyError } from '../errors';
import { endpointOfClient, keyspaceError } from './errors';
import { GONE, NO_ACCESS, NO_TTL } from './format';

/** NOPERM for the key itself (its ACL key patterns), not for the command: "no permissions to access a key" (6.2), "… one of the keys used as arguments" (7). */
const KEY_REFUSED = /^NOPERM\b.*\baccess (a key|one of the keys)\b/i;

/** A key as a row shows it, read from the server when the row was fetched. */
export interface KeyEntry {
  /** Exact bytes, for every action on the key. */
  readonly key: Buffer;
  /** The same bytes as a binary string: a stable, unique id. */
  readonly id: BinaryString;
  /** TYPE's answer: `string`, `hash`, … `none` when the key is gone, NO_ACCESS when this user may not read it. */
  readonly type: string;
  /** PTTL in milliseconds: -1 without TTL, -2 when gone. */
  readonly pttlMs: number;
  /** The key no longer exists (deleted or expired since it was listed). */
  readonly gone: boolean;
}

/** TYPE and PTTL of every key, in one pipelined round trip. A key that vanished is
 * reported `gone`, not as an error. Connection failures are RedisConnectionError. */
export async function describeKeys(
  client: Redis,
  keys: readonly KeyBytes[],
  endpoint?: RedisEndpoint,
): Promise<KeyEntry[]> {
  if (keys.length === 0) return [];
  const buffers = keys.map((key) => (typeof key === 'string' ? fromBinary(key) : key));
  const pipeline = client.pipeline();
  for (const key of buffers) {
    pipeline.type(key);
    pipeline.pttl(key);
  }
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw keyspaceError(error, endpoint ?? endpointOfClient(client), 'TYPE/PTTL');
  }
  if (replies === null) {
    throw keyspaceError(new Error('the pipeline was not run'), endpoint ?? endpointOfClient(client), 'TYPE/PTTL');
  }
  return buffers.map((key, i) => {
    const [typeError, type] = replies[2 * i] ?? [new Error('missing reply'), undefined];
    const [ttlError, pttl] = replies[2 * i + 1] ?? [new Error('missing reply'), undefined];
    const failure = typeError ?? ttlError;
    // A key outside this user's key patterns: listed by name (SCAN gave it), not a failed page.
    const refused = failure ? noAccessEntry(key, failure) : undefined;
    if (refused) return refused;
    if (failure) throw keyspaceError(failure, endpoint ?? endpointOfClient(client), 'TYPE/PTTL');
    const typeName = String(type);
    const pttlMs = Number(pttl);
    const gone = typeName === 'none' || pttlMs === GONE;
    return { key, id: toBinary(key), type: gone ? 'none' : typeName, pttlMs: gone ? GONE : pttlMs, gone };
  });
}

/** The row of a key outside this user's ACL key patterns, when `error` is that refusal. */
export function noAccessEntry(key: Buffer, error: unknown): KeyEntry | undefined {
  if (!isReplyError(error) || !KEY_REFUSED.test(error.message)) return undefined;
  return { key, id: toBinary(key), type: NO_ACCESS, pttlMs: NO_TTL, gone: false };
}

/** MEMORY USAGE of one key in bytes (for a tooltip, fetched when asked for), or
 * undefined when the key is gone. `samples` bounds the work for large aggregates. */
export async function memoryUsage(
  client: Redis,
  key: KeyBytes,
  samples = 5,
  endpoint?: RedisEndpoint,
): Promise<number | undefined> {
  const bytes = typeof key === 'string' ? fromBinary(key) : key;
  try {
    const reply = await client.call('MEMORY', 'USAGE', bytes, 'SAMPLES', samples);
    return reply === null || reply === undefined ? undefined : Number(reply);
  } catch (error) {
    throw keyspaceError(error, endpoint ?? endpointOfClient(client), 'MEMORY USAGE');
  }
}
