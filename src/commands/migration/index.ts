import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

/** Migration commands: sharedRedis.importFromRedis. */
export function registerMigrationCommands(services: ExtensionServices): vscode.Disposable[] {
  void services;
  return [];
}
