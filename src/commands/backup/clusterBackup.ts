import type Docker from 'dockerode';
import { backupRedis, BackupResult } from '../../docker/backup';
import type { ClusterNodeView } from '../../docker/stack/clusterHealth';
import { loopbackHost } from '../../docker/stack/clusterStack';
import type { ServiceStatus } from '../../docker/stack/status';
import { connectRedis } from '../../redis/connection';
import type { StackSnapshot } from '../../stackService';

/** What a cluster backup is, said with every one and with the refusal to restore one. */
export const CLUSTER_BACKUP_STATEMENT =
  'A cluster backup is one RDB file per master, each consistent for its own master at the moment it was written, ' +
  "not one point-in-time snapshot across the nodes (a write between two masters' snapshots may be in one file and not the other); " +
  'replicas hold copies of their master and are not backed up. Restoring needs a cluster with the same slot layout (each file back onto the master that owned its slots).';

/** One master of a running cluster stack: its container, its published port and its slots. */
export interface ClusterMaster {
  readonly status: ServiceStatus;
  readonly slots: readonly string[];
  readonly host: string;
  readonly port: number;
}

/**
 * The masters of the snapshot's cluster, as each node says of itself; throws a sentence
 * when a node did not answer or is not ok (a backup of part of a cluster is no backup).
 */
export function clusterMasters(snapshot: StackSnapshot, views: readonly ClusterNodeView[]): ClusterMaster[] {
  const broken = views.filter((v) => v.state !== 'ok');
  if (broken.length > 0 || views.length === 0) {
    throw new Error(
      `the cluster is not ok on every node (${broken.map((v) => `${v.service}: ${v.error ?? `cluster_state:${v.state ?? '?'}`}`).join(', ') || 'no node is running'}); start it first`,
    );
  }
  const masters: ClusterMaster[] = [];
  for (const view of views) {
    const myself = view.nodes.find((n) => n.myself);
    if (myself?.role !== 'master' || myself.slots.length === 0) continue;
    const status = snapshot.services.find((s) => s.service === view.service);
    const published = status?.ports.find((p) => p.containerPort === 6379 && p.protocol === 'tcp');
    if (!status || !published) throw new Error(`the master ${view.service} publishes no port for Redis`);
    masters.push({ status, slots: myself.slots, host: loopbackHost(published.hostIp), port: published.hostPort });
  }
  return masters;
}

/**
 * Backs up each master into `folder` (`<project>-<service>-<stamp>.rdb`), one after the
 * other with the single-node backup (BGSAVE, copy out, check), over a connection to that
 * node alone.
 */
export async function backupClusterMasters(
  docker: Docker,
  project: string,
  masters: readonly ClusterMaster[],
  login: { readonly username: string | undefined; readonly password: string | undefined },
  folder: string,
  onProgress: (message: string) => void,
): Promise<Array<BackupResult & { readonly master: ClusterMaster }>> {
  const results: Array<BackupResult & { readonly master: ClusterMaster }> = [];
  const now = new Date();
  for (const master of masters) {
    const client = await connectRedis(
      { host: master.host, port: master.port, db: 0, username: login.username, tls: false },
      { password: login.password },
    );
    try {
      const result = await backupRedis(docker, master.status.containerId, client, folder, {
        prefix: `${project}-${master.status.service}`,
        now,
        onProgress: (message) => onProgress(`${master.status.service}: ${message}`),
      });
      results.push({ ...result, master });
    } finally {
      client.disconnect();
    }
  }
  return results;
}
