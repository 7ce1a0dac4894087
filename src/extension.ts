import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { requireWithCodeCache } from './codeCache';
import { createLogger } from './logger';
import { RedisSecrets } from './secrets';
import { readRedisEndpoint, settings } from './settings';
import { registerEarlyTreeViews } from './views/earlyTreeView';
import { FirstKeysRow, firstKeysRows } from './views/firstKeysRows';
import type { SecondStage, SharedRedisInternals, startSecondStage } from './secondStage';

/**
 * What other extensions may rely on (`vscode.extensions.getExtension('shared-redis-dev.shared-redis').activate()`).
 * Additions keep `apiVersion`; anything removed or changed raises it. Everything else of
 * the extension (services, views) is internal and may change in any release.
 */
export interface SharedRedisApi {
  readonly apiVersion: 1;
  /**
   * The shared stack's state: `checking`, `unreachable` (no Docker engine), `absent`,
   * `invalid` (its compose file), `stopped`, `starting`, `running`, `unhealthy` or `busy`.
   */
  stackState(): Promise<string>;
  /** Fires with the new state (as `stackState()` says it) whenever the stack changes. */
  readonly onDidChangeStackState: vscode.Event<string>;
  /** Where the shared Redis answers (the stack's published port while it runs). Never a password. */
  redisEndpoint(): Promise<{
    readonly host: string;
    readonly port: number;
    readonly db: number;
    readonly username: string | undefined;
    readonly tls: boolean;
  }>;
  /** Only when VS Code runs the extension's own tests (ExtensionMode.Test): its internals. */
  readonly testing?: () => Promise<SharedRedisInternals>;
}

/**
 * At most this long, the second stage's load waits for the workbench to have read the Keys
 * view's first rows. The write itself needs a few turns of the event loop (well under 1 ms of
 * work on Node's thread pool); a workbench busy opening the views answered the round trip 40-130
 * ms later in code-server, which delayed the counts by as much (docs/benchmarks.md).
 */
const WORKBENCH_READ_MS = 30;

/** How long after the second stage loads its code cache is written (see codeCache.ts). */
const CODE_CACHE_DELAY_MS = 10_000;

/**
 * The first stage (26 KiB as packaged, run once VS Code has started: onStartupFinished):
 * registers every contributed command and tree view, and its log channel; when the Keys view
 * shows, it lists its first rows from one SCAN (views/firstKeysRows.ts); nothing else. The
 * second stage (the Docker engine client, the Redis client, the views: dist/secondStage.js)
 * loads when a view first asks for rows, a command runs, the API is used, or the workspace
 * holds the shared stack (its status bar shows without a click). Registered early, a view asks for its rows
 * as soon as it shows, not after VS Code has activated the extension on the click
 * (docs/benchmarks.md, docs/architecture.md).
 */
