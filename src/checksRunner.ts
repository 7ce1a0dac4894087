import * as vscode from 'vscode';
import { settings, SettingsChange } from './settings';
import { BrowserState, describeFilter, KeyBrowser } from './keyBrowser';
import type { Logger } from './logger';
import {
  CheckReport,
  DEFAULT_CHECK_MAX_SCAN_CALLS,
  DeclaredNamespaceSpec,
  parseMemorySize,
  runChecks,
} from './redis/checks';
import { clusterCheckNodes } from './redis/cluster/clusterChecks';
import { describeEndpoint } from './redis/endpoint';
import { groupThousands, KeyspaceCancelledError, NamespaceModel, walkKeyspace } from './redis/keyspace';
import type { RedisSession } from './redisSession';

/** How long a run waits for the Keys view's walk in progress before walking on its own. */
const WALK_WAIT_MS = 120_000;
/** SCAN calls at most per cache namespace in the run after each walk (100,000 keys at COUNT 1000). */
const AUTOMATIC_MAX_SCAN_CALLS = 100;

/** What a run ended with. `report` is set when it completed. */
export type RunOutcome =
  | { readonly kind: 'complete'; readonly report: CheckReport }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly message: string };

/** True for a walk the checks can judge the whole keyspace by: complete and unfiltered. */
export function isFullWalk(model: NamespaceModel | undefined): model is NamespaceModel {
  return model !== undefined && model.complete && model.match === undefined && model.type === undefined;
}

/** What the Checks view is told: a run started or ended, a report, or why a run failed. */
export type ChecksEvent =
  | { readonly kind: 'running'; readonly running: boolean }
  | { readonly kind: 'report'; readonly report: CheckReport }
  | { readonly kind: 'failure'; readonly message: string };

/** How long the automatic run waits after a walk completes, so the Keys view draws its counts first. */
const AFTER_WALK_MS = 1000;
/** How long the checks wait after the user's own change to a key before they run again. */
const PATCH_SETTLE_MS = 1500;

/**
 * Runs the checks (one run at a time: a new one cancels the one in progress), keeps the
 * last report and publishes it (the Checks view shows it). After each full walk of the Keys view (complete and
 * unfiltered) the checks run on its model; a filtered Keys view makes a run walk the
 * keyspace on its own, without touching the Keys view's filter.
 */
