import * as vscode from 'vscode';
import { requireWithCodeCache } from './codeCache';
import { createLogger } from './logger';
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

/** How long after the second stage loads its code cache is written (see codeCache.ts). */
const CODE_CACHE_DELAY_MS = 10_000;

/**
 * The first stage: registers every contributed command and loads the second stage (the
 * Docker engine client, the Redis client, the views: dist/secondStage.js) without holding
 * up activation. It runs only when a Shared Redis view opens or one of its commands runs
 * (activationEvents), so windows that never use Redis never load either stage.
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
  const secondStage = (): Promise<SecondStage> =>
    (loading ??= (async () => {
      await Promise.resolve(); // activate() returns first: the commands are registered before the load
      const begun = performance.now();
      const load = requireWithCodeCache(context.asAbsolutePath('dist/secondStage.js'), {
        stored: vscode.Uri.joinPath(context.globalStorageUri, 'code-cache', 'secondStage.bin').fsPath,
        shipped: context.asAbsolutePath('dist/secondStage.cache'),
      });
      const module = load.exports as { startSecondStage: typeof startSecondStage };
      const loaded = performance.now();
      if (disposed) throw new Error('Shared Redis was deactivated while it loaded.');
      const stage = module.startSecondStage(context, logger);
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
      // Not cached: the next command or view tries again instead of failing until a reload.
      loading = undefined;
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
  // A view opened or a command ran (the only activation events): the views are wanted now.
  secondStage().catch((error: unknown) =>
    logger.error(
      `Loading the extension failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    ),
  );

  logger.info(`Activated in ${(performance.now() - started).toFixed(1)} ms`);
  return {
    apiVersion: 1,
    stackState: async () => (await secondStage()).stackState(),
    onDidChangeStackState: stateChanged.event,
    redisEndpoint: async () => (await secondStage()).redisEndpoint(),
    ...(context.extensionMode === vscode.ExtensionMode.Test
      ? { testing: async () => (await secondStage()).internals }
      : {}),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
