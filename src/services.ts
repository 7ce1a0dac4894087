import type * as vscode from 'vscode';
import type { KeyBrowser } from './keyBrowser';
import type { Logger } from './logger';
import type { RedisSession } from './redisSession';
import type { RedisSecrets } from './secrets';
import type { StackService } from './stackService';
import type { KeysView } from './views/keysView';
import type { ReportDocuments } from './views/reportDocument';

/** What command modules are given: the services activate() built. */
export interface ExtensionServices {
  readonly context: vscode.ExtensionContext;
  readonly logger: Logger;
  readonly session: RedisSession;
  readonly secrets: RedisSecrets;
  readonly stack: StackService;
  readonly keyBrowser: KeyBrowser;
  readonly keysView: KeysView;
  /** Read-only Markdown reports (isolation, import summaries), one content provider for all. */
  readonly reports: ReportDocuments;
}
