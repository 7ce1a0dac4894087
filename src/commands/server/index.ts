import * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import { disposeServerPanels } from '../../views/infoPanel';
import { registerInfoCommand } from './info';
import { registerNamespaceStatsCommand } from './namespaceStats';
import { registerOpenCliCommand } from './openCli';

/** The server's commands: `sharedRedis.info`, `sharedRedis.namespaceStats`, `sharedRedis.openCli`. */
export function registerServerCommands(services: ExtensionServices): vscode.Disposable[] {
  return [
    registerInfoCommand(services),
    registerNamespaceStatsCommand(services),
    registerOpenCliCommand(services),
    new vscode.Disposable(disposeServerPanels),
  ];
}
