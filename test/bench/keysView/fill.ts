import { spawn } from 'node:child_process';
import { keyName, NamespacePlan, PLAN as KEYSPACE_PLAN } from '../keyspace/fill';

/**
 * The keyspaces of the Keys view benchmark, written with `redis-cli --pipe` (the tool
 * made for mass insertion: this process generates RESP into its stdin, redis-cli
 * pipelines it and counts the replies).
 *
 * - `shapedKeyspace(n)`: keyspace.bench's namespaces (`auth:session` … `shared:cache:*`,
 *   `billing:invoice`, `tmp`, top-level keys) scaled to n keys, plus a sparse namespace
 *   of 1,500 list keys (`outbox`), the same 1,500 at every size.
 * - `wideKeyspace()`: 1,000,000 keys `user:{id}:profile|roles|settings|sessions` over
 *   250,000 ids.
 */
export interface Keyspace {
  readonly name: string;
  readonly total: number;
  /** The exact count each top-level namespace row must show, by its label. */
  readonly topLevel: ReadonlyMap<string, number>;
  /** Calls `write` with every command, as RESP. */
  generate(write: (resp: string) => boolean | Promise<void>): Promise<void>;
}

export const SPARSE_NAMESPACE = 'outbox';
export const SPARSE_KEYS = 1_500;
/** Keys of the sparse namespace are lists (and only they are): their rows say `list · …`. */
export const SPARSE_TYPE = 'list';
export const WIDE_NAMESPACE = 'user';
export const WIDE_IDS = 250_000;
const WIDE_FIELDS = ['profile', 'roles', 'settings', 'sessions'];

function command(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

/** ~70% of keys expire, between 1 hour and 3 days: none during a bench run (counts stay exact). */
function ttlOf(i: number): number {
  return i % 10 < 7 ? 3_600_000 + ((Math.imul(i, 40503) >>> 0) % 259_200_000) : 0;
}

function commandsFor(plan: NamespacePlan | { path: string; keys: number; kind: 'list' }, i: number): string {
  const key = plan.path === SPARSE_NAMESPACE ? `${SPARSE_NAMESPACE}:${i}` : keyName(plan as NamespacePlan, i);
  const ttl = ttlOf(i);
  let out: string;
  switch (plan.kind) {
    case 'string':
      return command(ttl ? ['SET', key, String(i), 'PX', String(ttl)] : ['SET', key, String(i)]);
    case 'hash':
      out = command(['HSET', key, 'id', String(i), 'device', i % 2 ? 'ios' : 'web']);
      break;
    case 'set':
      out = command(['SADD', key, 'reader', i % 3 ? 'editor' : 'admin']);
      break;
    case 'zset':
      out = command(['ZADD', key, String(i), 'alice', String(i + 1), 'bob']);
      break;
    case 'list':
      out = command(['RPUSH', key, 'queued', String(i)]);
      break;
  }
  return ttl ? out + command(['PEXPIRE', key, String(ttl)]) : out;
}

/** keyspace.bench's namespaces scaled to `total` keys, with the sparse namespace among them. */
export function shapedKeyspace(total: number): Keyspace {
  const factor = total / 1_000_000;
  // The tiny namespaces (user:search 10, shared:config 25) stay tiny; the filler takes the rest.
  const scaled = KEYSPACE_PLAN.filter((p) => p.path !== 'shared:cache:i18n').map((p) => ({
    ...p,
    keys: p.keys < 100 ? p.keys : Math.round(p.keys * factor),
  }));
  const assigned = scaled.reduce((sum, p) => sum + p.keys, 0) + SPARSE_KEYS;
  const plans: (NamespacePlan | { path: string; keys: number; kind: 'list' })[] = [
    ...scaled,
    { path: 'shared:cache:i18n', keys: total - assigned, kind: 'string' },
    { path: SPARSE_NAMESPACE, keys: SPARSE_KEYS, kind: 'list' },
  ];
  const topLevel = new Map<string, number>();
  for (const plan of plans) {
    if (plan.path === '') continue;
    const top = plan.path.split(':')[0] as string;
    topLevel.set(top, (topLevel.get(top) ?? 0) + plan.keys);
  }
  return {
    name: `${label(total)} keys`,
    total,
    topLevel,
    async generate(write) {
      // Interleaved (one key of each namespace in turn) as real writes arrive, so that the
      // sparse namespace is spread over the hash table like its neighbours.
      const progress = plans.map(() => 0);
      let left = total;
      let batch = '';
      while (left > 0) {
        for (let p = 0; p < plans.length; p++) {
          const plan = plans[p] as (typeof plans)[number];
          // Each namespace writes its share per round, so all of them end together.
          const share = Math.max(1, Math.round(plan.keys / 1000));
          for (let n = 0; n < share && (progress[p] as number) < plan.keys; n++) {
            batch += commandsFor(plan, progress[p] as number);
            progress[p] = (progress[p] as number) + 1;
            left--;
          }
        }
        if (batch.length > 1 << 20) {
          await write(batch);
          batch = '';
        }
      }
      if (batch) await write(batch);
    },
  };
}

/** 1,000,000 keys `user:{id}:profile|roles|settings|sessions`, 250,000 ids. */
export function wideKeyspace(): Keyspace {
  return {
    name: `wide: ${WIDE_IDS.toLocaleString('en-US')} ids`,
    total: WIDE_IDS * WIDE_FIELDS.length,
    topLevel: new Map([[WIDE_NAMESPACE, WIDE_IDS * WIDE_FIELDS.length]]),
    async generate(write) {
      let batch = '';
      for (let id = 1; id <= WIDE_IDS; id++) {
        for (const field of WIDE_FIELDS) batch += command(['SET', `${WIDE_NAMESPACE}:${id}:${field}`, String(id)]);
        if (batch.length > 1 << 20) {
          await write(batch);
          batch = '';
        }
      }
      if (batch) await write(batch);
    },
  };
}

export function label(total: number): string {
  return total % 1_000_000 === 0 ? `${total / 1_000_000}M` : total.toLocaleString('en-US');
}

/**
 * Writes a keyspace into the server at host:port with `redis-cli --pipe`; fails unless
 * redis-cli reports no error replies. Returns the seconds it took.
 */
export async function fillWithRedisCli(host: string, port: number, keyspace: Keyspace): Promise<number> {
  const started = performance.now();
  const cli = spawn('redis-cli', ['-h', host, '-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    cli.once('error', reject);
    cli.once('close', (code) => resolve(code ?? 1));
  });
  await keyspace.generate((resp) =>
    cli.stdin.write(resp) ? Promise.resolve() : new Promise<void>((resolve) => cli.stdin.once('drain', resolve)),
  );
  cli.stdin.end();
  const code = await exited;
  const errors = /errors: (\d+), replies: (\d+)/.exec(output);
  if (code !== 0 || !errors || errors[1] !== '0') {
    throw new Error(`redis-cli --pipe failed (exit ${code}): ${output.trim().slice(-500)}`);
  }
  return (performance.now() - started) / 1000;
}
