import * as vscode from 'vscode';
import type { TreeViews } from './earlyTreeView';
import { SECTION, settings, SettingsChange } from '../settings';
import { BrowserState, describeFilter, KeyBrowser, KeyRowsListener, PROGRESS_INTERVAL_MS } from '../keyBrowser';
import type { Logger } from '../logger';
import { describeEndpoint } from '../redis/endpoint';
import { RedisConnectionError } from '../redis/errors';
import {
  BinaryString,
  describeKey,
  displayBytes,
  displaySegment,
  formatBytes,
  formatKeyCount,
  formatTtl,
  NO_ACCESS,
  groupThousands,
  ID_SEGMENT,
  isIdLike,
  keyLabel,
  LITERAL_ID_SEGMENT,
  literalSegment,
  mostlyIds,
  describeKeys,
  filterPatternFor,
  memoryUsage,
  NamespaceModel,
  NamespaceNode,
  PagedKey,
  PatternNode,
  patternSelection,
  toBinary,
  typeDisplayName,
  WalkProgress,
} from '../redis/keyspace';
import { KeyPager, pagerFor } from '../redis/cluster/clusterPager';
import { slotOfKey } from '../redis/cluster/topology';
import { explainWithStack } from '../redisNotReady';
import type { RedisSession } from '../redisSession';
import type { StackService } from '../stackService';
import { openKeyCommand } from './keyDocument';
import { keysHereSoFar, namespaceItem, scopedRowId, shownOf } from './keysRowItems';
import { rowKey } from './rowKey';
import type { DeclaredNamespace } from '../settingsModel';

/** A namespace row, found again in each new model by its path (so ids and expansion survive a refresh). */
export class NamespaceRow {
  constructor(
    readonly parent: NamespaceRow | undefined,
    readonly path: BinaryString,
    readonly segment: BinaryString,
    readonly declared: DeclaredNamespace | undefined,
  ) {}

  /** Set when its child namespaces are mostly ids: shown as one `{id}` row (`grouped`) or
   * as the plain list; `sharedRedis.showIdsAsList` / `sharedRedis.groupIds` call `toggle`. */
  idGrouping: IdGrouping | undefined;
}

export interface IdGrouping {
  readonly grouped: boolean;
  readonly toggle: () => void;
}

/** `{id}`: every id-like child namespace of a namespace in one row, with exact counts. */
export class IdGroupRow {
  constructor(
    readonly parent: NamespaceRow,
    readonly grouping: IdGrouping,
  ) {}

  get path(): BinaryString {
    return this.parent.path;
  }
}

/** A name below `{id}` (`profile` of `user > {id}`), counted over all ids; its keys page with
 * SCAN MATCH `user:*:profile`. `segments` from `{id}` down (`['{id}', 'profile']`). */
export class PatternRow {
  constructor(
    readonly parent: IdGroupRow | PatternRow,
    readonly path: BinaryString,
    readonly segments: readonly BinaryString[],
  ) {}
}

export class KeyRow {
  constructor(
    readonly parent: NamespaceRow | undefined,
    readonly key: PagedKey,
  ) {}
}

/** A key listed under a PatternRow (`user:42:profile` under `user > {id} > profile`). */
export class PatternKeyRow extends KeyRow {
  constructor(
    readonly pattern: PatternRow,
    key: PagedKey,
  ) {
    super(undefined, key);
  }
}

/** The `Load more…` row of a namespace's keys or of its child namespaces;
 * `sharedRedis.loadMoreKeys` calls its `load`. */
export class LoadMoreRow {
  constructor(
    readonly parent: NamespaceRow | PatternRow | undefined,
    readonly shown: number,
    readonly total: number,
    readonly load: () => Promise<void>,
    readonly listing: 'keys' | 'namespaces' = 'keys',
  ) {}
}

/** What the model stopped tracking under a namespace (past its namespace limit): how many
 * child namespaces and keys, and the filter that lists them. Nothing is left out silently. */
export class NotListedRow {
  constructor(
    readonly parent: NamespaceRow | undefined,
    readonly namespaces: number,
    readonly keys: number,
    /** The key filter's pattern for everything under the namespace (`user:*`). */
    readonly pattern: string,
  ) {}
}

/** A row that says what is wrong (or going on), optionally with the command that helps. */
export class MessageRow {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly icon: vscode.ThemeIcon,
    readonly command?: vscode.Command,
    readonly tooltip?: string,
  ) {}
}

export type KeysRow = NamespaceRow | KeyRow | LoadMoreRow | NotListedRow | MessageRow | IdGroupRow | PatternRow;

interface LoadedPages {
  readonly pager: KeyPager;
  keys: PagedKey[];
  more: boolean;
  loading: Promise<void> | undefined;
  error: Error | undefined;
  /** The newest row object that showed "Listing…" for this page: the one to refresh when it is found. */
  waitingRow?: NamespaceRow | undefined;
}

/**
 * Where a namespace's entries are kept in `pages`, `heldKeys` and `namespacesShown`: the root,
 * `n` and a namespace's path, or `p` and a pattern row's parts. A path may hold any byte (NUL
 * too): a mark in front of it, unlike a sentinel beside it, keeps every path apart from the root
 * and from pattern rows.
 */
const ROOT_SCOPE = 'r';
const PATTERN_SCOPE = 'p';
const pathScope = (path: BinaryString | undefined): string => (path === undefined ? ROOT_SCOPE : `n${path}`);
const nodeScope = (node: NamespaceNode): string => pathScope(node.isRoot ? undefined : node.path);
const patternScope = (path: BinaryString, segments: readonly BinaryString[]): string =>
  PATTERN_SCOPE + patternParts(path, segments);
/** How long the view's request for its top rows waits for a walk's first keys before answering with what there is. */
const FIRST_ROWS_WAIT_MS = 1000;

