import * as vscode from 'vscode';
import { eventWithin } from './eventWithin';
import { settings } from './settings';
import type { KeysChangedEvent } from './keyChanges';
import type { Logger } from './logger';
import { describeEndpoint } from './redis/endpoint';
import { RedisConnectionError } from './redis/errors';
import {
  BinaryString,
  groupThousands,
  NamespaceModel,
  NamespaceModelOptions,
  KeyspaceWalk,
  toBinary,
  WalkProgress,
} from './redis/keyspace';
import { walkTopology } from './redis/cluster/clusterWalk';
import type { Topology } from './redis/cluster/topology';
import type { RedisSession } from './redisSession';

export interface KeyFilter {
  /** SCAN MATCH glob, e.g. `auth:*`. */
  readonly match?: string | undefined;
  /** SCAN TYPE, e.g. `hash`. */
  readonly type?: string | undefined;
}

export type BrowserState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'walking'; readonly model: NamespaceModel; readonly progress: WalkProgress | undefined }
  | { readonly kind: 'complete'; readonly model: NamespaceModel; readonly elapsedMs: number }
  | { readonly kind: 'failed'; readonly model: NamespaceModel | undefined; readonly error: Error };

/**
 * What a view of the browser's keys does when the user changed keys or asked to see a
 * namespace (the Keys view implements it; the browser never knows the view's type).
 */
export interface KeyRowsListener {
  /** Walk again now if shown, else as soon as shown. */
  refreshRequested(): void;
  /** A key deleted (the model dropped it, or a walk follows): forget its row. */
  keyDeleted(id: BinaryString): void;
  /** A key whose TTL changed: read its row again. False when it could not (the listener asked for a new walk). */
  keyExpiryChanged(key: Buffer): Promise<boolean>;
  /** A namespace deleted (the model dropped it, or a walk follows): forget its rows. */
  namespaceDeleted(path: BinaryString): void;
  /** A key the model just counted (created, or renamed to): its namespace's rows are listed again. */
  keyAdded(id: BinaryString): void;
  /** Rows to draw again though the model did not change. */
  rowsChanged(): void;
  /** Show (expand and select) a namespace of the finished walk. */
  reveal(path: BinaryString): Promise<void>;
  /** True while the user can see the keys (a walk follows a refresh request at once). */
  readonly visible: boolean;
}

/**
 * How often a walk in progress is published (after the first namespaces, at once): each
 * publication redraws the view's message and rows in the workbench, which competes for
 * the same cores as the walk and Redis; twice a second still reads as live counting.
 */
export const PROGRESS_INTERVAL_MS = 500;

/**
 * A walk expected to end within this long publishes no more progress: VS Code holds a tree
 * refresh that comes within 200 ms of the view's previous change (its debounce of
 * onDidChangeTreeData and of the view's message) until 200 ms have passed without one, so
 * a progress just before the end would hold the final counts back by those 200 ms.
 */
export const FINAL_STRETCH_MS = 300;

/** True when a walk going at its rate so far will end within FINAL_STRETCH_MS. */
export function inFinalStretch(progress: { readonly fraction: number; readonly elapsedMs: number }): boolean {
  const { fraction, elapsedMs } = progress;
  return fraction > 0 && fraction < 1 && (elapsedMs * (1 - fraction)) / fraction < FINAL_STRETCH_MS;
}

/**
 * One walk of the keyspace at a time, for the Keys view: a refresh or a filter change
 * cancels the walk in progress. Publishes the state as the walk goes, at most every
 * PROGRESS_INTERVAL_MS, so the tree shows namespaces with their counts while they grow.
 */
