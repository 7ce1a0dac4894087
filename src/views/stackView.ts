import * as vscode from 'vscode';
import { readDockerHost } from '../config';
import { connectEngine } from '../docker/engine';
import type { Logger } from '../logger';

type EngineState = 'checking' | 'reachable' | 'unreachable';

/**
 * The Stack view. Until the stack itself is managed it has no rows: its welcome
 * content tells whether a Docker engine answers, from the context key set here.
 * The engine is probed only while the view is visible.
 */
export class StackView implements vscode.TreeDataProvider<never>, vscode.Disposable {
  private readonly view: vscode.TreeView<never>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private probing: Promise<void> | undefined;

  constructor(private readonly log: Logger) {
    this.view = vscode.window.createTreeView('sharedRedis.stack', { treeDataProvider: this });
    this.subscriptions.push(
      this.view,
      this.view.onDidChangeVisibility((e) => { if (e.visible) void this.refresh(); }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('sharedRedis.dockerHost')) void this.refresh(); }),
      vscode.commands.registerCommand('sharedRedis.refreshStack', () => this.refresh(true)),
    );
    if (this.view.visible) void this.refresh();
  }

  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }

  getChildren(): never[] {
    return [];
  }

  /** Probes the engine (once at a time) and returns the state the welcome content shows. */
  async refresh(force = false): Promise<EngineState> {
    if (!this.view.visible && !force) return 'checking';
    this.probing ??= this.probe().finally(() => { this.probing = undefined; });
    await this.probing;
    return this.state;
  }

  private state: EngineState = 'checking';

  private async probe(): Promise<void> {
    try {
      const engine = await connectEngine(readDockerHost());
      this.log.info(`Docker Engine ${engine.version} answers at ${engine.endpoint.url} (${engine.endpoint.source})`);
      await this.setState('reachable');
    } catch (error) {
      this.log.warn(error instanceof Error ? error.message : String(error));
      await this.setState('unreachable');
    }
  }

  private async setState(state: EngineState): Promise<void> {
    this.state = state;
    await vscode.commands.executeCommand('setContext', 'sharedRedis.engineState', state);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}
