import { BinaryString, fromBinary } from '../keyspace/binary';
import { KeyspaceCancelledError } from '../keyspace/errors';
import { RedisConnectionError } from '../errors';
import {
  CountOptions,
  deleteNamespaceKeys,
  DeleteOptions,
  DeleteResult,
  NamespacePlan,
  planNamespaceDeletion,
} from '../mutations/namespaceDelete';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { readSlotState, receivingMasters } from './slotState';
import { ClusterMaster, keySlot, Topology } from './topology';

/** A namespace's keys on a cluster: each master's own, counted once (replicas are never asked). */
export interface ClusterNamespacePlan extends NamespacePlan {
  readonly byMaster: readonly { readonly master: ClusterMaster; readonly plan: NamespacePlan }[];
}

/**
 * The exact count of a namespace's keys: on a cluster, every master's SCAN (in parallel), each
 * key counted once also while slots move between masters (resharding): a key SCAN found on its
 * source and again on the target counts once, and when the SCANs end, a master that imported a
 * slot or serves one it did not serve when the count began is scanned again, since keys that
 * arrived behind its cursor were seen by no SCAN (see slotState.ts).
 */
export async function planNamespaceDeletionOn(
  topology: Topology,
  prefix: Buffer,
  options: CountOptions = {},
): Promise<NamespacePlan> {
  if (topology.kind === 'single') return planNamespaceDeletion(topology.client, prefix, options);
  const stop = new AbortController();
  const abort = (): void => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    let before = await readSlotState(topology.masters());
    const counted = new Set<BinaryString>();
    const parts = new Map<ClusterMaster['address'], { master: ClusterMaster; keys: BinaryString[] }>();
    let masters = topology.masters();
    for (let pass = 0; masters.length > 0; pass++) {
      // The sweeps find few new keys among many counted: the progress shown is the first pass's.
      const shown = pass === 0 ? options.onProgress : undefined;
      for (const { master, plan } of await countOn(masters, prefix, options.scanCount, shown, stop)) {
        let part = parts.get(master.address);
        if (!part) parts.set(master.address, (part = { master, keys: [] }));
        for (const key of plan.keys) {
          if (counted.has(key)) continue;
          counted.add(key);
          part.keys.push(key);
        }
      }
      if (pass >= MAX_SWEEPS) break;
      const now = await readSlotState(topology.masters());
      masters = receivingMasters(before, now);
      before = now;
    }
    const byMaster = [...parts.values()].map(({ master, keys }) => {
      // In slot order, so that a batch spans few slots (one UNLINK per slot).
      const sorted = keys.sort((a, b) => keySlot(fromBinary(a)) - keySlot(fromBinary(b)));
      return { master, plan: { prefix, keys: sorted, count: sorted.length } };
    });
    const keys = byMaster.flatMap((part) => part.plan.keys);
    const plan: ClusterNamespacePlan = { prefix, keys, count: keys.length, byMaster };
    return plan;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Scans after the first pass, at most (a resharding that goes on is not followed for ever). */
const MAX_SWEEPS = 3;

/** Each master's SCAN at once; one failing stops the others' (the count could not be exact). */
async function countOn(
  masters: readonly ClusterMaster[],
  prefix: Buffer,
  scanCount: number | undefined,
  onProgress: ((found: number) => void) | undefined,
  stop: AbortController,
): Promise<{ master: ClusterMaster; plan: NamespacePlan }[]> {
  const found = masters.map(() => 0);
  // Rejects with the first failure, not the cancellations it caused on the other masters.
  return Promise.all(
    masters.map(async (master, index) => {
      if (!master.client) throw lostConnection(master);
      const plan = await planNamespaceDeletion(master.client, prefix, {
        ...(scanCount === undefined ? {} : { scanCount }),
        signal: stop.signal,
        endpoint: master.endpoint,
        onProgress: (count) => {
          found[index] = count;
          onProgress?.(found.reduce((sum, n) => sum + n, 0));
        },
      }).catch((error: unknown) => {
        stop.abort();
        throw namedAfter(error, master);
      });
      return { master, plan };
    }),
  );
}

/**
 * UNLINKs a plan's keys, on a cluster master by master (through the cluster client, which
 * follows a slot that moved since the count). A failure names the master and its `partial`
 * counts every master's deletions so far.
 */
export async function deleteNamespaceKeysOn(
  topology: Topology,
  plan: NamespacePlan,
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  if (topology.kind === 'single') return deleteNamespaceKeys(topology.client, plan, options);
  if (!('byMaster' in plan)) throw new RangeError('A cluster deletion needs a plan counted on the cluster.');
  const parts = (plan as ClusterNamespacePlan).byMaster;
  let deleted = 0;
  let processed = 0;
  const result = (part: DeleteResult | undefined, cancelled: boolean): DeleteResult => {
    const done = processed + (part?.processed ?? 0);
    const removed = deleted + (part?.deleted ?? 0);
    return {
      prefix: plan.prefix,
      total: plan.count,
      deleted: removed,
      processed: done,
      alreadyGone: done - removed,
      remaining: plan.count - done,
      cancelled,
    };
  };
  for (const { master, plan: part } of parts) {
    if (options.signal?.aborted) return result(undefined, true);
    let outcome: DeleteResult;
    try {
      outcome = await deleteNamespaceKeys(topology.cluster, part, {
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        endpoint: master.endpoint,
        onProgress: (progress) =>
          void options.onProgress?.({
            deleted: deleted + progress.deleted,
            processed: processed + progress.processed,
            total: plan.count,
          }),
      });
    } catch (error) {
      const partial = (error as { partial?: DeleteResult }).partial;
      throw Object.assign(namedAfter(error, master) as Error, { partial: result(partial, false) });
    }
    if (outcome.cancelled) return result(outcome, true);
    deleted += outcome.deleted;
    processed += outcome.processed;
  }
  return result(undefined, false);
}

/** Puts the master into a failure's message (a connection error names its node already). */
function namedAfter(error: unknown, master: ClusterMaster): unknown {
  // A cancellation stays one; a connection error names its node (the master's endpoint) already.
  if (!(error instanceof Error) || error instanceof KeyspaceCancelledError || error instanceof RedisConnectionError) {
    return error;
  }
  error.message = `${describeMaster(master)}: ${error.message}`;
  return error;
}
