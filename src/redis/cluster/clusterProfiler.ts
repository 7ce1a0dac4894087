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
import { ReachedNode, ReachedNodes, reachEveryNode } from './everyNode';
import { namingNode } from './perMaster';
import { Topology } from './topology';

/** A running profile, on one server or on every master of a cluster. */
export interface RunningProfile {
  readonly running: boolean;
  readonly lineCount: number;
  /** The nodes watched (`host:port`), one MONITOR each. */
  readonly nodes: readonly string[];
  /** On a cluster, how many of them are replicas. */
  readonly replicas?: number;
  /** On a cluster, replicas not watched because they did not answer (stopped, not yet flagged `fail`). */
  readonly notWatched?: readonly { readonly node: string; readonly reason: string }[];
  stop(): void;
}

export interface ProfileOptions extends Omit<ProfilerOptions, 'listClients'> {
  /** CLIENT LIST on the given node's connection (to name the service behind an address). */
  readonly listClientsOn: (client: Redis) => Promise<readonly ConnectedClient[]>;
}

/**
 * Starts MONITOR for the session's connection: on one server, one profile at `endpoint`; on a
 * cluster, one per node, masters and replicas (MONITOR shows only the commands its node runs,
 * and a replica runs the reads of clients that sent READONLY), each line naming its node and
 * the node's role.
 */
export async function startProfile(
  topology: Topology,
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  options: ProfileOptions,
): Promise<RunningProfile> {
  if (topology.kind === 'cluster') {
    const reached = await reachEveryNode(topology, { connectionName: PROFILER_LOOKUP_CONNECTION });
    return ClusterProfiler.start(reached, credentials, options);
  }
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
 * One MONITOR per node, seen as one profile: the line limit and the rates count every node's
 * lines together, and the profile ends (every MONITOR closed) when any of them ends, for that
 * one's reason (a lost connection names its node). Replicas are watched for the reads their
 * READONLY clients send; the writes a replica replays from its master are not shown again
 * (they came on its link to the master, and the master's own MONITOR shows them).
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
    private readonly reached: ReachedNodes,
    private readonly options: ProfileOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.startedMs = this.now();
    this.rates = new CommandRates(this.startedMs);
    this.overall = new CommandRates(this.startedMs);
  }

  /** Replicas whose MONITOR could not connect (stopped since they were found). */
  private readonly silent = new Map<ReachedNode, string>();

  /** Every master, and the replicas that answered: a replica that stopped has no commands to show. */
  private get watched(): readonly ReachedNode[] {
    return this.reached.nodes.filter(
      (node) => node.role === 'master' || (node.client !== undefined && !this.silent.has(node)),
    );
  }

  get nodes(): readonly string[] {
    return this.watched.map((node) => node.address);
  }

  get replicas(): number {
    return this.watched.filter((node) => node.role === 'replica').length;
  }

  get notWatched(): readonly { readonly node: string; readonly reason: string }[] {
    return this.reached.nodes
      .filter((node) => !this.watched.includes(node))
      .map((node) => ({
        node: node.address,
        reason: this.silent.get(node) ?? node.unreachable?.message ?? 'no connection',
      }));
  }

  /** Starts every node's MONITOR at once; when one refuses (or did not answer), the others are closed and the error names that node. */
  static async start(
    reached: ReachedNodes,
    credentials: RedisCredentials,
    options: ProfileOptions,
  ): Promise<ClusterProfiler> {
    const profile = new ClusterProfiler(reached, options);
    const nodes = profile.watched;
    const started = await Promise.allSettled(nodes.map((node) => profile.startOn(node, credentials)));
    // A replica that stopped between being found and its MONITOR is left out, as one found stopped; a master is not.
    started.forEach((result, i) => {
      const node = nodes[i];
      if (result.status === 'rejected' && node?.role === 'replica' && result.reason instanceof RedisConnectionError) {
        profile.silent.set(node, result.reason.message);
      }
    });
    const failed = started.find(
      (result, i): result is PromiseRejectedResult =>
        result.status === 'rejected' && !profile.silent.has(nodes[i] as ReachedNode),
    );
    for (const result of started) if (result.status === 'fulfilled') profile.profilers.push(result.value);
    if (failed) {
      profile.ending = true;
      profile.profilers.forEach((profiler) => profiler.stop());
      reached.close();
      throw failed.reason;
    }
    profile.run();
    return profile;
  }

  private async startOn(node: ReachedNode, credentials: RedisCredentials): Promise<Profiler> {
    const client = node.client;
    if (!client) throw namingNode(node.unreachable ?? new Error('no connection'), node.description);
    // A replica's link to its master: the writes it replays arrive on it (CLIENT LIST flag M).
    const masterLinks = node.role === 'replica' ? new Set<string>() : undefined;
    const listClients = async (): Promise<readonly ConnectedClient[]> => {
      const clients = await this.options.listClientsOn(client);
      for (const c of clients) if (masterLinks && isMasterLink(c)) masterLinks.add(c.addr);
      return clients;
    };
    if (masterLinks) await listClients().catch(() => undefined);
    try {
      return await Profiler.start(node.endpoint, credentials, {
        ...this.options,
        // The line limit, the time limit and the rates are the whole profile's (below).
        maxLines: this.options.maxLines,
        maxSeconds: this.options.maxSeconds,
        summaryEveryMs: 0,
        listClients,
        onCommand: (command) => {
          if (masterLinks?.has(command.source)) return;
          this.take({ ...command, node: node.address, role: node.role });
        },
        onEnd: (ended) => this.childEnded(node, ended.end),
      });
    } catch (error) {
      throw namedAfter(error, node.description);
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

  private childEnded(node: ReachedNode, end: ProfilerEnd): void {
    if (this.ending) return;
    this.finish(end.reason === 'connection-lost' ? { ...end, message: `${node.description}: ${end.message}` } : end);
  }

  private finish(end: ProfilerEnd): void {
    if (this.ending) return;
    this.ending = true;
    // Each closes its MONITOR, handing on first the lines it held for a CLIENT LIST.
    for (const profiler of this.profilers) profiler.stop();
    this.reached.close();
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

/** Puts the node into a refusal's message (a connection error names its node already). */
function namedAfter(error: unknown, node: string): unknown {
  if (error instanceof RedisConnectionError || !(error instanceof Error)) return error;
  error.message = `${node}: ${error.message}`;
  return error;
}

/** A replica's connection from its master (CLIENT LIST flag `M`): what comes on it is replication, not a client's command. */
function isMasterLink(client: ConnectedClient): boolean {
  return (client.fields?.get('flags') ?? '').includes('M');
}

/** The name of the connections opened to a replica the cluster client does not know (CLIENT LIST for the service lookup). */
const PROFILER_LOOKUP_CONNECTION = 'shared-redis-profiler-lookup';
