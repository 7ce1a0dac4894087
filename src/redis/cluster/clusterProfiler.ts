import type Redis from 'ioredis';
import type { RedisCredentials, RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import {
  ConnectedClient,
  ProfiledCommand,
  Profiler,
  ProfilerEnd,
  ProfilerEnded,
  ProfilerOptions,
} from '../observe/profiler';
import { CommandRates } from '../observe/rates';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { ClusterMaster, Topology } from './topology';

/** A running profile, on one server or on every master of a cluster. */
export interface RunningProfile {
  readonly running: boolean;
  readonly lineCount: number;
  /** The nodes watched (`host:port`), one MONITOR each. */
  readonly nodes: readonly string[];
  stop(): void;
}

export interface ProfileOptions extends Omit<ProfilerOptions, 'listClients'> {
  /** CLIENT LIST on the given node's connection (to name the service behind an address). */
  readonly listClientsOn: (client: Redis) => Promise<readonly ConnectedClient[]>;
}

/**
 * Starts MONITOR for the session's connection: on one server, one profile at `endpoint`; on a
 * cluster, one per master (MONITOR shows only the commands its node runs), each line naming
 * its node.
 */
export async function startProfile(
  topology: Topology,
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  options: ProfileOptions,
): Promise<RunningProfile> {
  if (topology.kind === 'cluster') return ClusterProfiler.start(topology.masters(), credentials, options);
  const client = topology.client;
  const profiler = await Profiler.start(endpoint, credentials, {
    ...options,
    listClients: () => options.listClientsOn(client),
  });
  const nodes = [`${endpoint.host}:${endpoint.port}`];
  return {
    get running() {
      return profiler.running;
    },
    get lineCount() {
      return profiler.lineCount;
    },
    nodes,
    stop: () => profiler.stop(),
  };
}

/**
 * One MONITOR per master, seen as one profile: the line limit and the rates count every
 * master's lines together, and the profile ends (every MONITOR closed) when any of them ends,
 * for that one's reason (a lost connection names its node). Replicas are not watched: they
 * replay their master's writes, which MONITOR does not show.
 */
class ClusterProfiler implements RunningProfile {
  private readonly profilers: Profiler[] = [];
  private lines = 0;
  private ending = false;
  private ended = false;
  private readonly startedMs: number;
  private readonly now: () => number;
  private readonly rates: CommandRates;
  private readonly overall: CommandRates;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(
    readonly nodes: readonly string[],
    private readonly options: ProfileOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedMs = this.now();
    this.rates = new CommandRates(this.startedMs);
    this.overall = new CommandRates(this.startedMs);
  }

  /** Starts every master's MONITOR at once; when one refuses, the others are closed and the error names that master. */
  static async start(
    masters: readonly ClusterMaster[],
    credentials: RedisCredentials,
    options: ProfileOptions,
  ): Promise<ClusterProfiler> {
    const profile = new ClusterProfiler(
      masters.map((master) => master.address),
      options,
    );
    const started = await Promise.allSettled(masters.map((master) => profile.startOn(master, credentials)));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    for (const result of started) if (result.status === 'fulfilled') profile.profilers.push(result.value);
    if (failed) {
      profile.ending = true;
      profile.profilers.forEach((profiler) => profiler.stop());
      throw failed.reason;
    }
    profile.run();
    return profile;
  }

  private async startOn(master: ClusterMaster, credentials: RedisCredentials): Promise<Profiler> {
    const client = master.client;
    if (!client) throw lostConnection(master);
    try {
      return await Profiler.start(master.endpoint, credentials, {
        ...this.options,
        // The line limit, the time limit and the rates are the whole profile's (below).
        maxLines: this.options.maxLines,
        maxSeconds: this.options.maxSeconds,
        summaryEveryMs: 0,
        listClients: () => this.options.listClientsOn(client),
        onCommand: (command) => this.take({ ...command, node: master.address }),
        onEnd: (ended) => this.childEnded(master, ended.end),
      });
    } catch (error) {
      throw namedAfter(error, master);
    }
  }

  get running(): boolean {
    return !this.ended;
  }

  get lineCount(): number {
    return this.lines;
  }

  stop(): void {
    this.finish({ reason: 'stopped' });
  }

  private run(): void {
    this.timers.push(
      setTimeout(
        () => this.finish({ reason: 'time-limit', seconds: this.options.maxSeconds }),
        this.options.maxSeconds * 1000,
      ),
    );
    const every = this.options.summaryEveryMs ?? 0;
    const onRates = this.options.onRates;
    if (every > 0 && onRates) this.timers.push(setInterval(() => onRates(this.rates.close(this.now())), every));
  }

  private take(command: ProfiledCommand): void {
    if (this.ended || this.lines >= this.options.maxLines) return;
    this.lines += 1;
    const label = command.service ?? `unknown (${command.source})`;
    this.rates.record(label, command.namespace);
    this.overall.record(label, command.namespace);
    this.options.onCommand(command);
    if (this.lines >= this.options.maxLines) this.finish({ reason: 'line-limit', lines: this.options.maxLines });
  }

  private childEnded(master: ClusterMaster, end: ProfilerEnd): void {
    if (this.ending) return;
    this.finish(
      end.reason === 'connection-lost' ? { ...end, message: `${describeMaster(master)}: ${end.message}` } : end,
    );
  }

  private finish(end: ProfilerEnd): void {
    if (this.ending) return;
    this.ending = true;
    // Each closes its MONITOR, handing on first the lines it held for a CLIENT LIST.
    for (const profiler of this.profilers) profiler.stop();
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer); // clears intervals too
    const ended: ProfilerEnded = {
      end,
      lines: this.lines,
      elapsedMs: this.now() - this.startedMs,
      rates: this.overall.close(this.now()),
    };
    this.options.onEnd(ended);
  }
}

/** Puts the master into a refusal's message (a connection error names its node already). */
function namedAfter(error: unknown, master: ClusterMaster): unknown {
  if (error instanceof RedisConnectionError || !(error instanceof Error)) return error;
  error.message = `${describeMaster(master)}: ${error.message}`;
  return error;
}
