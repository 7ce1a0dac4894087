import type Redis from 'ioredis';
import type { CacheTtlResult } from '../checks/cacheTtl';
import { checkCacheTtl } from '../checks/cacheTtl';
import { checkMemory, MemoryResult, NamespaceMemory } from '../checks/memory';
import type { DeclaredNamespaceSpec, Finding } from '../checks/types';
import type { RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import type { NamespaceModel } from '../keyspace';
import { KeyspaceCancelledError } from '../keyspace/errors';
import type { ScanBound } from '../keyspace/prefixScan';
import { DeniedAccess, readAclLog } from '../observe/aclLog';
import type { NamespaceOwner } from '../observe/clientList';
import { readSlowLog, SlowLog } from '../observe/slowLog';
import { clusterNamespaceStats } from './clusterStatistics';
import { describeMaster } from './clusterWalk';
import { nodeEndpoint } from './connection';
import { namingNode, onEveryMaster } from './perMaster';
import type { ClusterMaster, Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/** One node of a cluster the checks read node-local state from (memory, slow log, ACL LOG). */
export interface CheckNode {
  /** `host:port`. */
  readonly address: string;
  readonly role: 'master' | 'replica';
  /** `127.0.0.1:7002 (cluster master, slots 5461-10922)`, `127.0.0.1:7005 (replica of 127.0.0.1:7002)`. */
  readonly description: string;
  readonly endpoint: RedisEndpoint;
  /** The cluster client's connection to it; undefined once it dropped it. */
  readonly client: Redis | undefined;
  /** For a master: the master itself; for a replica: its master. */
  readonly master: ClusterMaster;
}

/** What the checks need of a cluster: its masters (keyspace) and every node (node-local state). */
export interface ClusterCheckNodes {
  readonly masters: readonly ClusterMaster[];
  readonly nodes: readonly CheckNode[];
}

/** The masters of the slot map and their replicas, each with the cluster client's connection to it. */
export function clusterCheckNodes(topology: ClusterTopology): ClusterCheckNodes {
  const masters = topology.masters();
  const clients = new Map(
    topology.cluster.nodes('all').map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  const nodes: CheckNode[] = [];
  for (const master of masters) {
    nodes.push({
      address: master.address,
      role: 'master',
      description: describeMaster(master),
      endpoint: master.endpoint,
      client: master.client,
      master,
    });
    for (const replica of master.replicas) {
      nodes.push({
        address: replica,
        role: 'replica',
        description: `${replica} (replica of ${master.address})`,
        endpoint: nodeEndpoint(master.endpoint, replica),
        client: clients.get(replica),
        master,
      });
    }
  }
  return { masters, nodes };
}

/** `work` on every node at once; a failure names the node (a replica too, by its master). */
export function onEveryNode<T>(
  nodes: readonly CheckNode[],
  work: (client: Redis, node: CheckNode) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    nodes.map(async (node) => {
      if (!node.client) {
        throw new RedisConnectionError(
          'unreachable',
          node.description,
          'is in the slot map but its connection was closed',
          'The node may have stopped; check it, or wait for the cluster to settle, then try again.',
        );
      }
      try {
        return await work(node.client, node);
      } catch (error) {
        throw namingNode(error, node.description);
      }
    }),
  );
}

/**
 * The cache namespaces' TTL check on a cluster: every master SCANs its own keys of each
 * namespace and reads their PTTL on the same connection (a key lives on one master only),
 * and the figures are summed. Namespaces the walk found empty cost nothing, as on one server.
 */
export async function clusterCacheTtl(
  masters: readonly ClusterMaster[],
  namespaces: readonly DeclaredNamespaceSpec[],
  options: ScanBound & { readonly model: NamespaceModel; readonly examples?: number },
): Promise<CacheTtlResult[]> {
  const { model } = options;
  const empty = (ns: DeclaredNamespaceSpec): boolean => (model.findNamespace(ns.path)?.count ?? 0) === 0;
  const perMaster = await onEveryMaster(masters, (client) =>
    // Without the model: its key names span every master, and a master answers only for its own.
    checkCacheTtl(
      client,
      namespaces.filter((ns) => !empty(ns)),
      { ...options, model: undefined, delimiter: model.delimiter, endpoint: undefined },
    ),
  );
  const wanted = options.examples ?? 3;
  return namespaces.map((ns): CacheTtlResult => {
    const parts = perMaster.map((results) => results.find((r) => r.path === ns.path)).filter((r) => r !== undefined);
    const total = model.findNamespace(ns.path)?.count ?? 0;
    if (parts.length === 0) {
      const prefix = Buffer.concat([Buffer.from(ns.path, 'latin1'), model.delimiter]);
      return {
        path: ns.path,
        prefix,
        keys: 0,
        withoutTtl: 0,
        total,
        exact: true,
        examples: [],
        source: 'walk',
        scanCalls: 0,
      };
    }
    return {
      path: ns.path,
      prefix: (parts[0] as CacheTtlResult).prefix,
      keys: parts.reduce((sum, r) => sum + r.keys, 0),
      withoutTtl: parts.reduce((sum, r) => sum + r.withoutTtl, 0),
      total,
      exact: parts.every((r) => r.exact),
      examples: parts.flatMap((r) => r.examples).slice(0, wanted),
      source: 'scan',
      scanCalls: parts.reduce((sum, r) => sum + r.scanCalls, 0),
    };
  });
}

/** One node's memory against its limit. */
export interface NodeMemory {
  readonly node: string;
  readonly description: string;
  readonly memory: MemoryResult;
}

/**
 * Memory on a cluster: every node (masters and replicas) has its own `maxmemory` and fills
 * on its own, so each is judged against its limit (or the budget, per node). The
 * namespaces holding the most memory are summed over the masters.
 */
export async function clusterMemory(
  cluster: ClusterCheckNodes,
  options: {
    readonly model: NamespaceModel;
    readonly budgetBytes?: number | undefined;
    readonly warnAt?: number | undefined;
    readonly scanCount?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<{ readonly worst: MemoryResult; readonly nodes: readonly NodeMemory[] }> {
  const nodes = await onEveryNode(cluster.nodes, async (client, node) => ({
    node: node.address,
    description: node.description,
    memory: await checkMemory(client, {
      budgetBytes: options.budgetBytes,
      ...(options.warnAt === undefined ? {} : { warnAt: options.warnAt }),
      endpoint: node.endpoint,
    }),
  }));
  if (nodes.length === 0) throw new Error('The cluster client knows no node of the cluster.');
  const topNamespaces = await largestNamespaces(cluster.masters, options);
  const worst = nodes.reduce((a, b) => ((b.memory.share ?? -1) > (a.memory.share ?? -1) ? b : a));
  return { worst: { ...worst.memory, topNamespaces, node: worst.node }, nodes };
}

/** As checkMemory samples them, but over every master: the 20 largest top-level namespaces, 5 shown. */
async function largestNamespaces(
  masters: readonly ClusterMaster[],
  options: {
    readonly model: NamespaceModel;
    readonly scanCount?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<NamespaceMemory[]> {
  const model = options.model;
  const top: NamespaceMemory[] = [];
  for (const node of model.root.childNamespaces('count').slice(0, 20)) {
    if (options.signal?.aborted) throw new KeyspaceCancelledError();
    const stats = await clusterNamespaceStats(
      masters,
      { name: node.displayPath(), prefix: node.prefix, keys: node.count },
      {
        totalKeys: model.totalKeys,
        sampleSize: 50,
        scanCount: options.scanCount ?? 1000,
        maxScanCalls: 20,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    if (stats.estimatedBytes === undefined) continue;
    top.push({
      name: stats.name,
      bytes: stats.estimatedBytes,
      exact: stats.exact,
      keys: stats.keys,
      sampled: stats.sampled,
    });
  }
  top.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return top.slice(0, 5);
}

/** One node's slow log. */
export interface NodeSlowLog {
  readonly node: string;
  readonly description: string;
  readonly log: SlowLog;
}

/** SLOWLOG of every node: a slow command is logged by the node that ran it (a replica serves reads too). */
export function clusterSlowLogs(
  nodes: readonly CheckNode[],
  owners: readonly NamespaceOwner[],
  delimiter: string,
): Promise<NodeSlowLog[]> {
  return onEveryNode(nodes, async (client, node) => ({
    node: node.address,
    description: node.description,
    log: await readSlowLog(client, owners, delimiter),
  }));
}

/** One node's ACL LOG. */
export interface NodeDeniedAccesses {
  readonly node: string;
  readonly description: string;
  readonly entries: readonly DeniedAccess[];
}

/** ACL LOG of every node: each node refuses, and logs, on its own. */
export function clusterAclLogs(
  nodes: readonly CheckNode[],
  owners: readonly NamespaceOwner[],
  delimiter: string,
): Promise<NodeDeniedAccesses[]> {
  return onEveryNode(nodes, async (client, node) => ({
    node: node.address,
    description: node.description,
    entries: await readAclLog(client, owners, delimiter),
  }));
}

/** A node's findings, named by it: `Memory · 127.0.0.1:7002`, and the node's role in the detail. */
export function atNode(findings: readonly Finding[], node: string, description: string): Finding[] {
  return findings.map((finding) => ({
    ...finding,
    id: `${finding.id}@${node}`,
    label: `${finding.label} · ${node}`,
    detail: `On ${description}: ${finding.detail}`,
  }));
}
