import { connect as connectTcp, Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { RedisCredentials, RedisEndpoint } from '../endpoint';
import { authRefusal, classifyRedisError, isNoPasswordNeeded, isReplyError } from '../errors';
import { tlsConnectionOptions } from '../tls';
import { MissingRightError } from './clientList';
import { MonitorLineSplitter, parseMonitorLine } from './monitor';
import { MonitoredCommand, monitoredCommand } from './monitoredCommand';
import { CommandRates, RateWindow } from './rates';

/**
 * The profiler: `MONITOR` on a connection of its own, which it never reopens. It stops by itself
 * at a time limit and a line limit, and tells why it ended. A raw socket rather than ioredis:
 * ioredis's monitor mode splits arguments on `" "` (a value may hold it), keeps the escapes, and
 * re-enters MONITOR silently after a reconnect; here the stream is framed by MonitorLineSplitter
 * (whole lines whatever the TCP chunks) and a lost connection ends the profile.
 */

/** A command as the profiler shows it, with the service (ACL user) that sent it. */
export interface ProfiledCommand extends MonitoredCommand {
  /** The ACL user of the connection (`auth-service`), `lua`, or undefined when it could not be found. */
  readonly service: string | undefined;
  /** On a cluster, the node (`host:port`) that ran it; undefined on one server. */
  readonly node?: string;
  /** On a cluster, that node's role (a replica runs the reads of clients that sent READONLY). */
  readonly role?: 'master' | 'replica';
}

export type ProfilerEnd =
  | { readonly reason: 'stopped' }
  | { readonly reason: 'time-limit'; readonly seconds: number }
  | { readonly reason: 'line-limit'; readonly lines: number }
  /** The server held more unread MONITOR output for us than the limit (its `omem` in CLIENT LIST). */
  | { readonly reason: 'backlog'; readonly bytes: number }
  | { readonly reason: 'connection-lost'; readonly message: string };

export interface ProfilerEnded {
  readonly end: ProfilerEnd;
  readonly lines: number;
  readonly elapsedMs: number;
  /** The rates over the whole profile. */
  readonly rates: RateWindow;
}

/** A connection as CLIENT LIST gives it: enough to name the service behind an address. */
export interface ConnectedClient {
  readonly addr: string;
  readonly user: string;
  readonly id?: string;
  /** CLIENT LIST's other fields (`omem`: output the server holds for the client, in bytes). */
  readonly fields?: ReadonlyMap<string, string>;
}

export interface ProfilerOptions {
  readonly maxSeconds: number;
  readonly maxLines: number;
  /**
   * Redis buffers MONITOR output a slow reader has not taken, without limit for a normal
   * client (the bench saw ~40 MB under a pipelined flood): above this many bytes (`omem`) the
   * profile stops, so it never costs the shared server its memory. Default 16 MiB.
   */
  readonly maxBacklogBytes?: number;
  /** How often the backlog is looked at (with the CLIENT LIST the service lookup uses). Default 1 s. */
  readonly backlogCheckMs?: number;
  /**
   * Called at most once per profile when the backlog cannot be watched on this server (the ACL
   * refuses CLIENT ID or CLIENT LIST), with why: the profile goes on, ended by its time and line
   * limits only, and the caller should say so where the user sees it.
   */
  readonly onBacklogUnwatched?: (reason: string) => void;
  /** Splits a key's namespace off. */
  readonly delimiter: string;
  /** CLIENT LIST, on another connection (the profiler's own only streams). */
  readonly listClients: () => Promise<readonly ConnectedClient[]>;
  /** How often a rate summary is handed to `onRates` (0: never, only the end's). */
  readonly summaryEveryMs?: number;
  readonly connectionName?: string;
  /** How long connecting may take, and then the answers to the login and MONITOR (default 5 s each). */
  readonly connectTimeoutMs?: number;
  readonly onCommand: (command: ProfiledCommand) => void;
  readonly onRates?: (window: RateWindow) => void;
  readonly onEnd: (ended: ProfilerEnded) => void;
  /** Now, in ms (tests of the rates do not need it; the bench and views use the clock). */
  readonly now?: () => number;
}

/** What CLIENT LIST said of an address: the user, and which connection it was (undefined: not found). */
interface KnownAddress {
  readonly user: string | undefined;
  readonly id?: string | undefined;
}

/** AUTH, or HELLO … AUTH: the connection's user may change with it. */
function logsIn(command: MonitoredCommand): boolean {
  return (
    command.command === 'AUTH' ||
    (command.command === 'HELLO' && command.args.some((arg) => arg.toUpperCase() === 'AUTH'))
  );
}

export const PROFILER_CONNECTION_NAME = 'shared-redis-profiler';
export const DEFAULT_MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
/** How long the connection, and then the answers to the login and MONITOR, may take. */
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Lines waiting for a CLIENT LIST answer are held (in order) up to this many; beyond, shown without a service. */
const MAX_HELD_LINES = 20_000;
/** With this many lines held (a burst from a new connection), the next look is not put off a second. */
const HELD_LINES_TO_HURRY = 2000;
/** At most one CLIENT LIST per this many ms, however many unknown addresses appear. */
const LOOKUP_INTERVAL_MS = 1000;
/** ... and, hurried, at most one per this many ms (one at a time always): a steady stream of new
 * connections keeps it hurried, and CLIENT LIST costs the shared server more the more clients it has. */
const HURRIED_LOOKUP_INTERVAL_MS = 250;
/** Addresses remembered; beyond, the map starts afresh (clients come and go). */
const MAX_ADDRESSES = 10_000;

/** What a replica's profile says of the writes it replays from its master (CLIENT LIST lists that link as `(superuser)`). */
export const REPLICATION_SERVICE = 'replication from the master';

/** The user a command is credited to: the connection's ACL user, or replication for a replica's link to its master. */
function shownUser(client: ConnectedClient): string {
  return /M/.test(client.fields?.get('flags') ?? '') ? REPLICATION_SERVICE : client.user;
}

/** One RESP command, as bytes. */
function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class Profiler {
  private readonly socket: Socket;
  private readonly splitter = new MonitorLineSplitter();
  private readonly startedMs: number;
  private lines = 0;
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly rates: CommandRates;
  private readonly overall: CommandRates;
  private readonly users = new Map<string, KnownAddress>();
  /** Addresses that logged in again since the last CLIENT LIST was asked (its answer may predate that). */
  private readonly loggedInSinceAsked = new Set<string>();
  private held: MonitoredCommand[] = [];
  private lookup: Promise<void> | undefined;
  private lastLookupMs = -Infinity;
  /** Ends a look's wait early, while it waits. */
  private hurryLookup: (() => void) | undefined;
  /** Addresses one CLIENT LIST did not know yet. */
  private readonly missedOnce = new Set<string>();
  private readonly now: () => number;
  /** The connection's CLIENT ID (to find its `omem`); undefined when CLIENT ID was refused. */
  private clientId: string | undefined;
  /** Why CLIENT ID was refused (the backlog cannot be watched then). */
  private clientIdRefusal: string | undefined;
  /** The profile's user, for the reasons it gives. */
  private user = 'default';
  /** The backlog was said to be unwatched (said once). */
  private unwatched = false;
  /** Lines that arrived with the handshake's last reply. */
  private readonly early: Array<{ line: Buffer; cut: boolean }> = [];

  private constructor(
    socket: Socket,
    private readonly options: ProfilerOptions,
  ) {
    this.socket = socket;
    this.now = options.now ?? Date.now;
    this.startedMs = this.now();
    this.rates = new CommandRates(this.startedMs);
    this.overall = new CommandRates(this.startedMs);
  }

  /**
   * Connects, logs in, and starts MONITOR; resolves once Redis confirmed it. A user without the
   * MONITOR right is a MissingRightError naming `+monitor`; a refused password or an unreachable
   * server a RedisConnectionError.
   */
  static async start(
    endpoint: RedisEndpoint,
    credentials: RedisCredentials,
    options: ProfilerOptions,
  ): Promise<Profiler> {
    const socket = await openSocket(endpoint, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    const profiler = new Profiler(socket, options);
    try {
      await profiler.handshake(endpoint, credentials);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    profiler.run();
    return profiler;
  }

  /** Commands seen so far (all of them, whatever a view filters). */
  get lineCount(): number {
    return this.lines;
  }

  get elapsedMs(): number {
    return this.now() - this.startedMs;
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Stops MONITOR by closing its connection. */
  stop(): void {
    this.finish({ reason: 'stopped' });
  }

  private async handshake(endpoint: RedisEndpoint, credentials: RedisCredentials): Promise<void> {
    const commands: string[][] = [];
    if (credentials.password !== undefined && credentials.password !== '') {
      commands.push(
        endpoint.username ? ['AUTH', endpoint.username, credentials.password] : ['AUTH', credentials.password],
      );
    }
    commands.push(
      ['CLIENT', 'SETNAME', this.options.connectionName ?? PROFILER_CONNECTION_NAME],
      ['CLIENT', 'ID'],
      ['MONITOR'],
    );
    const replies = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const onData = (chunk: Buffer): void => {
        for (const framed of this.splitter.push(chunk)) {
          // MONITOR's first lines may come in the same chunk as its OK: they wait for run().
          if (got.length === commands.length) this.early.push(framed);
          else got.push(framed.line.toString('utf8'));
        }
        if (got.length === commands.length) {
          cleanup();
          resolve(got);
        }
      };
      // A server that refuses the connection (maxclients, protected mode) says why, then closes:
      // its reply, not the hang-up, is the reason.
      const refusal = (): Error | undefined => {
        const reply = got.find((line) => line.startsWith('-'));
        return reply === undefined ? undefined : new Error(reply.slice(1));
      };
      const onClose = (): void => {
        cleanup();
        const closed = Object.assign(new Error('Connection is closed.'), { code: 'ECONNRESET' });
        reject(classifyRedisError(refusal() ?? closed, endpoint));
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(classifyRedisError(refusal() ?? error, endpoint));
      };
      // A server that accepted the connection but answers nothing (paused, hung) fails the start
      // in time: a start that never settles leaves the window unable to start or stop a profile.
      const timer = setTimeout(() => {
        cleanup();
        reject(classifyRedisError(new Error('Connection timed out'), endpoint));
      }, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
        this.socket.off('error', onError);
      };
      this.socket.on('data', onData);
      this.socket.on('close', onClose);
      this.socket.on('error', onError);
      this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
    const failure = (index: number): string | undefined => {
      const reply = replies[index];
      return reply?.startsWith('-') ? reply.slice(1) : undefined;
    };
    const authReply = commands.length === 4 ? failure(0) : undefined;
    // A stored password the server does not ask for is no failure (ioredis, for the other connections, agrees).
    const authFailure = authReply !== undefined && !isNoPasswordNeeded(authReply) ? authReply : undefined;
    // CLIENT ID may be refused (no +client): the backlog is then not watched, the limits still hold.
    this.clientId = /^:\d+$/.test(replies[commands.length - 2] ?? '')
      ? replies[commands.length - 2]?.slice(1)
      : undefined;
    this.user = endpoint.username || 'default';
    if (this.clientId === undefined) this.clientIdRefusal = failure(commands.length - 2) ?? 'no answer';
    if (authFailure) throw authRefusal(authFailure, endpoint);
    // CLIENT SETNAME may be refused to a user without +client: the profile works all the same.
    const monitorFailure = failure(commands.length - 1);
    if (monitorFailure) {
      if (/^NOPERM\b/.test(monitorFailure)) {
        throw new MissingRightError('MONITOR', '+monitor', endpoint.username || 'default');
      }
      if (/^NOAUTH\b/.test(monitorFailure)) throw classifyRedisError(new Error(monitorFailure), endpoint);
      throw new Error(`Redis refused MONITOR: ${monitorFailure}`);
    }
  }

  private run(): void {
    const take = (framed: ReadonlyArray<{ line: Buffer; cut: boolean }>): void => {
      for (const { line, cut } of framed) {
        if (this.ended) return;
        if (line[0] !== 0x2b /* + */) continue;
        const parsed = parseMonitorLine(line.subarray(1), cut);
        if (!parsed) continue;
        this.lines += 1;
        this.accept(monitoredCommand(parsed, this.options.delimiter));
        if (this.lines >= this.options.maxLines) {
          this.finish({ reason: 'line-limit', lines: this.options.maxLines });
          return;
        }
      }
    };
    // The lines that came with MONITOR's OK (and any chunk before they are taken) wait for the
    // next turn: taken now, they could end the profile before start() has resolved, and the
    // caller would hear of the end before it has the profile.
    let waiting: Array<{ line: Buffer; cut: boolean }> | undefined = this.early.splice(0);
    const takeWaiting = (): void => {
      const lines = waiting;
      waiting = undefined;
      if (lines) take(lines);
    };
    setImmediate(takeWaiting);
    this.socket.on('data', (chunk: Buffer) => {
      const framed = this.splitter.push(chunk);
      if (waiting) for (const line of framed) waiting.push(line);
      else take(framed);
    });
    this.socket.on('close', () => {
      takeWaiting();
      this.finish({ reason: 'connection-lost', message: 'the server closed the connection' });
    });
    this.socket.on('error', (error: Error) => {
      takeWaiting();
      this.finish({ reason: 'connection-lost', message: error.message });
    });
    this.timers.push(
      setTimeout(
        () => this.finish({ reason: 'time-limit', seconds: this.options.maxSeconds }),
        this.options.maxSeconds * 1000,
      ),
    );
    if (this.clientId !== undefined) {
      this.timers.push(setInterval(() => void this.checkBacklog(), this.options.backlogCheckMs ?? 1000));
      // At once, not a period later: a CLIENT LIST the ACL refuses is then said right at the start.
      setImmediate(() => void this.checkBacklog());
    } else {
      const refusal = this.clientIdRefusal ?? '';
      setImmediate(() =>
        this.backlogUnwatched(
          /^NOPERM\b/.test(refusal)
            ? `the Redis user "${this.user}" may not run CLIENT ID (grant +client|id and +client|list), so the profile's connection cannot be found in CLIENT LIST`
            : `Redis refused CLIENT ID (${refusal}), so the profile's connection cannot be found in CLIENT LIST`,
        ),
      );
    }
    const every = this.options.summaryEveryMs ?? 0;
    if (every > 0 && this.options.onRates) {
      const onRates = this.options.onRates;
      this.timers.push(setInterval(() => onRates(this.rates.close(this.now())), every));
    }
  }

  /**
   * Names the service of `command`. A line from an address not yet known waits (with every line
   * after it, to keep the order) for a CLIENT LIST, asked at most once a second (sooner under a
   * burst, see lookupDue); an address still missing after a second look is a connection already
   * gone, shown without a service.
   */
  private accept(command: MonitoredCommand): void {
    if (logsIn(command)) this.forgetLogin(command.source);
    if (this.unknown(command.source) || this.held.length > 0) {
      this.held.push(command);
      if (this.held.length >= MAX_HELD_LINES) return this.release();
      if (this.held.length === HELD_LINES_TO_HURRY) this.hurryLookup?.();
      this.lookup ??= this.lookUp();
      return;
    }
    this.emit(command);
  }

  private unknown(source: string): boolean {
    return source !== 'lua' && !source.startsWith('unix:') && !this.users.has(source);
  }

  /** The address's user is looked up again: its AUTH may have switched it to another. */
  private forgetLogin(source: string): void {
    this.users.delete(source);
    this.loggedInSinceAsked.add(source);
  }

  /**
   * Forgets the addresses a CLIENT LIST no longer lists, or lists as another connection or user
   * (a connection gone and its address reused, common behind Docker's published port).
   */
  private forgetChanged(clients: readonly ConnectedClient[]): void {
    const listed = new Map(clients.map((client) => [client.addr, client]));
    for (const [addr, known] of this.users) {
      const now = listed.get(addr);
      const changed = now ? shownUser(now) !== known.user || now.id !== known.id : known.user !== undefined;
      if (changed) this.users.delete(addr);
    }
  }

  /**
   * Waits until a look is due: LOOKUP_INTERVAL_MS after the last, or HURRIED_LOOKUP_INTERVAL_MS
   * once HELD_LINES_TO_HURRY lines are held (a burst would otherwise pass MAX_HELD_LINES unnamed).
   */
  private async lookupDue(): Promise<void> {
    for (;;) {
      const interval = this.held.length >= HELD_LINES_TO_HURRY ? HURRIED_LOOKUP_INTERVAL_MS : LOOKUP_INTERVAL_MS;
      const wait = this.lastLookupMs + interval - this.now();
      if (wait <= 0 || this.ended) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.timers.push(timer);
        this.hurryLookup = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.hurryLookup = undefined;
    }
  }

  /** Asks CLIENT LIST when due (see lookupDue). */
  private async lookUp(): Promise<void> {
    await this.lookupDue();
    if (this.ended) return;
    this.lastLookupMs = this.now();
    const asked = new Set(this.held.map((command) => command.source));
    this.loggedInSinceAsked.clear();
    try {
      const clients = await this.options.listClients();
      if (this.users.size > MAX_ADDRESSES) this.users.clear();
      this.forgetChanged(clients);
      for (const client of clients) {
        // Only the addresses asked about: another may be a connection not logged in yet, listed as
        // `default` until its AUTH. One that logged in meanwhile waits for the next look.
        if (asked.has(client.addr) && !this.loggedInSinceAsked.has(client.addr)) {
          this.users.set(client.addr, { user: shownUser(client), id: client.id });
        }
      }
    } catch {
      // Refused or failed (the caller says why once): the lines are shown without a service.
      for (const source of asked) this.users.set(source, { user: undefined });
    }
    for (const source of asked) {
      // One that logged in while the look was out is not missing: the next look names it.
      if (!this.unknown(source) || this.loggedInSinceAsked.has(source)) continue;
      // Missing twice: gone before CLIENT LIST saw it (a one-off connection, a healthcheck).
      if (this.missedOnce.has(source)) this.users.set(source, { user: undefined });
      else this.missedOnce.add(source);
    }
    if (this.missedOnce.size > MAX_ADDRESSES) this.missedOnce.clear();
    this.lookup = undefined;
    // Release in order up to the first line whose address still waits for another look.
    const waiting = this.held.findIndex((command) => this.unknown(command.source));
    const ready = waiting < 0 ? this.held.splice(0) : this.held.splice(0, waiting);
    for (const command of ready) this.emit(command);
    if (this.held.length > 0) this.lookup = this.lookUp();
  }

  /** Stops the profile when the server holds more of our output than `maxBacklogBytes`. */
  private async checkBacklog(): Promise<void> {
    if (this.ended || this.checkingBacklog || this.unwatched) return;
    this.checkingBacklog = true;
    try {
      const clients = await this.options.listClients();
      this.forgetChanged(clients);
      const own = clients.find((client) => client.id === this.clientId);
      const bytes = Number(own?.fields?.get('omem') ?? 0);
      if (bytes > (this.options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES)) {
        this.finish({ reason: 'backlog', bytes });
      }
    } catch (error) {
      // A refusal (an ACL) lasts: said once, and no more asking. Another failure (a lost
      // connection) may pass: the next check asks again. The time and line limits still hold.
      if (error instanceof MissingRightError) {
        this.backlogUnwatched(
          `the Redis user "${error.user ?? this.user}" may not run CLIENT LIST (grant +client|list)`,
        );
      } else if (isReplyError(error)) {
        this.backlogUnwatched(`Redis refused CLIENT LIST (${error.message})`);
      }
    } finally {
      this.checkingBacklog = false;
    }
  }

  /** Says once why the backlog cannot be watched, and stops asking. */
  private backlogUnwatched(reason: string): void {
    if (this.ended || this.unwatched) return;
    this.unwatched = true;
    this.options.onBacklogUnwatched?.(
      `The profiler's memory guard cannot watch this server: ${reason}. It cannot stop the profile when Redis holds too much unread MONITOR output for it; only the time and line limits end it.`,
    );
  }

  private checkingBacklog = false;

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const command of held) this.emit(command);
  }

  private emit(command: MonitoredCommand): void {
    if (this.ended) return;
    const service =
      command.source === 'lua'
        ? 'lua'
        : command.source.startsWith('unix:')
          ? 'unix socket'
          : this.users.get(command.source)?.user;
    const label = service ?? `unknown (${command.source})`;
    this.rates.record(label, command.namespace);
    this.overall.record(label, command.namespace);
    this.options.onCommand({ ...command, service });
  }

  private finish(end: ProfilerEnd): void {
    if (this.ended) return;
    // Lines held for a lookup are shown first, attributed as far as known.
    this.release();
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer); // clears intervals too
    this.socket.destroy();
    this.options.onEnd({
      end,
      lines: this.lines,
      elapsedMs: this.elapsedMs,
      rates: this.overall.close(this.now()),
    });
  }
}

async function openSocket(endpoint: RedisEndpoint, timeoutMs: number): Promise<Socket> {
  const tls = tlsConnectionOptions(endpoint);
  return new Promise<Socket>((resolve, reject) => {
    const socket = tls
      ? connectTls({ ...tls, host: endpoint.host, port: endpoint.port })
      : connectTcp({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(classifyRedisError(new Error('Connection timed out'), endpoint));
    }, timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifyRedisError(error, endpoint));
    };
    socket.once('error', onError);
  });
}
