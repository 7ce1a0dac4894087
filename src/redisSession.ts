import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import * as vscode from 'vscode';
import { connectionBlocked, explicitlySet, readRedisEndpoint, settings, SettingsChange } from './settings';
import type { StackRedis } from './docker/stack/stackController';
import { ClusterNodeView, clusterFormed } from './docker/stack/clusterHealth';

/** What the session needs of a stack snapshot: its Redis once healthy, and while it starts. */
export interface StackRedisChange {
  readonly redis: StackRedis | undefined;
  readonly redisStarting: StackRedis | undefined;
  /** For the cluster variant: what each running node says of the cluster. */
  readonly cluster?: readonly ClusterNodeView[] | undefined;
}
import type { Logger } from './logger';
import { ConnectionTuning, connectRedis, DEFAULT_TUNING } from './redis/connection';
import { ClusterRoutingError, connectCluster } from './redis/cluster/connection';
import { clusterMasters, isClusterEnabled, Topology } from './redis/cluster/topology';
import { connectsBeforeStack, connectsWhilePasswordIsRead } from './redis/connectBeforeStack';
import { describeEndpoint, RedisEndpoint } from './redis/endpoint';
import { classifyRedisError, isProgrammingError, RedisConnectionError } from './redis/errors';
import { MissingRightError } from './redis/observe/clientList';
import { KeyspaceCancelledError, KeyspaceCommandError } from './redis/keyspace/errors';
import { readOnlyReplicaOf } from './redis/readOnlyReplica';
import { reachedServer } from './redis/sentinel/currentMaster';
import { RedisSecrets, StoredCredentials } from './secrets';

/** The open connection: one server, or a cluster client (which routes keyed commands by slot). */
type Connected =
  { readonly kind: 'single'; readonly client: Redis } | { readonly kind: 'cluster'; readonly cluster: Cluster };

/** The connection as the `use()` callers see it: a cluster client answers keyed commands like one server. */
function asClient(connected: Connected): Redis {
  // Cluster has Redis's command methods; node-local commands it refuses (ClusterRoutingError).
  return connected.kind === 'single' ? connected.client : (connected.cluster as unknown as Redis);
}

function statusOf(connected: Connected): string {
  return connected.kind === 'single' ? connected.client.status : connected.cluster.status;
}

/** How long a first connection waits for the stack's first snapshot (an engine that does not answer takes longer). */
const STACK_WAIT_MS = 4000;

/** Who a connection logs in as, and where. */
interface Login {
  readonly endpoint: RedisEndpoint;
  readonly password: string | undefined;
}

/** The first connection when it was made before the stack's first snapshot (see `connected`). */
interface EarlyConnection {
  readonly attempt: Promise<Connected>;
  readonly login: Promise<Login>;
  /** It did not open: it waits for the stack's first snapshot, then goes the usual way. */
  failed: boolean;
}

/** Closes what `opening` opens, once it has (one that fails leaves nothing open). */
function closeWhenOpened(opening: Promise<Connected | { client: Redis }> | undefined): void {
  opening?.then(
    (opened) => ('cluster' in opened ? opened.cluster : opened.client).disconnect(),
    () => undefined,
  );
}

/** Two logins are the same when they reach the same server as the same user with the same password. */
function sameLogin(a: Login, b: Login): boolean {
  const key = ({ endpoint: e, password }: Login): string =>
    JSON.stringify([
      e.host,
      e.port,
      e.db,
      e.tls,
      e.username ?? null,
      password ?? null,
      e.tlsSettings ?? null,
      e.cluster ?? null,
      e.sentinel ?? null,
    ]);
  return key(a) === key(b);
}

/** What the password prompt returns: the credentials typed, and whether to keep them. */
export interface EnteredCredentials extends StoredCredentials {
  /** Keep them in SecretStorage (else only until VS Code closes). */
  readonly remember: boolean;
}

/** How to ask for a refused password (the glue gives the session one: views/passwordPrompt.ts). */
export type PasswordPrompt = (
  where: string,
  reason: string,
  username: string | undefined,
) => Promise<EnteredCredentials | undefined>;

/**
 * The one connection the extension shares, opened on first use and dropped whenever
 * the settings or the stored password change, so the next use reconnects with them.
 */
