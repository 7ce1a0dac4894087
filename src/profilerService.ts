import * as vscode from 'vscode';
import type { Logger } from './logger';
import type { RedisSession } from './redisSession';
import { settings } from './settings';
import { listClients, MissingRightError } from './redis/observe/clientList';
import { RunningProfile, startProfile } from './redis/cluster/clusterProfiler';
import { DEFAULT_MAX_BACKLOG_BYTES, ProfiledCommand, ProfilerEnded } from './redis/observe/profiler';
import { describeRates } from './redis/observe/rates';

/** What the running profile shows: each criterion given lets through only its values (none: everything). */
export interface ProfilerFilter {
  readonly services?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly commands?: readonly string[];
}

/** A service, namespace and command a profile saw (for the filter's choices); bounded. */
const MAX_SEEN = 200;
/** How often the rates are summed up while it runs. */
export const RATE_SUMMARY_MS = 10_000;

/** The profile now: for the status bar and the tests. */
export interface ProfilerState {
  readonly running: boolean;
  readonly startedMs: number;
  readonly lines: number;
  /** How the last profile ended (undefined while it runs or before the first). */
  readonly ended: ProfilerEnded | undefined;
}

/**
 * Owns the one profile (MONITOR) of the window: starts it on a connection of its own, applies the
 * filter to what it hands on, and stops it on dispose (window closed, extension deactivated).
 * Views listen to its events; it shows nothing itself.
 */
export class ProfilerService implements vscode.Disposable {
  private profiler: RunningProfile | undefined;
  private starting: Promise<void> | undefined;
  private filter: ProfilerFilter = {};
  private lastEnded: ProfilerEnded | undefined;
  private startedMs = 0;
  /** Set by dispose: a start still under way then closes its MONITOR as soon as it has it. */
  private disposed = false;
  readonly seen = { services: new Set<string>(), namespaces: new Set<string>(), commands: new Set<string>() };

  private readonly commandEmitter = new vscode.EventEmitter<ProfiledCommand>();
  /** A profiled command that passes the filter. */
  readonly onCommand = this.commandEmitter.event;
  private readonly noteEmitter = new vscode.EventEmitter<string>();
  /** A line about the profile itself: started, rates, filter, ended. */
  readonly onNote = this.noteEmitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<ProfilerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly revealEmitter = new vscode.EventEmitter<void>();
  /** Asks the view to bring the profile's output into sight. */
  readonly onDidRequestReveal = this.revealEmitter.event;

  constructor(
    private readonly session: RedisSession,
    private readonly log: Logger,
  ) {}

  get state(): ProfilerState {
    return {
      running: this.profiler?.running ?? false,
      startedMs: this.startedMs,
      lines: this.profiler?.lineCount ?? this.lastEnded?.lines ?? 0,
      ended: this.profiler ? undefined : this.lastEnded,
    };
  }

  get running(): boolean {
    return this.starting !== undefined || (this.profiler?.running ?? false);
  }

  /**
   * Starts a profile, unless one runs or starts already (a second click). Throws what the start
   * throws: a MissingRightError naming `+monitor`, a RedisConnectionError.
   */
  async start(): Promise<void> {
    if (this.disposed) return;
    if (this.running) return this.starting;
    const starting = this.open().finally(() => {
      this.starting = undefined;
    });
    this.starting = starting;
    return starting;
  }

  private async open(): Promise<void> {
    const { endpoint, credentials } = await this.session.target();
    const topology = await this.session.topology();
    const { profilerMaxSeconds, profilerMaxLines, delimiter } = settings();
    let lookupRefused = false;
    let guardUnwatched = false;
    // The profile this start makes (a "Stop Profiler" answer stops that one, not a later one).
    const started: { profile?: RunningProfile } = {};
    this.lastEnded = undefined;
    const profile = await startProfile(topology, endpoint, credentials, {
      maxSeconds: profilerMaxSeconds,
      maxLines: profilerMaxLines,
      delimiter,
      summaryEveryMs: RATE_SUMMARY_MS,
      // On a cluster, each node's own connection: CLIENT LIST names that node's clients.
      listClientsOn: async (client) => {
        try {
          return await listClients(client);
        } catch (error) {
          if (!lookupRefused) {
            lookupRefused = true;
            this.noteEmitter.fire(
              `Services are not named: ${error instanceof MissingRightError ? error.message : String(error)}`,
            );
          }
          throw error;
        }
      },
      // Said once, and where it is seen: the guard protects the shared server's memory.
      onBacklogUnwatched: (reason) => {
        if (guardUnwatched) return;
        guardUnwatched = true;
        this.log.warn(reason);
        this.noteEmitter.fire(reason);
        void vscode.window.showWarningMessage(reason, 'Stop Profiler').then((choice) => {
          if (choice === 'Stop Profiler' && this.profiler === started.profile) this.stop();
        });
      },
      onCommand: (command) => this.accept(command),
      onRates: (window) => this.noteEmitter.fire(describeRates(`last ${Math.round(window.seconds)} s`, window)),
      onEnd: (ended) => this.ended(ended),
    });
    // Disposed while it started (window closed, extension deactivated): nothing could stop it later.
    if (this.disposed) {
      profile.stop();
      return;
    }
    this.profiler = profile;
    started.profile = profile;
    this.startedMs = Date.now();
    this.log.info(`Profiler started (MONITOR) for at most ${profilerMaxSeconds} s or ${profilerMaxLines} commands`);
    const limits = `at most ${profilerMaxSeconds} s or ${profilerMaxLines.toLocaleString('en-US')} commands`;
    this.noteEmitter.fire(
      topology.kind === 'cluster'
        ? `Profiling the cluster's ${this.profiler.nodes.length} nodes (${describeNodes(this.profiler)}): one MONITOR per node, each line names its node (a replica's reads come from clients that sent READONLY); together for ${limits}.`
        : `Profiling ${this.profiler.nodes.join(', ')}: MONITOR runs for ${limits}.`,
    );
    this.stateEmitter.fire(this.state);
  }