export class KeyBrowser implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<BrowserState>();
  readonly onDidChange = this.changed.event;
  private walk: AbortController | undefined;
  private current: BrowserState = { kind: 'idle' };
  private currentFilter: KeyFilter = {};
  private generation = 0;
  /** A refresh is connecting and has published nothing yet. */
  private starting = false;
  private readonly listeners = new Set<KeyRowsListener>();
  /** Tests only (reached through the API's `testing()`, never a setting): the model's limits,
   * so that a test reaches them with a few thousand keys. */
  modelLimits: Pick<NamespaceModelOptions, 'maxNamespaces' | 'maxStoredNames'> = {};
  /** The changes announced by KeyChanges, applied one after the other. */
  private applying: Promise<void> = Promise.resolve();
  private readonly following: vscode.Disposable | undefined;

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
    keysChanged?: vscode.Event<KeysChangedEvent>,
  ) {
    this.following = keysChanged?.((event) => {
      this.applying = this.applying
        .then(() => this.apply(event))
        .catch((error: unknown) => {
          this.log.warn(`Updating the keys after a change failed, walking again: ${String(error)}`);
          this.requestRefresh();
        });
    });
  }

  /** Resolves when every change announced so far is in the model and the rows. */
  applied(): Promise<void> {
    return this.applying;
  }

  private async apply(event: KeysChangedEvent): Promise<void> {
    // A change in another database than the one shown does not touch this model.
    if (event.db !== this.session.endpoint.db) return;
    if (event.kind === 'many') {
      this.requestRefresh();
      return;
    }
    for (const key of event.keys) {
      if (event.kind === 'created') this.keyCreated(key);
      else await this.keyChanged(key, event.kind === 'deleted' ? 'deleted' : 'expiry');
    }
  }

  /** After the user created a key (New Key, the target of a rename or copy): counts it, or walks again. */
  keyCreated(key: Buffer): void {
    const id = toBinary(key);
    if (!this.patch((model) => model.addKey(id))) {
      this.requestRefresh();
      return;
    }
    for (const listener of this.listeners) listener.keyAdded(id);
  }

  /**
   * The state once the walk in progress ends (complete, failed, cancelled). A walk cancelled
   * without a successor publishes nothing more: undefined after `timeoutMs`.
   */
  walkEnded(timeoutMs: number): Promise<BrowserState | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        subscription.dispose();
        resolve(undefined);
      }, timeoutMs);
      const subscription = this.onDidChange((s) => {
        if (s.kind !== 'walking') {
          clearTimeout(timer);
          subscription.dispose();
          resolve(s);
        }
      });
    });
  }

  get state(): BrowserState {
    return this.current;
  }

  /**
   * Resolves once the state has rows to show (a key counted, or the walk over), or after
   * `timeoutMs`: the view's first request for its rows waits here, so that the first
   * namespaces come in its answer rather than through a change event, which VS Code
   * delivers up to 200 ms later.
   */
  rowsKnown(timeoutMs: number): Promise<void> {
    return this.hasRows() ? Promise.resolve() : eventWithin(this.changed.event, () => this.hasRows(), timeoutMs);
  }

  /** The state has rows to show: a key counted, or the walk over (idle: a walk is about to start). */
  hasRows(): boolean {
    return (
      !this.starting &&
      this.current.kind !== 'idle' &&
      (this.current.kind !== 'walking' || this.current.model.totalKeys > 0)
    );
  }

  get filter(): KeyFilter {
    return this.currentFilter;
  }

  setFilter(filter: KeyFilter): Promise<BrowserState> {
    this.currentFilter = { match: filter.match || undefined, type: filter.type || undefined };
    return this.refresh();
  }

  /** Cancels any walk in progress and walks again; resolves when this walk ends. */
  async refresh(): Promise<BrowserState> {
    this.walk?.abort();
    const abort = new AbortController();
    this.walk = abort;
    const generation = ++this.generation;
    this.starting = true;
    const config = settings();
    let target: Awaited<ReturnType<RedisSession['target']>>;
    let topology: Topology;
    try {
      // Connects the shared session first: a refused password is asked for once, there.
      target = await this.session.target();
      topology = await this.session.topology();
    } catch (error) {
      if (generation === this.generation) {
        this.publish({
          kind: 'failed',
          model: undefined,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
      return this.current;
    }
    const { endpoint, credentials } = target;
    const where = describeEndpoint(endpoint);
    const filter = this.currentFilter;
    let walk: KeyspaceWalk;
    try {
      // One server: the walker; a cluster: every master into one model.
      walk = walkTopology(topology, credentials, {
        delimiter: config.delimiter,
        count: config.scanCount,
        ...this.modelLimits,
        match: filter.match,
        type: filter.type,
        signal: abort.signal,
        progressIntervalMs: PROGRESS_INTERVAL_MS,
        onProgress: (progress) => {
          if (generation === this.generation && !progress.done && !inFinalStretch(progress)) {
            this.publish({ kind: 'walking', model: progress.model, progress });
          }
        },
      });
    } catch (error) {
      this.publish({
        kind: 'failed',
        model: undefined,
        error: error instanceof Error ? error : new Error(String(error)),
      });
      return this.current;
    }
    this.publish({ kind: 'walking', model: walk.model, progress: undefined });
    const started = performance.now();
    const work = walk.done.then(
      (model) => {
        const elapsedMs = performance.now() - started;
        // groupThousands, not toLocaleString: the extension host's first ICU formatter costs 23-29 ms, here just before the counts show.
        this.log.info(
          `Walked ${groupThousands(model.totalKeys)} keys of ${where} in ${elapsedMs.toFixed(0)} ms${describeFilter(filter) ? ` (${describeFilter(filter)})` : ''}`,
        );
        return { kind: 'complete', model, elapsedMs } as const;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (failure.name !== 'AbortError') this.log.warn(`Walking ${where} failed: ${failure.message}`);
        return { kind: 'failed', model: walk.model, error: failure } as const;
      },
    );
    // The view's progress bar until the first keys are counted; from then on the view's
    // description says how far the walk is. The bar's animation took the workbench a fifth of
    // a core for the whole walk, on the cores the walk and Redis need.
    void vscode.window.withProgress({ location: { viewId: 'sharedRedis.keys' } }, () =>
      Promise.race([work, this.firstKeysCounted(generation)]),
    );
    const state = await work;
    if (generation === this.generation) {
      this.walk = undefined;
      // A cancelled walk was replaced by a newer one: nothing to publish.
      if (!(state.kind === 'failed' && state.error.name === 'AbortError')) this.publish(state);
    }
    return state;
  }

  /**
   * Applies a change the user just made to the finished walk's model (no new walk: gentle
   * on a shared Redis) and publishes it again. False when there is no finished walk or
   * `change` says the model cannot take it; the caller walks again then.
   */
  patch(change: (model: NamespaceModel) => boolean): boolean {
    const state = this.current;
    if (state.kind !== 'complete' || !change(state.model)) return false;
    this.publish({ ...state });
    return true;
  }

  /** Lets a view follow the user's changes to keys; disposing stops it. */
  attach(listener: KeyRowsListener): vscode.Disposable {
    this.listeners.add(listener);
    return new vscode.Disposable(() => this.listeners.delete(listener));
  }

  /** True when a view of the keys is visible: a refresh request walks at once. */
  get visible(): boolean {
    return [...this.listeners].some((l) => l.visible);
  }

  /** After a change of many keys: walks again now if the keys are shown, else as soon as they show. */
  requestRefresh(): void {
    for (const listener of this.listeners) listener.refreshRequested();
  }

  /**
   * After the user deleted a key or changed its TTL: patches the counts and that key's row
   * instead of walking the keyspace again (one TYPE/PTTL round trip at most). Walks again
   * when the model cannot be patched (still walking, filtered, or the key unknown to it).
   */
  async keyChanged(key: Buffer, change: 'deleted' | 'expiry'): Promise<void> {
    const id = toBinary(key);
    if (change === 'deleted') {
      const patched = this.patch((model) => model.removeKey(id));
      // Also while a walk counts: the rows held from the last walk drop the key.
      for (const listener of this.listeners) listener.keyDeleted(id);
      if (!patched) this.requestRefresh();
      return;
    }
    for (const listener of this.listeners) {
      if (!(await listener.keyExpiryChanged(key))) return;
    }
    // Counts are unchanged; publishing again updates the row and lets the checks look again.
    if (!this.patch(() => true)) for (const listener of this.listeners) listener.rowsChanged();
  }

  /** After the user deleted a whole namespace: drops it from the counts and rows, or walks again. */
  namespaceDeleted(path: Buffer): void {
    const binary = toBinary(path);
    const patched = this.patch((model) => model.removeNamespace(binary));
    for (const listener of this.listeners) listener.namespaceDeleted(binary);
    if (!patched) this.requestRefresh();
  }

  /** Shows a namespace of the finished walk in the views that list keys. */
  async reveal(path: BinaryString): Promise<void> {
    for (const listener of this.listeners) await listener.reveal(path);
  }

  cancel(): void {
    this.walk?.abort();
  }

  /** Resolves when walk `generation` has counted its first keys, or is replaced by a newer one. */
  private firstKeysCounted(generation: number): Promise<void> {
    return new Promise((resolve) => {
      const listener = this.changed.event((state) => {
        if (generation !== this.generation || state.kind !== 'walking' || state.model.totalKeys > 0) {
          listener.dispose();
          resolve();
        }
      });
    });
  }

  private publish(state: BrowserState): void {
    this.starting = false;
    this.current = state;
    this.changed.fire(state);
  }

  dispose(): void {
    this.following?.dispose();
    this.walk?.abort();
    this.changed.dispose();
  }
}

export function describeFilter(filter: KeyFilter): string {
  return [filter.match ? `match ${filter.match}` : '', filter.type ? `type ${filter.type}` : '']
    .filter(Boolean)
    .join(' · ');
}

export function isConnectionFailure(
  state: BrowserState,
): state is Extract<BrowserState, { kind: 'failed' }> & { error: RedisConnectionError } {
  return state.kind === 'failed' && state.error instanceof RedisConnectionError;
}
