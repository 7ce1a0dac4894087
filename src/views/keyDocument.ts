import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { eventWithin } from '../eventWithin';
import { acceptNotUndoable, type KeyChanges } from '../keyChanges';
import type { Logger } from '../logger';
import { connectDuplicate } from '../redis/connection';
import { describeEndpoint, documentServer, RedisEndpoint, sameDocumentServer } from '../redis/endpoint';
import { displayBytes, typeDisplayName } from '../redis/keyspace';
import {
  describeReadFailure,
  documentType,
  EditableDocument,
  EditFormatError,
  KeyValue,
  keyTitle,
  parseEdited,
  readKeyValue,
  renderEditable,
  RenderedKey,
  saveKeyValue,
  StreamEntryChangedError,
  valueVersion,
} from '../redis/keyValue';
import type { RedisSession } from '../redisSession';
import { settings, SettingsChange } from '../settings';

/** Documents of keys: `redis-key:/<key name for the tab>?key=<hex of the exact bytes>&db=<n>&server=<host:port, or the cluster's nodes>&pages=<n>`. */
export const KEY_SCHEME = 'redis-key';

export interface KeyDocumentTarget {
  /** Exact bytes of the key. */
  readonly key: Buffer;
  readonly db: number;
  /** The server it was read from (documentServer): it is never read or saved through
   * another. Undefined in an address from before it was recorded. */
  readonly server: string | undefined;
  /** Pages the document opened with (1: the first 1,000 elements or 1 MB). */
  readonly pages: number;
}

/**
 * The URI of a key's document. The path is the key's name as a person reads it, so the
 * tab title reads like the key (a `/` in the name becomes `∕`, so the whole name is the
 * title); the exact bytes travel in the query as hex, so any key, binary or not, has a
 * stable URI.
 */
