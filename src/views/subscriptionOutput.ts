import * as vscode from 'vscode';
import type { PubSubService } from '../pubSubService';
import { isPattern } from '../redis/observe/subscription';

/**
 * One output channel per subscription (`Shared Redis Pub/Sub: auth:*`): time, channel, message;
 * and a status bar item while any subscription is open, whose click offers to unsubscribe.
 */
export class SubscriptionOutput implements vscode.Disposable {
  private readonly channels = new Map<number, vscode.OutputChannel>();
  private readonly item = vscode.window.createStatusBarItem(
    'sharedRedis.subscriptions',
    vscode.StatusBarAlignment.Left,
    8,
  );
  private readonly subscriptions: vscode.Disposable[];
  /** Every output channel made, one per channel name: an ended subscription's stays to be read, and is written to again by the next subscription to that name. */
  private readonly live = new Set<vscode.OutputChannel>();
  /** The names of the output channels it made and did not dispose, for the tests (what the Output view lists). */
  get outputNames(): string[] {
    return [...this.live].map((channel) => channel.name);
  }
  private readonly writeCounts = new Map<number, number>();
  private readonly messageCounts = new Map<number, number>();
  /** For the tests: how many times a subscription's output channel was written to. */
  writes(id: number): number {
    return this.writeCounts.get(id) ?? 0;
  }
  /** For the tests: how many of a subscription's messages were written out. */
  shownMessages(id: number): number {
    return this.messageCounts.get(id) ?? 0;
  }
  /** What each subscription's channel received, for the tests (the last 1,000 lines each). */
  readonly received = new Map<number, string[]>();

  constructor(private readonly pubSub: PubSubService) {
    this.item.name = 'Shared Redis Pub/Sub';
    this.item.command = 'sharedRedis.unsubscribe';
    this.subscriptions = [
      pubSub.onMessage(({ id, message }) => {
        const time = new Date(message.timeMs).toTimeString().slice(0, 8);
        this.write(id, `${time}  ${message.channel}  ${message.message}`);
        this.messageCounts.set(id, (this.messageCounts.get(id) ?? 0) + 1);
      }),
      pubSub.onDidChange(({ id, channel, ended }) => {
        if (ended) {
          this.write(id, `-- Unsubscribed from ${channel}: ${ended}.`);
          this.channels.delete(id);
        } else {
          const output = this.outputFor(channel);
          this.channels.set(id, output);
          this.write(
            id,
            `-- Subscribed to ${describeSubscription(channel)}. Stop with "Shared Redis: Unsubscribe…" or the status bar.`,
          );
          output.show(true);
        }
        this.render();
      }),
    ];
  }

  /** The channel's output of an earlier subscription, kept to be read after it ended, or a new one. */
  private outputFor(channel: string): vscode.OutputChannel {
    const name = `Shared Redis Pub/Sub: ${channel}`;
    const earlier = [...this.live].find((output) => output.name === name);
    if (earlier) return earlier;
    const output = vscode.window.createOutputChannel(name);
    this.live.add(output);
    return output;
  }

  private write(id: number, line: string): void {
    this.channels.get(id)?.appendLine(line);
    this.writeCounts.set(id, (this.writeCounts.get(id) ?? 0) + 1);
    const lines = this.received.get(id) ?? [];
    lines.push(line);
    if (lines.length > 1000) lines.shift();
    this.received.set(id, lines);
  }

  private render(): void {
    const active = this.pubSub.active;
    if (active.length === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(radio-tower) ${active.length === 1 ? active[0]?.channel : `${active.length} subscriptions`}`;
    this.item.tooltip = `Subscribed to ${active.map((s) => s.channel).join(', ')}: click to unsubscribe.`;
    this.item.show();
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
    for (const output of this.live) output.dispose();
    this.live.clear();
  }
}

/** What a subscription listens to: a name with glob characters is a pattern (PSUBSCRIBE), which the user may not have meant. */
function describeSubscription(channel: string): string {
  return isPattern(channel)
    ? `the pattern ${channel} (PSUBSCRIBE: *, ? and […] match other channels; write \\[ for a literal [)`
    : `the channel ${channel}`;
}
