import type Redis from 'ioredis';
import { walkKeyspace, WalkTarget } from '../keyspace';
import { keyspaceError, endpointOfClient } from '../keyspace/errors';
import { RedisEndpoint } from '../endpoint';

/** How many source keys share a first segment. */
export interface SegmentCount {
  /** The first segment's exact bytes; null for the keys without a delimiter. */
  readonly segment: Buffer | null;
  readonly count: number;
}

export interface SourceScan {
  /** Largest first; the keys without a delimiter (if any) last. */
  readonly segments: readonly SegmentCount[];
  /** Distinct keys counted. */
  readonly totalKeys: number;
}

export interface SourceScanOptions {
  readonly delimiter?: Buffer | string;
  /** SCAN COUNT bound (default 1000). */
  readonly count?: number;
  readonly signal?: AbortSignal;
  /** Keys counted so far, and DBSIZE when the walk started. */
  readonly onProgress?: (counted: number, expected: number) => void;
}

/**
 * Counts the source's keys per first segment with the keyspace walker (SCAN with a
 * bounded COUNT, never KEYS; every key once). Rejects like walkKeyspace: a
 * RedisConnectionError, a KeyspaceCommandError or a KeyspaceCancelledError.
 */
export async function scanSourceSegments(target: WalkTarget, options: SourceScanOptions = {}): Promise<SourceScan> {
  const walk = walkKeyspace(target, {
    delimiter: options.delimiter ?? ':',
    count: options.count ?? 1000,
    keepNamesUpTo: 0,
    maxStoredNames: 0,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: (p) => options.onProgress?.(p.keysCounted, p.expectedKeys) } : {}),
  });
  const model = await walk.done;
  const segments: SegmentCount[] = model.root
    .childNamespaces('count')
    .map((node) => ({ segment: Buffer.from(node.segmentBytes), count: node.count }));
  if (model.root.directCount > 0) segments.push({ segment: null, count: model.root.directCount });
  return { segments, totalKeys: model.totalKeys };
}

/** What the same-server check and the summary need to know about a server. */
export interface ServerIdentity {
  /** INFO server `run_id`: unique per running server process. */
  readonly runId: string;
  readonly version: string;
  readonly db: number;
}

export async function serverIdentity(
  client: Redis,
  endpoint: RedisEndpoint = endpointOfClient(client),
): Promise<ServerIdentity> {
  let info: string;
  try {
    info = await client.info('server');
  } catch (error) {
    throw keyspaceError(error, endpoint, 'INFO');
  }
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return { runId: field('run_id'), version: field('redis_version'), db: endpoint.db };
}

/** True when both are the same database of the same running server (however it was addressed). */
export function sameDatabase(a: ServerIdentity, b: ServerIdentity): boolean {
  return a.runId !== '' && a.runId === b.runId && a.db === b.db;
}

/** Compares dotted versions (`7.0.15` < `7.2.4`); unknown parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}
