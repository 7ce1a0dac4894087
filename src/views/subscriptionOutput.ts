import * as vscode from 'vscode';
import type { PubSubService } from '../pubSubService';
import { isPattern } from '../redis/observe/subscription';

/** Messages are written to the output channel in one write per this many ms. */
const FLUSH_MS = 100;
/** At most this many messages wait for one write; beyond, they are counted and the channel says how many. */
const MAX_PENDING_MESSAGES = 1000;

/**
 * One output channel per subscription (`Shared Redis Pub/Sub: auth:*`): time, channel, message;
 * and a status bar item while any subscription is open, whose click offers to unsubscribe. A flood
 * is written in batches, and what does not fit one is counted (as the profiler's output does).
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
  private readonly notShownCounts = new Map<number, number>();
  /** For the tests: how many of a subscription's messages were written out. */
  shownMessages(id: number): number {
    return this.messageCounts.get(id) ?? 0;
  }
  /** For the tests: how many of a subscription's messages the output said it did not show. */
  notShownMessages(id: number): number {
    return this.notShownCounts.get(id) ?? 0;
  }
  /** Messages' lines waiting for the next write, per subscription, and how many were not kept. */
  private readonly pending = new Map<number, { lines: string[]; dropped: number }>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** For the tests: the lines of its own ("-- …") each subscription's channel received (the last 1,000). */
  readonly notes = new Map<number, string[]>();
  /** What each subscription's channel received, for the tests (the last 1,000 lines each). */
  readonly received = new Map<number, string[]>();

  constructor(private readonly pubSub: PubSubService) {
    this.item.name = 'Shared Redis Pub/Sub';
    this.item.command = 'sharedRedis.unsubscribe';
    this.subscriptions = [
      pubSub.onMessage(({ id, message }) => {
        const time = new Date(message.timeMs).toTimeString().slice(0, 8);
        this.queue(id, `${time}  ${message.channel}  ${message.message}`);
      }),
      pubSub.onDidChange(({ id, channel, ended }) => {
        if (ended) {
          this.flush();
          this.write(id, [`-- Unsubscribed from ${channel}: ${ended}.`]);
          this.channels.delete(id);
        } else {
          const output = this.outputFor(channel);
          this.channels.set(id, output);
          this.write(id, [
            `-- Subscribed to ${describeSubscription(channel)}. Stop with "Shared Redis: Unsubscribe…" or the status bar.`,
          ]);
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

  /** A message's line, written with the others of the next FLUSH_MS; past MAX_PENDING_MESSAGES, counted instead. */
  private queue(id: number, line: string): void {
    const batch = this.pending.get(id) ?? { lines: [], dropped: 0 };
    if (batch.lines.length < MAX_PENDING_MESSAGES) batch.lines.push(line);
    else batch.dropped++;
    this.pending.set(id, batch);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [id, batch] of this.pending) {
      this.messageCounts.set(id, (this.messageCounts.get(id) ?? 0) + batch.lines.length);
      if (batch.dropped > 0) {
        this.notShownCounts.set(id, (this.notShownCounts.get(id) ?? 0) + batch.dropped);
        batch.lines.push(
          `-- ${batch.dropped.toLocaleString('en-US')} messages not shown: they came faster than the output can show them (a narrower channel or pattern shows fewer).`,
        );
      }
      this.write(id, batch.lines);
    }
    this.pending.clear();
  }

  /** One write to the output channel, however many lines: the workbench renders each write. */
  private write(id: number, lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.channels.get(id)?.appendLine(lines.join('\n'));
    this.writeCounts.set(id, (this.writeCounts.get(id) ?? 0) + 1);
    const said = lines.filter((line) => line.startsWith('-- '));
    // Bounded like `received`: a flood adds one note per write for as long as it lasts.
    if (said.length > 0) this.notes.set(id, [...(this.notes.get(id) ?? []), ...said].slice(-1000));
    const kept = this.received.get(id) ?? [];
    kept.push(...lines);
    if (kept.length > 1000) kept.splice(0, kept.length - 1000);
    this.received.set(id, kept);
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
    clearTimeout(this.flushTimer);
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
