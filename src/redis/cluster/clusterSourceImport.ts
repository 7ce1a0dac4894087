import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { toBinary } from '../keyspace';
import { RedisCredentials, RedisEndpoint } from '../endpoint';
import {
  CompiledMapping,
  DEFAULT_EXAMPLES,
  MappingTotals,
  MigrationMode,
  MigrationOptions,
  MigrationResult,
  migrateKeys,
  ReasonGroup,
  SegmentCount,
  SourceScan,
  SourceScanOptions,
  scanSourceSegments,
} from '../migration';
import { SeenKeys } from '../keyspace/seenKeys';
import { lostConnection } from './nodes';
import { readSlotState, receivingMasters } from './slotState';
import { ClusterMaster, clusterMasters } from './topology';

/** The source cluster's masters, each with the connection its cluster client keeps; a master it lost fails naming it. */
export function sourceMasters(
  cluster: Cluster,
  endpoint: RedisEndpoint,
): (ClusterMaster & { readonly client: Redis })[] {
  return clusterMasters(cluster, endpoint).map((master) => {
    if (!master.client) throw lostConnection(master);
    return { ...master, client: master.client };
  });
}

/**
 * Counts a cluster source's keys per first segment: each master walked in turn (its own
 * SCAN, bounded COUNT), replicas never (they hold copies), the counts summed per segment.
 */
export async function scanClusterSourceSegments(
  cluster: Cluster,
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  options: SourceScanOptions = {},
): Promise<SourceScan> {
  const counts = new Map<string | null, SegmentCount>();
  let totalKeys = 0;
  for (const master of sourceMasters(cluster, endpoint)) {
    const before = totalKeys;
    const scan = await scanSourceSegments(
      { endpoint: master.endpoint, credentials },
      {
        ...options,
        ...(options.onProgress
          ? {
              onProgress: (counted: number, expected: number) =>
                options.onProgress?.(before + counted, before + expected),
            }
          : {}),
      },
    );
    totalKeys += scan.totalKeys;
    for (const segment of scan.segments) {
      const id = segment.segment === null ? null : toBinary(segment.segment);
      const known = counts.get(id);
      counts.set(id, { segment: segment.segment, count: (known?.count ?? 0) + segment.count });
    }
  }
  const segments = [...counts.values()].sort(
    (a, b) => Number(a.segment === null) - Number(b.segment === null) || b.count - a.count,
  );
  return { segments, totalKeys };
}

/**
 * Copies from a cluster source master by master (migrateKeys on each master's own
 * connection: its SCAN finds its keys, its DUMP reads them), into one result. A cancel
 * stops after the master it reached; a connection failure carries the partial result of
 * every master so far. A reshard during the import moves keys from a master not yet copied
 * to one already copied: the masters' slots are read before and after (slotState.ts) and a
 * master that received keys is copied again, the keys already looked at skipped (one SeenKeys
 * for all). When a reshard still goes on after a few such sweeps, the import fails saying so.
 */