export class RedisSession implements vscode.Disposable {
  private connection: Promise<Connected> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  /** The stack's Redis while its container runs (healthy or still starting). */
  private stackRedis: StackRedis | undefined;
  private stackReady = false;
  /** Who the open connection logged in as, and with what. Never logged. */
  private active: { endpoint: RedisEndpoint; password: string | undefined } | undefined;
  /** Credentials typed at the prompt and kept only for this session, by server. */
  private readonly entered = new Map<string, StoredCredentials>();
  /** Servers whose password was already asked for. */
  private readonly asked = new Set<string>();
  private storing = false;
  /**
   * Settles with the stack's first snapshot. Until then the stack's port and password are
   * unknown, and a connection to the default endpoint without them would fail (and ask for
   * a password) only because the extension has just started.
   */
  private stackKnown: Promise<void> = Promise.resolve();
  /** The same, readable without waiting: every command passes here. */
  private stackIsKnown = false;
  /** Whether a stack publishes snapshots to this session at all. */
  private readonly followsStack: boolean;
  /** The connection made before the stack's first snapshot, until that snapshot has judged it. */
  private early: EarlyConnection | undefined;
  /** The first connection opened while the stored password is read, until that read answers. */
  private unused: Promise<{ client: Redis; clusterMode: boolean }> | undefined;
  /** Counts resets: an attempt begun before the last one was dropped, and must not become `active`. */
  private generation = 0;
  /** Set by the glue: how to ask for a refused password. Without it, no prompt. */
  prompt: PasswordPrompt | undefined;

  constructor(
    private readonly secrets: RedisSecrets,
    private readonly log: Logger,
    settingsChanges: vscode.Event<SettingsChange>,
    stackChanges?: vscode.Event<StackRedisChange>,
    private readonly stackWaitMs = STACK_WAIT_MS,
    /** Timeouts and the client name of a single server's connections (a test names its own). */
    private readonly tuning: ConnectionTuning = DEFAULT_TUNING,
  ) {
    this.subscriptions.push(
      settingsChanges((change) => {
        if (change.affectsRedisConnection) {
          this.asked.clear();
          this.reset('settings changed');
        }
      }),
      // The prompt's own store must not drop the connection it has just opened.
      secrets.onDidChange(() => {
        if (!this.storing) {
          this.forgetEntered();
          this.reset('stored password changed');
        }
      }),
    );
    this.followsStack = stackChanges !== undefined;
    if (stackChanges) {
      let known: () => void = () => undefined;
      this.stackKnown = new Promise((resolve) => {
        known = resolve;
      });
      this.subscriptions.push(
        stackChanges(({ redis, redisStarting, cluster }) => {
          const first = !this.stackIsKnown;
          this.stackIsKnown = true;
          const early = first && this.early && this.connection === this.early.attempt ? this.early : undefined;
          this.early = undefined;
          known();
          // A Redis still starting is already the one to talk to, with the stack's own
          // password: a window opened meanwhile must not ask for it. Turning healthy resets
          // the connection again, so the views retry once Redis is ready.
          const now = redis ?? redisStarting;
          const before = this.stackRedis;
          const wasReady = this.stackReady;
          this.stackRedis = now;
          // A cluster's nodes are healthy before the init has formed it: a connection made
          // then fails (cluster_state is not ok), so the cluster is ready once it is formed.
          this.stackReady = redis !== undefined && (cluster === undefined || clusterFormed(cluster));
          if (
            before?.port !== now?.port ||
            before?.host !== now?.host ||
            before?.password !== now?.password ||
            before?.username !== now?.username ||
            JSON.stringify(before?.cluster) !== JSON.stringify(now?.cluster) ||
            wasReady !== this.stackReady
          ) {
            const why = redis
              ? `the stack's Redis is ready at ${redis.host}:${redis.port}`
              : now
                ? `the stack's Redis is starting at ${now.host}:${now.port}`
                : "the stack's Redis is not running";
            if (early) {
              void this.judgeEarly(early, why);
            } else {
              this.reset(why);
              this.changed.fire();
            }
          }
          // The endpoint is known now: its stored password is read while the views start.
          if (first && !this.connection) this.secrets.readEarly(this.endpoint);
        }),
      );
    }
  }

  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the endpoint or its password may have changed. */
  readonly onDidChangeEndpoint = this.changed.event;

