import type Redis from 'ioredis';
import type { ScanBound } from '../keyspace/prefixScan';
import {
  displayBytes,
  displaySegment,
  formatBytes,
  formatKeyCount,
  groupThousands,
  KeyspaceCancelledError,
  NamespaceModel,
} from '../keyspace';
import { cacheNamespaces, CacheTtlResult, checkCacheTtl } from './cacheTtl';
import { checkMemory, MemoryResult } from './memory';
import type { CheckId, DeclaredNamespaceSpec, Finding } from './types';
import { DeniedAccess, readAclLog } from '../observe/aclLog';
import { readSlowLog, SlowLog } from '../observe/slowLog';
import { deniedAccessFindings, slowLogFindings } from './observed';
import { checkUndeclaredKeys, UndeclaredResult } from './undeclared';
import { checkClusterSlots, clusterSlotFindings, SlotAdviceResult } from './clusterSlots';
import {
  atNode,
  clusterAclLogs,
  clusterCacheTtl,
  ClusterCheckNodes,
  clusterMemory,
  clusterSlowLogs,
  NodeDeniedAccesses,
  NodeMemory,
  NodeSlowLog,
} from '../cluster/clusterChecks';

export interface CheckOptions extends ScanBound {
  /** The memory limit when maxmemory is 0. */
  readonly budgetBytes?: number | undefined;
  /** Share of the limit from which memory is a finding (default 0.8). */
  readonly warnAt?: number | undefined;
  readonly examples?: number | undefined;
  /** On a Redis Cluster: its masters and nodes. Each check then reads every master's keys and every node's own state. */
  readonly cluster?: ClusterCheckNodes | undefined;
}

/** Everything one run of the checks found; a check that failed has its message in `errors` and no result. */
export interface CheckReport {
  readonly checkedAt: Date;
  /** Keys in the walk the checks ran on. */
  readonly keys: number;
  readonly delimiter: Buffer;
  readonly undeclared: UndeclaredResult | undefined;
  /** One per namespace declared as a cache. */
  readonly cacheTtl: readonly CacheTtlResult[] | undefined;
  readonly memory: MemoryResult | undefined;
  /** The slow log (SLOWLOG GET), whose services' entries are findings. */
  readonly slowLog?: SlowLog | undefined;
  /** The ACL LOG's refusals, each user's a finding. */
  readonly deniedAccesses?: readonly DeniedAccess[] | undefined;
  /** Cluster advice: one id's keys spread over hash slots (CROSSSLOT on a cluster). */
  readonly clusterSlots?: SlotAdviceResult | undefined;
  /** On a cluster: each node's memory (`memory` is then the fullest node's, with the namespaces summed over the masters). */
  readonly memoryNodes?: readonly NodeMemory[] | undefined;
  /** On a cluster: each node's slow log (`slowLog` is then all of them together). */
  readonly slowLogNodes?: readonly NodeSlowLog[] | undefined;
  /** On a cluster: each node's ACL LOG (`deniedAccesses` is then all of them together). */
  readonly deniedAccessNodes?: readonly NodeDeniedAccesses[] | undefined;
  readonly errors: Readonly<Partial<Record<CheckId, string>>>;
  /** The problems, by check: undeclared keys, cache keys without TTL, memory. */
  readonly findings: readonly Finding[];
}

/**
 * Runs the three checks on a complete, unfiltered keyspace walk: keys outside every
 * declared namespace, keys without a TTL in namespaces declared as caches, memory
 * against its limit. Bounded work on a shared Redis: SCAN with COUNT, never KEYS. A
 * failing check does not stop the others; a cancellation (signal) rejects with
 * KeyspaceCancelledError.
 */
