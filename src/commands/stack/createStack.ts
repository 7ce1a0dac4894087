import * as vscode from 'vscode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { writeMissingEnvFile } from '../../docker/stack/checkoutEnv';
import { WORKSPACE_STACK_DIR, writeStackFiles } from '../../docker/stack/location';
import { namespacePolicy, StackService } from '../../stackService';
import type { Logger } from '../../logger';
import { settings } from '../../settings';
import type { StackVariant } from '../../settingsModel';
import type { CommandHandler, ExtensionServices } from '../context';

/**
 * `sharedRedis.createStack`: writes `shared-redis/docker-compose.yml`, `.env` (fresh
 * generated passwords) and `users.acl` into a workspace folder, and keeps `.env` out of
 * git. Never overwrites: if the files exist it offers to open them.
 */
export function createStackCommand({ stack, bundledStackDir, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Stack');
  return async (given?: unknown): Promise<string | undefined> => {
    // A checkout of the team's stack without its .env: the stack is there, its passwords are not.
    const missing = stack.snapshot.missingEnvFile;
    if (missing) return createMissingEnvFile(stack, missing, log);
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length === 0) {
      void vscode.window.showErrorMessage('Open a folder first: the stack is created in shared-redis/ inside it. Without a folder, "Start" runs the bundled stack.', 'Open Folder')
        .then((c) => { if (c) void vscode.commands.executeCommand('vscode.openFolder'); });
      return undefined;
    }
    const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Create the shared Redis stack in which folder?' });
    if (!folder) return undefined;
    const variant = given === 'single' || given === 'cluster' ? given : await pickVariant(settings().stackVariant);
    if (!variant) return undefined;
    const dir = join(folder.uri.fsPath, WORKSPACE_STACK_DIR);
    const result = writeStackFiles(variant === 'cluster' ? join(bundledStackDir, 'cluster') : bundledStackDir, dir, namespacePolicy());
    const composeFile = join(dir, 'docker-compose.yml');
    if (result.existing.length > 0) {
      const names = result.existing.map((f) => f.slice(folder.uri.fsPath.length + 1)).join(', ');
      void vscode.window.showWarningMessage(`${names} already exist${result.existing.length === 1 ? 's' : ''}; nothing was overwritten.`, 'Open').then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(existsSync(composeFile) ? composeFile : result.existing[0] ?? composeFile));
      });
      return undefined;
    }
    const ignored = ignoreEnvFile(folder.uri.fsPath);
    // The cluster's replication.conf holds the operator's password in plain text, as .env does.
    if (variant === 'cluster') ignoreReplicationConf(folder.uri.fsPath);
    log.info(`Created the stack in ${dir}${ignored ? '; added shared-redis/.env to .gitignore' : ''}`);
    await vscode.window.showTextDocument(vscode.Uri.file(composeFile));
    if (variant === 'cluster') {
      void vscode.window.showInformationMessage(`Created ${WORKSPACE_STACK_DIR}/docker-compose.yml: a Redis Cluster of six nodes (three masters, three replicas) on 127.0.0.1:7001-7006, with generated passwords for the operator and each service in ${WORKSPACE_STACK_DIR}/.env (kept out of git), their users in acl/users.acl and the replicas' login in acl/replication.conf (kept out of git).`, 'Start').then((c) => {
        if (c) void vscode.commands.executeCommand('sharedRedis.start');
      });
      stack.scheduleRefresh(0);
      return composeFile;
    }
    void vscode.window.showInformationMessage(`Created ${WORKSPACE_STACK_DIR}/docker-compose.yml with generated passwords for the operator and each service in ${WORKSPACE_STACK_DIR}/.env (kept out of git) and their users in users.acl.`, 'Start').then((c) => {
      if (c) void vscode.commands.executeCommand('sharedRedis.start');
    });
    stack.scheduleRefresh(0);
    return composeFile;
  };
}

/**
 * Writes the `.env` that a checkout of the stack lacks (checkoutEnv.ts) and keeps it out of
 * git; a file that appeared meanwhile is left as it is.
 */
async function createMissingEnvFile(stack: StackService, envFile: string, log: Logger): Promise<string | undefined> {
  const shown = vscode.workspace.asRelativePath(envFile);
  let written: boolean;
  try {
    written = writeMissingEnvFile(stack.snapshot.location, namespacePolicy());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`Could not create ${shown}: ${message}. Nothing was changed.`);
    return undefined;
  } finally {
    stack.scheduleRefresh(0);
  }
  if (!written) {
    void vscode.window
      .showWarningMessage(`${shown} exists now (another window may have written it); nothing was overwritten.`, 'Open')
      .then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(envFile));
      });
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(envFile));
  const entry = folder ? relative(folder.uri.fsPath, envFile).split(sep).join('/') : undefined;
  const ignored = folder && entry && !entry.startsWith('..') ? ignoreEnvFile(folder.uri.fsPath, entry) : false;
  log.info(`Created ${envFile} with new passwords for this checkout${ignored ? `; added ${entry} to .gitignore` : ''}`);
  void vscode.window
    .showInformationMessage(
      `Created ${shown} with new passwords for the operator and each service, readable by you only${ignored ? ` (added to .gitignore)` : ''}. Start writes the stack's users from it; "Copy Service Connection" gives each service its lines.`,
      'Start',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('sharedRedis.start');
    });
  return envFile;
}

/** Adds `shared-redis/acl/replication.conf` to the folder's .gitignore unless a line there is just that. */
function ignoreReplicationConf(folder: string): void {
  const gitignore = join(folder, '.gitignore');
  const entry = `${WORKSPACE_STACK_DIR}/acl/replication.conf`;
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (current.split(/\r?\n/).some((l) => l.trim() === entry || l.trim() === `/${entry}`)) return;
  writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}# The cluster replicas' login (the operator's password)\n${entry}\n`);
}

/** Asks which stack to write, the setting's variant first (Escape: undefined). */
async function pickVariant(preferred: StackVariant): Promise<StackVariant | undefined> {
  const items: Array<vscode.QuickPickItem & { variant: StackVariant }> = [
    { variant: 'single', label: 'One Redis', description: 'shared-redis on 127.0.0.1:6379', detail: 'The shared Redis as most teams run it locally.' },
    { variant: 'cluster', label: 'Redis Cluster', description: 'six nodes on 127.0.0.1:7001-7006', detail: 'Three masters and three replicas: CROSSSLOT and the other cluster rules show up here as in production.' },
  ];
  items.sort((a, b) => Number(b.variant === preferred) - Number(a.variant === preferred));
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Which shared Redis stack should the workspace have? (sharedRedis.stackVariant is listed first)' }))?.variant;
}

/** Adds the stack's `.env` (`shared-redis/.env`, relative to the folder) to the folder's .gitignore unless a line there already covers it. */
export function ignoreEnvFile(folder: string, entry = `${WORKSPACE_STACK_DIR}/.env`): boolean {
  const gitignore = join(folder, '.gitignore');
  const pattern = gitignorePattern(entry);
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === pattern || l === `/${pattern}` || l === '.env' || l === '*.env' || l === '**/.env')) return false;
  writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}# Generated passwords of the shared Redis stack\n${pattern}\n`);
  return true;
}

/** A path as a .gitignore line that matches only it: glob characters escaped, and a leading `#` or `!` (gitignore's own rules). */
export function gitignorePattern(path: string): string {
  const escaped = path.replace(/[[\]*?\\]/g, '\\$&');
  return /^[#!]/.test(escaped) ? `\\${escaped}` : escaped;
}
