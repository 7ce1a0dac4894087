import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { KeyBytes, scanKeysWithPrefix, toBinary, fromBinary } from '../keyspace';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
import { formatBytes, groupThousands } from '../keyspace/format';
import { withoutEchoedArguments } from '../replyText';
import { formatPercent } from './summary';

/** One namespace to describe: its display name, exact key prefix (path + delimiter) and, when known, its exact key count. */
export interface NamespaceTarget {
  readonly name: string;
  readonly prefix: KeyBytes;
  /** Exact count from a keyspace walk; without it the count comes from the bounded SCAN. */
  readonly keys?: number | undefined;
}

export interface NamespaceStatsOptions {
  /** Keys of the database, for the share of all keys; DBSIZE when not given. */
  readonly totalKeys?: number | undefined;
  /** Keys sampled at most per namespace for TTL and MEMORY USAGE (default 100). */
  readonly sampleSize?: number;
  /** COUNT of each SCAN call (default 1000). */
  readonly scanCount?: number;
  /** SCAN calls at most per namespace (default 100): bounds the work on a large keyspace. */
  readonly maxScanCalls?: number;
  /** SAMPLES argument of MEMORY USAGE for aggregates (default 5). */
  readonly memorySamples?: number;
  readonly endpoint?: RedisEndpoint;
  readonly signal?: AbortSignal;
}

export const DEFAULT_SAMPLE_SIZE = 100;
export const DEFAULT_STATS_SCAN_COUNT = 1000;
export const DEFAULT_MAX_SCAN_CALLS = 100;

/** One row of the per-namespace table. */
export interface NamespaceStats {
  readonly name: string;
  /** Keys in the namespace: exact when `keysExact`, else a lower bound (what the bounded SCAN found). */
  readonly keys: number;
  readonly keysExact: boolean;
  /** keys / all keys of the database, undefined when the database is empty. */
  readonly shareOfAll: number | undefined;
  /** Keys sampled (still alive when sampled). */
  readonly sampled: number;
  /** Sampled keys with a TTL. */
  readonly sampledWithTtl: number;
  /** Share of the sample with a TTL (exact when every key was sampled), undefined without a sample. */
  readonly ttlShare: number | undefined;
  /** MEMORY USAGE summed over the sample. */
  readonly sampledBytes: number;
  /** sampledBytes / sampled × keys, undefined without a sample. */
  readonly estimatedBytes: number | undefined;
  /** True when every key of the namespace was sampled, so TTL share and memory are exact. */
  readonly exact: boolean;
  /** SCAN calls it took. */
  readonly scanCalls: number;
  /** The server's refusal of MEMORY USAGE (an ACL without it, a Redis-compatible server
   * without the command): the memory is then unknown, the rest is still sampled. */
  readonly memoryRefused?: string | undefined;
}

/** A refusal of MEMORY USAGE itself, not of the key: the user may not run it, or the server has no such command. */
function isMemoryRefusal(error: Error): boolean {
  return /^NOPERM\b|^ERR unknown (sub)?command/i.test(error.message);
}

/**
 * Keys, share of all keys, share with a TTL and memory of one namespace, from a bounded
 * `SCAN MATCH <escaped prefix>*` (never KEYS): up to `sampleSize` keys are sampled with
 * PTTL and MEMORY USAGE, and the memory of the whole namespace is estimated from them.
 */