export async function runChecks(
  client: Redis,
  model: NamespaceModel,
  declared: readonly DeclaredNamespaceSpec[],
  options: CheckOptions = {},
): Promise<CheckReport> {
  const errors: Partial<Record<CheckId, string>> = {};
  const bound = {
    scanCount: options.scanCount,
    maxScanCalls: options.maxScanCalls,
    signal: options.signal,
    endpoint: options.endpoint,
  };
  const attempt = async <T>(id: CheckId, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof KeyspaceCancelledError || options.signal?.aborted) throw new KeyspaceCancelledError();
      errors[id] = error instanceof Error ? error.message : String(error);
      return undefined;
    }
  };
  const examples = options.examples ?? 3;
  const cluster = options.cluster;
  // On a cluster every master's keys are read on its own connection (whose address names it in an error).
  const masterClients = cluster?.masters.flatMap((master) => (master.client ? [master.client] : []));
  const keysBound = cluster ? { ...bound, endpoint: undefined } : bound;
  const undeclared = await attempt('undeclared', () =>
    checkUndeclaredKeys(model, declared, { ...keysBound, client: masterClients ?? client, examples }),
  );
  const cacheTtl = await attempt('cacheTtl', () =>
    cluster
      ? clusterCacheTtl(cluster.masters, cacheNamespaces(declared), { ...keysBound, model, examples })
      : checkCacheTtl(client, cacheNamespaces(declared), { ...bound, model, examples }),
  );
  const memoryOptions = {
    model,
    budgetBytes: options.budgetBytes,
    warnAt: options.warnAt ?? 0.8,
    scanCount: options.scanCount,
    signal: options.signal,
  };
  const memoryNodes = cluster ? await attempt('memory', () => clusterMemory(cluster, memoryOptions)) : undefined;
  const memory = cluster
    ? memoryNodes?.worst
    : await attempt('memory', () => checkMemory(client, { ...memoryOptions, endpoint: options.endpoint }));
  // The observed checks map users to services through the declared namespaces, as text.
  const owners = declared.map((d) => ({ name: Buffer.from(d.path, 'latin1').toString('utf8'), owner: d.owner }));
  const delimiter = model.delimiter.toString('utf8');
  // Each node of a cluster keeps its own slow log and ACL LOG.
  const slowLogNodes = cluster
    ? await attempt('slowLog', () => clusterSlowLogs(cluster.nodes, owners, delimiter))
    : undefined;
  const slowLog = cluster
    ? slowLogNodes && mergedSlowLog(slowLogNodes.map((n) => n.log))
    : await attempt('slowLog', () => readSlowLog(client, owners, delimiter));
  const deniedAccessNodes = cluster
    ? await attempt('deniedAccesses', () => clusterAclLogs(cluster.nodes, owners, delimiter))
    : undefined;
  const deniedAccesses = cluster
    ? deniedAccessNodes?.flatMap((n) => n.entries)
    : await attempt('deniedAccesses', () => readAclLog(client, owners, delimiter));
  const clusterSlots = await attempt('clusterSlots', () =>
    checkClusterSlots(cluster?.masters ?? client, model.delimiter, { ...keysBound, onCluster: cluster !== undefined }),
  );
  const report = {
    checkedAt: new Date(),
    keys: model.totalKeys,
    delimiter: model.delimiter,
    undeclared,
    cacheTtl,
    memory,
    slowLog,
    deniedAccesses,
    clusterSlots,
    memoryNodes: memoryNodes?.nodes,
    slowLogNodes,
    deniedAccessNodes,
    errors,
  };
  return { ...report, findings: findingsOf(report) };
}

