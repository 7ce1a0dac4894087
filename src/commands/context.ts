import type * as vscode from 'vscode';
import type { ChecksRunner } from '../checksRunner';
import type { ClientsMonitor } from '../clientsMonitor';
import type { KeyBrowser } from '../keyBrowser';
import type { KeyChanges } from '../keyChanges';
import type { Logger } from '../logger';
import type { ProfilerService } from '../profilerService';
import type { PubSubService } from '../pubSubService';
import type { RedisSession } from '../redisSession';
import type { RedisSecrets } from '../secrets';
import type { SettingsWatcher } from '../settings';
import type { StackService } from '../stackService';
import type { KeyDocumentProvider } from '../views/keyDocument';
import type { ReportDocuments } from '../views/reportDocument';

/**
 * What every command handler is given (the same for all, see table.ts): the services the
 * composition root (extension.ts) built. Commands call these; they never reach into a view.
 */
export interface ExtensionServices {
  readonly context: vscode.ExtensionContext;
  readonly logger: Logger;
  /** The settings' change event (the values themselves: `settings()`). */
  readonly settings: SettingsWatcher;
  readonly session: RedisSession;
  readonly secrets: RedisSecrets;
  readonly stack: StackService;
  readonly keyBrowser: KeyBrowser;
  /** The write gate (readOnly, namespace owners), the undo journal and the keys-changed event. */
  readonly keyChanges: KeyChanges;
  /** The health checks: runs them, holds the last report (the Checks view shows it). */
  readonly checks: ChecksRunner;
  /** Who is connected (CLIENT LIST by service), polled while the Clients view is visible. */
  readonly clients: ClientsMonitor;
  /** The `redis-key:` documents, editable where an exact edit is possible (registered at activation so restored editors open). */
  readonly keyDocuments: KeyDocumentProvider;
  /** Read-only Markdown reports (isolation, import summaries), one content provider for all. */
  readonly reports: ReportDocuments;
  /** The profiler (MONITOR): one per window, stopped on dispose. */
  readonly profiler: ProfilerService;
  /** Pub/Sub subscriptions, each on its own connection, closed on dispose. */
  readonly pubSub: PubSubService;
  /** The compose stack shipped inside the extension. */
  readonly bundledStackDir: string;
}

/** The handler context's name in the command table. */
export type CommandContext = ExtensionServices;

/** A command's handler. Arguments come from menus, `when`-bound keybindings, tests or other extensions: each handler checks its own. */
export type CommandHandler = (...args: never[]) => unknown;