export async function namespaceStats(
  client: Redis,
  target: NamespaceTarget,
  options: NamespaceStatsOptions = {},
): Promise<NamespaceStats> {
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const sampleSize = Math.max(1, Math.floor(options.sampleSize ?? DEFAULT_SAMPLE_SIZE));
  const scanCount = Math.max(1, Math.floor(options.scanCount ?? DEFAULT_STATS_SCAN_COUNT));
  const maxScanCalls = Math.max(1, Math.floor(options.maxScanCalls ?? DEFAULT_MAX_SCAN_CALLS));
  const prefix = typeof target.prefix === 'string' ? fromBinary(target.prefix) : target.prefix;
  const knownCount = target.keys;

  let totalKeys = options.totalKeys;
  if (totalKeys === undefined) {
    try {
      totalKeys = await client.dbsize();
    } catch (error) {
      throw keyspaceError(error, endpoint, 'DBSIZE');
    }
  }

  // SCAN until the sample is full (and, without a known count, until the end), bounded by maxScanCalls.
  const seen = new Set<string>();
  const sample: Buffer[] = [];
  const { calls: scanCalls, complete } = await scanKeysWithPrefix(
    client,
    prefix,
    { scanCount, maxScanCalls, signal: options.signal, endpoint },
    (keys) => {
      for (const key of keys) {
        const id = toBinary(key);
        if (seen.has(id)) continue;
        seen.add(id);
        if (sample.length < sampleSize) sample.push(key);
      }
      return !(knownCount !== undefined && sample.length >= sampleSize);
    },
  );

  let sampled = 0;
  let sampledWithTtl = 0;
  let sampledBytes = 0;
  let memoryRefused: string | undefined;
  if (sample.length > 0) {
    const pipeline = client.pipeline();
    for (const key of sample) {
      pipeline.pttl(key);
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', options.memorySamples ?? 5);
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      throw keyspaceError(error, endpoint, 'PTTL/MEMORY USAGE');
    }
    if (replies === null) throw keyspaceError(new Error('the pipeline was not run'), endpoint, 'PTTL/MEMORY USAGE');
    for (let i = 0; i < sample.length; i++) {
      const [ttlError, pttl] = replies[2 * i] ?? [new Error('missing reply'), undefined];
      const [memoryReplyError, memory] = replies[2 * i + 1] ?? [new Error('missing reply'), undefined];
      let memoryError = memoryReplyError;
      if (memoryError && isMemoryRefusal(memoryError)) {
        memoryRefused ??= withoutEchoedArguments(memoryError.message);
        memoryError = null;
      }
      const failure = ttlError ?? memoryError;
      // A cluster master answers MOVED/ASK for a key of a slot a reshard is moving (SCAN saw it
      // here, the slot is served elsewhere): not sampled, so the figures do not claim exactness.
      if (failure && /^(MOVED|ASK) /.test(failure.message)) continue;
      if (failure) throw keyspaceError(failure, endpoint, 'PTTL/MEMORY USAGE');
      const pttlMs = Number(pttl);
      if (pttlMs === -2 || (memoryRefused === undefined && (memory === null || memory === undefined))) continue; // gone since SCAN saw it
      sampled++;
      if (pttlMs >= 0) sampledWithTtl++;
      if (memoryRefused === undefined) sampledBytes += Number(memory);
    }
  }

  const keysExact = knownCount !== undefined || complete;
  const keys = knownCount ?? seen.size;
  const exact = complete && sample.length === seen.size && sampled === keys;
  return {
    name: target.name,
    keys,
    keysExact,
    shareOfAll: totalKeys > 0 ? Math.min(1, keys / totalKeys) : undefined,
    sampled,
    sampledWithTtl,
    ttlShare: sampled > 0 ? sampledWithTtl / sampled : undefined,
    sampledBytes,
    estimatedBytes:
      sampled > 0 && memoryRefused === undefined
        ? exact
          ? sampledBytes
          : Math.round((sampledBytes / sampled) * keys)
        : undefined,
    exact,
    scanCalls,
    memoryRefused,
  };
}

/** Stats of several namespaces, one after the other (so the server sees one bounded SCAN at a time). */
export async function namespaceStatsTable(
  client: Redis,
  targets: readonly NamespaceTarget[],
  options: NamespaceStatsOptions = {},
): Promise<NamespaceStats[]> {
  let totalKeys = options.totalKeys;
  if (totalKeys === undefined) {
    try {
      totalKeys = await client.dbsize();
    } catch (error) {
      throw keyspaceError(error, options.endpoint ?? endpointOfClient(client), 'DBSIZE');
    }
  }
  const rows: NamespaceStats[] = [];
  for (const target of targets) rows.push(await namespaceStats(client, target, { ...options, totalKeys }));
  return rows;
}

/** A row of the table as text: what the INFO view and the namespaceStats command show. */
export interface NamespaceStatsRow {
  readonly namespace: string;
  /** `42 keys`, or `≥ 1,000 keys` when the bounded SCAN did not reach the end. */
  readonly keys: string;
  /** `72.4%` of all keys in the database. */
  readonly share: string;
  /** `100%` of the sampled keys have a TTL. */
  readonly withTtl: string;
  /** `≈ 4.2 KiB`, or `4.2 KiB` when every key was sampled. */
  readonly memory: string;
  /** `30 of 30 keys sampled`. */
  readonly sample: string;
}

/** Child namespaces a table of namespace statistics leaves out: how many, and their keys
 * (exact from a complete walk, else undefined). */
export interface NotSampled {
  readonly namespaces: number;
  readonly keys: number | undefined;
}

/** The table's last row for the child namespaces it did not sample, and how to see one. */
export function describeNotSampled(notSampled: NotSampled, totalKeys: number | undefined): NamespaceStatsRow {
  const { namespaces, keys } = notSampled;
  return {
    namespace: `${groupThousands(namespaces)} more ${namespaces === 1 ? 'namespace' : 'namespaces'} not sampled`,
    keys: keys === undefined ? '–' : `${groupThousands(keys)} ${keys === 1 ? 'key' : 'keys'}`,
    share: keys === undefined || !totalKeys ? '–' : formatPercent(keys / totalKeys),
    withTtl: '–',
    memory: '–',
    sample: 'not sampled: run Namespace Statistics on one of them',
  };
}

export function describeNamespaceStats(stats: NamespaceStats): NamespaceStatsRow {
  const keys = `${stats.keysExact ? '' : '≥ '}${groupThousands(stats.keys)} ${stats.keys === 1 ? 'key' : 'keys'}`;
  return {
    namespace: stats.name,
    keys,
    share: formatPercent(stats.shareOfAll),
    withTtl: formatPercent(stats.ttlShare),
    memory: stats.estimatedBytes === undefined ? '–' : `${stats.exact ? '' : '≈ '}${formatBytes(stats.estimatedBytes)}`,
    sample: `${groupThousands(stats.sampled)} of ${groupThousands(stats.keys)} ${stats.keys === 1 ? 'key' : 'keys'} sampled`,
  };
}
