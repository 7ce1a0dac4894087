import * as vscode from 'vscode';
import { basename } from 'node:path';
import {
  BackupError,
  BackupInspection,
  countKeys,
  cutOffCopies,
  cutOffCopiesNote,
  inspectBackup,
  listBackups,
  restoreBackup,
} from '../../docker/backup';
import { formatBytes, formatKeyCount, groupThousands } from '../../redis/keyspace/format';
import type { CommandHandler, ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { readOnlyRefusal } from '../readOnly';
import { defaultBackupFolder, dialogStartFolder, displayPath, ensureBackupFolder } from './folders';
import { NoStackRedis, StackTarget, stackTarget, stoppedStackRedis } from '../stackTarget';
import type { Logger } from '../../logger';
import { restoreCluster } from './clusterRestore';
import { restoreStopped } from './stoppedRestore';

export interface RestoreArgs {
  /** The backup to restore (on the cluster stack: a cluster backup's `.cluster.json` manifest); without it the user picks one from `folder` or a file dialog. */
  readonly file?: string;
  /** Where the quick pick lists backups, and where the pre-restore backup goes (default: the backup folder). */
  readonly folder?: string;
  /** Skips the modal confirmation (tests, which cannot click it). */
  readonly confirm?: boolean;
}

export type RestoreOutcome =
  | {
      readonly outcome: 'restored';
      readonly keys: number;
      readonly backupKeys: number;
      /** The pre-restore backup; for a Redis that was not running, the folder of its data files as they were. */
      readonly previous: string;
      readonly message: string;
    }
  | { readonly outcome: 'refused' | 'cancelled' | 'failed'; readonly message: string };

/**
 * `sharedRedis.restore [{ file, folder, confirm }]`: checks the backup with the stack's
 * own Redis, asks before replacing the current data (saying how many keys it holds now),
 * backs the current data up, stops the stack, puts the file into the data volume, starts
 * it, waits for healthy and counts the keys. A corrupt or foreign file is refused before
 * anything is stopped. Refused under readOnly. While the stack's Redis does not run (stopped,
 * or failing to start on a damaged AOF or RDB) it restores without it: see restoreStopped.
 */
export function restoreCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('Restore');
  const restore = async (args?: RestoreArgs): Promise<RestoreOutcome> => {
    const refusal = readOnlyRefusal('Restore');
    if (refusal) return { outcome: 'refused', message: refusal };
    try {
      const snapshot = await services.stack.refresh();
      if (snapshot.cluster) {
        const folder = typeof args?.folder === 'string' ? args.folder : defaultBackupFolder(services.context);
        return await restoreCluster(services, snapshot, args, folder, log);
      }
      // Redis not running (stopped, or exiting at once on a damaged AOF or RDB): restored without a connection.
      const target = (await stoppedStackRedis(services, snapshot)) ?? (await stackTarget(services));
      const folder = typeof args?.folder === 'string' ? args.folder : defaultBackupFolder(services.context);
      const file = typeof args?.file === 'string' ? args.file : await pickBackup(folder);
      if (!file) return { outcome: 'cancelled', message: 'No backup was chosen.' };
      if ('wouldNotStart' in target) return await restoreStopped(services, target, args, folder, file, log);

      const { inspection, current } = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Checking ${basename(file)}`,
        },
        () => inspect(target, file),
      );

      const cutOff = cutOffNote(folder, target.project.name, log);
      const question = `Replace the ${formatKeyCount(current)} in ${target.project.name} with the backup ${basename(file)} (${formatKeyCount(inspection.keys)})?`;
      const declined = await confirmReplace(
        args,
        question,
        withNote(
          `The stack will be stopped and started; services lose their connection meanwhile. The current data is backed up first into ${displayPath(folder)}.`,
          cutOff,
        ),
        folder,
        log,
      );
      if (declined) return declined;

      const result = await whileRestoring(services, log, `Restoring ${target.project.name}`, async (say) => {
        const client = await target.connect();
        client.on('error', () => undefined); // the stop ends this connection; it is not used after
        try {
          return await restoreBackup({
            docker: target.docker,
            containerId: target.container.containerId,
            client,
            file,
            safetyFolder: folder,
            prefix: target.project.name,
            inspection,
            stop: () => target.controller.stop(target.project),
            start: () => target.controller.start(services.stack.settings()),
            countKeys: () => countKeysOf(target),
            onProgress: say,
          });
        } finally {
          client.disconnect();
        }
      });
      return restoredOutcome(services, log, {
        file,
        project: target.project.name,
        keys: result.keys,
        backupKeys: result.inspection.keys,
        previous: result.previous.file,
        replaced: `The data it replaced is in ${basename(result.previous.file)}.`,
        cutOff,
      });
    } catch (error) {
      if (error instanceof NoStackRedis) {
        const message = `Cannot restore: ${error.message}. Nothing was changed.`;
        log.warn(message);
        void vscode.window.showWarningMessage(message, ...(error.canStart ? ['Start'] : [])).then((c) => {
          if (c) void vscode.commands.executeCommand('sharedRedis.start');
        });
        return { outcome: 'failed', message };
      }
      if (error instanceof BackupError && error.kind === 'invalid-file') {
        return { outcome: 'refused', message: presentError('Restore refused', error, log) };
      }
      return { outcome: 'failed', message: presentError('Restore failed', error, log) };
    }
  };
  return restore;
}

/** What a restore that ended well reports (and tells the user), once the views are told to follow. */
export function restoredOutcome(
  services: ExtensionServices,
  log: Logger,
  done: {
    readonly file: string;
    readonly project: string;
    readonly keys: number;
    readonly backupKeys: number;
    readonly previous: string;
    /** The sentence that says where the data it replaced is. */
    readonly replaced: string;
    /** What it says of the copies earlier Restores left cut off ({@link cutOffNote}), or ''. */
    readonly cutOff: string;
  },
): RestoreOutcome {
  services.session.reset('the stack was restored from a backup');
  services.keyBrowser.requestRefresh();
  const expired = done.backupKeys - done.keys;
  const note =
    expired > 0 ? ` (the backup had ${groupThousands(done.backupKeys)}; keys whose TTL ran out since are gone)` : '';
  const message = withNote(
    `Restored ${basename(done.file)}: ${done.project} holds ${formatKeyCount(done.keys)}${note}. ${done.replaced}`,
    done.cutOff,
  );
  log.info(message);
  void vscode.window.showInformationMessage(message);
  return { outcome: 'restored', keys: done.keys, backupKeys: done.backupKeys, previous: done.previous, message };
}

/**
 * What a Restore says, in its confirmation and its final message, of the raw-files copies that
 * earlier Restores of `project` left cut off in `folder` (see cutOffCopies), or ''.
 */
export function cutOffNote(folder: string, project: string, log: Logger): string {
  const note = cutOffCopiesNote(cutOffCopies(folder, project), displayPath);
  if (note) log.warn(note);
  return note;
}

/** `text`, then `note` when there is one. */
export function withNote(text: string, note: string): string {
  return note ? `${text} ${note}` : text;
}

/** Every key of the stack's Redis, counted on a connection of its own. */
export async function countKeysOf(target: Pick<StackTarget, 'connect'>): Promise<number> {
  const fresh = await target.connect();
  try {
    return await countKeys(fresh);
  } finally {
    fresh.disconnect();
  }
}

/** The modal question before data is replaced (skipped when `confirm` is given): the outcome when it was not answered yes; once it was, the answer is logged and the backup folder made. */
export async function confirmReplace(
  args: RestoreArgs | undefined,
  question: string,
  detail: string,
  folder: string,
  log: Logger,
): Promise<RestoreOutcome | undefined> {
  if (args?.confirm !== true) {
    const answer = await vscode.window.showWarningMessage(question, { modal: true, detail }, 'Replace Data');
    if (answer !== 'Replace Data') {
      return { outcome: 'cancelled', message: 'The restore was cancelled; nothing was changed.' };
    }
  }
  log.info(`${question} Confirmed.`);
  ensureBackupFolder(folder);
  return undefined;
}

/** Runs a confirmed restore as the stack's one operation, its steps shown in a notification and logged. */
export function whileRestoring<T>(
  services: ExtensionServices,
  log: Logger,
  title: string,
  work: (say: (message: string) => void) => Promise<T>,
): Promise<T> {
  return services.stack.run('Restoring', async () =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) =>
      work((message) => {
        progress.report({ message });
        log.info(message);
      }),
    ),
  );
}

async function inspect(target: StackTarget, file: string): Promise<{ inspection: BackupInspection; current: number }> {
  const client = await target.connect();
  try {
    const inspection = await inspectBackup(target.docker, target.container.containerId, client, file);
    return { inspection, current: await countKeys(client) };
  } finally {
    client.disconnect();
  }
}

/** Backups in the folder, newest first, with size and date; or any file through a dialog. */
function pickBackup(folder: string): Promise<string | undefined> {
  return pickListedOrFile(
    folder,
    listBackups(folder).map((backup) => ({
      label: `$(database) ${backup.name}`,
      description: `${formatBytes(backup.bytes)} · ${backup.modified.toLocaleString()}`,
      file: backup.file,
    })),
    {
      choose: '$(folder-opened) Choose a file…',
      none: `no backups in ${displayPath(folder)}`,
      title: 'Restore the shared Redis from',
      placeHolder: `Backups in ${displayPath(folder)}, newest first`,
      filters: { 'Redis backups': ['rdb'], 'All files': ['*'] },
    },
  );
}

/** A quick pick of the listed files, with a last item that opens a file dialog in the folder. */
export async function pickListedOrFile(
  folder: string,
  listed: Array<vscode.QuickPickItem & { file: string }>,
  texts: {
    readonly choose: string;
    readonly none: string;
    readonly title: string;
    readonly placeHolder: string;
    readonly filters: Record<string, string[]>;
  },
): Promise<string | undefined> {
  const items: Array<vscode.QuickPickItem & { file?: string }> = [...listed];
  items.push({ label: texts.choose, description: items.length === 0 ? texts.none : '' });
  const choice = await vscode.window.showQuickPick(items, { title: texts.title, placeHolder: texts.placeHolder });
  if (!choice) return undefined;
  if (choice.file) return choice.file;
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    openLabel: 'Restore',
    defaultUri: vscode.Uri.file(dialogStartFolder(folder)),
    filters: texts.filters,
  });
  return picked?.[0]?.fsPath;
}
