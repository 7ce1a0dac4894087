import * as vscode from 'vscode';
import type { EnteredCredentials } from '../redisSession';

/**
 * Asks for the password a server refused or asked for: the password (masked), then
 * whether to keep it in VS Code's secret storage or only for this session.
 */
export async function askForPassword(
  where: string,
  reason: string,
  username: string | undefined,
): Promise<EnteredCredentials | undefined> {
  const who = username ? `user "${username}"` : 'the default user';
  const password = await vscode.window.showInputBox({
    title: `Redis at ${where}: ${reason}`,
    prompt: `Password for ${who}. Asked once; "Shared Redis: Set Password" changes it later.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value === '' ? 'Enter the password, or press Escape to cancel.' : undefined),
  });
  if (password === undefined) return undefined;
  const keep = await vscode.window.showQuickPick(
    [
      { label: "Remember in VS Code's secret storage", remember: true },
      { label: 'Use until VS Code closes', remember: false },
    ],
    { title: `Keep the password for ${where}?`, ignoreFocusOut: true },
  );
  if (!keep) return undefined;
  return { username, password, remember: keep.remember };
}