/** The problems of a report, as rows of a Problems-style list. */
export function findingsOf(report: Omit<CheckReport, 'findings'>): Finding[] {
  const findings: Finding[] = [];
  const delimiter = displayBytes(report.delimiter);
  for (const group of report.undeclared?.groups ?? []) {
    const where =
      group.segment === undefined ? `no ${delimiter} in the name` : `first segment ${displaySegment(group.segment)}`;
    findings.push({
      check: 'undeclared',
      id: `undeclared:${group.segment === undefined ? '' : `=${group.segment}`}`,
      severity: 'warning',
      label: group.segment === undefined ? '(no namespace)' : displaySegment(group.segment),
      description: `${formatKeyCount(group.count)} outside every declared namespace`,
      detail: `${formatKeyCount(group.count)} (${where}) belong to no namespace of the setting sharedRedis.namespaces: a service may have forgotten its prefix, or the namespace is not declared yet.`,
      namespacePath: group.segment,
      count: group.count,
      countExact: true,
      examples: group.examples,
    });
  }
  for (const ns of report.cacheTtl ?? []) {
    if (ns.withoutTtl === 0) continue;
    const bound = ns.exact ? '' : 'at least ';
    findings.push({
      check: 'cacheTtl',
      id: `cacheTtl:${ns.path}`,
      severity: 'warning',
      label: displayBytes(ns.path),
      description: ns.exact
        ? `${groupThousands(ns.withoutTtl)} of ${formatKeyCount(ns.keys)} without a TTL`
        : `at least ${groupThousands(ns.withoutTtl)}${ns.total !== undefined ? ` of ${formatKeyCount(ns.total)}` : ` ${ns.withoutTtl === 1 ? 'key' : 'keys'}`} without a TTL (${groupThousands(ns.keys)} looked at)`,
      detail:
        `${displayBytes(ns.path)} is declared as a cache, so its keys should expire; ${bound}${formatKeyCount(ns.withoutTtl)} never will and keep taking memory.` +
        (ns.exact ? '' : ` The check stopped after ${groupThousands(ns.scanCalls)} SCAN calls: there may be more.`),
      namespacePath: ns.path,
      count: ns.withoutTtl,
      countExact: ns.exact,
      examples: ns.examples,
    });
  }
  // On a cluster, each node's findings name it.
  if (report.memoryNodes) {
    for (const n of report.memoryNodes) findings.push(...atNode(memoryFindings(n.memory), n.node, n.description));
  } else if (report.memory) findings.push(...memoryFindings(report.memory));
  if (report.slowLogNodes) {
    for (const n of report.slowLogNodes) findings.push(...atNode(slowLogFindings(n.log), n.node, n.description));
  } else if (report.slowLog) findings.push(...slowLogFindings(report.slowLog));
  if (report.deniedAccessNodes) {
    for (const n of report.deniedAccessNodes) {
      findings.push(...atNode(deniedAccessFindings(n.entries), n.node, n.description));
    }
  } else if (report.deniedAccesses) findings.push(...deniedAccessFindings(report.deniedAccesses));
  if (report.clusterSlots) findings.push(...clusterSlotFindings(report.clusterSlots));
  return findings;
}

/** The memory finding of one server (or one node of a cluster), when it is over the warning. */
function memoryFindings(memory: MemoryResult): Finding[] {
  const findings: Finding[] = [];
  if (memory.share !== undefined && memory.limitBytes !== undefined && memory.share >= memory.warnAt) {
    const limit =
      memory.limitSource === 'maxmemory' ? 'maxmemory' : 'the memory budget (setting sharedRedis.memoryBudget)';
    const full = memory.share >= 1;
    findings.push({
      check: 'memory',
      id: 'memory:usage',
      severity: full ? 'error' : 'warning',
      label: 'Memory',
      description: `${percent(memory.share)} of ${memory.limitSource === 'maxmemory' ? 'maxmemory' : 'the budget'} (${formatBytes(memory.usedBytes)} of ${formatBytes(memory.limitBytes)})`,
      detail:
        `Redis uses ${formatBytes(memory.usedBytes)}, ${percent(memory.share)} of ${limit} (${formatBytes(memory.limitBytes)}); the warning starts at ${percent(memory.warnAt)}. ` +
        (memory.limitSource === 'maxmemory'
          ? memory.policy === 'noeviction'
            ? 'With the policy noeviction, writes fail once it is full.'
            : `With the policy ${memory.policy ?? 'unknown'}, keys are evicted once it is full.`
          : 'maxmemory is not set: Redis will grow until the machine runs out.'),
      examples: [],
    });
  }
  return findings;
}

/** Several nodes' slow logs as one, newest first. */
function mergedSlowLog(logs: readonly SlowLog[]): SlowLog {
  return {
    entries: logs.flatMap((log) => log.entries).sort((a, b) => b.time.getTime() - a.time.getTime()),
    length: logs.reduce((sum, log) => sum + log.length, 0),
    maxLength: logs[0]?.maxLength,
    thresholdMicros: logs[0]?.thresholdMicros,
  };
}

export function percent(share: number): string {
  const value = share * 100;
  return `${value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1)}%`;
}
