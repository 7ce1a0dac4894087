import * as vscode from 'vscode';
import { registerPingCommand } from './commands/ping';
import { registerSetPasswordCommand } from './commands/setPassword';
import { registerCreateStackCommand } from './commands/stack/createStack';
import { registerOpenStackFileCommand } from './commands/stack/openStackFile';
import { registerRemoveStackCommand } from './commands/stack/removeStack';
import { registerShowLogsCommand } from './commands/stack/showLogs';
import { registerStartCommand } from './commands/stack/start';
import { registerStopRestartCommands } from './commands/stack/stopRestart';
import { createLogger } from './logger';
import { RedisSession } from './redisSession';
import { RedisSecrets } from './secrets';
import { StackService, stackState } from './stackService';
import { registerKeyBrowsingCommands } from './commands/keys/browse';
import { registerKeyInspection } from './commands/keys/inspect';
import { registerKeyOperationCommands } from './commands/keys/operations';
import { registerServerCommands } from './commands/server';
import { registerBackupCommands } from './commands/backup';
import { registerHealthCommands } from './commands/health';
import { registerMigrationCommands } from './commands/migration';
import { registerSecurityCommands } from './commands/security';
import type { ExtensionServices } from './services';
import { KeyBrowser } from './keyBrowser';
import { ChecksView } from './views/checksView';
import { KeysView } from './views/keysView';
import { askForPassword } from './views/passwordPrompt';
import { ReportDocuments } from './views/reportDocument';
import { StackView } from './views/stackView';
import { StackStatusBar } from './views/statusBar';

/** What activate() returns: the services, for the integration tests and other extensions. */
export interface SharedRedisApi {
  readonly stack: StackService;
  readonly session: RedisSession;
  readonly views: { readonly stack: StackView; readonly keys: KeysView; readonly checks: ChecksView };
  readonly keys: KeyBrowser;
  readonly statusBar: StackStatusBar;
}

export function activate(context: vscode.ExtensionContext): SharedRedisApi {
  const started = performance.now();
  const logger = createLogger();
  context.subscriptions.push(logger);

  const secrets = new RedisSecrets(context.secrets);
  const stack = new StackService(context, logger.child('Stack'));
  const session = new RedisSession(secrets, logger.child('Redis'), stack.onDidChange);
  session.prompt = askForPassword;
  const bundledStackDir = vscode.Uri.joinPath(context.extensionUri, 'stack').fsPath;
  const stackView = new StackView(stack, session);
  const statusBar = new StackStatusBar(stack);
  const keyBrowser = new KeyBrowser(session, logger.child('Keys'));
  const keysView = new KeysView(keyBrowser, session, logger.child('Keys'));
  const checksView = new ChecksView();
  context.subscriptions.push(
    stack,
    session,
    stackView,
    keyBrowser,
    keysView,
    checksView,
    ...registerKeyBrowsingCommands(keyBrowser, keysView),
    registerPingCommand(session, logger.child('Ping')),
    registerSetPasswordCommand(session, secrets, logger.child('Secrets')),
    registerStartCommand(stack, logger.child('Stack')),
    ...registerStopRestartCommands(stack, logger.child('Stack')),
    registerRemoveStackCommand(stack, logger.child('Stack')),
    registerShowLogsCommand(stack, logger.child('Logs')),
    registerCreateStackCommand(stack, bundledStackDir, logger.child('Stack')),
    registerOpenStackFileCommand(stack),
    vscode.commands.registerCommand('sharedRedis.refreshStack', async () => stackState(await stack.refresh())),
    statusBar,
  );
  const reports = new ReportDocuments();
  context.subscriptions.push(reports);
  const services: ExtensionServices = { context, logger, session, secrets, stack, keyBrowser, keysView, reports };
  context.subscriptions.push(
    ...registerKeyInspection(services),
    ...registerKeyOperationCommands(services),
    ...registerServerCommands(services),
    ...registerSecurityCommands(services),
    ...registerHealthCommands(services, checksView),
    ...registerBackupCommands(services),
    ...registerMigrationCommands(services),
  );
  void stack.refresh();

  logger.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { stack, session, keys: keyBrowser, views: { stack: stackView, keys: keysView, checks: checksView }, statusBar };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
