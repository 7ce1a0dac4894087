import { connect, Socket } from 'node:net';

/**
 * Fills a private Redis with the benchmark's keyspace: about 1,000,000 keys over the
 * seed's namespaces, a few thousand outside them, ~70% with a TTL, several types.
 * Commands go out as raw RESP in pipelined batches of 10,000 (fast, and every key name
 * is exact). Returns the reference the benchmark checks the walk's counts against.
 */
export interface NamespacePlan {
  /** Full namespace path of the keys (`auth:session`), or '' for top-level keys. */
  readonly path: string;
  readonly keys: number;
  readonly kind: 'string' | 'hash' | 'set' | 'zset';
}

export const TOTAL_KEYS = 1_000_000;
export const BIG_NAMESPACE = 'auth:session';
export const SMALL_NAMESPACE = 'user:search';
export const MID_NAMESPACE = 'billing:invoice';
/** 1,500 keys, 0.15% of the keyspace: too large for the old 1,000-name limit, sparse. */
export const SPARSE_NAMESPACE = 'billing:refund';

const namespaced: NamespacePlan[] = [
  { path: 'auth:session', keys: 250_000, kind: 'hash' },
  { path: 'auth:token', keys: 150_000, kind: 'string' },
  { path: 'auth:refresh', keys: 100_000, kind: 'string' },
  { path: 'auth:attempts', keys: 40_000, kind: 'string' },
  { path: 'user:profile', keys: 150_000, kind: 'hash' },
  { path: 'user:roles', keys: 80_000, kind: 'set' },
  { path: 'user:permissions', keys: 60_000, kind: 'set' },
  { path: 'user:search', keys: 10, kind: 'zset' },
  { path: 'shared:config', keys: 25, kind: 'hash' },
  { path: 'shared:cache:pages', keys: 80_000, kind: 'string' },
  { path: 'shared:cache:api', keys: 60_000, kind: 'string' },
  { path: 'shared:cache:geo', keys: 20_000, kind: 'string' },
];
const outside: NamespacePlan[] = [
  { path: 'billing:invoice', keys: 3_000, kind: 'string' },
  { path: 'billing:refund', keys: 1_500, kind: 'string' },
  { path: 'tmp', keys: 1_000, kind: 'string' },
  { path: '', keys: 1_000, kind: 'string' },
];
const assigned = [...namespaced, ...outside].reduce((sum, plan) => sum + plan.keys, 0);
export const PLAN: readonly NamespacePlan[] = [
  ...namespaced,
  { path: 'shared:cache:i18n', keys: TOTAL_KEYS - assigned, kind: 'string' },
  ...outside,
];

/** Expected count of every namespace path at every depth, and of top-level keys. */
export function expectedCounts(): { namespaces: Map<string, number>; topLevel: number } {
  const namespaces = new Map<string, number>();
  let topLevel = 0;
  for (const plan of PLAN) {
    if (plan.path === '') {
      topLevel += plan.keys;
      continue;
    }
    const segments = plan.path.split(':');
    for (let depth = 1; depth <= segments.length; depth++) {
      const path = segments.slice(0, depth).join(':');
      namespaces.set(path, (namespaces.get(path) ?? 0) + plan.keys);
    }
  }
  return { namespaces, topLevel };
}

/** The i-th key of a namespace: a scrambled id (as real ids look) plus the index, unique. */
export function keyName(plan: NamespacePlan, i: number): string {
  const id = `${(Math.imul(i + 1, 2654435761) >>> 0).toString(16)}-${i}`;
  return plan.path === '' ? `legacy-counter-${id}` : `${plan.path}:${id}`;
}

function command(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** `accept`: only the keys it accepts are written (the cluster bench writes each master's share to it). */
export async function fillKeyspace(
  port: number,
  host = '127.0.0.1',
  accept: (key: string) => boolean = () => true,
): Promise<number> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, host, () => resolve(s));
    s.once('error', reject);
  });
  let expectedReplies = 0;
  let replies = 0;
  let failed: string | undefined;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    if (failed === undefined && chunk.includes(0x2d /* - */) && /^-/m.test(chunk.toString('latin1'))) {
      failed = chunk.toString('latin1').slice(0, 200);
    }
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) replies++;
    if (replies >= expectedReplies) wake?.();
  });
  let written = 0;
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    socket.write(batch.join(''));
    batch = [];
    if (replies < expectedReplies) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failed !== undefined) throw new Error(`Redis refused a fill command: ${failed}`);
  };
  for (const plan of PLAN) {
    for (let i = 0; i < plan.keys; i++) {
      const key = keyName(plan, i);
      if (!accept(key)) continue;
      // ~70% with a TTL between 1 minute and 3 days.
      const ttlMs = i % 10 < 7 ? 60_000 + ((Math.imul(i, 40503) >>> 0) % 259_200_000) : 0;
      switch (plan.kind) {
        case 'string':
          batch.push(command(ttlMs ? ['SET', key, String(i), 'PX', String(ttlMs)] : ['SET', key, String(i)]));
          break;
        case 'hash':
          batch.push(command(['HSET', key, 'id', String(i), 'device', i % 2 ? 'ios' : 'web']));
          break;
        case 'set':
          batch.push(command(['SADD', key, 'reader', i % 3 ? 'editor' : 'admin']));
          break;
        case 'zset':
          batch.push(command(['ZADD', key, String(i), 'alice', String(i + 1), 'bob']));
          break;
      }
      expectedReplies++;
      if (ttlMs && plan.kind !== 'string') {
        batch.push(command(['PEXPIRE', key, String(ttlMs)]));
        expectedReplies++;
      }
      written++;
      if (batch.length >= 10_000) await flush();
    }
  }
  await flush();
  socket.destroy();
  return written;
}
