import * as vscode from 'vscode';
import type { RunOutcome } from '../../checksRunner';
import type { CommandHandler, ExtensionServices } from '../context';

/**
 * `sharedRedis.checkNamespaces`: runs the checks and reveals the Checks view (they also
 * run after each full walk of the Keys view). The findings' actions are in actions.ts.
 */
export function checkNamespacesCommand({ checks, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Checks');
  return async (options?: { reveal?: boolean }): Promise<RunOutcome> => {
    if (options?.reveal !== false) void vscode.commands.executeCommand('sharedRedis.checks.focus');
    const outcome = await checks.runFresh();
    if (outcome.kind === 'failed') {
      void vscode.window.showErrorMessage(`Check Namespaces: ${outcome.message}`, 'Show Logs').then((choice) => {
        if (choice) log.show();
      });
    }
    return outcome;
  };
}
