import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

/** Health commands: sharedRedis.checkNamespaces. */
export function registerHealthCommands(services: ExtensionServices): vscode.Disposable[] {
  void services;
  return [];
}
