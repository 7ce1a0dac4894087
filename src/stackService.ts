import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { refusedSetting, settings, SettingsChange } from './settings';
import type { StackVariant } from './settingsModel';
import type { ComposeProject } from './docker/compose/model';
import { connectEngine, EngineConnection } from './docker/engine';
import { EventSubscription, followProjectEvents } from './docker/events';
import { COMPOSE_FILE_NAMES, COMPOSE_OVERRIDE_FILE_NAMES } from './docker/compose/files';
import { resolveStackLocation, StackLocation } from './docker/stack/location';
import { EnvFileFix, envFileFix } from './docker/stack/checkoutEnv';
import { managedAclFile, StackController, StackRedis, StackSettings, stackRedis } from './docker/stack/stackController';
import { aclFileHasUser, NamespacePolicy, readStackAccess } from './docker/stack/serviceAccess';
import { serviceUser } from './redis/acl/rules';
import { runOnceFailed, ServiceStatus } from './docker/stack/status';
import { ClusterNodeView, clusterFormed, clusterViews } from './docker/stack/clusterHealth';
import { isClusterNode, isClusterProject } from './docker/stack/clusterStack';
import type { Logger } from './logger';

export type EngineState = 'checking' | 'reachable' | 'unreachable';

/** The stack's Redis users as `.env` and users.acl say, read once per refresh (names only: no password). */
export interface StackUsers {
  readonly aclFile: string;
  readonly envFile: string;
  /** Service users with a password in `.env`; `loaded` when users.acl has the user too. */
  readonly services: ReadonlyArray<{
    readonly username: string;
    readonly namespace: string;
    readonly envKey: string;
    readonly loaded: boolean;
  }>;
  /** Declared top-level namespaces whose service has no user yet. */
  readonly missing: ReadonlyArray<{ readonly username: string; readonly namespace: string; readonly envKey: string }>;
}

/** The one stack operation in progress: what it is, since when, and whether its notification can cancel it. */
export interface StackOperation {
  readonly what: string;
  readonly startedAt: number;
  readonly cancellable: boolean;
}

/**
 * Another stack operation was asked for while one runs. Operations never overlap: the
 * one that runs keeps its progress, its cancel and the busy state; this one changes nothing.
 */
export class StackBusyError extends Error {
  override readonly name = 'StackBusyError';

  constructor(
    readonly running: StackOperation,
    now = Date.now(),
  ) {
    const seconds = Math.max(0, Math.round((now - running.startedAt) / 1000));
    super(
      `Shared Redis is already ${running.what.toLowerCase()} (started ${seconds} s ago); ` +
        (running.cancellable ? 'wait for it or cancel it from its notification.' : 'wait for it to finish.'),
    );
  }
}

/** What the Stack view, the status bar and the Redis connection know of the stack. */
export interface StackSnapshot {
  readonly engine: EngineState;
  readonly engineError: string | undefined;
  readonly engineDescription: string | undefined;
  readonly location: StackLocation;
  readonly project: ComposeProject | undefined;
  /** Why the compose file could not be read, if it could not. */
  readonly projectError: string | undefined;
  /** When the compose file could not be read for want of passwords the extension writes into `.env`: the file, or passwords in it (checkoutEnv.ts). */
  readonly envFix?: EnvFileFix | undefined;
  readonly services: readonly ServiceStatus[];
  /** The stack's Redis once it is healthy (or has no healthcheck). */
  readonly redis: StackRedis | undefined;
  /** The stack's Redis while its healthcheck still says starting. */
  readonly redisStarting: StackRedis | undefined;
  readonly busy: string | undefined;
  /** The users of a running stack whose compose file mounts users.acl. */
  readonly users: StackUsers | undefined;
  /** For the cluster variant: what each running node says of the cluster (role, slots, state). */
  readonly cluster?: readonly ClusterNodeView[] | undefined;
}

/**
 * The stack as the rest of the extension sees it. Follows the engine's events for the
 * project (no polling), refreshes at most every 250 ms, and publishes snapshots.
 */
