import * as vscode from 'vscode';
import type Redis from 'ioredis';
import { basename } from 'node:path';
import {
  BackupError,
  BackupInspection,
  countKeys,
  inspectBackup,
  persistenceConfig,
  PersistenceConfig,
  restoreEntries,
} from '../../docker/backup';
import { ownerOf, Owner, putEntries } from '../../docker/backup/containerFiles';
import { ClusterNodeContainer, ClusterNodeView, waitForReplicas } from '../../docker/stack/clusterHealth';
import {
  ClusterBackupManifest,
  layoutDifferences,
  listClusterBackups,
  LiveReplica,
  manifestFiles,
  readManifest,
} from '../../redis/cluster/clusterBackupManifest';
import { connectRedis } from '../../redis/connection';
import { formatKeyCount, groupThousands } from '../../redis/keyspace/format';
import type { Logger } from '../../logger';
import type { StackSnapshot } from '../../stackService';
import type { ExtensionServices } from '../context';
import { backupClusterMasters, CLUSTER_BACKUP_STATEMENT, ClusterMaster, clusterMasters } from './clusterBackup';
import { displayPath } from './folders';
import { confirmReplace, pickListedOrFile, RestoreArgs, RestoreOutcome, whileRestoring } from './restore';

type Login = { readonly username: string | undefined; readonly password: string | undefined };

/** One container whose data volume gets a master's backup file: the master itself, or one of its replicas. */
interface VolumeTarget {
  readonly service: string;
  readonly containerId: string;
  readonly role: 'master' | 'replica';
  readonly config: PersistenceConfig;
  readonly owner: Owner;
  readonly file: string;
}

/** What the checks before the confirmation found. */
interface Plan {
  readonly manifest: ClusterBackupManifest;
  readonly inspections: readonly BackupInspection[];
  readonly current: number;
  readonly targets: readonly VolumeTarget[];
}

/** A restore refused before anything was changed: the message says why and what to do. */
class RestoreRefusal extends Error {}

/**
 * Restore on the cluster stack, from a cluster backup's manifest: refuses unless the
 * live cluster has the backup's nodes serving the backup's slots; checks every file with
 * the node's own redis-check-rdb; asks; backs the current data up as a cluster backup of
 * its own; stops the stack; puts each master's file onto that master's volume and onto
 * its replicas' (so no replica can hand the old data back by a failover or a partial
 * resync while the cluster comes up; nodes.conf stays, so the nodes keep their ids and
 * slots); starts it, which waits for cluster_state:ok on every node; waits until each
 * replica has synced with its master (see waitForReplicas); and counts the keys on the masters.
 */