export function keyDocumentUri(key: Buffer, endpoint: RedisEndpoint, pages = 1): vscode.Uri {
  const title = displayBytes(key, { maxLength: 120 }).replace(/\//g, '\u2215') || '""';
  const server = encodeURIComponent(documentServer(endpoint));
  const query = `key=${key.toString('hex')}&db=${endpoint.db}&server=${server}${pages > 1 ? `&pages=${pages}` : ''}`;
  return vscode.Uri.from({ scheme: KEY_SCHEME, path: `/${title}`, query });
}

/**
 * What a click on a key row runs: `vscode.open` of the key's document. VS Code keeps a tree
 * row's command with arguments in a cache it empties whenever the view redraws, so a click
 * that lands while the Keys view redraws (a walk's start and end, a setting changed) ran
 * nothing and said "Actual command not found"; an API command's arguments travel with the
 * row. Opening it also acts as in the Explorer: a click previews, a double click keeps the
 * tab, and an open document is read again when its value changed.
 */
export function openKeyCommand(key: Buffer, endpoint: RedisEndpoint): vscode.Command {
  return { command: 'vscode.open', title: 'Inspect Key', arguments: [keyDocumentUri(key, endpoint)] };
}

export function parseKeyDocumentUri(uri: vscode.Uri): KeyDocumentTarget | undefined {
  if (uri.scheme !== KEY_SCHEME) return undefined;
  const params = new URLSearchParams(uri.query);
  const hex = params.get('key');
  const db = Number(params.get('db') ?? '0');
  const pages = Number(params.get('pages') ?? '1');
  if (hex === null || !/^([0-9a-f]{2})*$/i.test(hex) || !Number.isInteger(db) || db < 0) return undefined;
  return {
    key: Buffer.from(hex, 'hex'),
    db,
    server: params.get('server') ?? undefined,
    pages: Number.isInteger(pages) && pages >= 1 ? pages : 1,
  };
}

/** One read of a key, as a document shows it. */
interface Version {
  /** valueVersion of the value, or a digest of the message shown instead of one. */
  readonly id: string;
  readonly value: KeyValue | undefined;
  readonly rendered: EditableDocument;
  /** What stat reports: changes whenever the value read changes (VS Code's "changed on disk"). */
  readonly mtime: number;
  readonly size: number;
}

interface DocumentState {
  pages: number;
  /** The version the editor holds: the last readFile. */
  base: Version | undefined;
  /** The newest version read (stat, readFile, save): what a save is conditional on. */
  latest: Version | undefined;
  /** The next read gets a new mtime even when the value is the same (a TTL change, Refresh): VS Code then reloads. */
  renew: boolean;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * The `redis-key:` documents: a FileSystemProvider, so a key is edited in the real editor
 * (dirty marker, Ctrl+S, undo, Compare, "changed on disk"). A value that can be edited
 * safely is rendered in the edit format (src/redis/keyValue/editFormat.ts); any other is
 * read-only (FilePermission.Readonly) with a first line saying why.
 *
 * Versions: each read is digested (valueVersion); stat's mtime changes when the digest
 * does. VS Code's save first stats the file and refuses with its own conflict choices
 * (Compare, Overwrite) when the mtime moved on, but only when the size differs too
 * (fileService.validateWriteFile): so a version whose rendering has the same size as the
 * editor's reports one byte more (the size is not used for anything else here). The save
 * itself is conditional on the key still being the version stat last read (WATCH, read,
 * compare, MULTI/EXEC), which after "Overwrite" is the newer one the user chose to replace.
 *
 * A CodeLens on the "… more not shown" line of a large (read-only) value loads the next page.
 */
export class KeyDocumentProvider implements vscode.FileSystemProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly fileChanges = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.fileChanges.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly states = new Map<string, DocumentState>();
  /** Open documents whose language was set at their first open. */
  private readonly languageChosen = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private hasMore: boolean | undefined;

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
    settingsChanged: vscode.Event<SettingsChange>,
    private readonly keyChanges: KeyChanges,
  ) {
    this.subscriptions.push(
      this.fileChanges,
      this.lensesChanged,
      vscode.workspace.registerFileSystemProvider(KEY_SCHEME, this, { isCaseSensitive: true }),
      vscode.languages.registerCodeLensProvider({ scheme: KEY_SCHEME }, this),
      vscode.workspace.onDidCloseTextDocument((document) => {
        // A language change reaches extensions as a close and an open of a document that stays
        // open: forgetting its versions then would let a save overwrite another client's change.
        const id = document.uri.toString();
        if (document.uri.scheme === KEY_SCHEME && !this.openDocuments().some((d) => d.uri.toString() === id)) {
          this.states.delete(id);
          this.languageChosen.delete(id);
        }
      }),
      session.onDidChangeEndpoint(() => this.reloadOpen(() => true)),
      settingsChanged((change) => {
        if (change.affects('readOnly')) this.reloadOpen(() => true);
      }),
      keyChanges.onDidChangeKeys((event) =>
        this.reloadOpen(
          (target) =>
            event.kind === 'many' ||
            (event.db === target.db && event.keys.some((key) => Buffer.compare(key, target.key) === 0)),
        ),
      ),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      // Opened by VS Code itself (a key row's click is vscode.open), the document is announced
      // after its first read: the language that read chose is set here.
      // Only its first open: a language the user picks reaches extensions as a close and an open too.
      vscode.workspace.onDidOpenTextDocument((document) => {
        const id = document.uri.toString();
        if (document.uri.scheme !== KEY_SCHEME || this.languageChosen.has(id)) return;
        this.languageChosen.add(id);
        const language = this.rendered(document.uri)?.language;
        if (language && document.languageId !== language) this.syncLanguage(document.uri, language);
      }),
    );
  }

  /** `sharedRedis.keyValueHasMore`: the active key document has more to load (shows the Load More button). */
  private updateContext(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const more = uri?.scheme === KEY_SCHEME && (this.rendered(uri)?.remaining ?? 0) > 0;
    if (more !== this.hasMore) {
      this.hasMore = more;
      void vscode.commands.executeCommand('setContext', 'sharedRedis.keyValueHasMore', more);
    }
  }

  private state(uri: vscode.Uri): DocumentState {
    const id = uri.toString();
    let state = this.states.get(id);
    if (!state) {
      state = { pages: parseKeyDocumentUri(uri)?.pages ?? 1, base: undefined, latest: undefined, renew: false };
      this.states.set(id, state);
    }
    return state;
  }

  private openDocuments(): vscode.TextDocument[] {
    return vscode.workspace.textDocuments.filter((document) => document.uri.scheme === KEY_SCHEME);
  }

  /** Tells VS Code that open documents matching `which` changed; those without unsaved edits are read again. */
  private reloadOpen(which: (target: KeyDocumentTarget) => boolean): void {
    const changed: vscode.FileChangeEvent[] = [];
    for (const document of this.openDocuments()) {
      const target = parseKeyDocumentUri(document.uri);
      if (!target || !which(target)) continue;
      if (!document.isDirty) this.state(document.uri).renew = true;
      changed.push({ type: vscode.FileChangeType.Changed, uri: document.uri });
    }
    if (changed.length > 0) this.fileChanges.fire(changed);
  }

  // --- the file system: one file per key

  watch(): vscode.Disposable {
    // Changes are announced by the extension itself (onDidChangeKeys, settings, Refresh).
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const version = await this.read(uri);
    const readOnly = version.rendered.readOnlyReason !== undefined && version.value?.kind !== 'gone';
    return {
      type: vscode.FileType.File,
      ctime: 0,
      mtime: version.mtime,
      size: version.size,
      ...(readOnly || settings().readOnly ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const state = this.state(uri);
    const version = await this.read(uri);
    state.base = version;
    this.syncLanguage(uri, version.rendered.language);
    return ENCODER.encode(version.rendered.text);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const target = parseKeyDocumentUri(uri);
    if (!target) throw vscode.FileSystemError.FileNotFound(uri);
    const name = keyTitle(target.key);
    const refuse = (why: string): never => {
      this.log.warn(`Save ${name}: ${why}`);
      throw vscode.FileSystemError.NoPermissions(`${why} Nothing was written.`);
    };
    if (target.db !== this.session.endpoint.db) {
      refuse(`${name} was opened from db ${target.db}, but the connection now uses db ${this.session.endpoint.db}.`);
    }
    const moved = this.movedFrom(target);
    if (moved !== undefined) refuse(`${name} ${moved}`);
    const state = this.state(uri);
    const expected = (state.latest ?? (await this.read(uri))).value;
    if (!expected || expected.kind === 'gone') {
      throw vscode.FileSystemError.FileNotFound(`${name} no longer exists (deleted or expired). Nothing was written.`);
    }
    let text: string;
    try {
      text = DECODER.decode(content);
    } catch {
      return refuse(`The document is not UTF-8 text (save it with the UTF-8 encoding).`);
    }
    const shownType = documentType(text);
    if (shownType !== undefined && shownType !== expected.header.type) {
      refuse(
        `${name} is now a ${typeDisplayName(expected.header.type)} (it was a ${typeDisplayName(shownType)} when the editor read it). Revert the editor to see it as it is.`,
      );
    }
    const reason = renderEditable(expected).readOnlyReason;
    if (reason !== undefined) refuse(`${name} cannot be saved: ${reason}.`);
    let edited;
    try {
      edited = parseEdited(expected, text);
    } catch (error) {
      if (error instanceof EditFormatError) refuse(`${name}: ${error.message}.`);
      throw error;
    }
    const decision = await this.keyChanges.confirmWrite([target.key], `Save ${name}`);
    if (!decision.allowed) refuse(decision.message);
    let outcome;
    try {
      outcome = await this.session.use(async (shared) => {
        // WATCH needs a connection of its own: the shared one's WATCH could be cleared by another EXEC.
        // Opened as every connection is, so that a refusal (a server at its maxclients) is named as such.
        const client = await connectDuplicate(shared, this.session.endpoint);
        try {
          return await saveKeyValue(client, target.key, expected, edited, {
            pages: state.pages,
            undoLimitBytes: this.keyChanges.undoLimitBytes,
            // Asked as every other change asks: a value Undo could not put back is overwritten only when the user says so.
            beforeWrite: async (writer) => {
              const pending = await this.keyChanges.recordBefore(writer, [target.key], `Save ${name}`);
              return (await acceptNotUndoable(pending, `Save ${name}`)) ? pending : false;
            },
          });
        } finally {
          client.disconnect();
        }
      });
    } catch (error) {
      if (error instanceof StreamEntryChangedError) refuse(`${name}: ${error.message}.`);
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`Save ${name} failed: ${message}`);
      throw vscode.FileSystemError.Unavailable(`Could not save ${name}: ${message}`);
    }
    if (outcome.kind === 'dismissed') {
      refuse(
        `${name} was not saved: Undo Last Change could not keep its value before the save, and the change was not confirmed.`,
      );
    }
    if (outcome.kind === 'conflict') {
      this.remember(uri, outcome.current);
      this.fileChanges.fire([{ type: vscode.FileChangeType.Changed, uri }]);
      const now =
        outcome.current.kind === 'gone'
          ? 'it was deleted meanwhile'
          : outcome.current.header.type !== expected.header.type
            ? `it is a ${typeDisplayName(outcome.current.header.type)} now`
            : 'another client changed it meanwhile';
      refuse(`${name} is not what the editor read: ${now}. Save again to compare or overwrite.`);
    }
    if (outcome.kind === 'saved') {
      this.log.info(`Saved ${name} (${outcome.commands} ${outcome.commands === 1 ? 'command' : 'commands'})`);
      this.keyChanges.keysChanged({ keys: [target.key], kind: 'changed', db: target.db });
    }
    state.base = await this.read(uri);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  // --- reading

  /** Reads the key again and shows it. Resolves to the document's new text, once an open document shows it. */
  async refresh(uri: vscode.Uri): Promise<string> {
    const document = this.openDocuments().find((d) => d.uri.toString() === uri.toString());
    const state = this.state(uri);
    if (document && !document.isDirty) state.renew = true;
    const version = await this.read(uri);
    if (!document) return version.rendered.text;
    state.renew = false;
    const shown = this.shown(uri, version.rendered.text);
    this.fileChanges.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    await shown;
    return document.isDirty ? version.rendered.text : document.getText();
  }

  /** Resolves once an open document shows `text` (at most 3 s); at once when it is not open. */
  private shown(uri: vscode.Uri, text: string): Promise<void> {
    const id = uri.toString();
    const document = this.openDocuments().find((d) => d.uri.toString() === id);
    if (!document || document.getText() === text || document.isDirty) return Promise.resolve();
    return eventWithin(
      vscode.workspace.onDidChangeTextDocument,
      (event) => event.document.uri.toString() === id && sameButTtl(event.document.getText(), text),
      3000,
    );
  }

  /** Grows the document by one page (1,000 elements or 1 MB) and re-reads. */
  loadMore(uri: vscode.Uri): Promise<string> {
    this.state(uri).pages++;
    return this.refresh(uri);
  }

  /** What the last read rendered (language, what is left, why read-only), for the commands and tests. */
  rendered(uri: vscode.Uri): EditableDocument | undefined {
    return this.states.get(uri.toString())?.latest?.rendered;
  }

  /** Reads the key (the document's pages) and keeps it as the latest version. */
  private async read(uri: vscode.Uri): Promise<Version> {
    const state = this.state(uri);
    const target = parseKeyDocumentUri(uri);
    let value: KeyValue | undefined;
    let rendered: EditableDocument;
    const moved = target && this.movedFrom(target);
    if (!target) {
      rendered = message(`This is not a key's address: ${uri.toString()}\n`);
    } else if (moved !== undefined) {
      rendered = message(`${keyTitle(target.key)} ${moved}\n`);
    } else if (target.db !== this.session.endpoint.db) {
      rendered = message(
        `${keyTitle(target.key)} was opened from db ${target.db}, but the connection now uses db ${this.session.endpoint.db} (${describeEndpoint(this.session.endpoint)}). Inspect the key again from the Keys view.\n`,
      );
    } else {
      try {
        const pages = state.pages;
        value = await this.session.use((client) =>
          readKeyValue(client, target.key, { pages, endpoint: this.session.endpoint }),
        );
        rendered = renderEditable(value);
      } catch (error) {
        const text = describeReadFailure(target.key, error);
        this.log.warn(text.trimEnd());
        rendered = message(text);
      }
    }
    const version = this.remember(uri, value, rendered);
    this.lensesChanged.fire();
    setTimeout(() => this.updateContext(), 0);
    return version;
  }

  /** Why a document read from another server than the connection's must not be read or saved through it. */
  private movedFrom(target: KeyDocumentTarget): string | undefined {
    const now = documentServer(this.session.endpoint);
    if (target.server !== undefined && sameDocumentServer(target.server, this.session.endpoint)) return undefined;
    return target.server === undefined
      ? `was opened before this version recorded its server (the connection goes to ${now}). Inspect the key again from the Keys view.`
      : `was opened from ${target.server}, but the connection now goes to ${now}. Inspect the key again from the Keys view to edit it there.`;
  }

  /** Keeps a read as the document's latest version: same value, same mtime; another value, a later one. */
  private remember(
    uri: vscode.Uri,
    value: KeyValue | undefined,
    rendered = renderEditable(value ?? goneOf(uri)),
  ): Version {
    const state = this.state(uri);
    const id = value ? valueVersion(value) : `message:${createHash('sha256').update(rendered.text).digest('hex')}`;
    const latest = state.latest;
    const renew = state.renew;
    state.renew = false;
    let size = ENCODER.encode(rendered.text).length;
    if (latest && latest.id === id && !renew) {
      state.latest = { ...latest, value, rendered };
      return state.latest;
    }
    // A renewed read of the same value (a TTL change, Refresh) keeps the size VS Code knows:
    // only the header's TTL text differs, and a new mtime with a new size would make VS Code
    // refuse the save of an edit made before it reloaded ("File Modified Since").
    if (latest && latest.id === id) size = latest.size;
    // See the class comment: a new version must not look like the editor's by its size.
    else if (state.base && state.base.id !== id && size === state.base.size) size++;
    const mtime = Math.max(Date.now(), (latest?.mtime ?? 0) + 1);
    state.latest = { id, value, rendered, mtime, size };
    return state.latest;
  }

  /** JSON values get JSON highlighting (their header is in comments: `jsonc`); others plain text. */
  private syncLanguage(uri: vscode.Uri, wanted: RenderedKey['language']): void {
    setTimeout(() => {
      const document = this.openDocuments().find((d) => d.uri.toString() === uri.toString());
      if (document && document.languageId !== wanted) {
        void vscode.languages
          .setTextDocumentLanguage(document, wanted)
          .then(undefined, (error: unknown) => this.log.debug(`Could not set the language: ${String(error)}`));
      }
    }, 0);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const rendered = this.rendered(document.uri);
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

function goneOf(uri: vscode.Uri): KeyValue {
  return { kind: 'gone', key: parseKeyDocumentUri(uri)?.key ?? Buffer.alloc(0) };
}

/** Two renderings of the same version differ at most in the TTL line (it counts down). */
function sameButTtl(a: string, b: string): boolean {
  const ttl = /^\/\/ TTL .*$/m;
  return a.replace(ttl, '') === b.replace(ttl, '');
}

function message(text: string): EditableDocument {
  return { text, language: 'plaintext', remaining: 0, moreLine: undefined, readOnlyReason: 'no value' };
}
