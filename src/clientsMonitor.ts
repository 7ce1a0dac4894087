import * as vscode from 'vscode';
import type { Logger } from './logger';
import { serviceNamespaces, serviceUser } from './redis/acl/rules';
import { ClientsSnapshot, groupClients } from './redis/observe/clientGroups';
import { listClientsOn, serverUsersOn } from './redis/cluster/clusterClients';
import { MissingRightError } from './redis/observe/clientList';
import { ReplicaCache } from './redis/cluster/replicaCache';
import type { RedisSession } from './redisSession';
import { settings } from './settings';

/** How often the list is read again while someone looks at it. */
export const CLIENTS_REFRESH_MS = 2000;

export type ClientsState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly snapshot: ClientsSnapshot; readonly at: Date }
  | { readonly kind: 'failed'; readonly message: string; readonly missingRight: MissingRightError | undefined };

/**
 * Who is connected to the shared Redis (CLIENT LIST grouped by service), read every 2 s
 * while `watch(true)` (the Clients view is visible) and never otherwise: no timer, no
 * command, once nothing shows it. One read at a time; a read still in flight when the view
 * is hidden publishes its result but schedules nothing. A missing right or a failure stops
 * the polling (said once, in the view) until the view is shown again or the endpoint changes.
 */
export class ClientsMonitor implements vscode.Disposable {
  private watching = false;
  /** The replicas last left out of the list (they did not answer), as logged. */
  private leftOutSaid = '';
  /** On a cluster, the replica lists kept between polls: asked again when the cluster changes, not every 2 s. */
  private readonly replicas = new ReplicaCache();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped on every watch change: a read started under an older one schedules no next read. */
  private generation = 0;
  private current: ClientsState = { kind: 'idle' };
  private readonly changed = new vscode.EventEmitter<ClientsState>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
  ) {
    this.subscriptions.push(
      session.onDidChangeEndpoint(() => {
        if (this.watching) this.restart();
      }),
    );
  }

  get state(): ClientsState {
    return this.current;
  }

  get isWatching(): boolean {
    return this.watching;
  }

  /** Starts (reading at once) or stops the polling. */
  watch(on: boolean): void {
    if (on === this.watching) return;
    this.watching = on;
    if (on) this.restart();
    else this.stopTimer();
  }

  private restart(): void {
    this.stopTimer();
    void this.refresh();
  }

  private stopTimer(): void {
    this.generation += 1;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads the clients now and publishes them; while watching, schedules the next read. Never rejects. */
  async refresh(): Promise<ClientsState> {
    const generation = this.generation;
    if (this.current.kind !== 'ready') this.publish({ kind: 'loading' });
    const state = await this.read();
    this.publish(state);
    // A read from before the view was hidden (and maybe shown again) schedules and cancels nothing.
    if (generation !== this.generation) return state;
    // One timer at most; a failure (a missing right, Redis gone) also cancels the one a
    // concurrent read scheduled, so it is said once and not retried every 2 s.
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.watching && state.kind === 'ready') {
      this.timer = setTimeout(() => void this.refresh(), CLIENTS_REFRESH_MS);
    }
    return state;
  }

  private async read(): Promise<ClientsState> {
    const config = settings();
    try {
      // On a cluster, every master's connections (CLIENT LIST answers for one node).
      const topology = await this.session.topology();
      const snapshot = await this.session.use(async () => {
        const leftOut: string[] = [];
        const clients = await listClientsOn(
          topology,
          (node, reason) => leftOut.push(`${node}: ${reason}`),
          this.replicas,
        );
        // Said once while the same replicas stay silent, not every 2 s.
        const said = leftOut.join('; ');
        if (said !== this.leftOutSaid && said !== '') this.log.warn(`Clients of a replica not listed: ${said}`);
        this.leftOutSaid = said;
        const users = await serverUsersOn(topology);
        const declared = serviceNamespaces(
          config.namespaces.map((ns) => ns.name),
          config.delimiter,
        ).map((ns) => serviceUser(ns).username);
        // Service users the server has (its users.acl) are expected too, declared or not.
        const expectedUsers = [...declared, ...(users ?? []).filter((u) => u.endsWith('-service'))];
        return groupClients(clients, { namespaces: config.namespaces, delimiter: config.delimiter, expectedUsers });
      });
      return { kind: 'ready', snapshot, at: new Date() };
    } catch (error) {
      const missingRight = error instanceof MissingRightError ? error : undefined;
      const message = missingRight?.message ?? (error instanceof Error ? error.message : String(error));
      this.log.warn(`Could not list the clients: ${message}`);
      return { kind: 'failed', message, missingRight };
    }
  }

  private publish(state: ClientsState): void {
    this.current = state;
    this.changed.fire(state);
  }

  dispose(): void {
    this.watching = false;
    this.stopTimer();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
