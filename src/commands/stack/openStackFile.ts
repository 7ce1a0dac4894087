import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { prepareBundledStack, stackFiles } from '../../docker/stack/location';
import type { CommandHandler, ExtensionServices } from '../context';

/** `sharedRedis.openStackFile`: the compose files in use, the main one in front (the bundled one is opened from global storage). */
export function openStackFileCommand({ stack }: ExtensionServices): CommandHandler {
  return async (): Promise<string | undefined> => {
    const settings = stack.settings();
    if (settings.location.source === 'bundled') prepareBundledStack(settings.bundledStackDir, settings.location, settings.policy);
    if (!existsSync(settings.location.composeFile)) {
      void vscode.window.showErrorMessage(`The stack file ${settings.location.composeFile} does not exist. Fix the sharedRedis.composeFile setting, or clear it to use the bundled stack.`, 'Open Settings')
        .then((c) => { if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'sharedRedis.composeFile'); });
      return undefined;
    }
    // The other files (an override, the rest of a list) open too, behind the main one.
    for (const file of stackFiles(settings.location).slice(1).filter((f) => existsSync(f))) {
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false, preserveFocus: true });
    }
    await vscode.window.showTextDocument(vscode.Uri.file(settings.location.composeFile), { preview: false });
    return settings.location.composeFile;
  };
}
