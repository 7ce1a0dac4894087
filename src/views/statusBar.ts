import * as vscode from 'vscode';
import { describeStatus } from '../docker/stack/status';
import { StackService, StackSnapshot, stackState } from '../stackService';

const TEXT: Record<string, string> = {
  checking: '$(database) Redis',
  unreachable: '$(database) Redis: no Docker',
  invalid: '$(database) Redis: stack file error',
  absent: '$(database) Redis: not created',
  stopped: '$(database) Redis: stopped',
  starting: '$(loading~spin) Redis: starting',
  running: '$(database) Redis: running',
  unhealthy: '$(warning) Redis: unhealthy',
};

/** `$(database) Redis: running` — click to start it, or to stop or restart it when it runs. */
export class StackStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('sharedRedis.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(stack: StackService) {
    this.item.name = 'Shared Redis';
    this.render(stack.snapshot);
    this.item.show();
    this.subscription = stack.onDidChange((s) => this.render(s));
  }

  private render(snapshot: StackSnapshot): void {
    const state = stackState(snapshot);
    this.item.text = snapshot.busy ? `$(loading~spin) Redis: ${snapshot.busy.toLowerCase()}` : TEXT[state] ?? '$(database) Redis';
    this.item.backgroundColor = state === 'unhealthy' || state === 'invalid'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : state === 'unreachable' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = state === 'running' || state === 'unhealthy' || state === 'starting'
      ? { command: 'sharedRedis.stackActions', title: 'Stop or restart the shared Redis' }
      : state === 'unreachable' ? { command: 'sharedRedis.refreshStack', title: 'Look for the Docker engine again' }
      : { command: 'sharedRedis.start', title: 'Start the shared Redis' };

    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = { enabledCommands: ['sharedRedis.start', 'sharedRedis.stop', 'sharedRedis.restart', 'sharedRedis.showLogs', 'sharedRedis.openStackFile', 'sharedRedis.refreshStack'] };
    tooltip.appendMarkdown('**Shared Redis**\n\n');
    if (snapshot.engine === 'unreachable') {
      tooltip.appendMarkdown('No Docker engine answered. [Retry](command:sharedRedis.refreshStack)');
    } else {
      for (const s of snapshot.services) tooltip.appendMarkdown(`- \`${s.service}\`: ${describeStatus(s)}\n`);
      if (snapshot.services.length === 0) tooltip.appendMarkdown('The stack has no containers yet.\n');
      if (snapshot.redis) tooltip.appendMarkdown(`\nRedis at \`${snapshot.redis.host}:${snapshot.redis.port}\`\n`);
      tooltip.appendMarkdown(`\n\`${snapshot.location.composeFile}\`\n\n`);
      tooltip.appendMarkdown(state === 'running'
        ? '[Stop](command:sharedRedis.stop) · [Restart](command:sharedRedis.restart) · [Logs](command:sharedRedis.showLogs)'
        : '[Start](command:sharedRedis.start) · [Open Stack File](command:sharedRedis.openStackFile)');
    }
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
