import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import {
  EnvFileFix,
  fillEnvFile,
  isClusterStack,
  stackEnvFileFix,
  writeMissingEnvFile,
} from '../../docker/stack/checkoutEnv';
import { replicationConfFile } from '../../docker/stack/clusterStack';
import { ignoreInGit, isTrackedByGit } from '../../docker/stack/gitignore';
import { StackLocation, WORKSPACE_STACK_DIR, writeStackFiles } from '../../docker/stack/location';
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
    // A checkout of the team's stack without its .env, or a .env without its passwords: the
    // stack is there, its passwords are not. Read from the files now, not from the last snapshot.
    const location = stack.settings().location;
    const fix = await stackEnvFileFix(location, process.env);
    if (fix) return writeEnvFix(stack, location, fix, log);
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
 * Writes what the stack's `.env` lacks (checkoutEnv.ts): the file, or passwords in it; keeps
 * it out of git, with the cluster's `acl/replication.conf` that Start writes from it. What
 * another window wrote meanwhile is left as it is.
 */
async function writeEnvFix(
  stack: StackService,
  location: StackLocation,
  fix: EnvFileFix,
  log: Logger,
): Promise<string | undefined> {
  const shown = vscode.workspace.asRelativePath(fix.file);
  // A .gitignore line does not keep git from committing a file it tracks: the passwords would go into the repository.
  if (await isTrackedByGit(fix.file)) {
    void vscode.window.showErrorMessage(
      `${shown} is committed to git: passwords written into it would go into the repository. Take it out of git first (git rm --cached ${basename(fix.file)} in its folder), then try again. Nothing was changed.`,
    );
    return undefined;
  }
  let written: boolean;
  try {
    written = fix.exists ? fillEnvFile(fix) : writeMissingEnvFile(location, namespacePolicy());
  } catch (error) {
    // A message that already says nothing was changed (a linked .env) says it once.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\.?( Nothing was changed\.)?$/, '');
    void vscode.window.showErrorMessage(
      `Could not ${fix.exists ? 'write the passwords into' : 'create'} ${shown}: ${message}. Nothing was changed.`,
    );
    return undefined;
  } finally {
    stack.scheduleRefresh(0);
  }
  if (!written) {
    void vscode.window
      .showWarningMessage(
        fix.exists
          ? `${shown} holds ${fix.passwords.join(', ')} now (another window may have written them); nothing was changed.`
          : `${shown} exists now (another window may have written it); nothing was overwritten.`,
        'Open',
      )
      .then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(fix.file));
      });
    return undefined;
  }
  const ignored = keepOutOfGit(fix.file, location);
  const what = fix.exists
    ? `Wrote new passwords for ${fix.passwords.join(', ')} into ${shown}, now readable by you only${ignored}.`
    : `Created ${shown} with new passwords for the operator and each service, readable by you only${ignored}.`;
  log.info(`${what.replace(shown, fix.file)}`);
  void vscode.window
    .showInformationMessage(
      `${what} Start writes the stack's users from it; "Copy Service Connection" gives each service its lines.`,
      'Start',
    )
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('sharedRedis.start');
    });
  return fix.file;
}

/**
 * Adds the stack's `.env` (and a cluster's replication.conf), with the temporary files a crash
 * mid-write leaves beside them, to the .gitignore of the workspace folder holding it; what to
 * tell the user. Before Add Service Users writes `.env` too: a folder an older release set up
 * has the file's line only.
 */
export function keepOutOfGit(envFile: string, location: StackLocation): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(envFile));
  const inFolder = (file: string): string | undefined => {
    const path = folder ? relative(folder.uri.fsPath, file).split(sep).join('/') : '..';
    return path.startsWith('..') ? undefined : path;
  };
  const envEntry = inFolder(envFile);
  if (!folder || !envEntry) return '';
  try {
    const added = ignoreEnvFile(folder.uri.fsPath, envEntry);
    const conf = inFolder(replicationConfFile(dirname(envFile)));
    if (conf && isClusterStack(location)) ignoreReplicationConf(folder.uri.fsPath, conf);
    return added ? ' (added to .gitignore)' : '';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return ` (not added to .gitignore: ${message}; add ${envEntry} there yourself)`;
  }
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

/** Adds the stack's `.env` (`shared-redis/.env`, or another path relative to the folder) to the folder's .gitignore unless a line there already covers it. */
export function ignoreEnvFile(folder: string, entry = `${WORKSPACE_STACK_DIR}/.env`): boolean {
  return ignoreInGit(folder, entry, 'Generated passwords of the shared Redis stack', ['.env', '*.env', '**/.env']);
}

/** Adds the cluster stack's `acl/replication.conf` (the replicas' login: the operator's password in plain text) to the folder's .gitignore. */
function ignoreReplicationConf(folder: string, entry = `${WORKSPACE_STACK_DIR}/acl/replication.conf`): boolean {
  return ignoreInGit(folder, entry, "The cluster replicas' login (the operator's password)");
}