  /**
   * The settings' endpoint; while the stack's Redis runs (healthy or starting) and the host and port
   * were not set to something else, the stack's published port.
   */
  get endpoint(): RedisEndpoint {
    const configured = readRedisEndpoint();
    const redis = this.stackRedis;
    // Sentinel settings name production's master: the stack does not replace it.
    if (!redis || configured.sentinel) return configured;
    const explicit = explicitlySet;
    if ((explicit('host') && configured.host !== redis.host) || (explicit('port') && configured.port !== redis.port)) {
      return configured;
    }
    return {
      ...configured,
      host: redis.host,
      port: redis.port,
      username: configured.username ?? redis.username,
      cluster: redis.cluster,
    };
  }

  /**
   * The endpoint (user name included) and password the shared connection uses, for work
   * that opens connections of its own (a keyspace walk, redis-cli). Connects first, so a
   * refused password is asked for once here too.
   */
  async target(): Promise<{ endpoint: RedisEndpoint; credentials: { password: string | undefined } }> {
    const client = await this.client();
    const active = this.active;
    if (active) return { endpoint: reachedServer(active.endpoint, client), credentials: { password: active.password } };
    const resolved = await this.credentials(this.endpoint);
    return { endpoint: resolved.endpoint, credentials: { password: resolved.password } };
  }

  /**
   * Who to log in as, and with which password: what was typed at the prompt this session,
   * then SecretStorage, then the stack's `.env` when we talk to the stack's Redis. A stored
   * user name applies unless the `username` setting names another user.
   */
  private async credentials(
    endpoint: RedisEndpoint,
  ): Promise<{ endpoint: RedisEndpoint; password: string | undefined }> {
    const explicitUser = readRedisEndpoint().username;
    const key = RedisSecrets.key(endpoint);
    for (const candidate of [this.entered.get(key), await this.secrets.credentials(endpoint)]) {
      if (candidate && (!explicitUser || candidate.username === explicitUser)) {
        return { endpoint: { ...endpoint, username: candidate.username }, password: candidate.password };
      }
    }
    const redis = this.stackRedis;
    if (
      redis &&
      !endpoint.sentinel &&
      redis.host === endpoint.host &&
      redis.port === endpoint.port &&
      (!explicitUser || explicitUser === redis.username)
    ) {
      return { endpoint: { ...endpoint, username: redis.username }, password: redis.password };
    }
    return { endpoint, password: undefined };
  }

  /**
   * The shared connection, opened if needed; a failure is a `RedisConnectionError`. A
   * connection the server closed meanwhile (a restart, `ACL LOAD`, `CLIENT KILL`) is
   * replaced rather than handed out half-dead.
   */
  async client(): Promise<Redis> {
    return asClient(await this.connected(this.endpoint));
  }

  /**
   * One server or a cluster: what code that sends node-local commands (SCAN, INFO, DBSIZE,
   * CLIENT LIST, ACL …) asks first, to send them to every master of a cluster. A failure
   * is a `RedisConnectionError`, or a `MissingRightError` when the user may not ask whether
   * the server is a cluster node.
   */
  async topology(): Promise<Topology> {
    const endpoint = this.endpoint;
    let connected: Connected;
    try {
      connected = await this.connected(endpoint);
    } catch (error) {
      if (error instanceof MissingRightError) throw error;
      throw classifyRedisError(error, endpoint);
    }
    const active = this.active?.endpoint ?? endpoint;
    if (connected.kind === 'single') return { kind: 'single', client: connected.client, endpoint: active };
    const cluster = connected.cluster;
    return { kind: 'cluster', cluster, endpoint: active, masters: () => clusterMasters(cluster, active) };
  }

  /**
   * Whether the server the session writes to is a read-only replica (readOnlyReplicaOf): `at` names
   * it, `master` the master it follows. Asked anew on every call (one INFO), never kept: a
   * promotion (REPLICAOF NO ONE) or a failover changes the answer under the same connection.
   * Undefined on a Redis Cluster (each key goes to its slot's master) and when INFO is refused.
   * No connection is a `RedisConnectionError`: the caller stops there, instead of a second
   * attempt that waits out the same timeout again.
   */
  async readOnlyReplica(): Promise<{ readonly at: string; readonly master: string } | undefined> {
    const topology = await this.topology().catch((error: unknown) => {
      if (error instanceof RedisConnectionError) throw error;
      return undefined;
    });
    if (topology?.kind !== 'single') return undefined;
    const replica = await readOnlyReplicaOf(topology.client).catch(() => undefined);
    return replica && { at: describeEndpoint(topology.endpoint), master: replica.master };
  }