export class StackService implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<StackSnapshot>();
  readonly onDidChange = this.changed.event;
  private engine: EngineConnection | undefined;
  private controllerFor: StackController | undefined;
  private events: EventSubscription | undefined;
  private eventsProject: string | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<StackSnapshot> | undefined;
  private operation: StackOperation | undefined;
  private loggedWarnings = '';
  private readonly subscriptions: vscode.Disposable[] = [];
  private current: StackSnapshot;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    settingsChanges: vscode.Event<SettingsChange>,
  ) {
    this.current = {
      engine: 'checking',
      engineError: undefined,
      engineDescription: undefined,
      location: this.location(),
      project: undefined,
      projectError: undefined,
      services: [],
      redis: undefined,
      redisStarting: undefined,
      busy: undefined,
      users: undefined,
    };
    this.subscriptions.push(
      this.changed,
      settingsChanges((change) => {
        if (change.affects('dockerHost')) {
          this.dropEngine();
          this.scheduleRefresh(0);
        }
        // The namespaces and the delimiter decide the service users.
        if (change.affects('composeFile', 'projectName', 'namespaces', 'delimiter', 'stackVariant')) {
          this.scheduleRefresh(0);
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh(0)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(
      `**/{${[...COMPOSE_FILE_NAMES, ...COMPOSE_OVERRIDE_FILE_NAMES].join(',')},.env,users.acl}`,
    );
    this.subscriptions.push(
      watcher,
      watcher.onDidChange(() => this.scheduleRefresh()),
      watcher.onDidCreate(() => this.scheduleRefresh()),
      watcher.onDidDelete(() => this.scheduleRefresh()),
    );
  }

  get snapshot(): StackSnapshot {
    return this.current;
  }

  location(): StackLocation {
    const { composeFile, stackVariant } = settings();
    return resolveStackLocation({
      setting: composeFile,
      variant: stackVariant,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? [])
        .filter((f) => f.uri.scheme === 'file')
        .map((f) => f.uri.fsPath),
      globalStorageDir: this.context.globalStorageUri.fsPath,
    });
  }

  settings(): StackSettings {
    return {
      location: this.location(),
      bundledStackDir: bundledStackDir(this.context.extensionUri, settings().stackVariant),
      policy: namespacePolicy(),
      projectName: settings().projectName || undefined,
    };
  }

  /** The engine and a controller over it, connecting (and probing endpoints) on first use. */
  async controller(): Promise<StackController> {
    if (!this.engine || !this.controllerFor) {
      this.engine = await connectEngine(settings().dockerHost || undefined);
      this.controllerFor = new StackController(this.engine.docker);
      this.log.info(
        `Docker Engine ${this.engine.version} at ${this.engine.endpoint.url} (${this.engine.endpoint.source})`,
      );
    }
    return this.controllerFor;
  }

  async docker(): Promise<Docker> {
    await this.controller();
    if (!this.engine) throw new Error('The Docker engine connection was lost; try again.');
    return this.engine.docker;
  }

  /** The operation in progress, if any. */
  get inProgress(): StackOperation | undefined {
    return this.operation;
  }

  /** Throws {@link StackBusyError} while an operation runs: for commands that ask before they run. */
  assertIdle(): void {
    if (this.operation) throw new StackBusyError(this.operation);
  }

  /**
   * Runs `work` as the one stack operation in progress (shown in the view and status bar
   * until it ends). While another runs it throws {@link StackBusyError} and `work` never
   * starts; the check and the claim happen in one synchronous step, so two clicks cannot
   * both pass it.
   */
  async run<T>(what: string, work: () => Promise<T>, options: { cancellable?: boolean } = {}): Promise<T> {
    this.assertIdle();
    this.operation = { what, startedAt: Date.now(), cancellable: options.cancellable ?? false };
    this.publish(this.current);
    try {
      return await work();
    } finally {
      this.operation = undefined;
      // A refresh that began during the operation reads the engine as it was then: read again after it.
      await this.refreshing?.catch(() => undefined);
      await this.refresh();
    }
  }

  scheduleRefresh(delayMs = 250): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, delayMs);
  }

  /** Reads the compose file and the engine's view of the project; one refresh at a time. */
  refresh(): Promise<StackSnapshot> {
    this.refreshing ??= this.read()
      .then((snapshot) => {
        this.publish(snapshot);
        return snapshot;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  private async read(): Promise<StackSnapshot> {
    const location = this.location();
    let controller: StackController;
    try {
      controller = await this.controller();
    } catch (error) {
      this.dropEngine();
      const message = error instanceof Error ? error.message : String(error);
      if (this.current.engine !== 'unreachable') this.log.warn(message);
      return {
        ...this.current,
        engine: 'unreachable',
        engineError: message,
        envFix: undefined,
        engineDescription: undefined,
        location,
        services: [],
        redis: undefined,
        redisStarting: undefined,
        busy: undefined,
        users: undefined,
      };
    }
    const engineDescription = this.engine
      ? `Docker Engine ${this.engine.version} · ${this.engine.endpoint.url}`
      : undefined;
    let project: ComposeProject | undefined;
    let projectError: string | undefined;
    let envFix: EnvFileFix | undefined;
    try {
      project = await controller.load(this.settings());
      this.logWarnings(project.warnings);
    } catch (error) {
      projectError = error instanceof Error ? error.message : String(error);
      envFix = envFileFix(error, location, process.env);
    }
    let services: ServiceStatus[];
    let credentials: ComposeProject | undefined;
    try {
      services = project ? await controller.status(project.name) : [];
      if (project) this.followEvents(project.name);
      // Another stack's files may own the running containers: log in with that stack's password.
      credentials = project && services.length > 0 ? await controller.credentialsOf(project) : project;
    } catch (error) {
      // The engine went away between the probe and the listing.
      this.dropEngine();
      const message = error instanceof Error ? error.message : String(error);
      return {
        ...this.current,
        engine: 'unreachable',
        engineError: message,
        engineDescription: undefined,
        location,
        project,
        projectError,
        envFix,
        services: [],
        redis: undefined,
        redisStarting: undefined,
        busy: undefined,
        users: undefined,
      };
    }
    // The stack's own files (users.acl, .env) are read here: a problem with them is the
    // stack's, said on its row, never an unreachable engine.
    try {
      const redis = credentials
        ? stackRedis(
            credentials,
            services.filter((s) => s.health !== 'starting' && s.health !== 'unhealthy'),
            process.env,
          )
        : undefined;
      const redisStarting = credentials
        ? stackRedis(
            credentials,
            services.filter((s) => s.health === 'starting'),
            process.env,
          )
        : undefined;
      const users = project && services.length > 0 ? stackUsers(project) : undefined;
      const cluster = project && this.engine ? await clusterOf(this.engine.docker, project, services) : undefined;
      return {
        cluster,
        engine: 'reachable',
        engineError: undefined,
        engineDescription,
        location,
        project,
        projectError,
        envFix,
        services,
        redis,
        redisStarting,
        busy: undefined,
        users,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        engine: 'reachable',
        engineError: undefined,
        engineDescription,
        location,
        project,
        projectError: projectError ?? message,
        envFix,
        services,
        redis: undefined,
        redisStarting: undefined,
        busy: undefined,
        users: undefined,
      };
    }
  }

  /** Compose's warnings about the files, once each time they change (a refresh runs often). */
  private logWarnings(warnings: readonly string[]): void {
    const text = warnings.join('\n');
    if (text === this.loggedWarnings) return;
    this.loggedWarnings = text;
    for (const warning of warnings) this.log.warn(warning);
  }

  private followEvents(project: string): void {
    if (this.eventsProject === project && this.events) return;
    this.events?.dispose();
    if (!this.engine) return;
    this.eventsProject = project;
    this.events = followProjectEvents(
      this.engine.docker,
      project,
      (event) => {
        // exec_*: a command run in a container (the cluster's state asked at each refresh, a
        // CLI terminal) changes nothing the view shows, and following it would refresh forever.
        if (
          (event.type === 'container' && !event.action.startsWith('exec_')) ||
          event.type === 'network' ||
          event.type === 'volume'
        ) {
          this.log.trace(
            `engine event: ${event.type} ${event.action} ${event.attributes['name'] ?? event.id.slice(0, 12)}`,
          );
          this.scheduleRefresh();
        }
      },
      (connected, error) => {
        if (!connected) {
          this.log.debug(`Engine event stream dropped${error ? `: ${error.message}` : ''}; subscribing again`);
          this.scheduleRefresh();
        }
      },
    );
  }

  private dropEngine(): void {
    this.events?.dispose();
    this.events = undefined;
    this.eventsProject = undefined;
    this.engine = undefined;
    this.controllerFor = undefined;
  }

  private publish(read: StackSnapshot): void {
    // The busy state is the operation's at the moment of publishing, not at the moment of reading.
    const snapshot = { ...read, busy: this.operation?.what };
    this.current = snapshot;
    void vscode.commands.executeCommand('setContext', 'sharedRedis.engineState', snapshot.engine);
    void vscode.commands.executeCommand('setContext', 'sharedRedis.stackState', stackState(snapshot));
    this.changed.fire(snapshot);
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.dropEngine();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** `absent` (nothing on the engine), `invalid`, `stopped`, `starting`, `running`, `unhealthy`. */
export function stackState(snapshot: StackSnapshot): string {
  if (snapshot.engine !== 'reachable') return snapshot.engine;
  if (snapshot.busy) return 'busy';
  if (snapshot.projectError) return 'invalid';
  if (snapshot.services.length === 0) return 'absent';
  if (
    snapshot.services.some(
      (s) =>
        s.health === 'unhealthy' ||
        s.state === 'restarting' ||
        s.state === 'dead' ||
        runOnceFailed(s, clusterFormed(snapshot.cluster ?? [])),
    )
  ) {
    return 'unhealthy';
  }
  if (snapshot.services.some((s) => s.health === 'starting')) return 'starting';
  if (snapshot.services.every((s) => s.state !== 'running')) return 'stopped';
  return 'running';
}

/** The declared namespaces' names and the delimiter: each top-level one gets a service user in the stack's ACL file. */
export function namespacePolicy(): NamespacePolicy {
  const { namespaces, delimiter } = settings();
  // An invalid delimiter is passed on as typed, not replaced by the default: users.acl's
  // writers refuse it (requireDelimiter) instead of rewriting the file with another one.
  const typed = refusedSetting('delimiter');
  return {
    declared: namespaces.map((ns) => ns.name),
    delimiter: typed === undefined ? delimiter : typeof typed === 'string' ? typed : '',
  };
}

/** The users of a stack whose compose file mounts users.acl, from its `.env` and users.acl (names only). */
function stackUsers(project: ComposeProject): StackUsers | undefined {
  const aclFile = managedAclFile(project);
  if (!aclFile) return undefined;
  const envFile = project.envFile.path;
  const access = readStackAccess({ envFile, aclFile }, namespacePolicy());
  return {
    aclFile,
    envFile,
    services: access.services.map(({ user }) => ({
      username: user.username,
      namespace: user.namespace,
      envKey: user.envKey,
      loaded: aclFileHasUser(aclFile, user.username),
    })),
    missing: access.missing.map((namespace) => {
      const user = serviceUser(namespace);
      return { username: user.username, namespace, envKey: user.envKey };
    }),
  };
}

/** The extension's own folder of the bundled stack of that variant: `stack/`, or `stack/cluster/`. */
export function bundledStackDir(extensionUri: vscode.Uri, variant: StackVariant): string {
  return (
    variant === 'cluster'
      ? vscode.Uri.joinPath(extensionUri, 'stack', 'cluster')
      : vscode.Uri.joinPath(extensionUri, 'stack')
  ).fsPath;
}

/** Each running node's view of the cluster, for the cluster variant; undefined for any other stack. */
async function clusterOf(
  docker: Docker,
  project: ComposeProject,
  services: readonly ServiceStatus[],
): Promise<ClusterNodeView[] | undefined> {
  if (!isClusterProject(project)) return undefined;
  const nodes = project.services.filter(isClusterNode).flatMap((node) => {
    const status = services.find((s) => s.service === node.name && s.state === 'running');
    return status ? [{ service: node.name, containerId: status.containerId }] : [];
  });
  return nodes.length > 0 ? clusterViews(docker, nodes) : [];
}
