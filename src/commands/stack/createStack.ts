import * as vscode from 'vscode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_STACK_DIR, writeStackFiles } from '../../docker/stack/location';
import { namespacePolicy } from '../../stackService';
import type { CommandHandler, ExtensionServices } from '../context';

/**
 * `sharedRedis.createStack`: writes `shared-redis/docker-compose.yml`, `.env` (fresh
 * generated passwords) and `users.acl` into a workspace folder, and keeps `.env` out of
 * git. Never overwrites: if the files exist it offers to open them.
 */
export function createStackCommand({ stack, bundledStackDir, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Stack');
  return async (): Promise<string | undefined> => {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length === 0) {
      void vscode.window.showErrorMessage('Open a folder first: the stack is created in shared-redis/ inside it. Without a folder, "Start" runs the bundled stack.', 'Open Folder')
        .then((c) => { if (c) void vscode.commands.executeCommand('vscode.openFolder'); });
      return undefined;
    }
    const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Create the shared Redis stack in which folder?' });
    if (!folder) return undefined;
    const dir = join(folder.uri.fsPath, WORKSPACE_STACK_DIR);
    const result = writeStackFiles(bundledStackDir, dir, namespacePolicy());
    const composeFile = join(dir, 'docker-compose.yml');
    if (result.existing.length > 0) {
      const names = result.existing.map((f) => f.slice(folder.uri.fsPath.length + 1)).join(', ');
      void vscode.window.showWarningMessage(`${names} already exist${result.existing.length === 1 ? 's' : ''}; nothing was overwritten.`, 'Open').then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(existsSync(composeFile) ? composeFile : result.existing[0] ?? composeFile));
      });
      return undefined;
    }
    const ignored = ignoreEnvFile(folder.uri.fsPath);
    log.info(`Created the stack in ${dir}${ignored ? '; added shared-redis/.env to .gitignore' : ''}`);
    await vscode.window.showTextDocument(vscode.Uri.file(composeFile));
    void vscode.window.showInformationMessage(`Created ${WORKSPACE_STACK_DIR}/docker-compose.yml with generated passwords for the operator and each service in ${WORKSPACE_STACK_DIR}/.env (kept out of git) and their users in users.acl.`, 'Start').then((c) => {
      if (c) void vscode.commands.executeCommand('sharedRedis.start');
    });
    stack.scheduleRefresh(0);
    return composeFile;
  };
}

/** Adds `shared-redis/.env` to the folder's .gitignore unless a line there already covers it. */
export function ignoreEnvFile(folder: string): boolean {
  const gitignore = join(folder, '.gitignore');
  const entry = `${WORKSPACE_STACK_DIR}/.env`;
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === entry || l === `/${entry}` || l === '.env' || l === '*.env' || l === '**/.env')) return false;
  writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}# Generated passwords of the shared Redis stack\n${entry}\n`);
  return true;
}
