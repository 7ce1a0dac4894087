import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

/** Backup commands: sharedRedis.backup, sharedRedis.restore. */
export function registerBackupCommands(services: ExtensionServices): vscode.Disposable[] {
  void services;
  return [];
}
