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
  NotSampled,
} from '../../redis/serverInfo';
import type { RedisSession } from '../../redisSession';
import {
  clusterKeyCount,
  clusterNamespaceStats,
  describeClusterNamespaceStats,
} from '../../redis/cluster/clusterStatistics';

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

/** Child namespaces sampled at most beside the namespace itself (the largest). */
export const MAX_CHILD_TARGETS = 50;

/** A namespace's targets, and the child namespaces left out of them. */
export interface PathTargets {
  readonly targets: NamespaceTarget[];
  readonly notSampled: NotSampled | undefined;
}

/** A namespace typed by a person (UTF-8 path, no trailing delimiter) and its largest child
 * namespaces, found in the model if it is there; the children past MAX_CHILD_TARGETS are
 * counted, for a row that says so. */
export function targetsForPath(model: NamespaceModel | undefined, path: Buffer): PathTargets {
  const node = model?.findNamespace(path);
  if (node && !node.isRoot) {
    const children = node.childNamespaces('count');
    const left = children.slice(MAX_CHILD_TARGETS);
    const exact = model !== undefined && model.match === undefined && model.type === undefined && model.complete;
    const namespaces = left.length + node.untrackedNamespaces;
    return {
      targets: [targetOf(model, node), ...children.slice(0, MAX_CHILD_TARGETS).map((child) => targetOf(model, child))],
      notSampled:
        namespaces === 0
          ? undefined
          : {
              namespaces,
              keys: exact ? left.reduce((sum, child) => sum + child.count, 0) + node.untrackedCount : undefined,
            },
    };
  }
  const delimiter = model?.delimiter ?? delimiterBytes();
  return {
    targets: [{ name: path.toString('utf8'), prefix: Buffer.concat([path, delimiter]) }],
    notSampled: undefined,
  };
}

export interface StatsResult {
  readonly stats: NamespaceStats[];
  readonly rows: NamespaceStatsRow[];
  /** True when cancelled before every namespace was sampled. */
  readonly cancelled: boolean;
}

/**
 * Bounded stats of each target, one after the other; a cancel keeps the rows done so far.
 * On a cluster every master is sampled (each holds its own keys) and the figures summed.
 */
export async function statsOf(
  session: RedisSession,
  targets: readonly NamespaceTarget[],
  signal?: AbortSignal,
): Promise<StatsResult> {
  const options = {
    sampleSize: SAMPLE_SIZE,
    scanCount: settings().scanCount,
    maxScanCalls: MAX_SCAN_CALLS,
    ...(signal ? { signal } : {}),
  };
  const topology = await session.topology();
  if (topology.kind === 'cluster') {
    const masters = topology.masters();
    const totalKeys = await clusterKeyCount(masters);
    const { stats, cancelled } = await eachTarget(targets, signal, (target) =>
      clusterNamespaceStats(masters, target, { ...options, totalKeys }),
    );
    return { stats, rows: stats.map(describeClusterNamespaceStats), cancelled };
  }
  const endpoint = session.endpoint;
  return session.use(async (client) => {
    const totalKeys = await client.dbsize();
    const { stats, cancelled } = await eachTarget(targets, signal, (target) =>
      namespaceStats(client, target, { ...options, totalKeys, endpoint }),
    );
    return { stats, rows: stats.map(describeNamespaceStats), cancelled };
  });
}

/** `sample` of each target in turn, until a cancel. */
async function eachTarget<T>(
  targets: readonly NamespaceTarget[],
  signal: AbortSignal | undefined,
  sample: (target: NamespaceTarget) => Promise<T>,
): Promise<{ stats: T[]; cancelled: boolean }> {
  const stats: T[] = [];
  for (const target of targets) {
    if (signal?.aborted) return { stats, cancelled: true };
    try {
      stats.push(await sample(target));
    } catch (error) {
      if (error instanceof KeyspaceCancelledError) return { stats, cancelled: true };
      throw error;
    }
  }
  return { stats, cancelled: false };
}

/** The note's sentence when a server refused MEMORY USAGE (the memory column is then empty), or ''. */
export function memoryRefusedNote(result: StatsResult): string {
  const refusal = result.stats.find((s) => s.memoryRefused)?.memoryRefused;
  return refusal ? `No memory figures: MEMORY USAGE was refused (${refusal}).` : '';
}

/** How the table was made, in one sentence. */
export function samplingNote(scanCount: number): string {
  return (
    `Keys are exact counts from the Keys view's walk (or a bounded SCAN, marked ≥). TTL share and memory come from up to ${SAMPLE_SIZE} keys sampled per namespace ` +
    `with SCAN MATCH on the namespace's prefix (at most ${MAX_SCAN_CALLS} calls of COUNT ${scanCount}, never KEYS), PTTL and MEMORY USAGE; ≈ marks an estimate.`
  );
}
