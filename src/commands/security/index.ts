import type * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import { ReportDocuments } from '../../views/reportDocument';
import { registerServiceConnectionCommand } from './serviceConnection';
import { registerServiceUserCommands } from './serviceUsers';
import { registerVerifyIsolationCommand } from './verifyIsolation';

/** Security commands: `sharedRedis.serviceConnection`, `sharedRedis.verifyIsolation`, `sharedRedis.addServiceUsers`. */
export function registerSecurityCommands(services: ExtensionServices): vscode.Disposable[] {
  const reports = new ReportDocuments();
  return [
    reports,
    registerServiceConnectionCommand(services),
    registerVerifyIsolationCommand(services, reports),
    ...registerServiceUserCommands(services),
  ];
}
