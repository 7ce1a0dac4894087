import * as vscode from 'vscode';

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

  constructor(
    private readonly id: TreeViewId,
    private readonly load: () => Promise<unknown>,
  ) {
    const forwarding: vscode.TreeDataProvider<unknown> = {
      onDidChangeTreeData: this.changed.event,
      getChildren: (element) => this.getChildren(element),
      // The workbench only has rows the provider's getChildren gave it.
      getTreeItem: (element) => this.provider!.getTreeItem(element),
      getParent: (element) => this.provider?.getParent?.(element),
    };
    if (TREE_VIEWS[id].resolvesRows) {
      forwarding.resolveTreeItem = (item, element, token) =>
        this.provider?.resolveTreeItem ? this.provider.resolveTreeItem(item, element, token) : item;
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
    if (this.failed) {
      // Loaded at a later try (a command): the view's own rows and state replace the failure.
      this.failed = false;
      if (this.view.message === LOAD_FAILED) this.view.message = '';
      this.changed.fire(undefined);
    }
  }

  private async getChildren(element?: unknown): Promise<unknown[]> {
    if (!this.provider) {
      try {
        await this.load();
      } catch {
        // The loader logged why, once.
        this.failed = true;
        this.view.message = LOAD_FAILED;
        return [];
      }
    }
    return (await this.provider?.getChildren(element)) ?? [];
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
export function registerEarlyTreeViews(load: () => Promise<unknown>): TreeViews & vscode.Disposable {
  const views = new Map((Object.keys(TREE_VIEWS) as TreeViewId[]).map((id) => [id, new EarlyTreeView(id, load)]));
  return {
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