export async function restoreCluster(
  services: ExtensionServices,
  snapshot: StackSnapshot,
  args: RestoreArgs | undefined,
  folder: string,
  log: Logger,
): Promise<RestoreOutcome> {
  const project = snapshot.project;
  const refuse = (message: string): RestoreOutcome => {
    log.warn(message);
    void vscode.window.showWarningMessage(message);
    return { outcome: 'refused', message };
  };
  if (!project) return refuse("Cannot restore: the stack's compose file cannot be read. Nothing was changed.");
  let masters: ClusterMaster[];
  try {
    masters = clusterMasters(snapshot, snapshot.cluster ?? []);
  } catch (error) {
    return refuse(`Cannot restore: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`);
  }
  const file = typeof args?.file === 'string' ? args.file : await pickClusterBackup(folder);
  if (!file) return { outcome: 'cancelled', message: 'No backup was chosen.' };
  const login: Login = { username: snapshot.redis?.username, password: snapshot.redis?.password };
  const docker = await services.stack.docker();

  let plan: Plan;
  try {
    plan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Checking ${basename(file)}` },
      () => planRestore(docker, snapshot, masters, file, login),
    );
  } catch (error) {
    if (error instanceof RestoreRefusal) return refuse(error.message);
    if (error instanceof BackupError && error.kind === 'invalid-file') {
      return refuse(`Restore refused: ${error.message} Nothing was changed.`);
    }
    throw error;
  }
  const backupKeys = plan.inspections.reduce((sum, i) => sum + i.keys, 0);
  const question = `Replace the ${formatKeyCount(plan.current)} in the cluster ${project.name} with the cluster backup ${basename(file)} (${formatKeyCount(backupKeys)} on ${plan.manifest.masters.length} masters)?`;
  const declined = await confirmReplace(
    args,
    question,
    `The stack will be stopped and started; services lose their connection meanwhile. Each master gets its file back, and its replicas the same file. The current data is backed up first (one file per master and a manifest) into ${displayPath(folder)}.`,
    folder,
    log,
  );
  if (declined) return declined;

  const result = await whileRestoring(services, log, `Restoring the cluster ${project.name}`, async (say) => {
    say('Backing up the current data first, master by master');
    const previous = await backupClusterMasters(docker, project.name, masters, login, folder, say, 'pre-restore');
    const controller = await services.stack.controller();
    say('Stopping the stack');
    await controller.stop(project);
    try {
      for (const target of plan.targets) {
        say(`Putting ${basename(target.file)} into the volume of ${target.service} (${target.role})`);
        await putEntries(
          docker.getContainer(target.containerId),
          target.config.dir,
          restoreEntries(target.config, target.file),
          target.owner,
        );
      }
    } catch (error) {
      // The data may be half replaced: start anyway, and say where the previous data is.
      await controller.start(services.stack.settings()).catch(() => undefined);
      throw new BackupError(
        'engine',
        `The restore failed while copying into a volume (${error instanceof Error ? error.message : String(error)}). The data from before is the cluster backup ${displayPath(previous.manifest)}; restore it to go back.`,
        file,
      );
    }
    say('Starting the stack and waiting for cluster_state:ok on every node');
    try {
      await controller.start(services.stack.settings());
    } catch (error) {
      throw new BackupError(
        'engine',
        `The cluster did not come back after the restore: ${error instanceof Error ? error.message : String(error)}\nThe data from before is the cluster backup ${displayPath(previous.manifest)}; restore it to go back.`,
        file,
      );
    }
    // Each replica starts with a new replication id and syncs in full from its master;
    // until then Redis leaves it out of CLUSTER SLOTS (so a cluster client would see no replicas).
    say('Waiting for each replica to sync with its master');
    const lagging = await waitForReplicas(docker, await nodeContainers(services), { timeoutMs: 60_000 });
    const keys = await countMasterKeys(services, login);
    return { keys, previous: previous.manifest, lagging };
  });
  services.session.reset('the cluster was restored from a backup');
  services.keyBrowser.requestRefresh();
  const expired = backupKeys - result.keys;
  const note =
    expired > 0 ? ` (the backup had ${groupThousands(backupKeys)}; keys whose TTL ran out since are gone)` : '';
  const syncing =
    result.lagging.length > 0
      ? ` ${result.lagging.join(', ')} had not finished syncing with ${result.lagging.length === 1 ? 'its master' : 'their masters'} after 60 s (${result.lagging.length === 1 ? 'its' : 'each'} volume holds the same file).`
      : '';
  const message = `Restored the cluster backup ${basename(file)}: ${project.name} holds ${formatKeyCount(result.keys)} on its masters${note}. The data it replaced is the cluster backup ${basename(result.previous)}.${syncing}`;
  log.info(message);
  void vscode.window.showInformationMessage(message);
  return { outcome: 'restored', keys: result.keys, backupKeys, previous: result.previous, message };
}

/**
 * Everything checked before the question: the manifest, the live layout against it, each
 * file by its master's redis-check-rdb, the keys there now, and each volume to write.
 */
async function planRestore(
  docker: Awaited<ReturnType<ExtensionServices['stack']['docker']>>,
  snapshot: StackSnapshot,
  masters: readonly ClusterMaster[],
  file: string,
  login: Login,
): Promise<Plan> {
  if (file.endsWith('.rdb')) {
    throw new RestoreRefusal(
      `Restore refused: ${basename(file)} is one file of a cluster backup. Choose the backup's manifest (.cluster.json) beside it, which names every master's file, node and slots. Nothing was changed.`,
    );
  }
  let manifest: ClusterBackupManifest;
  try {
    manifest = readManifest(file);
  } catch (error) {
    throw new RestoreRefusal(
      `Restore refused: ${error instanceof Error ? error.message : String(error)}. Nothing was changed.`,
    );
  }
  const views = snapshot.cluster ?? [];
  const replicas = replicasOf(views);
  const differences = layoutDifferences(
    manifest,
    masters.map((m) => ({ service: m.status.service, nodeId: m.nodeId, slots: m.slots })),
    replicas,
  );
  if (differences.length > 0) {
    throw new RestoreRefusal(
      `Restore refused: this cluster's nodes or slots differ from the backup's (${differences.join('; ')}). Nothing was changed. ` +
        'A cluster backup goes back only onto the nodes that served its slots. After a failover, fail back (CLUSTER FAILOVER on the former master) and try again; ' +
        "to load the data into another cluster, start a redis-server on each master's file and use Import from Another Redis.",
    );
  }
  const files = manifestFiles(file, manifest);
  const inspections: BackupInspection[] = [];
  const targets: VolumeTarget[] = [];
  let current = 0;
  for (const [i, backedUp] of manifest.masters.entries()) {
    const master = masters.find((m) => m.nodeId === backedUp.nodeId) as ClusterMaster;
    const rdb = files[i] as string;
    const client = await nodeClient(master, login);
    try {
      inspections.push(await inspectBackup(docker, master.status.containerId, client, rdb));
      current += await countKeys(client);
      const config = await persistenceConfig(client);
      const volumes = [
        { service: master.status.service, role: 'master' as const },
        ...replicas
          .filter((r) => r.masterId === master.nodeId)
          .map((r) => ({ service: r.service, role: 'replica' as const })),
      ];
      for (const volume of volumes) {
        const status = snapshot.services.find((s) => s.service === volume.service);
        if (!status) {
          throw new RestoreRefusal(`Restore refused: ${volume.service} has no container. Nothing was changed.`);
        }
        const owner = await ownerOf(docker.getContainer(status.containerId), config.dir);
        targets.push({ ...volume, containerId: status.containerId, config, owner, file: rdb });
      }
    } finally {
      client.disconnect();
    }
  }
  return { manifest, inspections, current, targets };
}

/** The nodes that say of themselves that they are replicas, with the master they follow. */
function replicasOf(views: readonly ClusterNodeView[]): LiveReplica[] {
  return views.flatMap((view) => {
    const myself = view.nodes.find((n) => n.myself);
    return myself?.role === 'replica' ? [{ service: view.service, nodeId: myself.id, masterId: myself.masterId }] : [];
  });
}

function nodeClient(master: ClusterMaster, login: Login): Promise<Redis> {
  return connectRedis(
    { host: master.host, port: master.port, db: 0, username: login.username, tls: false },
    { password: login.password },
  );
}

/** The running nodes of the cluster, as the engine names them (after a start). */
async function nodeContainers(services: ExtensionServices): Promise<ClusterNodeContainer[]> {
  const snapshot = await services.stack.refresh();
  return (snapshot.cluster ?? []).flatMap((view) => {
    const status = snapshot.services.find((s) => s.service === view.service);
    return status ? [{ service: view.service, containerId: status.containerId }] : [];
  });
}

/** The keys on the masters once the cluster is back (replicas hold copies and are not counted). */
async function countMasterKeys(services: ExtensionServices, login: Login): Promise<number> {
  const snapshot = await services.stack.refresh();
  let keys = 0;
  for (const master of clusterMasters(snapshot, snapshot.cluster ?? [])) {
    const client = await nodeClient(master, login);
    try {
      keys += await countKeys(client);
    } finally {
      client.disconnect();
    }
  }
  return keys;
}

/** Cluster backups (manifests) in the folder, newest first; or any manifest through a dialog. */
function pickClusterBackup(folder: string): Promise<string | undefined> {
  return pickListedOrFile(
    folder,
    listClusterBackups(folder).map((backup) => ({
      label: `$(database) ${backup.name}`,
      description: backup.modified.toLocaleString(),
      file: backup.file,
    })),
    {
      choose: '$(folder-opened) Choose a manifest…',
      none: `no cluster backups in ${displayPath(folder)}`,
      title: 'Restore the cluster from',
      placeHolder: `Cluster backups in ${displayPath(folder)}, newest first. ${CLUSTER_BACKUP_STATEMENT}`,
      filters: { 'Cluster backup manifests': ['json'], 'All files': ['*'] },
    },
  );
}
