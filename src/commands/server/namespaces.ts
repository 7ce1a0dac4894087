import { delimiterBytes, settings } from '../../settings';
import type { KeyBrowser } from '../../keyBrowser';
import { NamespaceModel, NamespaceNode } from '../../redis/keyspace';
import { KeyspaceCancelledError } from '../../redis/keyspace/errors';
import {
  describeNamespaceStats,
  namespaceStats,
  NamespaceStats,
  NamespaceStatsRow,
  NamespaceTarget,
} from '../../redis/serverInfo';
import type { RedisSession } from '../../redisSession';

/** How long to wait for the Keys view's walk in progress before walking again. */
const WALK_WAIT_MS = 120_000;

/** Keys sampled per namespace for TTL share and MEMORY USAGE. */
export const SAMPLE_SIZE = 100;
/** SCAN calls per namespace at most. */
export const MAX_SCAN_CALLS = 100;

/**
 * The Keys view's model once its walk is complete: the one there is, the walk in
 * progress when it ends, else a new walk. Undefined when the walk failed.
 */
export async function completedModel(browser: KeyBrowser): Promise<NamespaceModel | undefined> {
  const state = browser.state;
  if (state.kind === 'complete') return state.model;
  if (state.kind === 'walking') {
    // A walk cancelled without a successor publishes nothing more: stop waiting after a while.
    const next = await browser.walkEnded(WALK_WAIT_MS);
    if (next?.kind === 'complete') return next.model;
  }
  const after = await browser.refresh();
  return after.kind === 'complete' ? after.model : undefined;
}

/** A namespace of the model as a target: exact count when the walk was unfiltered. */
export function targetOf(model: NamespaceModel | undefined, node: NamespaceNode): NamespaceTarget {
  const unfiltered = model !== undefined && model.match === undefined && model.type === undefined && model.complete;
  return { name: node.displayPath(), prefix: node.prefix, keys: unfiltered ? node.count : undefined };
}

/** A namespace typed by a person (UTF-8 path, no trailing delimiter), found in the model if it is there. */
export function targetsForPath(
  model: NamespaceModel | undefined,
  path: Buffer,
  withChildren: boolean,
): NamespaceTarget[] {
  const node = model?.findNamespace(path);
  if (node && !node.isRoot) {
    return [
      targetOf(model, node),
      ...(withChildren
        ? node
            .childNamespaces('count')
            .slice(0, 50)
            .map((child) => targetOf(model, child))
        : []),
    ];
  }
  const delimiter = model?.delimiter ?? delimiterBytes();
  return [{ name: path.toString('utf8'), prefix: Buffer.concat([path, delimiter]) }];
}

export interface StatsResult {
  readonly stats: NamespaceStats[];
  readonly rows: NamespaceStatsRow[];
  /** True when cancelled before every namespace was sampled. */
  readonly cancelled: boolean;
}

/** Bounded stats of each target, one after the other; a cancel keeps the rows done so far. */
export async function statsOf(
  session: RedisSession,
  targets: readonly NamespaceTarget[],
  signal?: AbortSignal,
): Promise<StatsResult> {
  const scanCount = settings().scanCount;
  const endpoint = session.endpoint;
  return session.use(async (client) => {
    const totalKeys = await client.dbsize();
    const stats: NamespaceStats[] = [];
    let cancelled = false;
    for (const target of targets) {
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      try {
        stats.push(
          await namespaceStats(client, target, {
            totalKeys,
            sampleSize: SAMPLE_SIZE,
            scanCount,
            maxScanCalls: MAX_SCAN_CALLS,
            endpoint,
            ...(signal ? { signal } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof KeyspaceCancelledError) {
          cancelled = true;
          break;
        }
        throw error;
      }
    }
    return { stats, rows: stats.map(describeNamespaceStats), cancelled };
  });
}

/** How the table was made, in one sentence. */
export function samplingNote(scanCount: number): string {
  return (
    `Keys are exact counts from the Keys view's walk (or a bounded SCAN, marked ≥). TTL share and memory come from up to ${SAMPLE_SIZE} keys sampled per namespace ` +
    `with SCAN MATCH on the namespace's prefix (at most ${MAX_SCAN_CALLS} calls of COUNT ${scanCount}, never KEYS), PTTL and MEMORY USAGE; ≈ marks an estimate.`
  );
}
