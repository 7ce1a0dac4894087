import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

/** Security commands: sharedRedis.serviceConnection, sharedRedis.verifyIsolation. */
export function registerSecurityCommands(services: ExtensionServices): vscode.Disposable[] {
  void services;
  return [];
}
