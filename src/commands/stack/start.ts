import * as vscode from 'vscode';
import { stackState } from '../../stackService';
import { presentError } from '../presentError';
import type { CommandHandler, ExtensionServices } from '../context';

/** `sharedRedis.start`: up, then wait for healthy, with progress and cancel. Resolves to the state reached. */
export function startCommand({ stack, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Stack');
  const start = async (): Promise<string> => {
    const settings = stack.settings();
    try {
      const result = await stack.run('Starting', async () => vscode.window.withProgress({
        location: vscode.ProgressLocation.Notification,
        title: 'Shared Redis',
        cancellable: true,
      }, async (progress, token) => {
        const controller = await stack.controller();
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return controller.start(settings, {
          signal: abort.signal,
          onProgress: (p) => { progress.report({ message: p.message }); if (!p.pull) log.info(p.message); },
        });
      }));
      const changed = [...result.actions].filter(([, action]) => action !== 'unchanged');
      const snapshot = await stack.refresh();
      const where = snapshot.redis ? ` at ${snapshot.redis.host}:${snapshot.redis.port}` : '';
      const text = changed.length === 0 ? `Shared Redis was already running${where}.` : `Shared Redis is running and healthy${where}.`;
      log.info(`${text} (${[...result.actions].map(([s, a]) => `${s}: ${a}`).join(', ')})`);
      if (typeof result.acl === 'object') log.warn(`users.acl changed, but the running Redis did not reload it (${result.acl.reloadFailed}); restart the stack to apply it`);
      else if (result.acl !== 'unchanged' && result.acl !== 'not-managed') log.info(`users.acl ${result.acl}`);
      void vscode.window.showInformationMessage(text);
      return stackState(snapshot);
    } catch (error) {
      presentError('Could not start the shared Redis', error, log, start);
      return stackState(await stack.refresh());
    }
  };
  return start;
}
