import * as vscode from 'vscode';
import { registerPingCommand } from './commands/ping';
import { registerSetPasswordCommand } from './commands/setPassword';
import { createLogger } from './logger';
import { RedisSession } from './redisSession';
import { RedisSecrets } from './secrets';
import { KeysView } from './views/keysView';
import { StackView } from './views/stackView';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const logger = createLogger();
  context.subscriptions.push(logger);

  const secrets = new RedisSecrets(context.secrets);
  const session = new RedisSession(secrets, logger.child('Redis'));
  context.subscriptions.push(
    session,
    new StackView(logger.child('Stack')),
    new KeysView(),
    registerPingCommand(session, logger.child('Ping')),
    registerSetPasswordCommand(session, secrets, logger.child('Secrets')),
  );

  logger.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
