import type Docker from 'dockerode';
import * as vscode from 'vscode';
import { readDockerHost, SECTION } from './config';
import type { ComposeProject } from './docker/compose/model';
import { connectEngine, EngineConnection } from './docker/engine';
import { EventSubscription, followProjectEvents } from './docker/events';
import { resolveStackLocation, StackLocation } from './docker/stack/location';
import { StackController, StackRedis, StackSettings, stackRedis } from './docker/stack/stackController';
import type { NamespacePolicy } from './docker/stack/serviceAccess';
import type { ServiceStatus } from './docker/stack/status';
import type { Logger } from './logger';
import { readDeclaredNamespaces } from './views/declaredNamespaces';

export type EngineState = 'checking' | 'reachable' | 'unreachable';

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

  constructor(readonly running: StackOperation, now = Date.now()) {
    const seconds = Math.max(0, Math.round((now - running.startedAt) / 1000));
    super(`Shared Redis is already ${running.what.toLowerCase()} (started ${seconds} s ago); `
      + (running.cancellable ? 'wait for it or cancel it from its notification.' : 'wait for it to finish.'));
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
  readonly services: readonly ServiceStatus[];
  /** The stack's Redis once it is healthy (or has no healthcheck). */
  readonly redis: StackRedis | undefined;
  /** The stack's Redis while its healthcheck still says starting. */
  readonly redisStarting: StackRedis | undefined;
  readonly busy: string | undefined;
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
  private readonly subscriptions: vscode.Disposable[] = [];
  private current: StackSnapshot;

  constructor(private readonly context: vscode.ExtensionContext, private readonly log: Logger) {
    this.current = {
      engine: 'checking', engineError: undefined, engineDescription: undefined, location: this.location(),
      project: undefined, projectError: undefined, services: [], redis: undefined, redisStarting: undefined, busy: undefined,
    };
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.dockerHost`)) { this.dropEngine(); this.scheduleRefresh(0); }
        if (e.affectsConfiguration(`${SECTION}.composeFile`) || e.affectsConfiguration(`${SECTION}.projectName`)) this.scheduleRefresh(0);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh(0)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/{docker-compose.yml,.env}');
    this.subscriptions.push(watcher, watcher.onDidChange(() => this.scheduleRefresh()), watcher.onDidCreate(() => this.scheduleRefresh()), watcher.onDidDelete(() => this.scheduleRefresh()));
  }

  get snapshot(): StackSnapshot {
    return this.current;
  }

  location(): StackLocation {
    const config = vscode.workspace.getConfiguration(SECTION);
    return resolveStackLocation({
      setting: config.get<string>('composeFile', ''),
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      globalStorageDir: this.context.globalStorageUri.fsPath,
    });
  }

  settings(): StackSettings {
    return {
      location: this.location(),
      bundledStackDir: vscode.Uri.joinPath(this.context.extensionUri, 'stack').fsPath,
      policy: namespacePolicy(),
      projectName: vscode.workspace.getConfiguration(SECTION).get<string>('projectName', '').trim() || undefined,
    };
  }

  /** The engine and a controller over it, connecting (and probing endpoints) on first use. */
  async controller(): Promise<StackController> {
    if (!this.engine || !this.controllerFor) {
      this.engine = await connectEngine(readDockerHost());
      this.controllerFor = new StackController(this.engine.docker);
      this.log.info(`Docker Engine ${this.engine.version} at ${this.engine.endpoint.url} (${this.engine.endpoint.source})`);
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
    this.refreshTimer = setTimeout(() => { this.refreshTimer = undefined; void this.refresh(); }, delayMs);
  }

  /** Reads the compose file and the engine's view of the project; one refresh at a time. */
  refresh(): Promise<StackSnapshot> {
    this.refreshing ??= this.read().then((snapshot) => { this.publish(snapshot); return snapshot; })
      .finally(() => { this.refreshing = undefined; });
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
      return { ...this.current, engine: 'unreachable', engineError: message, engineDescription: undefined, location, services: [], redis: undefined, redisStarting: undefined, busy: undefined };
    }
    const engineDescription = this.engine ? `Docker Engine ${this.engine.version} · ${this.engine.endpoint.url}` : undefined;
    let project: ComposeProject | undefined;
    let projectError: string | undefined;
    try {
      project = await controller.load(this.settings());
    } catch (error) {
      projectError = error instanceof Error ? error.message : String(error);
    }
    try {
      const services = project ? await controller.status(project.name) : [];
      if (project) this.followEvents(project.name);
      // Another stack's files may own the running containers: log in with that stack's password.
      const credentials = project && services.length > 0 ? await controller.credentialsOf(project) : project;
      const redis = credentials ? stackRedis(credentials, services.filter((s) => s.health !== 'starting' && s.health !== 'unhealthy'), process.env) : undefined;
      const redisStarting = credentials ? stackRedis(credentials, services.filter((s) => s.health === 'starting'), process.env) : undefined;
      return { engine: 'reachable', engineError: undefined, engineDescription, location, project, projectError, services, redis, redisStarting, busy: undefined };
    } catch (error) {
      // The engine went away between the probe and the listing.
      this.dropEngine();
      const message = error instanceof Error ? error.message : String(error);
      return { ...this.current, engine: 'unreachable', engineError: message, engineDescription: undefined, location, project, projectError, services: [], redis: undefined, redisStarting: undefined, busy: undefined };
    }
  }

  private followEvents(project: string): void {
    if (this.eventsProject === project && this.events) return;
    this.events?.dispose();
    if (!this.engine) return;
    this.eventsProject = project;
    this.events = followProjectEvents(this.engine.docker, project, (event) => {
      if (event.type === 'container' || event.type === 'network' || event.type === 'volume') {
        this.log.trace(`engine event: ${event.type} ${event.action} ${event.attributes['name'] ?? event.id.slice(0, 12)}`);
        this.scheduleRefresh();
      }
    }, (connected, error) => {
      if (!connected) { this.log.debug(`Engine event stream dropped${error ? `: ${error.message}` : ''}; subscribing again`); this.scheduleRefresh(); }
    });
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
  if (snapshot.services.some((s) => s.health === 'unhealthy' || s.state === 'restarting' || s.state === 'dead')) return 'unhealthy';
  if (snapshot.services.some((s) => s.health === 'starting')) return 'starting';
  if (snapshot.services.every((s) => s.state !== 'running')) return 'stopped';
  return 'running';
}

/**
 * The declared namespaces' names and the delimiter, read quietly (the Keys view reports
 * malformed entries): each top-level one gets a service user in the stack's ACL file.
 */
export function namespacePolicy(config = vscode.workspace.getConfiguration(SECTION)): NamespacePolicy {
  return { declared: readDeclaredNamespaces(undefined).map((ns) => ns.name), delimiter: config.get<string>('delimiter', ':') };
}
