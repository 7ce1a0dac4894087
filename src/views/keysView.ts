import * as vscode from 'vscode';

/**
 * The Keys view. It lists nothing yet, so VS Code shows its welcome content (a Ping
 * button) in its place; registering a provider keeps the "no data provider" notice away.
 */
export class KeysView implements vscode.TreeDataProvider<never>, vscode.Disposable {
  private readonly view = vscode.window.createTreeView('sharedRedis.keys', { treeDataProvider: this });

  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }

  getChildren(): never[] {
    return [];
  }

  dispose(): void {
    this.view.dispose();
  }
}
