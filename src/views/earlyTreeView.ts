import * as vscode from 'vscode';
import { FirstKeysRow } from './firstKeysRows';

/**
 * The tree views of package.json (contributes.views), with what VS Code reads once, when a
 * view is registered: whether it offers Collapse All, and whether its provider resolves
 * rows on hover (resolveTreeItem; declared for a view whose rows all lack it, every hover
 * and click of a row would wait for a round trip to the extension host).
 */
const TREE_VIEWS = {
  'sharedRedis.stack': { showCollapseAll: false, resolvesRows: false },
  'sharedRedis.keys': { showCollapseAll: true, resolvesRows: true },
  'sharedRedis.checks': { showCollapseAll: true, resolvesRows: false },
  'sharedRedis.clients': { showCollapseAll: true, resolvesRows: false },
} as const;

export type TreeViewId = keyof typeof TREE_VIEWS;

const LOAD_FAILED = 'Shared Redis could not load: see Output › Shared Redis.';

/** Where a view gets its TreeView: the one the first stage registered for its id. */
export interface TreeViews {
  /** The view `id`, its rows from now on drawn by `provider`. Once per id. */
  treeView<T>(id: TreeViewId, provider: vscode.TreeDataProvider<T>): vscode.TreeView<T>;
}

/** The Keys view's first rows before the second stage loads (firstKeysRows.ts); undefined: none. */
export type FirstRows = () => Promise<FirstKeysRow[] | undefined> | undefined;

/** Said by the Keys view while it lists the first stage's rows, as the view says it while it walks. */
const COUNTING = 'Counting keys…';

/**
 * A tree view the first stage registers before any of the extension's code is loaded, so
 * that the workbench asks for its rows the moment it shows, instead of after VS Code has
 * activated the extension and the second stage has built the view. The first question
 * loads the second stage (`load`); from then on the provider it attaches answers.
 */
class EarlyTreeView implements vscode.Disposable {
  readonly view: vscode.TreeView<unknown>;
  private provider: vscode.TreeDataProvider<unknown> | undefined;
  private readonly changed = new vscode.EventEmitter<unknown>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];
  private failed = false;
  /** The first stage's rows are on screen: the provider's own replace them when it attaches. */
  private listsFirstRows = false;
  /** The load failed while the first rows were on screen: the next answer says so, without loading again. */
  private failureToShow = false;

  constructor(
    private readonly id: TreeViewId,
    private readonly load: () => Promise<unknown>,
    private readonly firstRows?: FirstRows,
  ) {
    const forwarding: vscode.TreeDataProvider<unknown> = {
      onDidChangeTreeData: this.changed.event,
      getChildren: (element) => this.getChildren(element),
      // The workbench only has rows the provider's getChildren gave it, or the first stage's.
      getTreeItem: (element) => (element instanceof FirstKeysRow ? element.item : this.provider!.getTreeItem(element)),
      getParent: (element) => (element instanceof FirstKeysRow ? undefined : this.provider?.getParent?.(element)),
    };
    if (TREE_VIEWS[id].resolvesRows) {
      forwarding.resolveTreeItem = (item, element, token) =>
        this.provider?.resolveTreeItem && !(element instanceof FirstKeysRow)
          ? this.provider.resolveTreeItem(item, element, token)
          : item;
    }
    this.view = vscode.window.createTreeView(id, {
      treeDataProvider: forwarding,
      showCollapseAll: TREE_VIEWS[id].showCollapseAll,
    });
    this.subscriptions.push(this.view);
  }

  attach(provider: vscode.TreeDataProvider<unknown>): void {
    if (this.provider) throw new Error(`The view ${this.id} has one provider.`);
    if (Boolean(provider.resolveTreeItem) !== TREE_VIEWS[this.id].resolvesRows) {
      throw new Error(
        `The view ${this.id} ${TREE_VIEWS[this.id].resolvesRows ? 'resolves' : 'does not resolve'} rows.`,
      );
    }
    this.provider = provider;
    const changes = provider.onDidChangeTreeData?.((rows) => this.changed.fire(rows));
    if (changes) this.subscriptions.push(changes);
    if (this.failed || this.listsFirstRows) {
      // Loaded at a later try (a command), or after the first stage listed rows: the view's
      // own rows and state replace those.
      this.failed = false;
      this.listsFirstRows = false;
      if (this.view.message === LOAD_FAILED) this.view.message = '';
      this.changed.fire(undefined);
    }
  }

  private async getChildren(element?: unknown): Promise<unknown[]> {
    // A first-stage row opened as the view loads: "Counting…" until the view's own rows replace
    // it (an empty answer would make VS Code close it).
    if (element instanceof FirstKeysRow) return element.children;
    if (!this.provider) {
      const first = element === undefined && !this.failed ? this.firstRows?.() : undefined;
      const rows = first && (await first);
      if (rows && !this.provider) {
        this.listsFirstRows = true;
        this.view.description = COUNTING;
        // The view loads meanwhile (after these rows are on their way: see extension.ts); if it
        // cannot, these rows give way to the failure.
        this.load().catch(() => {
          this.loadFailed();
          this.failureToShow = true;
          this.changed.fire(undefined);
        });
        return rows;
      }
      if (this.failureToShow && element === undefined) {
        // The failure just seen replaces the first rows: no second load right after it.
        this.failureToShow = false;
        return [];
      }
      try {
        await this.load();
      } catch {
        this.loadFailed();
        return [];
      }
    }
    return (await this.provider?.getChildren(element)) ?? [];
  }

  /** The loader logged why, once. */
  private loadFailed(): void {
    this.failed = true;
    this.listsFirstRows = false;
    this.view.message = LOAD_FAILED;
    if (this.view.description === COUNTING) this.view.description = '';
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/**
 * Registers every tree view of the extension now (cheap: no rows are asked for until a view
 * shows). `load` loads the second stage, whose views then take their TreeView from the
 * returned TreeViews.
 */
export function registerEarlyTreeViews(
  load: () => Promise<unknown>,
  firstKeysRows: FirstRows,
): TreeViews & vscode.Disposable & { readonly keysVisible: boolean } {
  const views = new Map(
    (Object.keys(TREE_VIEWS) as TreeViewId[]).map((id) => [
      id,
      new EarlyTreeView(id, load, id === 'sharedRedis.keys' ? firstKeysRows : undefined),
    ]),
  );
  return {
    get keysVisible() {
      return views.get('sharedRedis.keys')!.view.visible;
    },
    treeView<T>(id: TreeViewId, provider: vscode.TreeDataProvider<T>): vscode.TreeView<T> {
      const early = views.get(id)!;
      early.attach(provider as vscode.TreeDataProvider<unknown>);
      return early.view as vscode.TreeView<T>;
    },
    dispose: () => {
      for (const view of views.values()) view.dispose();
    },
  };
}
