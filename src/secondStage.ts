import * as vscode from 'vscode';
import { ChecksRunner } from './checksRunner';
import { ClientsMonitor } from './clientsMonitor';
import type { ExtensionServices } from './commands/context';
import { CommandId, createCommands } from './commands/table';
import type { Logger } from './logger';
import { RedisSession } from './redisSession';
import { RedisSecrets } from './secrets';
import { SettingsWatcher } from './settings';
import { StackService, stackState } from './stackService';
import { KeyBrowser } from './keyBrowser';
import { KeyChanges } from './keyChanges';
import { ProfilerService } from './profilerService';
import { PubSubService } from './pubSubService';
import { ProfilerOutput } from './views/profilerOutput';
import { SubscriptionOutput } from './views/subscriptionOutput';
import { ChecksView } from './views/checksView';
import { ClientsView } from './views/clientsView';
import { disposeServerPanels, InfoChartsState, InfoPanel } from './views/infoPanel';
import { KeyDocumentProvider } from './views/keyDocument';
import { KeysView } from './views/keysView';
import { askForPassword } from './views/passwordPrompt';
import { ReportDocuments } from './views/reportDocument';
import type { TreeViews } from './views/earlyTreeView';
import { StackView } from './views/stackView';
import { StackStatusBar } from './views/statusBar';

/**
 * The internals the integration tests reach (only under ExtensionMode.Test, through the
 * API's `testing()`); not a contract for other extensions.
 */
export interface SharedRedisInternals {
  readonly stack: StackService;
  readonly session: RedisSession;
  readonly secrets: RedisSecrets;
  readonly views: {
    readonly stack: StackView;
    readonly keys: KeysView;
    readonly checks: ChecksView;
    readonly clients: ClientsView;
  };
  readonly clients: ClientsMonitor;
  readonly keys: KeyBrowser;
  readonly keyChanges: KeyChanges;
  /** The extension's workspaceState (what "Don't Ask Again" is remembered in). */
  readonly workspaceState: vscode.Memento;
  readonly statusBar: StackStatusBar;
  /** What the Server Info page's charts hold now, while it is open. */
  readonly infoCharts: () => InfoChartsState | undefined;
  readonly profiler: ProfilerService;
  readonly profilerOutput: ProfilerOutput;
  readonly pubSub: PubSubService;
  readonly subscriptionOutput: SubscriptionOutput;
}

/** What the first stage (extension.ts) gets once this stage is loaded. */
export interface SecondStage {
  /** Runs a command of the table. */
  run(id: string, args: unknown[]): unknown;
  /** What the public API reads (see extension.ts). */
  stackState(): string;
  redisEndpoint(): { host: string; port: number; db: number; username: string | undefined; tls: boolean };
  readonly onDidChangeStackState: vscode.Event<string>;
  readonly internals: SharedRedisInternals;
}

/**
 * The composition root: builds the services (they own the state), the views (they listen
 * and render) and the command table (one context for all). The first stage loads this
 * module on the first view, command or API use; every disposable goes on context.subscriptions.
 */
export function startSecondStage(
  context: vscode.ExtensionContext,
  logger: Logger,
  trees: TreeViews,
  secrets: RedisSecrets,
): SecondStage {
  // The services: they own the state and publish it.
  const settings = new SettingsWatcher((message) => logger.child('Settings').warn(message));
  const stack = new StackService(context, logger.child('Stack'), settings.onDidChange);
  // The engine is asked now, so its answers travel while the rest is built: the Redis session
  // waits for the stack's first snapshot before it connects (it may give the port and password),
  // unless the settings name the port (then the snapshot judges the connection made at once).
  // Every listener below subscribes before the first snapshot is published: this function is
  // synchronous, and the refresh publishes from a later task or microtask.
  void stack.refresh();
  const session = new RedisSession(secrets, logger.child('Redis'), settings.onDidChange, stack.onDidChange);
  session.prompt = askForPassword;
  const keyChanges = new KeyChanges(context.workspaceState, logger.child('Changes'), undefined, session);
  const keyBrowser = new KeyBrowser(session, logger.child('Keys'), keyChanges.onDidChangeKeys);
  const checks = new ChecksRunner(keyBrowser, session, logger.child('Checks'), settings.onDidChange);
  const clients = new ClientsMonitor(session, logger.child('Clients'));
  const keyDocuments = new KeyDocumentProvider(session, logger.child('Inspect'), settings.onDidChange, keyChanges);
  const reports = new ReportDocuments();
  const profiler = new ProfilerService(session, logger.child('Profiler'));
  const pubSub = new PubSubService(session, logger.child('PubSub'));
  context.subscriptions.push(
    settings,
    stack,
    session,
    keyBrowser,
    keyChanges,
    checks,
    clients,
    keyDocuments,
    reports,
    profiler,
    pubSub,
    new vscode.Disposable(disposeServerPanels),
  );

  // The views: they listen to the services and render.
  const stackView = new StackView(stack, settings.onDidChange, trees, session);
  const statusBar = new StackStatusBar(stack, settings.onDidChange);
  const keysView = new KeysView(keyBrowser, session, logger.child('Keys'), settings.onDidChange, stack, trees);
  const checksView = new ChecksView(checks, trees);
  const clientsView = new ClientsView(clients, trees);

  const profilerOutput = new ProfilerOutput(profiler);
  const subscriptionOutput = new SubscriptionOutput(pubSub);
  context.subscriptions.push(
    stackView,
    statusBar,
    keysView,
    checksView,
    clientsView,
    profilerOutput,
    subscriptionOutput,
  );

  // The commands: one table, one loop.
  const services: ExtensionServices = {
    context,
    logger,
    settings,
    session,
    secrets,
    stack,
    keyBrowser,
    keyChanges,
    checks,
    clients,
    keyDocuments,
    reports,
    profiler,
    pubSub,
    bundledStackDir: vscode.Uri.joinPath(context.extensionUri, 'stack').fsPath,
  };
  const handlers = new Map<string, (...args: unknown[]) => unknown>(
    createCommands(services) as Array<[CommandId, (...args: unknown[]) => unknown]>,
  );

  return {
    run: (id, args) => {
      const handler = handlers.get(id);
      if (!handler) throw new Error(`Shared Redis has no command ${id}.`);
      return handler(...args);
    },
    stackState: () => stackState(stack.snapshot),
    redisEndpoint: () => {
      const { host, port, db, username, tls } = session.endpoint;
      return { host, port, db, username, tls };
    },
    onDidChangeStackState: (listener, thisArgs, disposables) =>
      stack.onDidChange((snapshot) => listener.call(thisArgs, stackState(snapshot)), undefined, disposables),
    internals: {
      stack,
      session,
      secrets,
      keys: keyBrowser,
      keyChanges,
      workspaceState: context.workspaceState,
      views: { stack: stackView, keys: keysView, checks: checksView, clients: clientsView },
      clients,
      statusBar,
      infoCharts: () => InfoPanel.open?.charts,
      profiler,
      profilerOutput,
      pubSub,
      subscriptionOutput,
    },
  };
}
