import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { SharedRedisInternals } from '../../../src/secondStage';
import type { KeysRow } from '../../../src/views/keysView';
import { suiteConfig } from './config';

/** What a user reads on each row of the Keys view: `label — description`. */
export async function rows(shared: SharedRedisInternals, parent?: KeysRow): Promise<string[]> {
  const provider = shared.views.keys;
  const children = await provider.getChildren(parent);
  return children.map((row) => {
    const item = provider.getTreeItem(row);
    return `${typeof item.label === 'string' ? item.label : (item.label?.label ?? '')} — ${String(item.description ?? '')}`;
  });
}

/** The row of `parent` (the root when undefined) with this label; fails the test when there is none. */
export async function child(
  shared: SharedRedisInternals,
  parent: KeysRow | undefined,
  label: string,
): Promise<KeysRow> {
  const provider = shared.views.keys;
  const found = (await provider.getChildren(parent)).find((row) => {
    const item = provider.getTreeItem(row);
    return (typeof item.label === 'string' ? item.label : item.label?.label) === label;
  });
  assert.ok(found, `no row "${label}"`);
  return found;
}

/** A client of the launcher's private test server, emptied first. */
export async function emptiedTestRedis(): Promise<Redis> {
  const redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
  await redis.connect();
  await redis.flushdb(); // the launcher's private test server, never a shared one
  return redis;
}
