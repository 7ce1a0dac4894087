import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

export function registerKeyOperationCommands(_services: ExtensionServices): vscode.Disposable[] {
  return [];
}
