import type { CommandHandler, ExtensionServices } from '../../context';
import { moveToNamespace } from './moveToNamespace';
import { newKey } from './newKey';
import { copyKeyCommand, renameKeyCommand } from './renameCopy';
import { undoLastChange } from './undo';

/** `sharedRedis.newKey`, `renameKey`, `copyKey`, `moveToNamespace`, `undoLastChange`. */
export function keyEditCommands(
  services: ExtensionServices,
): Record<'newKey' | 'renameKey' | 'copyKey' | 'moveToNamespace' | 'undoLastChange', CommandHandler> {
  return {
    newKey: (target?: unknown, answers?: unknown) => newKey(services, target, answers),
    renameKey: (target?: unknown, newName?: unknown) => renameKeyCommand(services, target, newName),
    copyKey: (target?: unknown, newName?: unknown) => copyKeyCommand(services, target, newName),
    moveToNamespace: (target?: unknown, newPath?: unknown) => moveToNamespace(services, target, newPath),
    undoLastChange: () => undoLastChange(services),
  };
}
