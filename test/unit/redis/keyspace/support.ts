import Redis from 'ioredis';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import * as assert from 'node:assert/strict';
import { KeyPage, NamespaceKeyPager, PagedKey } from '../../../../src/redis/keyspace/pager';
import { RedisServer } from '../../../support/redisServer';

export { clientOf } from '../../../support/redisClient';

/** Helpers shared by the keyspace tests. */

export function endpointOf(server: RedisServer, db = 0): RedisEndpoint {
  return { host: server.host, port: server.port, db, tls: false };
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WrittenKey {
  readonly key: Buffer;
  readonly type: 'string' | 'hash' | 'set' | 'list' | 'zset';
  readonly ttl: boolean;
}

/** `count` string keys without a TTL, the i-th named `name(i)`. */
export function stringKeys(count: number, name: (i: number) => string): WrittenKey[] {
  return Array.from({ length: count }, (_, i) => ({ key: Buffer.from(name(i)), type: 'string', ttl: false }));
}

/** Writes keys (exact bytes) with their type and an optional TTL, in pipelines. */
export async function writeKeys(client: Redis, keys: readonly WrittenKey[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 5000) {
    const pipeline = client.pipeline();
    for (const { key, type, ttl } of keys.slice(i, i + 5000)) {
      switch (type) {
        case 'string':
          pipeline.set(key, 'v');
          break;
        case 'hash':
          pipeline.hset(key, 'f', 'v');
          break;
        case 'set':
          pipeline.sadd(key, 'm');
          break;
        case 'list':
          pipeline.rpush(key, 'e');
          break;
        case 'zset':
          pipeline.zadd(key, 1, 'm');
          break;
      }
      if (ttl) pipeline.pexpire(key, 3_600_000);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }
}

/**
 * The reference the model must match, computed independently of it: for every key,
 * split on the delimiter (a one-byte delimiter: every occurrence), and count each
 * proper prefix path. Paths are binary strings; the root's direct keys under `null`.
 */
export function referenceCounts(
  keys: readonly Buffer[],
  delimiter = 0x3a,
): { counts: Map<string, number>; direct: Map<string | null, string[]> } {
  const counts = new Map<string, number>();
  const direct = new Map<string | null, string[]>();
  for (const key of keys) {
    const positions: number[] = [];
    key.forEach((byte, i) => {
      if (byte === delimiter) positions.push(i);
    });
    for (const position of positions) {
      const path = key.subarray(0, position).toString('latin1');
      counts.set(path, (counts.get(path) ?? 0) + 1);
    }
    const last = positions[positions.length - 1];
    const owner = last === undefined ? null : key.subarray(0, last).toString('latin1');
    const list = direct.get(owner) ?? [];
    list.push(key.toString('latin1'));
    direct.set(owner, list);
  }
  return { counts, direct };
}

/** Every namespace of a model as path → count (paths as binary strings). */
export function modelCounts(root: {
  childNamespaces(): { path: string; count: number; childNamespaces(): unknown[] }[];
}): Map<string, number> {
  const out = new Map<string, number>();
  type Node = { path: string; count: number; childNamespaces(): Node[] };
  const visit = (node: Node): void => {
    out.set(node.path, node.count);
    for (const child of node.childNamespaces()) visit(child);
  };
  for (const child of (root as Node).childNamespaces()) visit(child);
  return out;
}

/** The odd key names of the issue: every one must keep its exact bytes. */
export function oddKeys(): Buffer[] {
  return [
    Buffer.from('odd::empty-segment'),
    Buffer.from(':odd-leading'),
    Buffer.from('odd-trailing:'),
    Buffer.from(':'),
    Buffer.from('::'),
    Buffer.from([0x6f, 0x64, 0x64, 0x3a, 0xff, 0xfe, 0x00, 0x80, 0x3a, 0x62, 0x69, 0x6e]), // odd:\xff\xfe\x00\x80:bin
    Buffer.from('odd:new\nline'),
    Buffer.from('odd:tab\there'),
    Buffer.from('odd:emoji 🚀:ok'),
    Buffer.from('odd:with spaces:  two  '),
    Buffer.from('odd:glob*?[chars]\\:x'),
    Buffer.from('odd:cr\r\nlf'),
    Buffer.concat([Buffer.from('odd:huge:'), Buffer.alloc(512 * 1024, 0x61)]),
    Buffer.from(''), // the empty key name is a valid key too
  ];
}

/** Every page of a pager, until the last; asserts it then says it is done. */
export async function allPages(pager: NamespaceKeyPager): Promise<{ pages: KeyPage[]; keys: PagedKey[] }> {
  const pages: KeyPage[] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await pager.next();
    pages.push(page);
    if (!page.more) break;
  }
  assert.equal(pager.done, true);
  return { pages, keys: pages.flatMap((p) => p.keys) };
}
