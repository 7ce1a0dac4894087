import * as vscode from 'vscode';
import { ChecksRunner } from './checksRunner';
import type { ExtensionServices } from './commands/context';
import { createCommands } from './commands/table';
import { createLogger } from './logger';
import { RedisSession } from './redisSession';
import { RedisSecrets } from './secrets';
import { SettingsWatcher } from './settings';
import { StackService } from './stackService';
import { KeyBrowser } from './keyBrowser';
import { ChecksView } from './views/checksView';
import { disposeServerPanels } from './views/infoPanel';
import { KeyDocumentProvider } from './views/keyDocument';
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

  // The services: they own the state and publish it.
  const settings = new SettingsWatcher((message) => logger.child('Settings').warn(message));
  const secrets = new RedisSecrets(context.secrets);
  const stack = new StackService(context, logger.child('Stack'), settings.onDidChange);
  const session = new RedisSession(secrets, logger.child('Redis'), settings.onDidChange, stack.onDidChange);
  session.prompt = askForPassword;
  const keyBrowser = new KeyBrowser(session, logger.child('Keys'));
  const checks = new ChecksRunner(keyBrowser, session, logger.child('Checks'), settings.onDidChange);
  const keyDocuments = new KeyDocumentProvider(session, logger.child('Inspect'));
  const reports = new ReportDocuments();
  context.subscriptions.push(settings, stack, session, keyBrowser, checks, keyDocuments, reports, new vscode.Disposable(disposeServerPanels));

  // The views: they listen to the services and render.
  const stackView = new StackView(stack, settings.onDidChange, session);
  const statusBar = new StackStatusBar(stack, settings.onDidChange);
  const keysView = new KeysView(keyBrowser, session, logger.child('Keys'), settings.onDidChange);
  const checksView = new ChecksView(checks);
  context.subscriptions.push(stackView, statusBar, keysView, checksView);

  // The commands: one table, one loop.
  const services: ExtensionServices = {
    context, logger, settings, session, secrets, stack, keyBrowser, checks, keyDocuments, reports,
    bundledStackDir: vscode.Uri.joinPath(context.extensionUri, 'stack').fsPath,
  };
  for (const [id, handler] of createCommands(services)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown));
  }
  void stack.refresh();

  logger.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { stack, session, keys: keyBrowser, views: { stack: stackView, keys: keysView, checks: checksView }, statusBar };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
