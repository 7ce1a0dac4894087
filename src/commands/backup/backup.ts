import * as vscode from 'vscode';
import { backupRedis } from '../../docker/backup';
import { formatBytes, formatKeyCount } from '../../redis/keyspace/format';
import type { CommandHandler, ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { defaultBackupFolder, dialogStartFolder, displayPath, ensureBackupFolder } from './folders';
import { NoStackRedis, stackTarget } from '../stackTarget';
import type { Logger } from '../../logger';
import type { StackSnapshot } from '../../stackService';
import { backupClusterMasters, CLUSTER_BACKUP_STATEMENT, ClusterMaster, clusterMasters } from './clusterBackup';

export interface BackupArgs {
  /** The folder to write into; without it the user picks (the default folder first). */
  readonly folder?: string;
}

export type BackupOutcome =
  | {
      readonly outcome: 'done';
      readonly file: string;
      readonly bytes: number;
      readonly keys: number;
      readonly message: string;
    }
  | { readonly outcome: 'cancelled' | 'failed'; readonly message: string };

/**
 * `sharedRedis.backup [{ folder }]`: BGSAVE, wait for it, copy the RDB file out of the
 * container into a dated file, check it, and say its size and key count. Allowed under
 * readOnly: it changes nothing in Redis.
 */
export function backupCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('Backup');
  const backup = async (args?: BackupArgs): Promise<BackupOutcome> => {
    try {
      const snapshot = await services.stack.refresh();
      if (snapshot.cluster) return await backupCluster(services, snapshot, args, log);
      const target = await stackTarget(services);
      const folder = typeof args?.folder === 'string' ? args.folder : await pickFolder(services);
      if (!folder) return { outcome: 'cancelled', message: 'No folder was chosen.' };
      ensureBackupFolder(folder);
      const result = await services.stack.run('Backing up', async () =>
        vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: `Backing up ${target.project.name}`,
          },
          async (progress) => {
            const client = await target.connect();
            try {
              return await backupRedis(target.docker, target.container.containerId, client, folder, {
                prefix: target.project.name,
                onProgress: (message) => {
                  progress.report({ message });
                  log.debug(message);
                },
              });
            } finally {
              client.disconnect();
            }
          },
        ),
      );
      const message = `Backed up ${formatKeyCount(result.keys)} (${formatBytes(result.bytes)}) of ${target.project.name} to ${displayPath(result.file)}.`;
      log.info(message);
      void vscode.window.showInformationMessage(message, 'Reveal File').then((choice) => {
        if (choice) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.file));
      });
      return { outcome: 'done', file: result.file, bytes: result.bytes, keys: result.keys, message };
    } catch (error) {
      if (error instanceof NoStackRedis) {
        const message = `Cannot back up: ${error.message}.`;
        log.warn(message);
        void vscode.window.showWarningMessage(message, ...(error.canStart ? ['Start'] : [])).then((c) => {
          if (c) void vscode.commands.executeCommand('sharedRedis.start');
        });
        return { outcome: 'failed', message };
      }
      return { outcome: 'failed', message: presentError('Backup failed', error, log) };
    }
  };
  return backup;
}

/**
 * The cluster variant: one RDB file per master (see {@link CLUSTER_BACKUP_STATEMENT}),
 * each through the single-node backup; the message names every file and says what they are.
 */
async function backupCluster(
  services: ExtensionServices,
  snapshot: StackSnapshot,
  args: BackupArgs | undefined,
  log: Logger,
): Promise<BackupOutcome> {
  const project = snapshot.project?.name ?? 'cluster';
  let masters: ClusterMaster[];
  try {
    masters = clusterMasters(snapshot, snapshot.cluster ?? []);
  } catch (error) {
    const message = `Cannot back up: ${error instanceof Error ? error.message : String(error)}.`;
    log.warn(message);
    void vscode.window.showWarningMessage(message);
    return { outcome: 'failed', message };
  }
  const folder = typeof args?.folder === 'string' ? args.folder : await pickFolder(services);
  if (!folder) return { outcome: 'cancelled', message: 'No folder was chosen.' };
  ensureBackupFolder(folder);
  const docker = await services.stack.docker();
  const login = { username: snapshot.redis?.username, password: snapshot.redis?.password };
  const { manifest, results } = await services.stack.run('Backing up', async () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Backing up ${project}, master by master` },
      (progress) =>
        backupClusterMasters(docker, project, masters, login, folder, (message) => {
          progress.report({ message });
          log.debug(message);
        }),
    ),
  );
  const keys = results.reduce((sum, r) => sum + r.keys, 0);
  const bytes = results.reduce((sum, r) => sum + r.bytes, 0);
  const files = results.map(
    (r) =>
      `${r.master.status.service} (slots ${r.master.slots.join(', ')}): ${formatKeyCount(r.keys)} in ${displayPath(r.file)}`,
  );
  const message = `Backed up ${formatKeyCount(keys)} (${formatBytes(bytes)}) of the cluster ${project}, one file per master: ${files.join('; ')}; the manifest ${displayPath(manifest)} names each file's node and slots. ${CLUSTER_BACKUP_STATEMENT}`;
  log.info(message);
  void vscode.window
    .showInformationMessage(
      `Backed up ${formatKeyCount(keys)} of the cluster ${project} into ${results.length} files, one per master.`,
      'Details',
    )
    .then((choice) => {
      if (choice) void vscode.window.showInformationMessage(message, { modal: true });
    });
  return { outcome: 'done', file: manifest, bytes, keys, message };
}

async function pickFolder(services: ExtensionServices): Promise<string | undefined> {
  const folder = defaultBackupFolder(services.context);
  const choice = await vscode.window.showQuickPick(
    [
      { label: `$(folder) ${displayPath(folder)}`, description: 'default', folder },
      { label: '$(folder-opened) Choose a folder…', folder: undefined },
    ],
    { title: 'Back up the shared Redis into', placeHolder: 'A dated .rdb file is written into this folder' },
  );
  if (!choice) return undefined;
  if (choice.folder) return choice.folder;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Back Up Here',
    defaultUri: vscode.Uri.file(dialogStartFolder(folder)),
  });
  return picked?.[0]?.fsPath;
}