/** `Counting keys… 45% (450,000 so far)` for a walk in progress. */
function countingText(progress: WalkProgress | undefined): string {
  return progress && progress.expectedKeys > 0
    ? `Counting keys… ${Math.round(progress.fraction * 100)}% (${groupThousands(progress.keysCounted)} so far)`
    : 'Counting keys…';
}

/**
 * The Keys view: namespaces with exact counts (declared ones first, with their owning
 * service), then keys with `TYPE · TTL`, paged with a `Load more…` row. It walks the
 * keyspace only while visible; a refresh that comes while hidden waits until it shows.
 */
export class KeysView implements vscode.TreeDataProvider<KeysRow>, KeyRowsListener, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<KeysRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<KeysRow>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private pages = new Map<string, LoadedPages>();
  /** Child namespaces shown per namespace (by pathScope) beyond the first page. */
  private namespacesShown = new Map<string, number>();
  private pagesModel: NamespaceModel | undefined;
  /**
   * While a walk counts, the keys the last complete walk listed, by namespace (pathScope; the root for the
   * top): an open namespace keeps its keys listed (and clickable) instead of "N keys here so
   * far…" until the walk ends, seconds on a big keyspace. Taken when a walk starts, dropped
   * when it ends, and not taken when the rows would mean other keys (another server or
   * database, delimiter or filter). Only the keys: a pager would keep its whole old model.
   */
  private heldKeys = new Map<string, PagedKey[]>();
  /** Walks of a server or database the view no longer shows: their rows are never held. */
  private readonly modelsOfOtherServers = new WeakSet<NamespaceModel>();
  /** The last walk that ended: only the rows listed from it are held, never older ones. */
  private lastCompleteModel: NamespaceModel | undefined;
  /** Namespaces the user expanded: shown while a new walk has not found them yet, so that a
   * refresh does not collapse them (VS Code forgets the expansion of a row that was not listed). */
  private readonly expanded = new Set<BinaryString>();
  /** Namespaces the user switched from `{id}` to the plain list of ids (kept over walks). */
  private readonly idsAsList = new Set<BinaryString>();
  /** A walk of the keys whose final rows are on screen, and when it started (see onBrowserState). */
  private quietWalk: { readonly model: NamespaceModel; readonly since: number } | undefined;
  private stale = true;
  /** Requests for the top rows waiting for the walk's first keys (rowsKnown). */
  private rootRowsWaiting = 0;
  /** The filter the view's description and context key say (undefined before the first state). */
  private shownFilter: string | undefined;
  private declared: readonly DeclaredNamespace[];

  constructor(
    private readonly browser: KeyBrowser,
    private readonly session: RedisSession,
    private readonly log: Logger,
    settingsChanges: vscode.Event<SettingsChange>,
    /** What the Stack view knows: a stack that is starting is said so, not offered a start. */
    private readonly stack: Pick<StackService, 'snapshot' | 'onDidChange'>,
    trees: TreeViews,
  ) {
    this.declared = settings().namespaces;
    this.view = trees.treeView('sharedRedis.keys', this);
    this.subscriptions.push(
      this.view,
      this.changed,
      browser.onDidChange((state) => this.onBrowserState(state)),
      // Failure rows say what the stack is doing: say it again when that changes.
      stack.onDidChange(() => {
        if (this.browser.state.kind === 'failed') this.changed.fire(undefined);
      }),
      this.view.onDidChangeVisibility((e) => {
        if (e.visible && this.stale) void this.refresh();
      }),
      this.view.onDidExpandElement(({ element }) => {
        if (element instanceof NamespaceRow) this.expanded.add(element.path);
      }),
      this.view.onDidCollapseElement(({ element }) => {
        if (element instanceof NamespaceRow) this.expanded.delete(element.path);
      }),
      session.onDidChangeEndpoint(() => {
        this.expanded.clear();
        this.forgetServer();
        this.refreshRequested();
      }),
      settingsChanges((change) => {
        if (change.affects('namespaces')) {
          this.declared = change.after.namespaces;
          this.changed.fire(undefined);
        }
        // Paths cut by another delimiter name other namespaces.
        if (change.affects('delimiter')) this.expanded.clear();
        if (change.affectsRedisConnection) this.forgetServer();
        if (change.affectsRedisConnection || change.affects('delimiter', 'scanCount', 'pageSize')) {
          this.refreshRequested();
        }
      }),
      browser.attach(this),
    );
    if (this.view.visible) void this.refresh();
  }

  /** Another server or database: its keys' rows are not held over the walks that follow. */
  private forgetServer(): void {
    if (this.pagesModel) this.modelsOfOtherServers.add(this.pagesModel);
    const state = this.browser.state;
    if (state.kind !== 'idle' && state.model) this.modelsOfOtherServers.add(state.model);
    this.heldKeys = new Map();
  }

  /** Walks again now if the view is visible, else as soon as it shows. */
  refreshRequested(): void {
    this.stale = true;
    if (this.view.visible) void this.refresh();
  }

  get visible(): boolean {
    return this.view.visible;
  }

  keyDeleted(id: BinaryString): void {
    for (const [key, pages] of this.pages) {
      if (key.startsWith(PATTERN_SCOPE) && pages.keys.some((k) => k.id === id)) {
        pages.keys = pages.keys.filter((k) => k.id !== id);
        pages.pager.forget(id);
        pages.more = !pages.pager.done;
      }
    }
    const pages = this.pagesOfKey(id);
    if (pages) {
      pages.keys = pages.keys.filter((k) => k.id !== id);
      pages.pager.forget(id);
      pages.more = !pages.pager.done;
    }
    // Deleted while a walk counts: not listed among the held rows either.
    for (const [path, keys] of this.heldKeys) {
      this.heldKeys.set(
        path,
        keys.filter((k) => k.id !== id),
      );
    }
  }

  async keyExpiryChanged(key: Buffer): Promise<boolean> {
    const id = toBinary(key);
    // The key's row: on its page, or among the held rows while a walk counts.
    const keys = [this.pagesOfKey(id)?.keys, ...this.heldKeys.values()].find((list) => list?.some((k) => k.id === id));
    const at = keys?.findIndex((k) => k.id === id) ?? -1;
    try {
      if (keys && at >= 0) {
        const [entry] = await this.session.use((client) => describeKeys(client, [key], this.session.endpoint));
        if (entry) keys[at] = { ...entry, labelBytes: keys[at]?.labelBytes ?? entry.id };
      }
      return true;
    } catch (error) {
      this.log.warn(
        `Reading the new TTL of a key failed, walking again: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.browser.requestRefresh();
      return false;
    }
  }

  namespaceDeleted(binary: BinaryString): void {
    const delimiter = this.pagesModel?.delimiterBinary ?? ':';
    for (const path of [...this.expanded]) {
      if (path === binary || path.startsWith(binary + delimiter)) this.expanded.delete(path);
    }
    const scope = pathScope(binary);
    for (const listed of [this.pages, this.heldKeys]) {
      for (const key of [...listed.keys()]) {
        if (key === scope || key.startsWith(scope + delimiter)) listed.delete(key);
      }
    }
  }

  rowsChanged(): void {
    this.changed.fire(undefined);
  }

  keyAdded(id: BinaryString): void {
    // Its namespace's pages are listed again (from the model's names, or that namespace's SCAN) when shown.
    const model = this.model();
    if (!model) return;
    const { path } = model.split(id);
    this.pages.delete(pathScope(path));
    // And the pages of `{id}` patterns it may belong to (listed again when shown).
    for (const key of [...this.pages.keys()]) if (key.startsWith(PATTERN_SCOPE)) this.pages.delete(key);
  }

  /** Expands and selects the namespace at `path` (its rows are found again by path). */
  async reveal(path: BinaryString): Promise<void> {
    const model = this.model();
    if (!model) return;
    let row: NamespaceRow | undefined;
    let rowPath: BinaryString | undefined;
    for (const segment of model.segments(path)) {
      const parentNode = rowPath === undefined ? model.root : model.findNamespace(rowPath);
      rowPath = rowPath === undefined ? segment : rowPath + model.delimiterBinary + segment;
      const at = rowPath;
      this.showChild(parentNode, at);
      row = new NamespaceRow(
        row,
        at,
        segment,
        this.declared.find((d) => d.path === at),
      );
    }
    if (row) await this.view.reveal(row, { expand: true, select: true, focus: false });
  }

  /** Extends the pages of `parent`'s child namespaces until its child at `path` is listed. */
  private showChild(parent: NamespaceNode | undefined, path: BinaryString): void {
    if (!parent) return;
    const at = parent.sortedChildNamespaces().findIndex((child) => child.path === path);
    const key = nodeScope(parent);
    const pageSize = settings().pageSize;
    const shown = this.namespacesShown.get(key) ?? pageSize;
    if (at >= shown) this.namespacesShown.set(key, Math.ceil((at + 1) / pageSize) * pageSize);
  }

  /** The loaded pages of the namespace a key belongs to, if any. */
  private pagesOfKey(id: BinaryString): LoadedPages | undefined {
    const model = this.model();
    if (!model) return undefined;
    const { path } = model.split(id);
    return this.pages.get(pathScope(path));
  }

  refresh(): Promise<BrowserState> {
    this.stale = false;
    return this.browser.refresh();
  }

  private onBrowserState(state: BrowserState): void {
    // A walk started (here or by a command): what the view shows is being brought up to date.
    if (state.kind === 'walking') this.stale = false;
    // A namespace gone since it was expanded (deleted, or another delimiter) is not kept for the next walk.
    if (state.kind === 'complete') {
      for (const path of this.expanded) if (!state.model.findNamespace(path)) this.expanded.delete(path);
      this.heldKeys = new Map(); // the walk's own pages are listed from now on
      this.lastCompleteModel = state.model;
    }
    // The rows first: VS Code sends a view's first change at once and holds one that follows
    // within 200 ms until 200 ms have passed without another (the view's message is such a change).
    // Not while the view's request for its top rows waits for them: its answer brings this
    // state, and a change announced meanwhile made the workbench ask again and show the rows
    // only with that second answer, 100–150 ms later.
    // A walk of the keys whose final rows are on screen is announced only once it has counted for
    // half a second, or ended: they stay until then. Each announcement redraws every row, and a
    // click or an F1 landing on a redraw was lost; a short refresh redrew two or three times.
    if (state.kind === 'walking' && state.progress === undefined) {
      this.quietWalk = this.showsFinalRowsOf(state.model)
        ? { model: state.model, since: performance.now() }
        : undefined;
    }
    const quiet =
      state.kind === 'walking' &&
      this.quietWalk?.model === state.model &&
      performance.now() - this.quietWalk.since < PROGRESS_INTERVAL_MS;
    if (this.rootRowsWaiting === 0 && !quiet) this.changed.fire(undefined);
    const filter = describeFilter(this.browser.filter);
    // Progress comes several times a second during a walk: tell the workbench only what changed.
    if (filter !== this.shownFilter) {
      this.shownFilter = filter;
      void vscode.commands.executeCommand('setContext', 'sharedRedis.keysFiltered', filter !== '');
    }
    // The walk's progress is said in the view's description, which VS Code shows at once: as
    // the message, its end would reach the screen 200 ms after the final counts.
    const counting = state.kind === 'walking' ? countingText(state.progress) : '';
    const description = [filter, counting].filter((part) => part !== '').join(' · ');
    if (description !== this.view.description) this.view.description = description;
    const message =
      state.kind === 'complete' && state.model.totalKeys === 0 && filter ? `No keys match ${filter}.` : '';
    if (message !== this.view.message) this.view.message = message;
  }

  /** The rows VS Code last asked for are the last finished walk's, and of the same keys as `model`. */
  private showsFinalRowsOf(model: NamespaceModel): boolean {
    const shown = this.pagesModel;
    return (
      shown !== undefined &&
      shown === this.lastCompleteModel &&
      !this.modelsOfOtherServers.has(shown) &&
      walksOfSameKeys(shown, model)
    );
  }

  private model(): NamespaceModel | undefined {
    const state = this.browser.state;
    const model = state.kind === 'idle' ? undefined : state.model;
    if (model !== this.pagesModel) {
      const previous = this.pagesModel;
      const walkingSameKeys =
        previous !== undefined &&
        model !== undefined &&
        !model.complete &&
        !this.modelsOfOtherServers.has(previous) &&
        walksOfSameKeys(previous, model);
      if (!walkingSameKeys) this.heldKeys = new Map();
      // The keys listed from the last walk; none when the view listed nothing since it ended
      // (rows of an older walk could name keys another client deleted since).
      else if (previous.complete) {
        this.heldKeys = previous === this.lastCompleteModel ? keysListed(this.pages) : new Map();
      }
      // else a walk superseded before its end (it listed no pages) hands on the keys held before it.
      this.pages = new Map();
      this.namespacesShown = new Map();
      this.pagesModel = model;
    }
    return model;
  }

  getParent(row: KeysRow): KeysRow | undefined {
    if (row instanceof PatternKeyRow) return row.pattern;
    return row instanceof MessageRow ? undefined : row.parent;
  }

  async getChildren(row?: KeysRow): Promise<KeysRow[]> {
    // VS Code asks for a namespace's rows when it is opened, and drops the "expanded" event of a
    // row opened while the view's rows are asked again (its extension host finds no row then).
    if (row instanceof NamespaceRow) this.expanded.add(row.path);
    // While the walk has counted nothing yet, the first rows come in this answer.
    if (!row && this.view.visible) {
      this.rootRowsWaiting++;
      try {
        await this.browser.rowsKnown(FIRST_ROWS_WAIT_MS);
      } finally {
        this.rootRowsWaiting--;
      }
    }
    const state = this.browser.state;
    if (!row) {
      if (state.kind === 'idle') return [];
      if (state.kind === 'failed' && !(state.error.name === 'AbortError')) return this.failureRows(state.error);
    }
    const model = this.model();
    if (!model) return [];
    if (row instanceof NamespaceRow || row === undefined) {
      const node = row ? model.findNamespace(row.path) : model.root;
      const group = row && node ? this.idGroupOf(row, node) : undefined;
      const namespaces = this.namespaceRows(row, node, group);
      const ids = row?.idGrouping && group ? [new IdGroupRow(row, row.idGrouping)] : [];
      const notListed = node ? this.notListedRows(row, node, group) : [];
      const keys = node ? await this.keyRows(row, node) : [];
      // A namespace the walk has not reached yet: an empty answer would make VS Code collapse it.
      const held = row && !node ? this.heldKeys.get(pathScope(row.path)) : undefined;
      const counting =
        row && !node && partialModel(state)
          ? held && held.length > 0
            ? held.map((key) => new KeyRow(row, key))
            : [new MessageRow(scopedRowId('counting', row.path), 'Counting…', new vscode.ThemeIcon('loading~spin'))]
          : [];
      return [...namespaces, ...ids, ...notListed, ...keys, ...counting];
    }
    if (row instanceof IdGroupRow || row instanceof PatternRow) return this.patternRows(row);
    return [];
  }

  /** The `{id}` pattern of a namespace whose children are mostly ids, when it shows grouped;
   * sets the row's `idGrouping` whenever grouping is possible. Counts must be final and exact. */
  private idGroupOf(row: NamespaceRow, node: NamespaceNode): PatternNode | undefined {
    const group = node.idGroup;
    const model = node.model;
    if (!group || !model.complete || model.patternsStale) return undefined;
    if (!mostlyIds(group.instances, node.childCount + node.untrackedNamespaces)) return undefined;
    const grouped = !this.idsAsList.has(row.path);
    row.idGrouping = {
      grouped,
      toggle: () => {
        if (grouped) this.idsAsList.add(row.path);
        else this.idsAsList.delete(row.path);
        this.changed.fire(undefined);
      },
    };
    return grouped ? group : undefined;
  }

  /** The pattern a `{id}` or pattern row stands for, and its count. */
  private patternOf(row: IdGroupRow | PatternRow): { node: PatternNode | undefined; keys: number } | undefined {
    const namespace = this.model()?.findNamespace(row.path);
    let pattern = namespace?.idGroup;
    if (!pattern) return undefined;
    if (row instanceof IdGroupRow) return { node: pattern, keys: pattern.keys };
    const segments = row.segments.slice(1);
    for (const segment of segments.slice(0, -1)) pattern = pattern?.children?.get(segment);
    const entry = pattern?.entries().find((e) => e.segment === segments[segments.length - 1]);
    return entry && { node: entry.node, keys: entry.keys };
  }

  private async patternRows(row: IdGroupRow | PatternRow): Promise<KeysRow[]> {
    const found = this.patternOf(row);
    if (!found) return [];
    const segments = row instanceof IdGroupRow ? [ID_SEGMENT] : row.segments;
    const rows: KeysRow[] = (found.node?.entries() ?? []).map(
      (entry) => new PatternRow(row, row.path, [...segments, entry.segment]),
    );
    const namespace = this.model()?.findNamespace(row.path);
    if (row instanceof IdGroupRow || !namespace) return rows;
    const labelKeys = found.keys - (found.node?.keys ?? 0);
    if (labelKeys <= 0) return rows;
    const pagesKey = patternScope(row.path, segments);
    let pages = this.pages.get(pagesKey);
    if (!pages) {
      const topology = await this.session.topology();
      const { pageSize, scanCount: count } = settings();
      const pattern = patternSelection(namespace, segments, labelKeys);
      pages = {
        pager: pagerFor(topology, namespace, { pageSize, count, pattern }),
        keys: [],
        more: true,
        loading: undefined,
        error: undefined,
      };
      this.pages.set(pagesKey, pages);
    }
    const loaded = pages;
    if (loaded.keys.length === 0 && loaded.more && !loaded.error) await this.loadPage(loaded);
    rows.push(...loaded.keys.map((key) => new PatternKeyRow(row, key)));
    const loadMore = async (): Promise<void> => {
      await this.loadPage(loaded);
      this.changed.fire(row);
    };
    if (loaded.error) {
      rows.push(
        new MessageRow(
          scopedRowId('error-pattern', patternRowKey(row)),
          `Could not list the keys: ${loaded.error.message}`,
          new vscode.ThemeIcon('error'),
          {
            command: 'sharedRedis.loadMoreKeys',
            title: 'Retry',
            arguments: [new LoadMoreRow(row, loaded.keys.length, labelKeys, loadMore)],
          },
        ),
      );
    } else if (loaded.more) {
      rows.push(new LoadMoreRow(row, loaded.keys.length, labelKeys, loadMore));
    }
    return rows;
  }

  private namespaceRows(
    parent: NamespaceRow | undefined,
    node: NamespaceNode | undefined,
    idGroup?: PatternNode,
  ): (NamespaceRow | LoadMoreRow)[] {
    // A row the walk has not reached has no node: the delimiter is still the walk's.
    const delimiter = node?.model.delimiterBinary ?? this.pagesModel?.delimiterBinary ?? ':';
    const parentPath = parent?.path;
    const declaredHere = this.declared.filter((d) => {
      const at = d.path.lastIndexOf(delimiter);
      return parentPath === undefined ? at === -1 : at !== -1 && d.path.slice(0, at) === parentPath;
    });
    const rows: (NamespaceRow | LoadMoreRow)[] = [];
    const seen = new Set<string>();
    for (const declared of declaredHere) {
      const segment =
        parentPath === undefined ? declared.path : declared.path.slice(parentPath.length + delimiter.length);
      rows.push(new NamespaceRow(parent, declared.path, segment, declared));
      seen.add(declared.path);
    }
    // The ancestors of a nested declared namespace (`billing` of `billing:invoices`) show even
    // without keys, or the declared one could not be reached.
    for (const ancestor of declaredAncestors(this.declared, delimiter, parentPath)) {
      if (seen.has(ancestor)) continue;
      rows.push(
        new NamespaceRow(
          parent,
          ancestor,
          parentPath === undefined ? ancestor : ancestor.slice(parentPath.length + delimiter.length),
          undefined,
        ),
      );
      seen.add(ancestor);
    }
    // While a walk counts, an expanded namespace it has not reached yet keeps its row ("counting…").
    const model = partialModel(this.browser.state);
    if (model) {
      for (const path of this.expanded) {
        const { path: pathParent, label: segment } = model.split(path);
        if (pathParent !== parentPath || seen.has(path) || model.findNamespace(path)) continue;
        rows.push(new NamespaceRow(parent, path, segment, undefined));
        seen.add(path);
      }
    }
    if (!node) return rows;
    // The other children page like keys: a namespace with 250,000 ids shows the first
    // `pageSize` in natural order and a `Load more…` row, never all of them at once.
    const declaredChildren = [...seen].filter((path) => node.model.findNamespace(path)?.parent === node).length;
    // Grouped: the ids are in the `{id}` row, the other children list as usual.
    const trackedIds = idGroup ? idGroup.instances - idGroup.untrackedInstances : 0;
    const total = node.childCount - declaredChildren - trackedIds;
    const key = nodeScope(node);
    const shown = Math.min(this.namespacesShown.get(key) ?? settings().pageSize, total);
    let listed = 0;
    const children = idGroup ? node.sortedChildNamespaces() : node.firstChildNamespaces(shown + declaredChildren);
    for (const child of children) {
      if (listed === shown) break;
      if (seen.has(child.path) || (idGroup && isIdLike(child.segment))) continue;
      rows.push(new NamespaceRow(parent, child.path, child.segment, undefined));
      listed++;
    }
    if (listed < total) {
      rows.push(new LoadMoreRow(parent, listed, total, () => this.loadMoreNamespaces(parent, listed), 'namespaces'));
    }
    return rows;
  }

  /** What is past the namespace limit; grouped, the ids among it are in the `{id}` row. */
  private notListedRows(
    parent: NamespaceRow | undefined,
    node: NamespaceNode,
    idGroup: PatternNode | undefined,
  ): NotListedRow[] {
    const keys = node.untrackedCount - (idGroup?.untrackedKeys ?? 0);
    const namespaces = node.untrackedNamespaces - (idGroup?.untrackedInstances ?? 0);
    return keys > 0 ? [new NotListedRow(parent, namespaces, keys, filterPatternFor(node.prefix))] : [];
  }

  private loadMoreNamespaces(parent: NamespaceRow | undefined, listed: number): Promise<void> {
    this.namespacesShown.set(pathScope(parent?.path), listed + settings().pageSize);
    this.changed.fire(parent);
    return Promise.resolve();
  }

  private async keyRows(parent: NamespaceRow | undefined, node: NamespaceNode): Promise<KeysRow[]> {
    // Keys are listed once the walk has finished: before that a page could miss keys. The
    // ones listed at the end of the last walk stay meanwhile, also before the walk counts
    // any of them (it may have found only the namespace's child namespaces so far).
    if (!node.model.complete) {
      const held = this.heldKeys.get(nodeScope(node));
      if (held && held.length > 0) return held.map((key) => new KeyRow(parent, key));
    }
    if (node.directCount === 0) return [];
    if (!node.model.complete) {
      return [
        new MessageRow(
          scopedRowId('counting', scopeOf(node)),
          keysHereSoFar(node.directCount),
          // Not spinning: the view's progress bar already moves, and each animation repaints the workbench.
          new vscode.ThemeIcon('loading'),
        ),
      ];
    }
    let pages: LoadedPages;
    try {
      pages = await this.pagesFor(node);
    } catch (error) {
      return [
        new MessageRow(
          scopedRowId('error', scopeOf(node)),
          `Could not list the keys: ${error instanceof Error ? error.message : String(error)}`,
          new vscode.ThemeIcon('error'),
          { command: 'sharedRedis.refreshKeys', title: 'Retry' },
        ),
      ];
    }
    if (pages.keys.length === 0 && pages.more && !pages.error) {
      if (!node.hasAllDirectKeyNames) {
        // A page found by SCAN MATCH can take seconds on a big keyspace: the namespace rows beside
        // it show now, and the view asks again once the page is found.
        // Fire for the row VS Code shows then: a refresh meanwhile replaces the row object, and a
        // fire for the old one is ignored (the row would stay "Listing…").
        pages.waitingRow = parent;
        if (!pages.loading) void this.loadPage(pages).then(() => this.changed.fire(pages.waitingRow));
        return [
          new MessageRow(
            scopedRowId('listing', scopeOf(node)),
            `Listing ${groupThousands(node.directCount)} ${node.directCount === 1 ? 'key' : 'keys'}…`,
            new vscode.ThemeIcon('loading'),
          ),
        ];
      }
      await this.loadPage(pages);
    }
    const rows: KeysRow[] = pages.keys.map((key) => new KeyRow(parent, key));
    if (pages.error) {
      rows.push(
        new MessageRow(
          scopedRowId('error', scopeOf(node)),
          `Could not list the keys: ${pages.error.message}`,
          new vscode.ThemeIcon('error'),
          {
            command: 'sharedRedis.loadMoreKeys',
            title: 'Retry',
            arguments: [new LoadMoreRow(parent, pages.keys.length, node.directCount, () => this.loadMore(parent))],
          },
        ),
      );
    } else if (pages.more) {
      rows.push(new LoadMoreRow(parent, pages.keys.length, node.directCount, () => this.loadMore(parent)));
    }
    return rows;
  }

  private async pagesFor(node: NamespaceNode): Promise<LoadedPages> {
    const key = nodeScope(node);
    let pages = this.pages.get(key);
    if (!pages) {
      const topology = await this.session.topology();
      const { pageSize, scanCount: count } = settings();
      pages = {
        // On a cluster the pager merges every master's SCAN cursor.
        pager: pagerFor(topology, node, { pageSize, count }),
        keys: [],
        more: true,
        loading: undefined,
        error: undefined,
      };
      this.pages.set(key, pages);
    }
    return pages;
  }

  private async loadPage(pages: LoadedPages): Promise<void> {
    pages.loading ??= pages.pager
      .next()
      .then(
        (page) => {
          pages.keys.push(...page.keys);
          pages.more = page.more;
          pages.error = undefined;
        },
        (error: unknown) => {
          pages.error = error instanceof Error ? error : new Error(String(error));
          this.log.warn(`Paging keys failed: ${pages.error.message}`);
        },
      )
      .finally(() => {
        pages.loading = undefined;
      });
    await pages.loading;
  }

  private async loadMore(parent: NamespaceRow | undefined): Promise<void> {
    const model = this.model();
    const node = parent ? model?.findNamespace(parent.path) : model?.root;
    if (!node) return;
    await this.loadPage(await this.pagesFor(node));
    this.changed.fire(parent);
  }

  private failureRows(failure: Error): KeysRow[] {
    const error = explainWithStack(failure, this.stack.snapshot, this.session.endpoint) as Error;
    const starting = error !== failure;
    // Invalid settings name no server (nothing was tried): the row starts with the setting.
    const reason = !(error instanceof RedisConnectionError)
      ? error.message
      : error.kind === 'settings-invalid'
        ? error.hint.replace(/^The setting /, '')
        : `${error.endpoint} ${error.reason}`;
    const rows: KeysRow[] = [
      new MessageRow(
        'failure',
        reason,
        new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
        undefined,
        error.message,
      ),
    ];
    const fix = (id: string, label: string, command: string, icon: string, args?: unknown[]): MessageRow =>
      new MessageRow(`fix:${id}`, label, new vscode.ThemeIcon(icon), {
        command,
        title: label,
        ...(args ? { arguments: args } : {}),
      });
    if (error instanceof RedisConnectionError) {
      if (error.kind === 'auth-failed' || error.kind === 'protected-mode') {
        rows.push(fix('password', 'Set Password…', 'sharedRedis.setPassword', 'key'));
      }
      if (error.kind === 'unreachable' && !starting) {
        rows.push(fix('start', 'Start Shared Redis', 'sharedRedis.start', 'play'));
      }
      rows.push(fix('ping', 'Ping Redis', 'sharedRedis.ping', 'pulse'));
      // A certificate problem is fixed in the TLS settings; anything else in the connection's.
      if (error.kind.startsWith('tls-')) {
        rows.push(fix('settings', 'TLS Settings', 'workbench.action.openSettings', 'lock', [`${SECTION}.tls`]));
      } else {
        rows.push(fix('settings', 'Connection Settings', 'workbench.action.openSettings', 'settings-gear', [SECTION]));
      }
    } else if (describeFilter(this.browser.filter)) {
      rows.push(fix('clear', 'Clear Filter', 'sharedRedis.clearKeyFilter', 'clear-all'));
    }
    rows.push(fix('retry', 'Retry', 'sharedRedis.refreshKeys', 'refresh'));
    return rows;
  }

  getTreeItem(row: KeysRow): vscode.TreeItem {
    if (row instanceof NamespaceRow) {
      const node = this.model()?.findNamespace(row.path);
      if (node) this.idGroupOf(row, node); // sets row.idGrouping for the context menu
      const counting = partialModel(this.browser.state) !== undefined;
      const item = namespaceItem(row.path, row.segment, node?.count ?? 0, counting, row.declared);
      const ids = row.idGrouping ? (row.idGrouping.grouped ? '.ids' : '.idList') : '';
      item.contextValue = `${row.declared ? 'namespace.declared' : 'namespace'}${ids}`;
      // The tooltip comes on hover (resolveTreeItem): the extension host parses every Markdown
      // tooltip it sends, and during a walk the rows are sent again twice a second.
      return item;
    }
    if (row instanceof IdGroupRow || row instanceof PatternRow) return this.patternItem(row);
    if (row instanceof KeyRow) {
      const key = row.key;
      const item = new vscode.TreeItem(keyLabel(key), vscode.TreeItemCollapsibleState.None);
      // One key may be under two {id} rows (tenant > {id} > {id} and tenant > 1 > {id}): the row's pattern is in its id.
      item.id =
        row instanceof PatternKeyRow
          ? `pattern-key:${rowKey(`${patternRowKey(row.pattern)}\u0000${key.id}`)}`
          : `key:${rowKey(key.id)}`;
      item.description = describeKey(key.type, key.pttlMs);
      item.iconPath = iconForType(key.type);
      item.contextValue = key.gone ? 'key.gone' : `key.${key.type}`;
      item.command = openKeyCommand(key.key, this.session.endpoint);
      return item;
    }
    if (row instanceof LoadMoreRow) {
      const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
      const namespaces = row.listing === 'namespaces';
      item.id =
        row.parent instanceof PatternRow
          ? scopedRowId('more-pattern', patternRowKey(row.parent))
          : scopedRowId(namespaces ? 'more-namespaces' : 'more', row.parent?.path);
      item.description = shownOf(row.shown, row.total, row.listing);
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'sharedRedis.loadMoreKeys', title: 'Load more', arguments: [row] };
      return item;
    }
    if (row instanceof NotListedRow) {
      const namespaces = `${groupThousands(row.namespaces)} more namespace${row.namespaces === 1 ? '' : 's'}`;
      const item = new vscode.TreeItem(
        `${namespaces} · ${formatKeyCount(row.keys)} not listed`,
        vscode.TreeItemCollapsibleState.None,
      );
      item.id = scopedRowId('not-listed', row.parent?.path);
      item.description = `Filter… (${row.pattern})`;
      item.iconPath = new vscode.ThemeIcon('filter');
      item.tooltip =
        `The Keys view tracks at most ${groupThousands(this.model()?.maxNamespaces ?? 0)} namespaces: these came ` +
        `after that. Their keys are in every count above. Filter the keys (${row.pattern}, narrowed ` +
        'to the ids you look for) to list them.';
      item.command = {
        command: 'sharedRedis.filterKeys',
        title: 'Filter Keys…',
        arguments: [{ prefill: row.pattern }],
      };
      return item;
    }
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.iconPath = row.icon;
    if (row.command) item.command = row.command;
    if (row.tooltip) item.tooltip = row.tooltip;
    return item;
  }

  private patternItem(row: IdGroupRow | PatternRow): vscode.TreeItem {
    const found = this.patternOf(row);
    const keys = formatKeyCount(found?.keys ?? 0);
    const delimiter = this.model()?.delimiterBinary ?? ':';
    if (row instanceof IdGroupRow) {
      const item = new vscode.TreeItem('{id}', vscode.TreeItemCollapsibleState.Collapsed);
      const namespaces = found?.node?.instances ?? 0;
      item.id = `ids:${rowKey(row.path)}`;
      item.description = `${groupThousands(namespaces)} namespace${namespaces === 1 ? '' : 's'} · ${keys}`;
      item.iconPath = new vscode.ThemeIcon('symbol-array');
      item.contextValue = 'idGroup';
      item.tooltip =
        `Every id-like namespace under ${displayBytes(row.path)} (numbers, UUIDs, hex digests, ULIDs) in one row; ` +
        `below it the names they share, counted over all ids. Show Ids as a List switches back.`;
      return item;
    }
    const pattern = displayBytes(row.path + delimiter + row.segments.map(literalSegment).join(delimiter));
    const last = row.segments[row.segments.length - 1] ?? '';
    // A segment that reads {id} is a name (a key template written as it was), not the ids' row.
    const named = last === LITERAL_ID_SEGMENT;
    const item = new vscode.TreeItem(displaySegment(literalSegment(last)));
    item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
    item.id = `pattern:${rowKey(patternRowKey(row))}`;
    item.description = named ? `${keys} · named {id}, not ids` : keys;
    item.iconPath = new vscode.ThemeIcon('symbol-key');
    item.contextValue = 'pattern';
    item.tooltip =
      `${pattern}: ${keys} over all ids` +
      (named ? ' (its last {id} is the name itself, written as it is: not an id)' : '');
    return item;
  }

  /** The tooltip of a namespace row (its counts as they are now), and of a key row, with MEMORY
   * USAGE fetched only when it is asked for. */
  async resolveTreeItem(item: vscode.TreeItem, row: KeysRow): Promise<vscode.TreeItem> {
    if (row instanceof NamespaceRow) {
      item.tooltip = this.namespaceTooltip(row);
      return item;
    }
    if (!(row instanceof KeyRow)) return item;
    const key = row.key;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(displayBytes(key.key, { maxLength: 1000 }))}**\n\n`);
    tooltip.appendMarkdown(
      key.type === NO_ACCESS
        ? `| | |\n|---|---|\n| Type, TTL | unknown: this user's ACL does not allow reading this key |\n`
        : `| | |\n|---|---|\n| Type | ${escapeMarkdown(typeDisplayName(key.type))} |\n| TTL | ${formatTtl(key.pttlMs)} |\n`,
    );
    if (!key.gone && key.type !== NO_ACCESS) {
      try {
        const bytes = await this.session.use((client) => memoryUsage(client, key.key));
        tooltip.appendMarkdown(`| Size | ${bytes === undefined ? 'gone' : formatBytes(bytes)} |\n`);
      } catch (error) {
        tooltip.appendMarkdown(
          `| Size | unknown (${escapeMarkdown(error instanceof Error ? error.message : String(error))}) |\n`,
        );
      }
    }
    const served = await this.servedBy(key.key);
    if (served) tooltip.appendMarkdown(`| Slot | ${served.slot} · ${escapeMarkdown(served.node)} |\n`);
    tooltip.appendMarkdown(
      `\n_${describeEndpoint(this.session.endpoint)} · as fetched ${new Date().toLocaleTimeString()}_`,
    );
    item.tooltip = tooltip;
    return item;
  }

  private namespaceTooltip(row: NamespaceRow): vscode.MarkdownString {
    const node = this.model()?.findNamespace(row.path);
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(
      `**${escapeMarkdown(displayBytes(row.path))}${escapeMarkdown(displayBytes(this.model()?.delimiterBinary ?? ':'))}**\n\n`,
    );
    tooltip.appendMarkdown(
      `${formatKeyCount(node?.count ?? 0)} in all, ${groupThousands(node?.directCount ?? 0)} directly here`,
    );
    if (row.declared?.owner) tooltip.appendMarkdown(`\n\nOwned by ${escapeMarkdown(row.declared.owner)}`);
    if (this.browser.state.kind === 'walking') tooltip.appendMarkdown('\n\n_Still counting…_');
    return tooltip;
  }

  /** On a cluster: the key's hash slot and the node serving it (`127.0.0.1:7001 (master)`); else undefined. */
  private async servedBy(key: Buffer): Promise<{ slot: number; node: string } | undefined> {
    try {
      const topology = await this.session.topology();
      return topology.kind === 'cluster' ? slotOfKey(topology.cluster, key) : undefined;
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** Two walks whose rows name the same keys: the same delimiter and filter (server and database apart). */
function walksOfSameKeys(a: NamespaceModel, b: NamespaceModel): boolean {
  const sameMatch = a.match === undefined || b.match === undefined ? a.match === b.match : a.match.equals(b.match);
  return sameMatch && a.type === b.type && a.delimiterBinary === b.delimiterBinary;
}

/** The keys listed on each namespace's pages (pattern groups apart). */
function keysListed(pages: ReadonlyMap<string, LoadedPages>): Map<string, PagedKey[]> {
  const keys = new Map<string, PagedKey[]>();
  for (const [scope, loaded] of pages) if (!scope.startsWith(PATTERN_SCOPE)) keys.set(scope, [...loaded.keys]);
  return keys;
}

/** Whose rows: a namespace's path, or undefined for the root (whose path is "", as the namespace ""'s). */
function scopeOf(node: NamespaceNode): BinaryString | undefined {
  return node.isRoot ? undefined : node.path;
}

/** A pattern row's identity: its namespace path and segments. As JSON, not joined by a
 * character: a path or segment may hold any character, and no two lists share a JSON text. */
function patternRowKey(row: PatternRow): string {
  return patternParts(row.path, row.segments);
}

function patternParts(path: BinaryString, segments: readonly BinaryString[]): string {
  return JSON.stringify([path, ...segments]);
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

const TYPE_ICONS: Record<string, string> = {
  string: 'symbol-string',
  hash: 'symbol-object',
  list: 'list-ordered',
  set: 'symbol-array',
  zset: 'symbol-numeric',
  stream: 'pulse',
  none: 'circle-slash',
};

function iconForType(type: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(
    Object.prototype.hasOwnProperty.call(TYPE_ICONS, type) ? (TYPE_ICONS[type] as string) : 'symbol-misc',
  );
}

/** Paths one level below `parentPath` that lead to a deeper declared namespace, in declaration order. */
/** The model of a walk that has not counted every key: one under way, or one a newer walk
 * superseded (aborted) before its end. */
function partialModel(state: BrowserState): NamespaceModel | undefined {
  if (state.kind === 'walking') return state.model;
  return state.kind === 'failed' && state.error.name === 'AbortError' ? state.model : undefined;
}

function declaredAncestors(
  declared: readonly DeclaredNamespace[],
  delimiter: string,
  parentPath: BinaryString | undefined,
): BinaryString[] {
  const found: BinaryString[] = [];
  for (const { path } of declared) {
    for (let at = path.indexOf(delimiter); at !== -1; at = path.indexOf(delimiter, at + delimiter.length)) {
      const ancestor = path.slice(0, at);
      const above = ancestor.lastIndexOf(delimiter);
      const ancestorParent = above === -1 ? undefined : ancestor.slice(0, above);
      if (ancestorParent === parentPath && !found.includes(ancestor)) found.push(ancestor);
    }
  }
  return found;
}
