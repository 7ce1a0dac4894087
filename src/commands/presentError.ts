import * as vscode from 'vscode';
import { ComposeFileError } from '../docker/compose/errors';
import { EngineUnreachableError } from '../docker/engine';
import { StackError } from '../docker/stack/errors';
import type { Logger } from '../logger';

/**
 * One message for a failure, with the action that helps: Retry and Open Settings for an
 * unreachable engine, Open Stack File for a bad compose file, Show Logs otherwise.
 * Resolves to the message shown. A Redis failure goes through explainWithStack first
 * (redisNotReady.ts), so that a stack still starting is not told to be started.
 */
export function presentError(prefix: string, error: unknown, log: Logger, retry?: () => unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  const headline = reason.split('\n')[0] ?? reason;
  const message = `${prefix}: ${headline}`;
  log.error(`${prefix}: ${reason}`);
  const actions: Array<[string, () => unknown]> = [];
  if (error instanceof EngineUnreachableError) {
    if (retry) actions.push(['Retry', retry]);
    actions.push([
      'Open Settings',
      () => vscode.commands.executeCommand('workbench.action.openSettings', 'sharedRedis.dockerHost'),
    ]);
  } else if (error instanceof ComposeFileError) {
    actions.push(['Open Stack File', () => vscode.commands.executeCommand('sharedRedis.openStackFile')]);
  } else if (error instanceof StackError && error.logs.length > 0) {
    // The container's last lines are in the log entry just written: open it.
    log.show();
  }
  if (!actions.some(([title]) => title === 'Show Logs')) actions.push(['Show Logs', () => log.show()]);
  void vscode.window.showErrorMessage(message, ...actions.map(([title]) => title)).then((choice) => {
    actions.find(([title]) => title === choice)?.[1]();
  });
  return message;
}
