import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import { registerImportFromRedisCommand } from './importFromRedis';

/** Migration commands: sharedRedis.importFromRedis. */
export function registerMigrationCommands(services: ExtensionServices): vscode.Disposable[] {
  return registerImportFromRedisCommand(services);
}