  /** Runs `action` on a ready connection; a failure is a typed `RedisConnectionError`. */
  async use<T>(action: (client: Redis) => Promise<T>): Promise<T> {
    const endpoint = this.endpoint;
    const connected = await this.connected(endpoint);
    const attempt = this.connection;
    try {
      return await action(asClient(connected));
    } catch (error) {
      // A broken socket means the next use should start afresh rather than reuse it (unless
      // it was replaced meanwhile: the new one is not the one that broke).
      if (statusOf(connected) !== 'ready' && this.connection === attempt) this.reset('connection lost');
      // A refused command is no connection failure: its message names the right to grant. Nor
      // is a keyspace command the server refused, or a cancel: they are typed already.
      if (
        error instanceof MissingRightError ||
        error instanceof ClusterRoutingError ||
        error instanceof KeyspaceCommandError ||
        error instanceof KeyspaceCancelledError ||
        isProgrammingError(error)
      ) {
        throw error;
      }
      throw classifyRedisError(error, this.active?.endpoint ?? endpoint);
    }
  }

  private async connected(requested: RedisEndpoint): Promise<Connected> {
    // Before the first connection the stack's first snapshot is awaited, as it may change the
    // endpoint; when the settings name the server, the connection is made at once instead
    // and that snapshot judges it (judgeEarly).
    if (!this.connection && !this.stackIsKnown && this.mayConnectBeforeStack(requested)) {
      // As open() does: made from the settings alone, an invalid host here fell back to
      // 127.0.0.1 with the named port. Checked only when a connection is made, not on every use.
      refuseWhenBlocked();
      const login = this.credentials(requested);
      const early: EarlyConnection = {
        attempt: this.openBeforeStack(requested, login, () => early),
        login,
        failed: false,
      };
      this.early = early;
      this.track(early.attempt);
    }
    const existing = this.connection;
    if (existing) {
      const client = await existing;
      if (statusOf(client) === 'ready' || this.connection !== existing) return this.connection ?? client;
      this.reset(`the connection was ${statusOf(client)}`);
    }
    const endpoint = (await this.stackSettled()) ? this.endpoint : requested;
    let connection = this.connection;
    if (!connection) {
      connection = this.open(endpoint);
      this.track(connection);
    }
    return connection;
  }

  /** Makes `attempt` the shared connection, forgotten if it fails. */
  private track(attempt: Promise<Connected>): void {
    this.connection = attempt;
    attempt.catch(() => {
      if (this.connection === attempt) this.connection = undefined;
    });
  }

  private mayConnectBeforeStack(requested: RedisEndpoint): boolean {
    return (
      this.followsStack &&
      connectsBeforeStack({
        portNamed: explicitlySet('port'),
        sentinel: requested.sentinel !== undefined,
        variant: settings().stackVariant,
      })
    );
  }