export async function migrateFromClusterMasters(
  cluster: Cluster,
  endpoint: RedisEndpoint,
  target: Redis | Cluster,
  mappings: readonly CompiledMapping[],
  options: MigrationOptions = {},
): Promise<MigrationResult> {
  const mode = options.mode ?? 'dry-run';
  const results: MigrationResult[] = [];
  const seen = options.seen ?? new SeenKeys(options.expected ?? 1 << 15);
  const targetsTaken = options.targetsTaken ?? new SeenKeys(1 << 15);
  const copy = async (master: ClusterMaster & { readonly client: Redis }): Promise<boolean> => {
    const done = mergeMigrationResults(mode, results, mappings, options.examples);
    try {
      results.push(
        await migrateKeys(master.client, target, mappings, {
          ...options,
          seen,
          targetsTaken,
          sourceEndpoint: master.endpoint,
          ...(options.onProgress
            ? {
                onProgress: (p) =>
                  options.onProgress?.({
                    ...p,
                    processed: done.processed + p.processed,
                    copied: done.copied + p.copied,
                    skipped: done.skippedExisting + done.skippedExpired + done.skippedSameTarget + p.skipped,
                    failed: done.failed + p.failed,
                  }),
              }
            : {}),
        }),
      );
    } catch (error) {
      throw withPartial(error, partialOf(error) ? [...results, partialOf(error) as MigrationResult] : results);
    }
    return results.at(-1)?.cancelled !== true;
  };
  const withPartial = (error: unknown, parts: readonly MigrationResult[]): Error =>
    Object.assign(error instanceof Error ? error : new Error(String(error)), {
      partial: mergeMigrationResults(mode, parts, mappings, options.examples),
    });

  const masters = sourceMasters(cluster, endpoint);
  let before = await readSlotState(masters);
  for (const master of masters) {
    if (!(await copy(master))) return mergeMigrationResults(mode, results, mappings, options.examples);
  }
  for (let sweep = 0; ; sweep++) {
    const now = await readSlotState(await currentSourceMasters(cluster, endpoint));
    const receiving = receivingMasters(before, now);
    before = now;
    if (receiving.length === 0) break;
    if (sweep >= MAX_SWEEPS) {
      throw withPartial(
        new Error(
          `A resharding of the source cluster kept moving slots between masters (${receiving.map((m) => m.address).join(', ')} receiving) during the import, so keys it moved may not have been copied. Run the import again once the resharding is over: keys already in the target are skipped.`,
        ),
        results,
      );
    }
    for (const master of receiving) {
      if (!master.client) throw withPartial(lostConnection(master), results);
      if (!(await copy({ ...master, client: master.client }))) break;
    }
    if (results.at(-1)?.cancelled) break;
  }
  return mergeMigrationResults(mode, results, mappings, options.examples);
}

/** Sweeps after the first pass over every master, at most (a resharding that goes on is not followed for ever). */
const MAX_SWEEPS = 3;

/** The source's masters from a slot map read now (a reshard may have given slots to a master the cached map lacks). */
async function currentSourceMasters(cluster: Cluster, endpoint: RedisEndpoint): Promise<ClusterMaster[]> {
  await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
  return clusterMasters(cluster, endpoint);
}

function partialOf(error: unknown): MigrationResult | undefined {
  return (error as { partial?: MigrationResult }).partial;
}

/** Several masters' results as one: counts summed, reasons and per-mapping totals merged, examples kept up to the limit. */
export function mergeMigrationResults(
  mode: MigrationMode,
  results: readonly MigrationResult[],
  mappings: readonly CompiledMapping[],
  examples = DEFAULT_EXAMPLES,
): MigrationResult {
  const sum = (field: keyof MigrationResult): number => results.reduce((total, r) => total + (r[field] as number), 0);
  const reasons = new Map<string, ReasonGroup>();
  const perMapping = new Map<CompiledMapping, MappingTotals>(
    mappings.map((mapping) => [mapping, { mapping, processed: 0, copied: 0, replaced: 0, skipped: 0, failed: 0 }]),
  );
  const byType: Record<string, number> = {};
  for (const result of results) {
    for (const group of result.reasons) {
      const key = `${group.kind}\n${group.reason}`;
      const merged = reasons.get(key) ?? { kind: group.kind, reason: group.reason, count: 0, examples: [] };
      merged.count += group.count;
      merged.examples.push(...group.examples.slice(0, examples - merged.examples.length));
      reasons.set(key, merged);
    }
    for (const totals of result.perMapping) {
      const merged = perMapping.get(totals.mapping);
      if (!merged) continue;
      merged.processed += totals.processed;
      merged.copied += totals.copied;
      merged.replaced += totals.replaced;
      merged.skipped += totals.skipped;
      merged.failed += totals.failed;
    }
    for (const [type, count] of Object.entries(result.byType)) byType[type] = (byType[type] ?? 0) + count;
  }
  return {
    mode,
    cancelled: results.some((r) => r.cancelled),
    scanned: sum('scanned'),
    processed: sum('processed'),
    copied: sum('copied'),
    replaced: sum('replaced'),
    skippedExisting: sum('skippedExisting'),
    skippedExpired: sum('skippedExpired'),
    skippedSameTarget: sum('skippedSameTarget'),
    failed: sum('failed'),
    reasons: [...reasons.values()].sort((a, b) => b.count - a.count),
    perMapping: [...perMapping.values()],
    byType,
    elapsedMs: sum('elapsedMs'),
  };
}
