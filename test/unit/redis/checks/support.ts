import type Redis from 'ioredis';
import { DeclaredNamespaceSpec } from '../../../../src/redis/checks';
import { NamespaceModel, walkKeyspace } from '../../../../src/redis/keyspace';

/** The default of the setting sharedRedis.namespaces, as the extension reads it. */
export const DEFAULT_DECLARED: DeclaredNamespaceSpec[] = [
  { path: 'auth', owner: 'Auth Service' },
  { path: 'user', owner: 'User Service' },
  { path: 'shared', owner: 'Shared' },
  { path: 'user:search', owner: 'User Service', cache: true },
  { path: 'user:profile', owner: 'User Service', cache: true },
  { path: 'shared:cache', owner: 'Shared', cache: true },
];

/** A complete, unfiltered walk, as the Keys view makes it. */
export function walk(client: Redis, keepNamesUpTo?: number): Promise<NamespaceModel> {
  return walkKeyspace({ client }, { count: 100, ...(keepNamesUpTo === undefined ? {} : { keepNamesUpTo }) }).done;
}

export const names = (keys: readonly Buffer[]): string[] => keys.map((key) => key.toString('latin1')).sort();

/** Sets keys in one pipeline; `ttl` seconds, or none. */
export async function put(client: Redis, keys: readonly string[], ttl?: number): Promise<void> {
  const pipeline = client.pipeline();
  for (const key of keys) {
    if (ttl === undefined) pipeline.set(key, 'v');
    else pipeline.set(key, 'v', 'EX', ttl);
  }
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error);
  if (failed) throw failed[0];
}

export const range = (n: number, key: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => key(i));
