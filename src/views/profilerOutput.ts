import * as vscode from 'vscode';
import type { ProfiledCommand } from '../redis/observe/profiler';
import type { ProfilerService, ProfilerState } from '../profilerService';

/** Lines waiting to be written at most; beyond, they are counted and said to be dropped. */
const MAX_PENDING_LINES = 2000;
/** How often the pending lines are written (one append per flush, not one per command). */
const FLUSH_MS = 250;

/** `17:23:48.123  user-service   GET         user:profile:42  "x"`; on a cluster the node after the time. */
export function formatProfiledCommand(command: ProfiledCommand): string {
  const time = new Date(command.timeMs);
  const clock = `${time.toTimeString().slice(0, 8)}.${String(time.getMilliseconds()).padStart(3, '0')}`;
  const service = command.service ?? `unknown (${command.source})`;
  const more = command.moreArguments > 0 ? ` … ${command.moreArguments} more` : '';
  const db = command.db !== 0 ? ` [db ${command.db}]` : '';
  const node = command.node === undefined ? '' : `${command.node}${command.role === 'replica' ? ' (replica)' : ''}  `;
  const key = command.key === undefined ? '' : quotedArgument(command.key);
  return `${clock}  ${node}${service.padEnd(14)} ${command.command.padEnd(10)} ${key}${db}  ${command.args.map(quotedArgument).join(' ')}${more}`.trimEnd();
}

/** An argument as redis-cli would take it back: quoted when it is empty or holds a space or a quote (backslashes come escaped, see showArgument). */
function quotedArgument(arg: string): string {
  return arg === '' || /\s|"/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg;
}

/**
 * The profiler's output channel and its status bar item (`$(debug-stop) Profiling 42 s · 1,234
 * cmds`, a click stops it). A flood faster than the channel renders is bounded: at most
 * MAX_PENDING_LINES wait between two flushes, the rest are counted and the channel says how many.
 * The item and its timer exist only while a profile runs.
 */
export class ProfilerOutput implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Shared Redis Profiler');
  private readonly item = vscode.window.createStatusBarItem('sharedRedis.profiler', vscode.StatusBarAlignment.Left, 9);
  private readonly subscriptions: vscode.Disposable[];
  private pending: string[] = [];
  private dropped = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  /** Everything written, for the tests (bounded like the channel's own view of it). */
  private readonly written: string[] = [];

  constructor(private readonly profiler: ProfilerService) {
    this.item.name = 'Shared Redis Profiler';
    this.item.command = 'sharedRedis.stopProfiler';
    this.item.tooltip = 'The profiler (MONITOR) runs and slows the shared Redis: click to stop it.';
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.subscriptions = [
      profiler.onCommand((command) => this.add(formatProfiledCommand(command))),
      profiler.onNote((note) => this.add(`-- ${note}`, true)),
      profiler.onDidChangeState((state) => this.render(state)),
      profiler.onDidRequestReveal(() => this.channel.show(true)),
    ];
  }

  /** What the status bar item and the channel show, for the tests. */
  get shown(): {
    readonly statusText: string | undefined;
    readonly lines: readonly string[];
    readonly dropped: number;
  } {
    return { statusText: this.tick ? this.item.text : undefined, lines: this.written, dropped: this.dropped };
  }

  private add(line: string, always = false): void {
    if (!always && this.pending.length >= MAX_PENDING_LINES) {
      this.dropped += 1;
    } else {
      this.pending.push(line);
    }
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.dropped > 0) {
      this.pending.push(
        `-- ${this.dropped.toLocaleString('en-US')} lines not shown: commands came faster than the output can show (filter to see fewer).`,
      );
      this.dropped = 0;
    }
    if (this.pending.length === 0) return;
    // The count in the status bar keeps up with the lines shown, not only with its 1 s tick.
    if (this.tick) this.update();
    const text = this.pending.join('\n');
    this.written.push(...this.pending);
    if (this.written.length > 20_000) this.written.splice(0, this.written.length - 20_000);
    this.pending = [];
    this.channel.append(`${text}\n`);
  }

  private render(state: ProfilerState): void {
    if (state.running) {
      void vscode.commands.executeCommand('setContext', 'sharedRedis.profiling', true);
      this.update();
      this.item.show();
      this.tick ??= setInterval(() => this.update(), 1000);
    } else {
      void vscode.commands.executeCommand('setContext', 'sharedRedis.profiling', false);
      clearInterval(this.tick);
      this.tick = undefined;
      this.item.hide();
      this.flush();
    }
  }

  private update(): void {
    const { startedMs, lines } = this.profiler.state;
    const seconds = Math.max(0, Math.round((Date.now() - startedMs) / 1000));
    this.item.text = `$(debug-stop) Profiling ${seconds} s · ${lines.toLocaleString('en-US')} cmds`;
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    clearInterval(this.tick);
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
    this.channel.dispose();
  }
}
