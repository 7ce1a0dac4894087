import type Docker from 'dockerode';
import { basename, join } from 'node:path';
import { backupRedis, BackupResult, backupStamp } from '../../docker/backup';
import type { ClusterNodeView } from '../../docker/stack/clusterHealth';
import { loopbackHost } from '../../docker/stack/clusterStack';
import type { ServiceStatus } from '../../docker/stack/status';
import {
  ClusterBackupManifest,
  MANIFEST_FORMAT,
  manifestName,
  writeManifest,
} from '../../redis/cluster/clusterBackupManifest';
import { connectRedis } from '../../redis/connection';
import type { StackSnapshot } from '../../stackService';

/** What a cluster backup is, said with every one and with the refusal to restore one. */
export const CLUSTER_BACKUP_STATEMENT =
  'A cluster backup is one RDB file per master, each consistent for its own master at the moment it was written, ' +
  "not one point-in-time snapshot across the nodes (a write between two masters' snapshots may be in one file and not the other); " +
  'replicas hold copies of their master and are not backed up. A manifest (.cluster.json) beside the files names the node and slots of each; ' +
  'Restore puts each file back onto the node that served those slots, and refuses a cluster whose nodes or slots differ.';

/** One master of a running cluster stack: its container, its published port and its slots. */
export interface ClusterMaster {
  readonly status: ServiceStatus;
  /** Its cluster node id (kept in nodes.conf on its volume). */
  readonly nodeId: string;
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
    masters.push({
      status,
      nodeId: myself.id,
      slots: myself.slots,
      host: loopbackHost(published.hostIp),
      port: published.hostPort,
    });
  }
  return masters;
}

/** A cluster backup written: each master's file, and the manifest beside them. */
export interface ClusterBackupResult {
  readonly manifest: string;
  readonly results: ReadonlyArray<BackupResult & { readonly master: ClusterMaster }>;
}

/**
 * Backs up each master into `folder` (`<project>-<service>-<stamp>[-suffix].rdb`), one
 * after the other with the single-node backup (BGSAVE, copy out, check), over a connection
 * to that node alone; then writes the manifest (`<project>-<stamp>[-suffix].cluster.json`)
 * naming each file's node id and slots, which a restore checks against the live cluster.
 */
export async function backupClusterMasters(
  docker: Docker,
  project: string,
  masters: readonly ClusterMaster[],
  login: { readonly username: string | undefined; readonly password: string | undefined },
  folder: string,
  onProgress: (message: string) => void,
  suffix?: string,
): Promise<ClusterBackupResult> {
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
        suffix,
        now,
        onProgress: (message) => onProgress(`${master.status.service}: ${message}`),
      });
      results.push({ ...result, master });
    } finally {
      client.disconnect();
    }
  }
  const manifest: ClusterBackupManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    project,
    createdAt: now.toISOString(),
    statement: CLUSTER_BACKUP_STATEMENT,
    masters: results.map((r) => ({
      service: r.master.status.service,
      nodeId: r.master.nodeId,
      slots: r.master.slots,
      file: basename(r.file),
      keys: r.keys,
      bytes: r.bytes,
    })),
  };
  const file = writeManifest(join(folder, manifestName(project, backupStamp(now), suffix)), manifest);
  return { manifest: file, results };
}
