import * as vscode from 'vscode';
import type { Logger } from '../logger';
import { describeEndpoint } from '../redis/endpoint';
import type { RedisSession } from '../redisSession';
import type { RedisSecrets } from '../secrets';

/** `sharedRedis.setPassword`: stores the password for the configured endpoint in SecretStorage. */
export function registerSetPasswordCommand(session: RedisSession, secrets: RedisSecrets, log: Logger): vscode.Disposable {
  return vscode.commands.registerCommand('sharedRedis.setPassword', async (): Promise<boolean> => {
    const endpoint = session.endpoint;
    const where = describeEndpoint(endpoint);
    const password = await vscode.window.showInputBox({
      title: `Password for Redis at ${where}`,
      prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to forget the stored password.',
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return false;
    if (password === '') {
      await secrets.forgetPassword(endpoint);
      log.info(`Forgot the stored password for ${where}`);
      void vscode.window.showInformationMessage(`Forgot the stored password for ${where}.`);
    } else {
      await secrets.storePassword(endpoint, password);
      log.info(`Stored a password for ${where}`);
      void vscode.window.showInformationMessage(`Stored the password for ${where} in secret storage.`);
    }
    return true;
  });
}
