import * as vscode from 'vscode';
import { StackBusyError, stackState } from '../../stackService';
import { presentError } from '../presentError';
import type { CommandHandler, ExtensionServices } from '../context';

/** `sharedRedis.stop` and `sharedRedis.restart`: containers and volumes stay; so does every key. */
export function stopRestartCommands({ stack, logger }: ExtensionServices): Record<'stop' | 'restart' | 'stackActions', CommandHandler> {
  const log = logger.child('Stack');
  const operate = (verb: 'Stopping' | 'Restarting', done: string) => async (): Promise<string> => {
    try {
      const services = await stack.run(verb, async () => {
        const controller = await stack.controller();
        const project = await controller.load(stack.settings());
        return verb === 'Stopping' ? controller.stop(project) : controller.restart(project);
      });
      const text = services.length === 0 ? 'The shared Redis stack has no containers to ' + (verb === 'Stopping' ? 'stop.' : 'restart.') : `Shared Redis ${done} (${services.join(', ')}). Its data is kept.`;
      log.info(text);
      void vscode.window.showInformationMessage(text);
    } catch (error) {
      if (error instanceof StackBusyError) {
        void vscode.window.showInformationMessage(error.message);
        return 'busy';
      }
      presentError(`${verb} the shared Redis failed`, error, log);
    }
    return stackState(await stack.refresh());
  };
  return {
    stop: operate('Stopping', 'stopped'),
    restart: operate('Restarting', 'restarted'),
    stackActions: async () => {
      const pick = await vscode.window.showQuickPick([
        { label: '$(debug-stop) Stop', description: 'Containers and data are kept', command: 'sharedRedis.stop' },
        { label: '$(debug-restart) Restart', command: 'sharedRedis.restart' },
        { label: '$(output) Show Logs', command: 'sharedRedis.showLogs' },
        { label: '$(go-to-file) Open Stack File', command: 'sharedRedis.openStackFile' },
      ], { title: 'Shared Redis', placeHolder: 'The shared Redis is running' });
      if (pick) await vscode.commands.executeCommand(pick.command);
    },
  };
}