export function activate(context: vscode.ExtensionContext): SharedRedisApi {
  const started = performance.now();
  const logger = createLogger();
  context.subscriptions.push(logger);
  const stateChanged = new vscode.EventEmitter<string>();
  context.subscriptions.push(stateChanged);

  // Deactivated while the second stage was loading: it must not start into disposed subscriptions.
  let disposed = false;
  context.subscriptions.push({
    dispose: () => {
      disposed = true;
    },
  });
  let loading: Promise<SecondStage> | undefined;
  let loadBegun = false;
  const nextTurn = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 0));
  const secondStage = (): Promise<SecondStage> =>
    (loading ??= (async () => {
      // activate() returns first, and what was sent before (the early password read, the views'
      // registrations) leaves now: VS Code's RPC writes its messages from a timer (ipc.net.ts,
      // ProtocolWriter), and the load below holds this thread for ~130 ms.
      await nextTurn();
      // With the Keys view showing, its first rows are read (one SCAN) before that load, and the
      // load waits until the workbench has read them: the extension host writes to it
      // asynchronously (compressed, on Node's thread pool), and the load would hold the write.
      // Their reply was queued as they were returned; a round trip to the workbench sent after
      // it is answered once the workbench has read it (one ordered connection).
      const glancing = trees.keysVisible ? firstRowsOfKeys() : glance;
      if (glancing && (await glancing)) {
        await nextTurn();
        // The context the menus read (the settings watcher publishes it again once loaded).
        await Promise.race([
          vscode.commands.executeCommand('setContext', 'sharedRedis.readOnly', settings().readOnly),
          new Promise((resolve) => setTimeout(resolve, WORKBENCH_READ_MS)),
        ]);
      }
      if (disposed) throw new Error('Shared Redis was deactivated before it loaded.');
      loadBegun = true;
      const begun = performance.now();
      let load: ReturnType<typeof requireWithCodeCache>;
      try {
        load = requireWithCodeCache(context.asAbsolutePath('dist/secondStage.js'), {
          stored: vscode.Uri.joinPath(context.globalStorageUri, 'code-cache', 'secondStage.bin').fsPath,
          shipped: context.asAbsolutePath('dist/secondStage.cache'),
        });
      } catch (error) {
        // Nothing started: the next view, command or API call tries again instead of failing until a reload.
        loading = undefined;
        loadBegun = false;
        throw error;
      }
      const module = load.exports as { startSecondStage: typeof startSecondStage };
      const loaded = performance.now();
      if (disposed) throw new Error('Shared Redis was deactivated while it loaded.');
      // A failure from here on is kept: the services and views that started cannot start twice.
      const stage = module.startSecondStage(context, logger, trees, secrets);
      context.subscriptions.push(stage.onDidChangeStackState((state) => stateChanged.fire(state)));
      logger.info(
        `Loaded the second stage in ${(performance.now() - begun).toFixed(1)} ms (modules ${(loaded - begun).toFixed(1)} ms, services and views ${(performance.now() - loaded).toFixed(1)} ms; code cache ${load.cache})`,
      );
      if (load.cache !== 'stored') {
        // Once the first view has drawn and walked: the cache then holds the code that ran, for the next window.
        const timer = setTimeout(() => {
          if (!disposed && load.store()) logger.debug('Stored the code cache of the second stage');
        }, CODE_CACHE_DELAY_MS);
        context.subscriptions.push({ dispose: () => clearTimeout(timer) });
      }
      return stage;
    })().catch((error: unknown) => {
      logger.error(
        `Loading the extension failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      throw error;
    }));

  // Every contributed command, in one loop: its handler is in src/commands/table.ts.
  const commands =
    (context.extension.packageJSON as { contributes?: { commands?: Array<{ command: string }> } }).contributes
      ?.commands ?? [];
  for (const { command } of commands) {
    context.subscriptions.push(
      vscode.commands.registerCommand(command, async (...args: unknown[]) => (await secondStage()).run(command, args)),
    );
  }
  // The loader logged a failure; whoever asked only needs to not fail twice.
  const loadQuietly = (): void => void secondStage().catch(() => undefined);
  const secrets = new RedisSecrets(context.secrets);
  context.subscriptions.push(secrets);
  // The Keys view's first rows, read once per window by the first stage (firstKeysRows.ts),
  // asked for by the Keys view or by a load that starts while it shows; the load waits for them.
  let glance: Promise<FirstKeysRow[] | undefined> | undefined;
  const firstRowsOfKeys = (): Promise<FirstKeysRow[] | undefined> | undefined => {
    if (loadBegun || disposed) return undefined;
    return (glance ??= firstKeysRows(secrets, logger.child('Keys')).catch(() => undefined));
  };
  const trees = registerEarlyTreeViews(() => {
    // A view shows and the second stage is yet to load: the view connects as soon as it is up.
    // The stored password is asked for now, while this thread loads (a workbench round trip).
    if (!loading) {
      try {
        secrets.readEarly(readRedisEndpoint());
      } catch {
        // Only a head start: the connection reads it again.
      }
    }
    return secondStage();
  }, firstRowsOfKeys);
  context.subscriptions.push(trees);
  // The team's workspace (the stack's compose file in it): the status bar is wanted without a click.
  const stackFiles = workspaceContainsPaths(context.extension.packageJSON);
  const loadForWorkspaceStack = async (): Promise<void> => {
    if (!loading && (await workspaceHolds(stackFiles))) loadQuietly();
  };
  void loadForWorkspaceStack();
  context.subscriptions.push(vscode.workspace.onDidChangeWorkspaceFolders(() => void loadForWorkspaceStack()));

  logger.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
  return {
    apiVersion: 1,
    stackState: async () => (await secondStage()).stackState(),
    // Listening is using the API: the stack's state then has to be watched.
    onDidChangeStackState: (listener, thisArgs, disposables) => {
      loadQuietly();
      return stateChanged.event(listener, thisArgs, disposables);
    },
    redisEndpoint: async () => (await secondStage()).redisEndpoint(),
    ...(context.extensionMode === vscode.ExtensionMode.Test
      ? { testing: async () => (await secondStage()).internals }
      : {}),
  };
}

/** The files package.json's `workspaceContains:` activation events name (the team's stack file). */
function workspaceContainsPaths(manifest: unknown): string[] {
  const events = (manifest as { activationEvents?: string[] }).activationEvents ?? [];
  const prefix = 'workspaceContains:';
  return events.filter((event) => event.startsWith(prefix)).map((event) => event.slice(prefix.length));
}

/** True when a local workspace folder holds one of `files` (what `workspaceContains` checks at startup). */
async function workspaceHolds(files: string[]): Promise<boolean> {
  const candidates = (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .flatMap((folder) => files.map((file) => vscode.Uri.joinPath(folder.uri, file).fsPath));
  const found = await Promise.all(
    candidates.map((path) =>
      stat(path).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  return found.includes(true);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