  stop(): void {
    this.profiler?.stop();
  }

  reveal(): void {
    this.revealEmitter.fire();
  }

  /** Sets what the running (and the next) profile shows; empty: everything. */
  setFilter(filter: ProfilerFilter): void {
    this.filter = filter;
    const parts = [
      ...(filter.services ?? []).map((s) => `service ${s}`),
      ...(filter.namespaces ?? []).map((n) => `namespace ${n}`),
      ...(filter.commands ?? []).map((c) => `command ${c}`),
    ];
    this.noteEmitter.fire(parts.length === 0 ? 'Filter: everything' : `Filter: ${parts.join(', ')}`);
  }

  get currentFilter(): ProfilerFilter {
    return this.filter;
  }

  private accept(command: ProfiledCommand): void {
    const service = command.service ?? 'unknown';
    remember(this.seen.services, service);
    if (command.namespace !== undefined) remember(this.seen.namespaces, command.namespace);
    remember(this.seen.commands, command.command);
    const { services, namespaces, commands } = this.filter;
    if (services?.length && !services.includes(service)) return;
    if (namespaces?.length && (command.namespace === undefined || !namespaces.includes(command.namespace))) return;
    if (commands?.length && !commands.includes(command.command)) return;
    this.commandEmitter.fire(command);
  }

  private ended(ended: ProfilerEnded): void {
    this.lastEnded = ended;
    this.profiler = undefined;
    const text = describeEnd(ended);
    this.log.info(text);
    this.noteEmitter.fire(text);
    this.noteEmitter.fire(describeRates(`whole profile (${Math.round(ended.elapsedMs / 1000)} s)`, ended.rates));
    this.stateEmitter.fire(this.state);
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
    this.commandEmitter.dispose();
    this.noteEmitter.dispose();
    this.stateEmitter.dispose();
    this.revealEmitter.dispose();
  }
}

function remember(set: Set<string>, value: string): void {
  if (set.size < MAX_SEEN) set.add(value);
}

/** `Profiler stopped by itself after 60 s (the limit, setting sharedRedis.profilerMaxSeconds): 1,234 commands.` */
export function describeEnd({ end, lines, elapsedMs }: ProfilerEnded): string {
  const count = `${lines.toLocaleString('en-US')} commands in ${Math.round(elapsedMs / 1000)} s`;
  switch (end.reason) {
    case 'stopped':
      return `Profiler stopped: ${count}.`;
    case 'time-limit':
      return `Profiler stopped by itself at its time limit of ${end.seconds} s (setting sharedRedis.profilerMaxSeconds): ${count}.`;
    case 'line-limit':
      return `Profiler stopped by itself at its limit of ${end.lines.toLocaleString('en-US')} commands (setting sharedRedis.profilerMaxLines): ${count}.`;
    case 'backlog':
      return `Profiler stopped by itself: Redis held ${(end.bytes / 2 ** 20).toFixed(1)} MiB of MONITOR output it could not yet send (limit ${DEFAULT_MAX_BACKLOG_BYTES / 2 ** 20} MiB), memory the shared server would otherwise keep growing. Filter less or profile a quieter moment. ${count}.`;
    case 'connection-lost':
      return `Profiler stopped: the connection to Redis was lost (${end.message}); it does not reconnect by itself. ${count}.`;
  }
}

/** `3 masters, 3 replicas: 127.0.0.1:7001, …`. */
function describeNodes(profile: RunningProfile): string {
  const replicas = profile.replicas ?? 0;
  const masters = profile.nodes.length - replicas;
  const left = (profile.notWatched ?? []).map((n) => `${n.node} (${n.reason})`);
  return `${masters} ${masters === 1 ? 'master' : 'masters'}, ${replicas} ${replicas === 1 ? 'replica' : 'replicas'}: ${profile.nodes.join(', ')}${left.length > 0 ? `; not watched, not answering: ${left.join(', ')}` : ''}`;
}
