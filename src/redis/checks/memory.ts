import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { parseInfo } from '../info';
import { NamespaceModel } from '../keyspace';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
import { namespaceStatsTable } from '../serverInfo';

/** Where the memory limit came from: the server's `maxmemory`, the `memoryBudget` setting, or nowhere. */
export type LimitSource = 'maxmemory' | 'budget' | 'none';

export interface NamespaceMemory {
  /** The namespace's path for people (`auth`). */
  readonly name: string;
  /** Estimated from sampled MEMORY USAGE (exact when `exact`). */
  readonly bytes: number;
  readonly exact: boolean;
  readonly keys: number;
  readonly sampled: number;
}

export interface MemoryResult {
  /** INFO memory `used_memory`. */
  readonly usedBytes: number;
  /** `maxmemory`, 0 when unlimited. */
  readonly maxmemoryBytes: number;
  readonly policy: string | undefined;
  /** The limit used: maxmemory when set, else the budget; undefined with neither. */
  readonly limitBytes: number | undefined;
  readonly limitSource: LimitSource;
  /** used / limit, undefined without a limit. */
  readonly share: number | undefined;
  /** The warning threshold, 0 to 1. */
  readonly warnAt: number;
  /** INFO stats `evicted_keys`, when given. */
  readonly evictedKeys: number | undefined;
  /** The top-level namespaces holding the most memory (sampled), largest first. */
  readonly topNamespaces: readonly NamespaceMemory[];
  /** On a cluster: the node (`host:port`) these figures are of, the fullest one. */
  readonly node?: string | undefined;
}

export interface MemoryOptions {
  /** The limit when maxmemory is 0 (setting `memoryBudget`). */
  readonly budgetBytes?: number | undefined;
  /** Share of the limit from which memory is a finding (default 0.8). */
  readonly warnAt?: number;
  /** A complete walk: its largest top-level namespaces are sampled for memory. */
  readonly model?: NamespaceModel | undefined;
  /** Namespaces sampled at most (the largest by key count; default 20), and shown (default 5). */
  readonly sampledNamespaces?: number;
  readonly shownNamespaces?: number;
  /** SCAN calls at most per sampled namespace (default 20): a namespace not met by then is left out of the list. */
  readonly maxScanCallsPerNamespace?: number;
  /** Keys sampled per namespace (default 50). */
  readonly sampleSize?: number;
  readonly scanCount?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly endpoint?: RedisEndpoint | undefined;
}

export const DEFAULT_WARN_AT = 0.8;

/**
 * Used memory against `maxmemory` (or the budget when maxmemory is 0), the eviction
 * policy, and the top-level namespaces that hold the most memory, from a bounded
 * sample of MEMORY USAGE per namespace (namespaceStats). INFO memory gives maxmemory
 * and the policy; CONFIG GET is asked only when INFO lacks them (older servers).
 */
export async function checkMemory(client: Redis, options: MemoryOptions = {}): Promise<MemoryResult> {
  const endpoint = options.endpoint ?? endpointOfClient(client);
  let raw: string;
  try {
    raw = (await client.info('memory')) + (await client.info('stats'));
  } catch (error) {
    throw keyspaceError(error, endpoint, 'INFO');
  }
  const info = parseInfo(raw);
  const memory = info.get('memory') ?? {};
  const stats = info.get('stats') ?? {};
  const usedBytes = Number(memory['used_memory'] ?? NaN);
  if (!Number.isFinite(usedBytes)) throw keyspaceError(new Error('INFO memory has no used_memory'), endpoint, 'INFO');
  let maxmemoryBytes = memory['maxmemory'] === undefined ? undefined : Number(memory['maxmemory']);
  let policy = memory['maxmemory_policy'];
  if (maxmemoryBytes === undefined || policy === undefined) {
    const fromConfig = await configGet(client, ['maxmemory', 'maxmemory-policy']);
    maxmemoryBytes ??= fromConfig['maxmemory'] === undefined ? 0 : Number(fromConfig['maxmemory']);
    policy ??= fromConfig['maxmemory-policy'];
  }
  const budget = options.budgetBytes !== undefined && options.budgetBytes > 0 ? options.budgetBytes : undefined;
  const limitSource: LimitSource = maxmemoryBytes > 0 ? 'maxmemory' : budget !== undefined ? 'budget' : 'none';
  const limitBytes = limitSource === 'maxmemory' ? maxmemoryBytes : budget;
  const evicted = stats['evicted_keys'] === undefined ? undefined : Number(stats['evicted_keys']);

  const topNamespaces: NamespaceMemory[] = [];
  const model = options.model;
  if (model?.complete && model.match === undefined && model.type === undefined) {
    const largest = model.root.childNamespaces('count').slice(0, options.sampledNamespaces ?? 20);
    const table = await namespaceStatsTable(
      client,
      largest.map((node) => ({ name: node.displayPath(), prefix: node.prefix, keys: node.count })),
      {
        totalKeys: model.totalKeys,
        sampleSize: options.sampleSize ?? 50,
        scanCount: options.scanCount ?? 1000,
        maxScanCalls: options.maxScanCallsPerNamespace ?? 20,
        endpoint,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    for (const row of table) {
      if (row.estimatedBytes === undefined) continue;
      topNamespaces.push({
        name: row.name,
        bytes: row.estimatedBytes,
        exact: row.exact,
        keys: row.keys,
        sampled: row.sampled,
      });
    }
    topNamespaces.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
    topNamespaces.splice(options.shownNamespaces ?? 5);
  }
  return {
    usedBytes,
    maxmemoryBytes,
    policy,
    limitBytes,
    limitSource,
    share: limitBytes ? usedBytes / limitBytes : undefined,
    warnAt: options.warnAt ?? DEFAULT_WARN_AT,
    evictedKeys: evicted !== undefined && Number.isFinite(evicted) ? evicted : undefined,
    topNamespaces,
  };
}

async function configGet(client: Redis, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    try {
      const reply = (await client.call('CONFIG', 'GET', name)) as unknown;
      if (Array.isArray(reply) && reply.length >= 2) out[String(reply[0])] = String(reply[1]);
    } catch {
      // CONFIG may be renamed or refused on a managed server: the figure is then unknown.
    }
  }
  return out;
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/**
 * A memory size as redis.conf writes `maxmemory`: `256mb`, `1gb`, `512kb`, `1g`
 * (k/m/g are powers of 1000, kb/mb/gb of 1024), a bare number is bytes; case and
 * spaces between the number and the unit do not matter. Empty or `0`: no budget
 * (undefined). Anything else: null.
 */
export function parseMemorySize(input: string): number | undefined | null {
  const text = input.trim().toLowerCase();
  if (text === '' || text === '0') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/.exec(text);
  const factor = match ? UNITS[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) return null;
  const bytes = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
