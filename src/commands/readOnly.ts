import * as vscode from 'vscode';
import { SECTION, settings } from '../settings';

/** The setting (and the context key `when` clauses read) that disables every mutating command. */
export const READ_ONLY_SETTING = `${SECTION}.readOnly`;
export const READ_ONLY_CONTEXT = 'sharedRedis.readOnly';

export function isReadOnly(): boolean {
  return settings().readOnly;
}

/** When read-only is on: says so (naming the setting) and returns the message; else undefined. */
export function readOnlyRefusal(action: string): string | undefined {
  if (!isReadOnly()) return undefined;
  const message = `Shared Redis is read-only (setting "${READ_ONLY_SETTING}"): ${action} was not run and nothing was changed.`;
  void vscode.window.showWarningMessage(message, 'Open Setting').then((choice) => {
    if (choice === 'Open Setting') {
      void vscode.commands.executeCommand('workbench.action.openSettings', READ_ONLY_SETTING);
    }
  });
  return message;
}
