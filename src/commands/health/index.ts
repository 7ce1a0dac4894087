import * as vscode from 'vscode';
import type { ExtensionServices } from '../../services';
import type { ChecksView } from '../../views/checksView';
import { registerCheckActions } from './actions';
import { ChecksRunner, RunOutcome } from './runner';

/**
 * Health commands: `sharedRedis.checkNamespaces` (runs the checks and reveals the
 * Checks view; they also run after each full walk of the Keys view), the findings'
 * actions `sharedRedis.openCheckKeys` and `sharedRedis.setTtlOnKeysWithoutTtl`.
 */
export function registerHealthCommands(services: ExtensionServices, view: ChecksView): vscode.Disposable[] {
  const log = services.logger.child('Checks');
  const runner = new ChecksRunner(services, view, log);
  return [
    runner,
    vscode.commands.registerCommand('sharedRedis.checkNamespaces', async (options?: { reveal?: boolean }): Promise<RunOutcome> => {
      if (options?.reveal !== false) void vscode.commands.executeCommand('sharedRedis.checks.focus');
      const outcome = await runner.runFresh();
      if (outcome.kind === 'failed') {
        void vscode.window.showErrorMessage(`Check Namespaces: ${outcome.message}`, 'Show Logs').then((choice) => { if (choice) log.show(); });
      }
      return outcome;
    }),
    // After a bulk change: the Keys view walks again (and the checks run after it) when it is visible; else the checks run now.
    ...registerCheckActions(services, log, () => { if (!services.keysView.view.visible) void runner.run(); }),
  ];
}
