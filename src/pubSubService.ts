import * as vscode from 'vscode';
import { publishOnCluster, Published } from './redis/cluster/clusterPublish';
import type { Logger } from './logger';
import type { RedisSession } from './redisSession';
import { publish, ReceivedMessage, Subscription } from './redis/observe/subscription';

/** A subscription the window holds: its channel or pattern, and what it received. */
export interface ActiveSubscription {
  readonly id: number;
  readonly channel: string;
}

/**
 * The window's Pub/Sub subscriptions, each on a connection of its own; Unsubscribe (or dispose:
 * window closed, extension deactivated) closes it. Views show the messages; this shows nothing.
 */
export class PubSubService implements vscode.Disposable {
  private readonly subscriptions = new Map<number, { channel: string; subscription: Subscription }>();
  private nextId = 1;
  /** Set by dispose: a subscription still opening then closes as soon as it is open. */
  private disposed = false;
  private readonly messageEmitter = new vscode.EventEmitter<{ id: number; message: ReceivedMessage }>();
  readonly onMessage = this.messageEmitter.event;
  private readonly changeEmitter = new vscode.EventEmitter<{ id: number; channel: string; ended?: string }>();
  /** A subscription opened, or ended (with why). */
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
  ) {}

  get active(): ActiveSubscription[] {
    return [...this.subscriptions].map(([id, { channel }]) => ({ id, channel }));
  }

  /** Subscribes to `channel` (a pattern when it has `*`, `?` or `[`); an open one to the same channel is reused. */
  async subscribe(channel: string): Promise<ActiveSubscription> {
    const existing = this.active.find((s) => s.channel === channel);
    if (existing) return existing;
    const { endpoint: reached, credentials } = await this.session.target();
    const configured = this.session.endpoint;
    // Through Sentinel, the subscription asks the Sentinels itself (not the master reached now),
    // so that it follows a failover to the new master.
    const endpoint = configured.sentinel?.kind === 'sentinel' ? { ...configured, username: reached.username } : reached;
    const id = this.nextId++;
    const subscription = await Subscription.open(
      endpoint,
      credentials,
      channel,
      (message) => this.messageEmitter.fire({ id, message }),
      (why) => this.ended(id, channel, why),
    );
    // Disposed while it opened (window closed, extension deactivated): nothing could close it later.
    if (this.disposed) {
      subscription.close();
      throw new Error(`Not subscribed to ${channel}: Shared Redis was closing.`);
    }
    this.subscriptions.set(id, { channel, subscription });
    this.log.info(`Subscribed to ${channel}`);
    this.changeEmitter.fire({ id, channel });
    return { id, channel };
  }

  /** Closes the subscription's connection; it is gone from `active` at once. */
  unsubscribe(id: number): void {
    const held = this.subscriptions.get(id);
    if (!held) return;
    held.subscription.close();
    this.ended(id, held.channel, 'unsubscribed');
  }

  private ended(id: number, channel: string, why: string): void {
    if (!this.subscriptions.delete(id)) return;
    this.log.info(`Subscription to ${channel} ended: ${why}`);
    this.changeEmitter.fire({ id, channel, ended: why });
  }

  /**
   * PUBLISH on the shared connection; resolves to the number of subscribers that got it. On a
   * cluster, through one named master: PUBLISH counts only the subscribers of the node that took it.
   */
  async publish(channel: string, message: string): Promise<Published> {
    const topology = await this.session.topology();
    if (topology.kind === 'cluster') return publishOnCluster(topology, channel, message);
    return { receivers: await this.session.use((client) => publish(client, channel, message)) };
  }

  dispose(): void {
    this.disposed = true;
    for (const { subscription } of this.subscriptions.values()) subscription.close();
    this.subscriptions.clear();
    this.messageEmitter.dispose();
    this.changeEmitter.dispose();
  }
}
