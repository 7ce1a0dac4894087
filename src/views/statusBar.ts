import * as vscode from 'vscode';
import { readRedisEndpoint, SettingsChange } from '../settings';
import { describeStatus } from '../docker/stack/status';
import { tlsUnverified } from '../redis/endpoint';
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
  private readonly subscriptions: vscode.Disposable[];
  private tlsUnchecked = false;

  constructor(
    private readonly stack: StackService,
    settingsChanges: vscode.Event<SettingsChange>,
  ) {
    this.item.name = 'Shared Redis';
    this.tlsUnchecked = tlsCheckingOff();
    this.render(stack.snapshot);
    this.item.show();
    this.subscriptions = [
      stack.onDidChange((s) => this.render(s)),
      settingsChanges((change) => {
        if (!change.affectsRedisConnection) return;
        this.tlsUnchecked = tlsCheckingOff();
        this.render(this.stack.snapshot);
      }),
    ];
  }

  /** What the item shows, for tests and other extensions. */
  get shown(): {
    readonly text: string;
    readonly tooltip: string;
    readonly background: string | undefined;
    readonly tlsUnchecked: boolean;
  } {
    const tooltip = this.item.tooltip;
    return {
      text: this.item.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      background: this.item.backgroundColor?.id,
      tlsUnchecked: this.tlsUnchecked,
    };
  }

  private render(snapshot: StackSnapshot): void {
    const state = stackState(snapshot);
    // A .env that a checkout lacks, or passwords it lacks, is a step to take, not a broken file.
    const envFix = snapshot.envFix;
    const text = snapshot.busy
      ? `$(loading~spin) Redis: ${snapshot.busy.toLowerCase()}`
      : envFix
        ? `$(database) Redis: ${envFix.exists ? 'passwords missing in .env' : 'no .env'}`
        : (TEXT[state] ?? '$(database) Redis');
    // TLS without certificate checks is flagged whatever the stack does: it is about the connection.
    this.item.text = this.tlsUnchecked ? `${text} $(unlock)` : text;
    this.item.backgroundColor =
      (state === 'unhealthy' || state === 'invalid') && !envFix
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : state === 'unreachable' || this.tlsUnchecked || envFix
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.command =
      state === 'running' || state === 'unhealthy' || state === 'starting'
        ? { command: 'sharedRedis.stackActions', title: 'Stop or restart the shared Redis' }
        : state === 'unreachable'
          ? { command: 'sharedRedis.refreshStack', title: 'Look for the Docker engine again' }
          : envFix
            ? { command: 'sharedRedis.createStack', title: "Write new passwords into the stack's .env" }
            : { command: 'sharedRedis.start', title: 'Start the shared Redis' };

    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.isTrusted = {
      enabledCommands: [
        'workbench.action.openSettings',
        'sharedRedis.start',
        'sharedRedis.stop',
        'sharedRedis.restart',
        'sharedRedis.showLogs',
        'sharedRedis.openStackFile',
        'sharedRedis.refreshStack',
        'sharedRedis.createStack',
      ],
    };
    tooltip.appendMarkdown('**Shared Redis**\n\n');
    if (this.tlsUnchecked) {
      const setting = `command:workbench.action.openSettings?${encodeURIComponent(JSON.stringify(['sharedRedis.tlsVerifyCertificate']))}`;
      tooltip.appendMarkdown(
        '$(unlock) **TLS certificate checking is off**: anyone on the network path can pose as the server ' +
          `and read or change the traffic, password included. [Turn checking back on](${setting}) and set ` +
          `[the CA file](command:workbench.action.openSettings?${encodeURIComponent(JSON.stringify(['sharedRedis.tlsCaFile']))}) instead.\n\n`,
      );
    }
    if (snapshot.engine === 'unreachable') {
      tooltip.appendMarkdown('No Docker engine answered. [Retry](command:sharedRedis.refreshStack)');
    } else if (envFix) {
      tooltip.appendMarkdown(
        (envFix.exists
          ? `The stack's \`.env\` leaves ${envFix.passwords.map((p) => `\`${p}\``).join(', ')} empty or out. [Add new passwords](command:sharedRedis.createStack)`
          : "This checkout has the stack's compose file but not its `.env` (its passwords are never committed). [Create .env with new passwords](command:sharedRedis.createStack)") +
          ' · [Open Stack File](command:sharedRedis.openStackFile)',
      );
    } else {
      for (const s of snapshot.services) tooltip.appendMarkdown(`- \`${s.service}\`: ${describeStatus(s)}\n`);
      if (snapshot.services.length === 0) tooltip.appendMarkdown('The stack has no containers yet.\n');
      if (snapshot.redis) tooltip.appendMarkdown(`\nRedis at \`${snapshot.redis.host}:${snapshot.redis.port}\`\n`);
      tooltip.appendMarkdown(`\n\`${snapshot.location.composeFile}\`\n\n`);
      tooltip.appendMarkdown(
        state === 'running'
          ? '[Stop](command:sharedRedis.stop) · [Restart](command:sharedRedis.restart) · [Logs](command:sharedRedis.showLogs)'
          : '[Start](command:sharedRedis.start) · [Open Stack File](command:sharedRedis.openStackFile)',
      );
    }
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}

function tlsCheckingOff(): boolean {
  return tlsUnverified(readRedisEndpoint());
}
