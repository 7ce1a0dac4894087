import { groupThousands } from '../keyspace/format';
import { keyspaceError } from '../keyspace/errors';
import {
  describeNamespaceStats,
  namespaceStats,
  NamespaceStats,
  NamespaceStatsOptions,
  NamespaceStatsRow,
  NamespaceTarget,
} from '../serverInfo/namespaceStats';
import { onEveryMaster } from './perMaster';
import { readSlotState } from './slotState';
import type { ClusterMaster } from './topology';

/** One master's share of a namespace. */
export interface MasterShare {
  /** `host:port` of the master. */
  readonly address: string;
  /** Keys of the namespace on it: exact when `keysExact`, else what its bounded SCAN found. */
  readonly keys: number;
  readonly keysExact: boolean;
}

/** A namespace's figures over a whole cluster: each master's, summed, and what each holds. */
export interface ClusterNamespaceStats extends NamespaceStats {
  readonly masters: readonly MasterShare[];
  /**
   * Slots a reshard was moving between masters (IMPORTING on one) during the count: keys that
   * moved behind one master's SCAN ahead of another's were counted by neither or by both, so
   * the count is neither exact nor a lower bound. Empty when none moved.
   */
  readonly movingSlots: readonly number[];
}

/** Keys of the cluster: DBSIZE of every master, summed (replicas hold copies and are not counted). */
export async function clusterKeyCount(masters: readonly ClusterMaster[]): Promise<number> {
  const sizes = await onEveryMaster(masters, async (client, master) => {
    try {
      return await client.dbsize();
    } catch (error) {
      throw keyspaceError(error, master.endpoint, 'DBSIZE');
    }
  });
  return sizes.reduce((sum, size) => sum + size, 0);
}

/**
 * namespaceStats on a Redis Cluster: the same bounded `SCAN MATCH` and sample on every
 * master at once (each SCAN sees only its own node's keys), then summed. Each master
 * counts its own keys to the end of its SCAN (within the bound), so the count is exact
 * when every master's SCAN completed; a count known from the Keys view's walk is used
 * as it is. Memory is the sum of every sampled key when every key was sampled, else each
 * master's own estimate summed. The masters' IMPORTING slots are read before and after: a
 * slot being resharded meanwhile makes the count approximate (movingSlots), never exact.
 */
export async function clusterNamespaceStats(
  masters: readonly ClusterMaster[],
  target: NamespaceTarget,
  options: NamespaceStatsOptions & { readonly totalKeys: number },
): Promise<ClusterNamespaceStats> {
  const before = await readSlotState(masters);
  const perMaster = await onEveryMaster(masters, (client, master) =>
    // No known count per master: each counts its own keys, so the sum is exact (no slot moving).
    namespaceStats(client, { ...target, keys: undefined }, { ...options, endpoint: master.endpoint }),
  );
  const after = await readSlotState(masters);
  const movingSlots = [...new Set([...before, ...after].flatMap((state) => state.importing))].sort((a, b) => a - b);
  const sum = (pick: (stats: NamespaceStats) => number): number =>
    perMaster.reduce((total, stats) => total + pick(stats), 0);
  const found = sum((s) => s.keys);
  const complete = perMaster.every((s) => s.keysExact) && movingSlots.length === 0;
  const keys = target.keys ?? found;
  const sampled = sum((s) => s.sampled);
  const sampledWithTtl = sum((s) => s.sampledWithTtl);
  const sampledBytes = sum((s) => s.sampledBytes);
  const exact = perMaster.every((s) => s.exact) && sampled === keys && movingSlots.length === 0;
  // A master that refused MEMORY USAGE leaves the memory unknown, not 0.
  const memoryRefused = perMaster.find((s) => s.memoryRefused !== undefined)?.memoryRefused;
  const estimatedBytes =
    sampled === 0 || memoryRefused !== undefined
      ? undefined
      : exact
        ? sampledBytes
        : complete && target.keys === undefined
          ? sum((s) => s.estimatedBytes ?? 0)
          : Math.round((sampledBytes / sampled) * keys);
  return {
    name: target.name,
    keys,
    keysExact: target.keys !== undefined || complete,
    shareOfAll: options.totalKeys > 0 ? Math.min(1, keys / options.totalKeys) : undefined,
    sampled,
    sampledWithTtl,
    ttlShare: sampled > 0 ? sampledWithTtl / sampled : undefined,
    sampledBytes,
    estimatedBytes,
    exact,
    scanCalls: sum((s) => s.scanCalls),
    masters: perMaster.map((s, i) => ({
      address: (masters[i] as ClusterMaster).address,
      keys: s.keys,
      keysExact: s.keysExact && movingSlots.length === 0,
    })),
    movingSlots,
    memoryRefused,
  };
}

/** A row of the table, its sample saying where the keys live: `90 of 90 keys sampled on 3 masters (127.0.0.1:7001 31, …)`. */
export function describeClusterNamespaceStats(stats: ClusterNamespaceStats): NamespaceStatsRow {
  const row = describeNamespaceStats(stats);
  const moving = stats.movingSlots.length > 0;
  const bound = moving ? '≈ ' : '≥ ';
  const where = stats.masters
    .map((m) => `${m.address} ${m.keysExact ? '' : bound}${groupThousands(m.keys)}`)
    .join(', ');
  const slots =
    stats.movingSlots.slice(0, 5).join(', ') +
    (stats.movingSlots.length > 5 ? ` and ${stats.movingSlots.length - 5} more` : '');
  const why = moving
    ? `; not exact: a resharding was moving slot${stats.movingSlots.length === 1 ? '' : 's'} ${slots} between masters during the count (run it again once it is over)`
    : '';
  return {
    ...row,
    // ≥ escaped: regular expressions are where esbuild keeps non-ASCII text (esbuild.mjs).
    ...(moving ? { keys: row.keys.replace(/^(\u2265 )?/, '≈ ') } : {}),
    sample: `${row.sample} on ${stats.masters.length} ${stats.masters.length === 1 ? 'master' : 'masters'} (${where})${why}`,
  };
}
