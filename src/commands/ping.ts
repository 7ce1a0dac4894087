import * as vscode from 'vscode';
import { describeEndpoint } from '../redis/endpoint';
import { formatPing, pingServer } from '../redis/ping';
import { formatMasterPings, pingMasters } from '../redis/cluster/nodes';
import type { CommandHandler, ExtensionServices } from './context';
import { explainWithStack } from '../redisNotReady';

/**
 * `sharedRedis.ping`: `PONG in 0.4 ms · Redis 7.0.15`, or one error naming the endpoint
 * and the reason. Resolves to the text it showed, so tests and other extensions can read it.
 */
export function pingCommand({ session, stack, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Ping');
  return async (): Promise<string> => {
    const where = describeEndpoint(session.endpoint);
    try {
      const text = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Pinging Redis at ${where}` },
        // On a cluster every master is pinged, each on its own connection.
        async () => {
          const topology = await session.topology();
          return topology.kind === 'cluster'
            ? formatMasterPings(await pingMasters(topology))
            : formatPing(await session.use(pingServer));
        },
      );
      log.info(`${where}: ${text}`);
      void vscode.window.showInformationMessage(text);
      return text;
    } catch (failure) {
      // A stack still starting is said as such, not as a stack to start.
      const error = explainWithStack(failure, stack.snapshot, session.endpoint);
      const text = `Ping failed: ${error instanceof Error ? error.message : String(error)}`;
      log.error(text);
      void vscode.window.showErrorMessage(text, 'Show Logs').then((choice) => {
        if (choice) log.show();
      });
      return text;
    }
  };
}
