import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import { registerBackupCommand } from './backup';
import { registerRestoreCommand } from './restore';

/** Backup commands: sharedRedis.backup, sharedRedis.restore. */
export function registerBackupCommands(services: ExtensionServices): vscode.Disposable[] {
  return [registerBackupCommand(services), registerRestoreCommand(services)];
}