  /**
   * The first connection, made before the stack's first snapshot: one server only (a cluster
   * client needs the stack's map of node addresses). Anything short of a ready connection is
   * logged only, waits for the snapshot and goes the usual way, so a refused password is
   * asked for only once the stack's own is known.
   */
  private async openBeforeStack(
    requested: RedisEndpoint,
    login: Promise<Login>,
    early: () => EarlyConnection,
  ): Promise<Connected> {
    const generation = this.generation;
    // The stored password is read through the workbench, which answered 50-160 ms after the
    // second stage loaded in code-server: the connection made when none is stored opens
    // meanwhile, is kept if none is, and is closed unused otherwise.
    const withoutPassword = connectsWhilePasswordIsRead(requested, {
      enteredInWindow: this.entered.has(RedisSecrets.key(requested)),
    })
      ? this.connectOne(requested, undefined)
      : undefined;
    // A reset while the password is read (settings changed, the window closing) closes it at once.
    this.unused = withoutPassword;
    if (withoutPassword) {
      withoutPassword.catch(() => undefined); // its failure is seen where it is used, or not at all
      this.log.info(`Connecting to ${describeEndpoint(requested)}`);
    }
    try {
      const { endpoint, password } = await login.catch((error: unknown) => {
        closeWhenOpened(withoutPassword);
        throw error;
      });
      if (this.unused === withoutPassword) this.unused = undefined;
      // Dropped while the password was read: reset() closed what was opened.
      if (generation !== this.generation) throw new Error('the connection was dropped while it opened');
      let opening: Promise<{ client: Redis; clusterMode: boolean }>;
      if (withoutPassword && sameLogin({ endpoint, password }, { endpoint: requested, password: undefined })) {
        opening = withoutPassword;
      } else {
        closeWhenOpened(withoutPassword);
        const where = describeEndpoint(endpoint);
        this.log.info(
          withoutPassword ? `Connecting to ${where} with the password now known` : `Connecting to ${where}`,
        );
        opening = this.connectOne(endpoint, password);
      }
      const { client, clusterMode } = await opening;
      if (clusterMode) {
        client.disconnect();
        throw new Error('it runs in cluster mode');
      }
      return this.opened({ kind: 'single', client }, endpoint, password, generation);
    } catch (error) {
      early().failed = true;
      // Dropped while it opened: its caller gets the failure, and nothing waits for the stack.
      if (generation !== this.generation) throw error;
      this.log.info(
        `Could not connect before the stack answered (${error instanceof Error ? error.message : String(error)}): waiting for it`,
      );
      const known = await this.stackSettled();
      // Dropped meanwhile (the settings changed, the extension ended): its caller gets the failure.
      if (generation !== this.generation) throw error;
      // Made without the stack's answer, as before this session connected early: when that
      // answer comes late, it resets the connection if it changes anything.
      if (!known && this.early === early()) this.early = undefined;
      return this.open(known ? this.endpoint : requested);
    }
  }

  /**
   * The stack's first snapshot came while the connection made before it is open (or opening):
   * it stays when the snapshot leaves the server, user and password as they were; otherwise
   * it is dropped and the views read again.
   */
  private async judgeEarly(early: EarlyConnection, why: string): Promise<void> {
    // One that failed waits for this snapshot, and connects with it.
    if (early.failed) return;
    const [used, now] = await Promise.all([
      early.login.catch(() => undefined),
      this.credentials(this.endpoint).catch(() => undefined),
    ]);
    // Replaced meanwhile (its replacement was made with the snapshot known), or it failed and
    // connects with the snapshot now.
    if (this.connection !== early.attempt || early.failed) return;
    if (used && now && sameLogin(used, now)) {
      this.log.info(
        `Kept the connection to ${describeEndpoint(used.endpoint)} made before the stack answered (${why})`,
      );
      return;
    }
    this.reset(why);
    this.changed.fire();
  }

  private async open(base: RedisEndpoint): Promise<Connected> {
    refuseWhenBlocked();
    const generation = this.generation;
    const { endpoint, password } = await this.credentials(base);
    const where = describeEndpoint(endpoint);
    this.log.info(`Connecting to ${where}`);
    try {
      return this.opened(await this.connect(endpoint, password), endpoint, password, generation);
    } catch (error) {
      this.log.error(`Could not connect: ${error instanceof Error ? error.message : String(error)}`);
      const retry = await this.askOnce(endpoint, error, password !== undefined && password !== '');
      if (!retry) throw error;
      this.log.info(`Connecting to ${describeEndpoint(retry.endpoint)} with the password just entered`);
      try {
        return this.opened(
          await this.connect(retry.endpoint, retry.password),
          retry.endpoint,
          retry.password,
          generation,
        );
      } catch (second) {
        this.log.error(`Could not connect: ${second instanceof Error ? second.message : String(second)}`);
        throw second;
      }
    }
  }

