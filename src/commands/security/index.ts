import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import { registerServiceConnectionCommand } from './serviceConnection';
import { registerServiceUserCommands } from './serviceUsers';
import { registerVerifyIsolationCommand } from './verifyIsolation';

/** Security commands: `sharedRedis.serviceConnection`, `sharedRedis.verifyIsolation`, `sharedRedis.addServiceUsers`. */
export function registerSecurityCommands(services: ExtensionServices): vscode.Disposable[] {
  return [
    registerServiceConnectionCommand(services),
    registerVerifyIsolationCommand(services, services.reports),
    ...registerServiceUserCommands(services),
  ];
}
