import * as vscode from 'vscode';
import { followLogs, LogFollower } from '../../docker/stack/logs';
import { presentError } from '../presentError';
import type { CommandHandler, ExtensionServices } from '../context';

/**
 * `sharedRedis.showLogs [service]`: follows a service's logs into its own output channel
 * (stdout and stderr, demultiplexed) until the container stops or the logs are shown
 * again; its last 200 lines come first.
 */
export function showLogsCommand({ stack, logger, context }: ExtensionServices): CommandHandler {
  const log = logger.child('Logs');
  const channels = new Map<string, { channel: vscode.OutputChannel; follower?: LogFollower }>();
  context.subscriptions.push({ dispose: () => channels.forEach((e) => { e.follower?.dispose(); e.channel.dispose(); }) });
  return async (service?: string): Promise<boolean> => {
    try {
      const snapshot = await stack.refresh();
      const services = snapshot.services;
      if (services.length === 0) {
        void vscode.window.showInformationMessage('The shared Redis stack has no containers yet, so there are no logs. Start it first.', 'Start').then((c) => { if (c) void vscode.commands.executeCommand('sharedRedis.start'); });
        return false;
      }
      const name = typeof service === 'string' ? service
        : services.length === 1 ? services[0]?.service
        : (await vscode.window.showQuickPick(services.map((s) => s.service), { title: 'Show the logs of which service?' }));
      const status = services.find((s) => s.service === name);
      if (!status) {
        if (name) void vscode.window.showErrorMessage(`The stack has no service named "${name}". Its services: ${services.map((s) => s.service).join(', ')}.`);
        return false;
      }
      const docker = await stack.docker();
      let entry = channels.get(status.service);
      if (!entry) {
        entry = { channel: vscode.window.createOutputChannel(`Shared Redis: ${status.service} logs`) };
        channels.set(status.service, entry);
      }
      entry.follower?.dispose();
      entry.channel.clear();
      entry.channel.show(true);
      const channel = entry.channel;
      entry.follower = await followLogs(docker, status.containerId, (line) => channel.appendLine(line), {
        onEnd: () => channel.appendLine(`── ${status.containerName} stopped; run "Shared Redis: Show Logs" to follow it again ──`),
      });
      log.info(`Following the logs of ${status.containerName}`);
      return true;
    } catch (error) {
      presentError('Could not show the logs', error, log);
      return false;
    }
  };
}