  /**
   * A cluster client when the stack says the endpoint is a cluster or the `stackVariant`
   * setting forces it; else one connection, replaced by a cluster client when the server
   * says it runs in cluster mode (`INFO cluster`).
   */
  private async connect(endpoint: RedisEndpoint, password: string | undefined): Promise<Connected> {
    if (endpoint.cluster !== undefined || settings().stackVariant === 'cluster') {
      return { kind: 'cluster', cluster: await connectCluster(endpoint, { password }) };
    }
    const { client, clusterMode } = await this.connectOne(endpoint, password);
    if (!clusterMode) return { kind: 'single', client };
    client.disconnect();
    this.log.info(`${describeEndpoint(endpoint)} runs in cluster mode: connecting to every node`);
    return { kind: 'cluster', cluster: await connectCluster(endpoint, { password }) };
  }

  /** One connection, and whether the server says it runs in cluster mode (`INFO cluster`). */
  private async connectOne(
    endpoint: RedisEndpoint,
    password: string | undefined,
  ): Promise<{ client: Redis; clusterMode: boolean }> {
    const client = await connectRedis(endpoint, { password }, this.tuning);
    try {
      return { client, clusterMode: await isClusterEnabled(client) };
    } catch (error) {
      client.disconnect();
      // A user who may not ask whether the server is a cluster node: its message names the right, not "unreachable".
      if (error instanceof MissingRightError) throw error;
      throw classifyRedisError(error, endpoint);
    }
  }

  private opened(
    connected: Connected,
    endpoint: RedisEndpoint,
    password: string | undefined,
    generation: number,
  ): Connected {
    const where = describeEndpoint(endpoint);
    const client = connected.kind === 'single' ? connected.client : connected.cluster;
    client.on('error', (error: Error) => this.log.warn(`${where}: ${classifyRedisError(error, endpoint).reason}`));
    client.on('end', () => this.log.info(`Connection to ${where} closed`));
    // A connection dropped while it opened is closed by reset(); it must not say who the current one is.
    if (generation === this.generation) this.active = { endpoint, password };
    this.log.info(`Connected to ${where}${connected.kind === 'cluster' ? ' (Redis Cluster)' : ''}`);
    return connected;
  }

  /**
   * On NOAUTH or WRONGPASS, asks for the password once per server until the settings or the
   * stored credentials change; cancelling leaves the one error message.
   */
  private async askOnce(
    endpoint: RedisEndpoint,
    error: unknown,
    sentPassword: boolean,
  ): Promise<{ endpoint: RedisEndpoint; password: string } | undefined> {
    if (!(error instanceof RedisConnectionError) || error.kind !== 'auth-failed' || !this.prompt) return undefined;
    const key = RedisSecrets.key(endpoint);
    if (this.asked.has(key)) return undefined;
    this.asked.add(key);
    const reason = sentPassword ? 'the password was refused' : 'a password is needed';
    const entered = await this.prompt(
      describeEndpoint({ ...endpoint, username: undefined }),
      reason,
      endpoint.username,
    );
    if (!entered) return undefined;
    const credentials = { username: entered.username, password: entered.password };
    this.entered.set(key, credentials);
    if (entered.remember) {
      this.storing = true;
      await this.secrets.store(endpoint, credentials).finally(() => {
        this.storing = false;
      });
      this.log.info(`Stored the password for ${describeEndpoint(endpoint)} in secret storage`);
    }
    return { endpoint: { ...endpoint, username: entered.username }, password: entered.password };
  }

  /** True once the stack's first snapshot arrived; false if it did not within STACK_WAIT_MS. */
  private async stackSettled(): Promise<boolean> {
    if (this.stackIsKnown) return true;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.stackKnown.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.stackWaitMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets what was typed at the prompt and lets it ask again (after Set Password, for one). */
  forgetEntered(): void {
    this.entered.clear();
    this.asked.clear();
  }

  reset(why: string): void {
    const previous = this.connection;
    this.connection = undefined;
    this.early = undefined;
    closeWhenOpened(this.unused);
    this.unused = undefined;
    this.generation++;
    this.active = undefined;
    if (previous) {
      this.log.debug(`Dropping the connection: ${why}`);
      closeWhenOpened(previous);
    }
  }

  dispose(): void {
    this.reset('extension deactivated');
    this.changed.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** Throws when an invalid host, port or db holds every connection: any server tried would be a guess (another server or database). */
function refuseWhenBlocked(): void {
  const blocked = connectionBlocked();
  if (blocked) throw new RedisConnectionError('settings-invalid', '', 'was not connected to', blocked);
}
