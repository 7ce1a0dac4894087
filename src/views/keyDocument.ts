import * as vscode from 'vscode';
import type { Logger } from '../logger';
import { describeEndpoint } from '../redis/endpoint';
import { displayBytes } from '../redis/keyspace';
import { describeReadFailure, keyTitle, readKeyValue, renderKeyValue, RenderedKey } from '../redis/keyValue';
import type { RedisSession } from '../redisSession';

/** Documents of keys: `redis-key:/<key name for the tab>?key=<hex of the exact bytes>&db=<n>&pages=<n>`. */
export const KEY_SCHEME = 'redis-key';

export interface KeyDocumentTarget {
  /** Exact bytes of the key. */
  readonly key: Buffer;
  readonly db: number;
  /** Pages the document opened with (1: the first 1,000 elements or 1 MB). */
  readonly pages: number;
}

/**
 * The URI of a key's document. The path is the key's name as a person reads it, so the
 * tab title reads like the key (a `/` in the name becomes `∕`, so the whole name is the
 * title); the exact bytes travel in the query as hex, so any key, binary or not, has a
 * stable URI.
 */
export function keyDocumentUri(key: Buffer, db: number, pages = 1): vscode.Uri {
  const title = displayBytes(key, { maxLength: 120 }).replace(/\//g, '\u2215') || '""';
  const query = `key=${key.toString('hex')}&db=${db}${pages > 1 ? `&pages=${pages}` : ''}`;
  return vscode.Uri.from({ scheme: KEY_SCHEME, path: `/${title}`, query });
}

export function parseKeyDocumentUri(uri: vscode.Uri): KeyDocumentTarget | undefined {
  if (uri.scheme !== KEY_SCHEME) return undefined;
  const params = new URLSearchParams(uri.query);
  const hex = params.get('key');
  const db = Number(params.get('db') ?? '0');
  const pages = Number(params.get('pages') ?? '1');
  if (hex === null || !/^([0-9a-f]{2})*$/i.test(hex) || !Number.isInteger(db) || db < 0) return undefined;
  return { key: Buffer.from(hex, 'hex'), db, pages: Number.isInteger(pages) && pages >= 1 ? pages : 1 };
}

interface DocumentState {
  pages: number;
  rendered: RenderedKey | undefined;
  /** Text read by a refresh or load-more command, handed to VS Code when it asks next. */
  prepared: { text: string; at: number } | undefined;
}

/**
 * Read-only documents of keys (a content provider's documents cannot be edited), with a
 * CodeLens on the "… more not shown" line that loads the next page. Each provide reads
 * the key again; load more grows the document's page count and re-reads.
 */
export class KeyDocumentProvider
  implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable
{
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly states = new Map<string, DocumentState>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
  ) {
    this.subscriptions.push(
      this.changed,
      this.lensesChanged,
      vscode.workspace.registerTextDocumentContentProvider(KEY_SCHEME, this),
      vscode.languages.registerCodeLensProvider({ scheme: KEY_SCHEME }, this),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme === KEY_SCHEME) this.states.delete(document.uri.toString());
      }),
      session.onDidChangeEndpoint(() => {
        for (const document of this.openDocuments()) void this.refresh(document.uri);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    );
  }

  /** `sharedRedis.keyValueHasMore`: the active key document has more to load (shows the Load More button). */
  private updateContext(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const more = uri?.scheme === KEY_SCHEME && (this.states.get(uri.toString())?.rendered?.remaining ?? 0) > 0;
    if (more !== this.hasMore) {
      this.hasMore = more;
      void vscode.commands.executeCommand('setContext', 'sharedRedis.keyValueHasMore', more);
    }
  }

  private hasMore: boolean | undefined;

  private state(uri: vscode.Uri): DocumentState {
    const id = uri.toString();
    let state = this.states.get(id);
    if (!state) {
      state = { pages: parseKeyDocumentUri(uri)?.pages ?? 1, rendered: undefined, prepared: undefined };
      this.states.set(id, state);
    }
    return state;
  }

  private openDocuments(): vscode.TextDocument[] {
    return vscode.workspace.textDocuments.filter((document) => document.uri.scheme === KEY_SCHEME);
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const state = this.state(uri);
    const prepared = state.prepared;
    state.prepared = undefined;
    if (prepared && Date.now() - prepared.at < 10_000) return prepared.text;
    const rendered = await this.read(uri);
    this.syncLanguage(uri);
    return rendered.text;
  }

  /** Reads the key again and shows it. Resolves to the document's new text, once an open document shows it. */
  async refresh(uri: vscode.Uri): Promise<string> {
    const rendered = await this.read(uri);
    this.state(uri).prepared = { text: rendered.text, at: Date.now() };
    const shown = this.shown(uri, rendered.text);
    this.changed.fire(uri);
    this.syncLanguage(uri);
    await shown;
    return rendered.text;
  }

  /** Resolves once an open document shows `text` (at most 3 s); at once when it is not open. */
  private shown(uri: vscode.Uri, text: string): Promise<void> {
    const id = uri.toString();
    const document = this.openDocuments().find((d) => d.uri.toString() === id);
    if (!document || document.getText() === text) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        listener.dispose();
        resolve();
      };
      const timer = setTimeout(done, 3000);
      const listener = vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() === id && event.document.getText() === text) done();
      });
    });
  }

  /** Grows the document by one page (1,000 elements or 1 MB) and re-reads. */
  loadMore(uri: vscode.Uri): Promise<string> {
    this.state(uri).pages++;
    return this.refresh(uri);
  }

  /** What the last read rendered (language, what is left), for the commands and tests. */
  rendered(uri: vscode.Uri): RenderedKey | undefined {
    return this.states.get(uri.toString())?.rendered;
  }

  private async read(uri: vscode.Uri): Promise<RenderedKey> {
    const state = this.state(uri);
    const target = parseKeyDocumentUri(uri);
    let rendered: RenderedKey;
    if (!target) {
      rendered = message(`This is not a key's address: ${uri.toString()}\n`);
    } else if (target.db !== this.session.endpoint.db) {
      rendered = message(
        `${keyTitle(target.key)} was opened from db ${target.db}, but the connection now uses db ${this.session.endpoint.db} (${describeEndpoint(this.session.endpoint)}). Inspect the key again from the Keys view.\n`,
      );
    } else {
      try {
        const pages = state.pages;
        const value = await this.session.use((client) =>
          readKeyValue(client, target.key, { pages, endpoint: this.session.endpoint }),
        );
        rendered = renderKeyValue(value);
      } catch (error) {
        const text = describeReadFailure(target.key, error);
        this.log.warn(text.trimEnd());
        rendered = message(text);
      }
    }
    state.rendered = rendered;
    this.lensesChanged.fire();
    setTimeout(() => this.updateContext(), 0);
    return rendered;
  }

  /** JSON values get JSON highlighting (their header is in comments: `jsonc`); others plain text. */
  private syncLanguage(uri: vscode.Uri): void {
    setTimeout(() => {
      const wanted = this.states.get(uri.toString())?.rendered?.language;
      const document = this.openDocuments().find((d) => d.uri.toString() === uri.toString());
      if (wanted && document && document.languageId !== wanted) {
        void vscode.languages
          .setTextDocumentLanguage(document, wanted)
          .then(undefined, (error: unknown) => this.log.debug(`Could not set the language: ${String(error)}`));
      }
    }, 0);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const rendered = this.states.get(document.uri.toString())?.rendered;
    if (!rendered || rendered.moreLine === undefined || rendered.moreLine >= document.lineCount) return [];
    const range = document.lineAt(rendered.moreLine).range;
    return [
      new vscode.CodeLens(range, {
        command: 'sharedRedis.loadMoreValue',
        title: '$(fold-down) Load more',
        arguments: [document.uri],
      }),
      new vscode.CodeLens(range, {
        command: 'sharedRedis.refreshKeyDocument',
        title: '$(refresh) Refresh',
        arguments: [document.uri],
      }),
    ];
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.states.clear();
  }
}

function message(text: string): RenderedKey {
  return { text, language: 'plaintext', remaining: 0, moreLine: undefined };
}
