import type Redis from 'ioredis';
import { walkKeyspace, WalkTarget } from '../keyspace';
import { keyspaceError, endpointOfClient } from '../keyspace/errors';
import { RedisEndpoint } from '../endpoint';
import { isNoPermission } from '../observe/clientList';

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
  /** INFO server `run_id`: unique per running server process; empty when unknown. */
  readonly runId: string;
  readonly version: string;
  readonly db: number;
  /** INFO replication `role`; empty when unknown. */
  readonly role: 'master' | 'replica' | '';
  /** INFO replication `master_replid`: a replica shares its master's (a chain of replicas too); empty when unknown. */
  readonly replicationId: string;
}

export async function serverIdentity(
  client: Redis,
  endpoint: RedisEndpoint = endpointOfClient(client),
): Promise<ServerIdentity> {
  const section = async (name: string): Promise<string> => {
    try {
      return await client.info(name);
    } catch (error) {
      // A least-privilege user may not run INFO: who the server is stays unknown (the caller asks), not a failure.
      if (isNoPermission(error)) return '';
      throw keyspaceError(error, endpoint, 'INFO');
    }
  };
  // Two sections, two calls: INFO takes several sections only from Redis 7.
  const info = `${await section('server')}\n${await section('replication')}`;
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  const role = field('role');
  const replicationId = field('master_replid');
  return {
    runId: field('run_id'),
    version: field('redis_version'),
    db: endpoint.db,
    role: role === 'master' ? 'master' : role === 'slave' ? 'replica' : '',
    replicationId: /^0*$/.test(replicationId) ? '' : replicationId,
  };
}

/**
 * How a source's database relates to a target's:
 * - `same-server`: the same database of the same running server (however it was addressed);
 * - `replica-of-target`, `master-of-target`, `replicas-of-one-master`: the same database of two
 *   servers linked by replication (one replication id): the same data under another address,
 *   and what is written to the target comes back in the source;
 * - `unknown`: one of them does not say who it is (no run_id or replication id);
 * - `different`: another server, or another database.
 */
export type DataRelation =
  'same-server' | 'replica-of-target' | 'master-of-target' | 'replicas-of-one-master' | 'unknown' | 'different';

export function dataRelation(source: ServerIdentity, target: ServerIdentity): DataRelation {
  if (source.runId !== '' && source.runId === target.runId) {
    return source.db === target.db ? 'same-server' : 'different';
  }
  if (source.runId === '' || target.runId === '' || source.replicationId === '' || target.replicationId === '') {
    return 'unknown';
  }
  if (source.db !== target.db || source.replicationId !== target.replicationId) return 'different';
  if (source.role === 'replica' && target.role !== 'replica') return 'replica-of-target';
  if (target.role === 'replica' && source.role !== 'replica') return 'master-of-target';
  return 'replicas-of-one-master';
}

/** True when both hold the same data: the same database of one server, or of two linked by replication. */
export function sameDatabase(a: ServerIdentity, b: ServerIdentity): boolean {
  const relation = dataRelation(a, b);
  return relation !== 'different' && relation !== 'unknown';
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