export class ChecksRunner implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private running: AbortController | undefined;
  private lastWalk: NamespaceModel | undefined;
  private runTimer: ReturnType<typeof setTimeout> | undefined;
  private budgetWarned: string | undefined;
  private latest: Promise<RunOutcome> | undefined;
  private lastReport: CheckReport | undefined;
  private readonly changed = new vscode.EventEmitter<ChecksEvent>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly keyBrowser: KeyBrowser,
    private readonly session: RedisSession,
    private readonly log: Logger,
    settingsChanges: vscode.Event<SettingsChange>,
  ) {
    this.subscriptions.push(
      this.changed,
      keyBrowser.onDidChange((state) => this.onWalk(state)),
      settingsChanges((change) => {
        if (!change.affects('namespaces', 'memoryBudget', 'memoryWarningPercent')) return;
        const state = keyBrowser.state;
        if (this.lastReport && state.kind === 'complete' && isFullWalk(state.model)) void this.run(state.model);
      }),
    );
  }

  /** The last report of a run that completed. */
  get report(): CheckReport | undefined {
    return this.lastReport;
  }

  private publish(event: ChecksEvent): void {
    if (event.kind === 'report') this.lastReport = event.report;
    this.changed.fire(event);
  }

  private onWalk(state: BrowserState): void {
    // A new walk replaces the one whose run was waiting.
    if (state.kind === 'walking') clearTimeout(this.runTimer);
    if (state.kind !== 'complete' || !isFullWalk(state.model)) return;
    const model = state.model;
    clearTimeout(this.runTimer);
    if (model !== this.lastWalk) {
      this.lastWalk = model;
      // After the counts are on screen: the tree fetches and draws them right after the walk,
      // and the checks' own SCANs and CPU would compete with that on a busy machine.
      this.runTimer = setTimeout(() => void this.run(model, { automatic: true }), AFTER_WALK_MS);
      return;
    }
    // The same walk, patched by the user's own change (Set TTL, Delete Key …): one run
    // after a burst of such changes, not one per change.
    this.runTimer = setTimeout(() => void this.run(model, { automatic: true }), PATCH_SETTLE_MS);
  }

  /** Runs the checks on `model`, or on the best full walk there is. Never rejects. A run
   * cancelled by a newer one resolves to the newer one's outcome. */
  async run(model?: NamespaceModel, options: { fresh?: boolean; automatic?: boolean } = {}): Promise<RunOutcome> {
    this.running?.abort();
    const abort = new AbortController();
    this.running = abort;
    this.publish({ kind: 'running', running: true });
    const work = this.runOnce(model, abort.signal, options.fresh === true, options.automatic === true);
    this.latest = work;
    void vscode.window.withProgress({ location: { viewId: 'sharedRedis.checks' } }, () => work);
    const outcome = await work;
    if (this.running === abort) {
      this.running = undefined;
      this.publish({ kind: 'running', running: false });
      if (outcome.kind === 'complete') this.publish({ kind: 'report', report: outcome.report });
      else if (outcome.kind === 'failed') this.publish({ kind: 'failure', message: outcome.message });
    } else if (this.latest !== work && this.latest !== undefined) {
      return this.latestOutcome();
    }
    return outcome;
  }

  /**
   * What the command runs: a fresh walk first (the Keys view's, refreshed, when it is
   * unfiltered; else one of our own), so the checks judge the keyspace as it is now.
   */
  async runFresh(): Promise<RunOutcome> {
    const browser = this.keyBrowser;
    if (describeFilter(browser.filter) === '') {
      let failure: Error | undefined;
      try {
        const state = await browser.refresh();
        if (state.kind === 'complete' && isFullWalk(state.model)) return this.run(state.model);
        if (state.kind === 'failed' && state.error.name !== 'AbortError') failure = state.error;
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      if (failure) {
        this.log.warn(`The checks could not run: ${failure.message}`);
        this.publish({ kind: 'failure', message: failure.message });
        return { kind: 'failed', message: failure.message };
      }
    }
    return this.run(undefined, { fresh: true });
  }

  /** The outcome of the newest run, following any run that replaces it. */
  private async latestOutcome(): Promise<RunOutcome> {
    for (;;) {
      const latest = this.latest as Promise<RunOutcome>;
      const outcome = await latest;
      if (this.latest === latest) return outcome;
    }
  }

  private async runOnce(
    given: NamespaceModel | undefined,
    signal: AbortSignal,
    fresh: boolean,
    automatic: boolean,
  ): Promise<RunOutcome> {
    const started = performance.now();
    const config = settings();
    const scanCount = config.scanCount;
    try {
      const model = isFullWalk(given) ? given : await this.fullWalk(signal, fresh);
      if (signal.aborted) return { kind: 'cancelled' };
      const declared: DeclaredNamespaceSpec[] = config.namespaces.map((d) => ({
        path: d.path,
        owner: d.owner,
        cache: d.cache,
      }));
      // On a cluster the checks read every master's keys and every node's own state.
      const topology = await this.session.topology();
      const cluster = topology.kind === 'cluster' ? clusterCheckNodes(topology) : undefined;
      const outcome = await this.session.use(async (client) => {
        try {
          return await runChecks(client, model, declared, {
            scanCount,
            // After every walk the SCAN of a large cache namespace stops sooner (counts become lower bounds); the command goes further.
            maxScanCalls: automatic ? AUTOMATIC_MAX_SCAN_CALLS : DEFAULT_CHECK_MAX_SCAN_CALLS,
            budgetBytes: this.budget(config.memoryBudget),
            warnAt: config.memoryWarningPercent / 100,
            signal,
            endpoint: this.session.endpoint,
            cluster,
          });
        } catch (error) {
          if (error instanceof KeyspaceCancelledError) return undefined;
          throw error;
        }
      });
      if (!outcome) return { kind: 'cancelled' };
      const errors = Object.entries(outcome.errors).map(([check, message]) => `${check}: ${message}`);
      this.log.info(
        `Checked ${groupThousands(outcome.keys)} keys in ${(performance.now() - started).toFixed(0)} ms: ` +
          `${outcome.findings.length} ${outcome.findings.length === 1 ? 'problem' : 'problems'}${outcome.findings.map((f) => `; ${f.label}: ${f.description}`).join('')}` +
          `${errors.length > 0 ? `; failed: ${errors.join('; ')}` : ''}`,
      );
      return { kind: 'complete', report: outcome };
    } catch (error) {
      if (signal.aborted || (error instanceof Error && error.name === 'AbortError')) return { kind: 'cancelled' };
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`The checks could not run: ${message}`);
      return { kind: 'failed', message };
    }
  }

  /** The Keys view's walk when it is (or is about to be) complete and unfiltered; else a walk of our own. */
  private async fullWalk(signal: AbortSignal, fresh: boolean): Promise<NamespaceModel> {
    const browser = this.keyBrowser;
    const state = browser.state;
    if (!fresh && state.kind === 'complete' && isFullWalk(state.model)) return state.model;
    if (!fresh && state.kind === 'walking' && state.model.match === undefined && state.model.type === undefined) {
      const next = await browser.walkEnded(WALK_WAIT_MS);
      if (next?.kind === 'complete' && isFullWalk(next.model)) return next.model;
    }
    const config = settings();
    const { endpoint, credentials } = await this.session.target();
    this.log.info(`Walking ${describeEndpoint(endpoint)} for the checks`);
    return walkKeyspace(
      { endpoint, credentials },
      {
        delimiter: config.delimiter,
        count: config.scanCount,
        signal,
      },
    ).done;
  }

  /** The memory budget setting in bytes; a value that is not a size is said once in the log and ignored. */
  private budget(setting: string): number | undefined {
    const bytes = parseMemorySize(setting);
    if (bytes === null) {
      if (this.budgetWarned !== setting) {
        this.budgetWarned = setting;
        this.log.warn(`sharedRedis.memoryBudget "${setting}" is not a size like 256mb or 1gb: it is ignored.`);
      }
      return undefined;
    }
    return bytes;
  }

  dispose(): void {
    clearTimeout(this.runTimer);
    this.running?.abort();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
