import * as vscode from 'vscode';
import { basename } from 'node:path';
import { inspectStoppedBackup, rawFilesFolder, restoreStoppedBackup } from '../../docker/backup';
import { formatKeyCount } from '../../redis/keyspace/format';
import type { Logger } from '../../logger';
import type { ExtensionServices } from '../context';
import { stackTarget, StoppedStackRedis } from '../stackTarget';
import { displayPath } from './folders';
import {
  confirmReplace,
  whileRestoring,
  countKeysOf,
  cutOffNote,
  restoredOutcome,
  RestoreArgs,
  RestoreOutcome,
  withNote,
} from './restore';

/**
 * Restore while the stack's Redis does not run, most often because it cannot: a damaged AOF
 * or RDB makes it exit at once and restart in a loop. The backup is checked in a one-off
 * container of the same image; the confirmation says that Redis is not running and where the
 * current data is kept as raw files (the data folder exactly as it is: it cannot be backed up
 * through Redis, which cannot load it); then the stack is stopped, the files copied out, the
 * backup put in and the stack started.
 */
export async function restoreStopped(
  services: ExtensionServices,
  target: StoppedStackRedis,
  args: RestoreArgs | undefined,
  folder: string,
  file: string,
  log: Logger,
): Promise<RestoreOutcome> {
  const { project, container } = target;
  const inspection = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Checking ${basename(file)}` },
    () => inspectStoppedBackup(target.docker, container.containerId, file),
  );
  const rawFolder = rawFilesFolder(folder, project.name, new Date(), target.wouldNotStart);
  const cutOff = cutOffNote(folder, project.name, log);
  const state = target.wouldNotStart ? 'cannot start' : 'is stopped';
  const question = `Redis in ${project.name} is not running (${container.service} ${state}). Replace its data with the backup ${basename(file)} (${formatKeyCount(inspection.keys)})?`;
  const declined = await confirmReplace(
    args,
    question,
    withNote(
      `${target.wouldNotStart ? 'Redis cannot read the current data' : 'Redis is not running to back the current data up'}, so it is kept as raw files, exactly as they are in the volume, at ${displayPath(rawFolder)}. The stack is then started with the backup.`,
      cutOff,
    ),
    folder,
    log,
  );
  if (declined) return declined;

  const result = await whileRestoring(services, log, `Restoring ${project.name}`, (say) =>
    restoreStoppedBackup({
      docker: target.docker,
      containerId: container.containerId,
      file,
      rawFolder,
      prefix: project.name,
      inspection,
      stop: () => target.controller.stop(project),
      start: () => target.controller.start(services.stack.settings()),
      // Once it runs, the stack's Redis is reached as for any restore.
      countKeys: async () => countKeysOf(await stackTarget(services)),
      onProgress: say,
    }),
  );
  return restoredOutcome(services, log, {
    file,
    project: project.name,
    keys: result.keys,
    backupKeys: result.inspection.keys,
    previous: result.rawFolder,
    replaced: `Redis ${target.wouldNotStart ? 'could not start on' : 'was stopped with'} the data it replaced; its files, as they were, are in ${basename(result.rawFolder)}.`,
    cutOff,
  });
}
