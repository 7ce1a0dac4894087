import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';

export function registerKeyInspection(_services: ExtensionServices): vscode.Disposable[] {
  return [];
}
