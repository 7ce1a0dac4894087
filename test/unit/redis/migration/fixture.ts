import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';

/** The source data of the migration tests and the checks of a target against it. */

export const TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream'] as const;
export type KeyType = (typeof TYPES)[number];

export interface SourceKey {
  readonly key: Buffer;
  readonly type: KeyType;
  /** Milliseconds of TTL set on the source, or undefined for none. */
  readonly ttlMs: number | undefined;
  /** Index into the values written (keeps them distinct). */
  readonly n: number;
}

/** A binary first segment (`\xffb`), mapped like any other. */
export const BINARY_SEGMENT = Buffer.from([0xff, 0x62]);

/**
 * `total` keys: three text segments (`session`, `profile`, `cfg`) round-robin, types
 * round-robin in blocks, a TTL (1 h plus a few seconds) on every fourth, and ten binary
 * keys (five under `session:`/`profile:` with odd bytes in the rest of the name, five
 * under the binary segment).
 */
export function sourceKeys(total = 100_000): SourceKey[] {
  const keys: SourceKey[] = [];
  const segments = ['session', 'profile', 'cfg'];
  for (let i = 0; i < total - 10; i++) {
    keys.push({
      key: Buffer.from(`${segments[i % 3]}:${i}`),
      type: TYPES[Math.floor(i / 3) % TYPES.length] as KeyType,
      ttlMs: i % 4 === 0 ? 3_600_000 + (i % 5000) * 1000 : undefined,
      n: i,
    });
  }
  const odd = [
    Buffer.from('session:\xff\x00\x01bin', 'latin1'),
    Buffer.from('session:', 'latin1'),
    Buffer.from('profile:a:b:\n', 'latin1'),
    Buffer.from('profile:ünï:😀', 'utf8'),
    Buffer.from('session:*?[x]\\', 'latin1'),
  ];
  odd.forEach((key, j) =>
    keys.push({ key, type: TYPES[j] as KeyType, ttlMs: j % 2 === 0 ? 7_200_000 : undefined, n: total + j }),
  );
  for (let j = 0; j < 5; j++) {
    keys.push({
      key: Buffer.concat([BINARY_SEGMENT, Buffer.from(`:${j}\x00`, 'latin1')]),
      type: TYPES[(j + 2) % TYPES.length] as KeyType,
      ttlMs: j === 0 ? 5_400_000 : undefined,
      n: total + 10 + j,
    });
  }
  return keys;
}

/** Keys the tests write next to the mapped ones and never map. */
export const UNMAPPED = [
  ...Array.from({ length: 1000 }, (_, i) => Buffer.from(`other:${i}`)),
  Buffer.from('toplevel'),
  Buffer.from('counter'),
  Buffer.from('sessionx:1'),
  Buffer.from('Session:1'),
];

export async function writeSource(client: Redis, keys: readonly SourceKey[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 10_000) {
    const pipeline = client.pipeline();
    for (const { key, type, ttlMs, n } of keys.slice(i, i + 10_000)) {
      switch (type) {
        case 'string':
          pipeline.set(key, `value-${n}`);
          break;
        case 'hash':
          pipeline.hset(key, 'id', String(n), 'name', `user ${n}`);
          break;
        case 'list':
          pipeline.rpush(key, 'a', String(n), 'c');
          break;
        case 'set':
          pipeline.sadd(key, 'x', String(n));
          break;
        case 'zset':
          pipeline.zadd(key, 1, 'one', n, `n${n}`);
          break;
        case 'stream':
          pipeline.xadd(key, `${n + 1}-1`, 'event', `e${n}`);
          break;
      }
      if (ttlMs !== undefined) pipeline.pexpire(key, ttlMs);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }
  const pipeline = client.pipeline();
  for (const key of UNMAPPED) pipeline.set(key, 'not imported');
  await pipeline.exec();
}

/**
 * Each key's value (in a form that compares across servers: sets sorted) and its absolute
 * expiry (PEXPIRETIME: -1 none, -2 missing), two commands a key in pipelines. A wrong
 * type shows as the WRONGTYPE error, a missing key as an empty value.
 */
export async function readKeys(
  client: Redis,
  keys: readonly { key: Buffer; type: KeyType }[],
): Promise<{ value: string; expiresAt: number }[]> {
  const out: { value: string; expiresAt: number }[] = [];
  for (let i = 0; i < keys.length; i += 5000) {
    const pipeline = client.pipeline();
    const chunk = keys.slice(i, i + 5000);
    for (const { key, type } of chunk) {
      switch (type) {
        case 'string':
          pipeline.getBuffer(key);
          break;
        case 'hash':
          pipeline.hgetall(key);
          break;
        case 'list':
          pipeline.lrange(key, 0, -1);
          break;
        case 'set':
          pipeline.smembers(key);
          break;
        case 'zset':
          pipeline.zrange(key, 0, -1, 'WITHSCORES');
          break;
        case 'stream':
          pipeline.xrange(key, '-', '+');
          break;
      }
      pipeline.call('PEXPIRETIME', key);
    }
    const replies = (await pipeline.exec()) ?? [];
    chunk.forEach(({ type }, j) => {
      const [error, value] = replies[2 * j] ?? [];
      const [, expiresAt] = replies[2 * j + 1] ?? [];
      const normalized = error
        ? `error ${error.message}`
        : type === 'set' && Array.isArray(value)
          ? [...(value as string[])].sort()
          : Buffer.isBuffer(value)
            ? value.toString('latin1')
            : value;
      out.push({ value: `${type} ${JSON.stringify(normalized)}`, expiresAt: Number(expiresAt) });
    });
  }
  return out;
}

/** Every pair: the target key holds the source's type and value, and expires when the source's does within a second (none stays none). */
export async function assertCopied(
  source: Redis,
  target: Redis,
  pairs: readonly { source: SourceKey; target: Buffer }[],
): Promise<void> {
  const from = await readKeys(
    source,
    pairs.map((p) => p.source),
  );
  const to = await readKeys(
    target,
    pairs.map((p) => ({ key: p.target, type: p.source.type })),
  );
  pairs.forEach((pair, i) => {
    const a = from[i];
    const b = to[i];
    assert.ok(a && b);
    const present = a.expiresAt !== -2 && b.expiresAt !== -2;
    const sameExpiry =
      (a.expiresAt === -1 && b.expiresAt === -1) || (a.expiresAt > 0 && Math.abs(a.expiresAt - b.expiresAt) <= 1000);
    if (!present || a.value !== b.value || !sameExpiry) {
      assert.fail(
        `${pair.target.toString('latin1')}: source ${a.value} expires ${a.expiresAt}, target ${b.value} expires ${b.expiresAt}`,
      );
    }
  });
}

/** All keys of a database (SCAN), as latin1 strings. */
export async function allKeys(client: Redis): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 5000);
    for (const key of batch) keys.add(key.toString('latin1'));
    cursor = next.toString();
  } while (cursor !== '0');
  return keys;
}

/** Keys per TYPE in a database. */
export async function typeCounts(client: Redis): Promise<Record<string, number>> {
  const keys = [...(await allKeys(client))].map((k) => Buffer.from(k, 'latin1'));
  const counts: Record<string, number> = {};
  for (let i = 0; i < keys.length; i += 10_000) {
    const pipeline = client.pipeline();
    for (const key of keys.slice(i, i + 10_000)) pipeline.type(key);
    for (const [, type] of (await pipeline.exec()) ?? []) counts[String(type)] = (counts[String(type)] ?? 0) + 1;
  }
  return counts;
}
