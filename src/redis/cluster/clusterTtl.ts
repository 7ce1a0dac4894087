import {
  expireKeysWithoutTtl,
  ExpireOptions,
  ExpireResult,
  NoTtlPlan,
  planTtlForKeysWithoutOne,
  PlanOptions,
} from '../checks/cacheTtl';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { namingNode, onEveryMaster } from './perMaster';
import type { ClusterMaster, Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** The keys without a TTL of a cluster: every master's own, and each master's part. */
export interface ClusterNoTtlPlan extends NoTtlPlan {
  readonly perMaster: readonly { readonly master: ClusterMaster; readonly plan: NoTtlPlan }[];
}

/**
 * Set TTL on Keys Without One, counting on a cluster: every master SCANs its own keys under
 * the prefix at once and reads their PTTL on the same connection (a key lives on one master),
 * so the count the confirmation shows is the cluster's. Progress is the sum over the masters.
 */
export async function planClusterTtlForKeysWithoutOne(
  topology: ClusterTopology,
  prefix: Buffer,
  options: Omit<PlanOptions, 'endpoint'> = {},
): Promise<ClusterNoTtlPlan> {
  const progress = new Map<string, readonly [number, number]>();
  const report = (): void => {
    const sums = [...progress.values()].reduce<[number, number]>(([f, s], [a, b]) => [f + a, s + b], [0, 0]);
    options.onProgress?.(...sums);
  };
  const perMaster = await onEveryMaster(topology.masters(), async (client, master) => ({
    master,
    plan: await planTtlForKeysWithoutOne(client, prefix, {
      ...options,
      endpoint: master.endpoint,
      onProgress: (found, scanned) => {
        progress.set(master.address, [found, scanned]);
        report();
      },
    }),
  }));
  return {
    prefix,
    keys: perMaster.flatMap((part) => part.plan.keys),
    count: perMaster.reduce((sum, part) => sum + part.plan.count, 0),
    scanned: perMaster.reduce((sum, part) => sum + part.plan.scanned, 0),
    perMaster,
  };
}

/**
 * Gives the planned keys the TTL, master by master, each master's keys on its own
 * connection in the same batches (`EXPIRE … NX`: a TTL set meanwhile is kept). One master
 * after the other, so a cancel or a failure says exactly how many got it: a failure carries
 * `partial`, the sum so far, and names the master.
 */
export async function expireClusterKeysWithoutTtl(
  plan: ClusterNoTtlPlan,
  seconds: number,
  options: Omit<ExpireOptions, 'endpoint'> = {},
): Promise<ExpireResult> {
  let done = { expired: 0, processed: 0 };
  let cancelled = false;
  const result = (): ExpireResult => ({
    prefix: plan.prefix,
    total: plan.count,
    expired: done.expired,
    processed: done.processed,
    skipped: done.processed - done.expired,
    remaining: plan.count - done.processed,
    cancelled,
  });
  for (const { master, plan: part } of plan.perMaster) {
    if (part.count === 0) continue;
    const before = done;
    if (!master.client) throw Object.assign(lostConnection(master), { partial: result() });
    try {
      const outcome = await expireKeysWithoutTtl(master.client, part, seconds, {
        ...options,
        endpoint: master.endpoint,
        onProgress: ({ expired, processed }) => {
          done = { expired: before.expired + expired, processed: before.processed + processed };
          options.onProgress?.({ ...done, total: plan.count });
        },
      });
      done = { expired: before.expired + outcome.expired, processed: before.processed + outcome.processed };
      if (outcome.cancelled) {
        cancelled = true;
        break;
      }
    } catch (error) {
      // The master's own partial result is kept in the sum; the error says which master failed.
      const partial = (error as { partial?: ExpireResult }).partial;
      if (partial) {
        done = { expired: before.expired + partial.expired, processed: before.processed + partial.processed };
      }
      const named = namingNode(error, describeMaster(master));
      throw Object.assign(named instanceof Error ? named : new Error(String(named)), { partial: result() });
    }
  }
  return result();
}
