import type Redis from 'ioredis';
import { exportNamespace, ExportOptions, ExportResult, ExportSource } from '../transfer/exportWriter';
import { lostConnection } from './nodes';
import type { Topology } from './topology';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/**
 * Export Namespace on a Redis Cluster: one file with the namespace's keys of every master,
 * each master SCANned and read in turn on the cluster client's connection to it (a key lives
 * on one master; replicas hold copies and are not read). A master the client lost fails the
 * export naming it, before any file is written.
 */
export function exportClusterNamespace(
  topology: ClusterTopology,
  prefix: Buffer,
  file: string,
  options: Omit<ExportOptions, 'sources' | 'endpoint'>,
): Promise<ExportResult> {
  const sources = topology.masters().map((master): ExportSource => {
    if (!master.client) throw lostConnection(master);
    return { client: master.client, endpoint: master.endpoint };
  });
  return exportNamespace(topology.cluster as unknown as Redis, prefix, file, { ...options, sources });
}
