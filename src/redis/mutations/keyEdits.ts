import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { endpointOfClient, keyspaceError, writeError } from '../keyspace/errors';
import { prepareReadBack } from './readBack';
import type { WrittenState } from './undoJournal';

/**
 * New Key, Rename Key and Copy Key on exact bytes, each conditional on what it checked:
 * WATCH the keys, check, then MULTI/EXEC, so another client writing the same key between
 * the check and the write makes the write not happen (never an overwrite). The client must
 * be a connection of the caller's own (a WATCH is per connection). No VS Code here.
 */

export type NewKeyType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';
export const NEW_KEY_TYPES: readonly NewKeyType[] = ['string', 'hash', 'list', 'set', 'zset', 'stream'];

/** The first value of a new key: `field` for hash and stream, `score` for zset. */
export interface NewKeySpec {
  readonly type: NewKeyType;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly field?: Buffer | undefined;
  readonly score?: number | undefined;
  readonly ttlSeconds?: number | undefined;
}

/**
 * What a conditional write did: `written`, `refused` by its check (the reason), `conflict`
 * (a watched key changed meanwhile), or `dismissed` (beforeWrite said not to go on).
 */
export type ConditionalOutcome<R extends string> =
  /** `written`: what the write left in the keys beforeWrite asked to read back (see AfterWrite). */
  | { readonly kind: 'written'; readonly replies: readonly unknown[]; readonly written?: readonly WrittenState[] }
  | { readonly kind: 'refused'; readonly reason: R }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'dismissed' };

/**
 * Go on, and read back what the write leaves in `readBack` (DUMP at the end of the same MULTI,
 * so no other write comes between): Undo then writes those keys only while they still hold it.
 */
export interface AfterWrite {
  readonly readBack: readonly Buffer[];
  /**
   * The largest value read back (default: the undo limit, 1 MiB). A key whose value will be far
   * larger (MEMORY USAGE of what it will hold, over twice this) is not read back at all, so a
   * huge value is never dumped on the shared server; a payload over it is not kept. Undo does
   * not check such a key.
   */
  readonly limitBytes?: number;
}

/** Right before MULTI, inside the WATCH (record the before-state for undo); false: do not write. */
export type BeforeWrite = (client: Redis) => Promise<boolean | void | AfterWrite>;

export interface ConditionalWrite<R extends string> {
  readonly watch: readonly Buffer[];
  /** A reason not to write (the watch is dropped), or undefined to go on. */
  readonly check: (client: Redis) => Promise<R | undefined>;
  readonly beforeWrite?: BeforeWrite | undefined;
  readonly write: (multi: ChainableCommander) => void;
  /** The key whose value a read-back key will hold after the write (a copy's source), for its size; default itself. */
  readonly valueSource?: (key: Buffer) => Buffer;
}

export async function conditionalWrite<R extends string>(
  client: Redis,
  change: ConditionalWrite<R>,
  endpoint: RedisEndpoint = endpointOfClient(client),
): Promise<ConditionalOutcome<R>> {
  try {
    await client.watch(...change.watch);
    const reason = await change.check(client);
    if (reason !== undefined) {
      await client.unwatch();
      return { kind: 'refused', reason };
    }
    const before = await change.beforeWrite?.(client);
    if (before === false) {
      await client.unwatch();
      return { kind: 'dismissed' };
    }
    const readBack = await prepareReadBack(
      client,
      typeof before === 'object' ? before.readBack : [],
      typeof before === 'object' ? before.limitBytes : undefined,
      { valueSource: change.valueSource },
    );
    const multi = client.multi();
    change.write(multi);
    readBack.queue(multi);
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await multi.exec();
    } catch (error) {
      throw writeError(error, endpoint, 'MULTI');
    }
    if (replies === null) return { kind: 'conflict' };
    const { own, written } = readBack.split(replies);
    const failed = own.find(([error]) => error)?.[0];
    if (failed) throw failed;
    return { kind: 'written', replies: own.map(([, value]) => value), ...(written ? { written } : {}) };
  } catch (error) {
    await client.unwatch().catch(() => undefined);
    throw keyspaceError(error, endpoint, 'MULTI');
  }
}

const exists = async (client: Redis, key: Buffer): Promise<boolean> => (await client.exists(key)) === 1;

/** Creates the key with its first value (and TTL) only if no key of that name exists. */
export function createKey(
  client: Redis,
  spec: NewKeySpec,
  beforeWrite?: BeforeWrite,
): Promise<ConditionalOutcome<'exists'>> {
  return conditionalWrite(client, {
    watch: [spec.key],
    check: async (c) => ((await exists(c, spec.key)) ? 'exists' : undefined),
    beforeWrite,
    write: (multi) => {
      const { key, value } = spec;
      const field = spec.field ?? Buffer.alloc(0);
      switch (spec.type) {
        case 'string':
          multi.set(key, value);
          break;
        case 'hash':
          multi.hset(key, field, value);
          break;
        case 'list':
          multi.rpush(key, value);
          break;
        case 'set':
          multi.sadd(key, value);
          break;
        case 'zset':
          multi.zadd(key, String(spec.score ?? 0), value);
          break;
        case 'stream':
          multi.xadd(key, '*', field, value);
          break;
      }
      if (spec.ttlSeconds !== undefined) multi.expire(key, spec.ttlSeconds);
    },
  });
}

/** RENAMENX `from` to `to` (the TTL goes with the value): refused when `from` is gone or `to` exists. */
export function renameKey(
  client: Redis,
  from: Buffer,
  to: Buffer,
  beforeWrite?: BeforeWrite,
): Promise<ConditionalOutcome<'gone' | 'exists'>> {
  return conditionalWrite<'gone' | 'exists'>(client, {
    watch: [from, to],
    check: async (c) => ((await exists(c, from)) ? ((await exists(c, to)) ? 'exists' : undefined) : 'gone'),
    beforeWrite,
    write: (multi) => multi.renamenx(from, to),
  });
}

/** COPY `from` to `to` (value and TTL); with `replace`, over an existing `to`, else refused when it exists. */
export function copyKey(
  client: Redis,
  from: Buffer,
  to: Buffer,
  replace: boolean,
  beforeWrite?: BeforeWrite,
): Promise<ConditionalOutcome<'gone' | 'exists'>> {
  return conditionalWrite<'gone' | 'exists'>(client, {
    watch: [from, to],
    check: async (c) => ((await exists(c, from)) ? (!replace && (await exists(c, to)) ? 'exists' : undefined) : 'gone'),
    beforeWrite,
    write: (multi) => (replace ? multi.copy(from, to, 'REPLACE') : multi.copy(from, to)),
    valueSource: (key) => (key.equals(to) ? from : key),
  });
}

/** The key's name with `from` (a prefix it starts with) replaced by `to`. */
export function movedName(key: Buffer, from: Buffer, to: Buffer): Buffer {
  if (!key.subarray(0, from.length).equals(from)) {
    throw new RangeError('The key is not under the prefix it is moved from.');
  }
  return Buffer.concat([to, key.subarray(from.length)]);
}
