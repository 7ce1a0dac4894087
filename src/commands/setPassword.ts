import * as vscode from 'vscode';
import { describeEndpoint } from '../redis/endpoint';
import { connectionBlocked } from '../settings';
import type { CommandHandler, ExtensionServices } from './context';

/** Arguments other extensions or tests may pass instead of answering the input boxes. */
export interface SetPasswordArgs {
  readonly username?: string;
  readonly password: string;
}

/**
 * `sharedRedis.setPassword`: stores the user name (empty: Redis's default user) and
 * password for the current server in SecretStorage; an empty password forgets them.
 */
export function setPasswordCommand({ session, secrets, logger }: ExtensionServices): CommandHandler {
  const log = logger.child('Secrets');
  return async (args?: SetPasswordArgs): Promise<boolean> => {
    // Invalid settings name no server: the password would be stored for the fallback, which a
    // later connection there would send it to.
    const blocked = connectionBlocked();
    if (blocked) {
      void vscode.window.showErrorMessage(`Nothing was stored. ${blocked}`);
      return false;
    }
    const endpoint = session.endpoint;
    const server = describeEndpoint({ ...endpoint, username: undefined });
    let username = args?.username;
    let password = args?.password;
    if (password === undefined) {
      const stored = await secrets.credentials(endpoint);
      username = await vscode.window.showInputBox({
        title: `Redis at ${server}: user name (1/2)`,
        prompt: "The ACL user to log in as; leave empty for Redis's default user.",
        value: stored?.username ?? endpoint.username ?? '',
        ignoreFocusOut: true,
        validateInput: (value) => (/\s/.test(value) ? 'A Redis user name has no spaces.' : undefined),
      });
      if (username === undefined) return false;
      password = await vscode.window.showInputBox({
        title: `Redis at ${server}: password (2/2)`,
        prompt: "Stored in VS Code's secret storage, never in settings. Leave empty to forget the stored credentials.",
        password: true,
        ignoreFocusOut: true,
      });
      if (password === undefined) return false;
    }
    if (password === '') {
      await secrets.forget(endpoint);
      log.info(`Forgot the stored credentials for ${server}`);
      void vscode.window.showInformationMessage(`Forgot the stored credentials for ${server}.`);
    } else {
      const user = username?.trim() || undefined;
      await secrets.store(endpoint, { username: user, password });
      log.info(`Stored credentials for ${server}${user ? ` (user ${user})` : ''}`);
      void vscode.window.showInformationMessage(
        `Stored the password${user ? ` for user ${user}` : ''} for ${server} in secret storage.`,
      );
    }
    session.forgetEntered();
    return true;
  };
}
