import * as vscode from 'vscode';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { createFileAtomic, STACK_FOLDER_MODE } from '../../docker/stack/atomicFile';
import { SECTION, settings } from '../../settings';
import { WORKSPACE_STACK_DIR } from '../../docker/stack/location';

export const BACKUP_FOLDER_SETTING = `${SECTION}.backupFolder`;

/**
 * Where backups go unless the user picks another folder: the `sharedRedis.backupFolder`
 * setting (relative to the first workspace folder), else `shared-redis/backups/` in the
 * first workspace folder, else `backups/` in the extension's global storage.
 */
export function defaultBackupFolder(context: vscode.ExtensionContext): string {
  const workspace = (vscode.workspace.workspaceFolders ?? []).find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  const setting = settings().backupFolder;
  if (setting) return isAbsolute(setting) || !workspace ? setting : join(workspace, setting);
  return workspace ? join(workspace, WORKSPACE_STACK_DIR, 'backups') : join(context.globalStorageUri.fsPath, 'backups');
}

const GITIGNORE = '# Backups of the shared Redis hold its data: keep them out of git.\n*\n';

/**
 * Creates the folder; a new one gets a `.gitignore` of `*`, so that backups (every key of
 * the shared Redis) never end up in a commit. It is made beside under a temporary name with
 * its `.gitignore` and then renamed into place: a process killed in between leaves no folder
 * without one. The default `shared-redis/backups` gets its `.gitignore` back whenever it lacks
 * one (left so by an earlier version killed after making it); a folder the user chose that
 * exists is theirs and is left as it is.
 */
export function ensureBackupFolder(folder: string): void {
  if (existsSync(folder)) {
    const ours = basename(folder) === 'backups' && basename(dirname(folder)) === WORKSPACE_STACK_DIR;
    if (ours) createFileAtomic(join(folder, '.gitignore'), GITIGNORE, 0o644);
    return;
  }
  // Not writable by others even under umask 000: the workspace's shared-redis folder holds the stack's files too.
  mkdirSync(dirname(folder), { recursive: true, mode: STACK_FOLDER_MODE });
  const making = mkdtempSync(join(dirname(folder), `.${basename(folder)}-`));
  try {
    writeFileSync(join(making, '.gitignore'), GITIGNORE);
    renameSync(making, folder);
  } catch (error) {
    rmSync(making, { recursive: true, force: true });
    // Another window made it meanwhile, with its own .gitignore.
    if (!existsSync(folder)) throw error;
  }
}

/** `shared-redis/backups/x.rdb` inside the workspace, the full path outside it. */
export function displayPath(file: string): string {
  const workspace = (vscode.workspace.workspaceFolders ?? []).find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  if (workspace) {
    const inside = relative(workspace, file);
    if (inside && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
  }
  return file;
}

/**
 * Where a file dialog opens for `folder`: the folder, or its nearest parent that exists
 * (the default backup folder is only created by the first backup, and the workbench's
 * dialog would open on a path that does not exist, with nothing to pick).
 */
export function dialogStartFolder(folder: string): string {
  let current = folder;
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}
