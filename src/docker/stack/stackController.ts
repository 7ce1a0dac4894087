import type Docker from 'dockerode';
import { dirname, join } from 'node:path';
import { loadComposeProject } from '../compose/load';
import type { ComposeProject } from '../compose/model';
import { reloadAcl } from '../../redis/acl/reload';
import { AclLineDifference, OPERATOR_USER } from '../../redis/acl/rules';
import { loadStackProject, StackLocation, prepareBundledStack } from './location';
import { aclFileDifferences, aclFileHasUser, legacyAclFile, NamespacePolicy, operatorPasswordConflict, stackAclFile, StackAccessFiles, syncAclFile } from './serviceAccess';
import { engineMessage, isNotFound } from '../engineErrors';
import { refuseLinkedFile } from './atomicFile';
import { StackError } from './errors';
import { withStackFilesLock, withStackStartLock } from './filesLock';
import { waitUntilReady } from './health';
import { removableVolumes, removePlanned, removeStack, removalPlan, RemovalPlan, RemovalResult, restartStack, stopStack } from './lifecycle';
import { ForeignContainer, foreignContainers, ForeignStackError } from './ownership';
import { planStack } from './planStack';
import { projectStatus, ServiceStatus } from './status';
import { upStack, UpOptions, UpResult } from './up';
import type { ClusterAddresses } from '../../redis/cluster/addresses';
import { clusterAddresses, isClusterNode, isClusterProject, loopbackHost, replicationConfFile, stackClusterNodes, syncReplicationConf } from './clusterStack';
import { ClusterNodeContainer, ClusterNodeView, clusterViews, waitForCluster } from './clusterHealth';

export interface StackSettings {
  readonly location: StackLocation;
  /** The extension's own `stack/` folder, the source of the bundled stack. */
  readonly bundledStackDir: string;
  readonly projectName?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Declared namespaces: each gets a service user in the stack's ACL file. */
  readonly policy: NamespacePolicy;
}

/** What a start did to the stack's `users.acl`, and whether a running Redis reloaded it. */
/**
 * What a start did: `acl` to users.acl (`aclFile`, when the stack mounts ours) and its reload,
 * `aclDiffers` the service users whose line there differs from ours and was left as it is (a
 * hand edit, another window's delimiter).
 */
export type StartResult = UpResult & { readonly acl: AclSync; readonly aclDiffers: readonly AclLineDifference[]; readonly aclFile: string | undefined };

/** `reloadFailed`: Redis's reason, and `file` the users.acl it refused (it keeps its users until then, but would not start on that file). */
export type AclSync = 'unchanged' | 'created' | 'updated' | 'reloaded' | 'not-managed' | { readonly reloadFailed: string; readonly file: string };

/** The Redis a running stack offers: loopback, its published port, the operator's user and password from `.env`. */
export interface StackRedis {
  readonly host: string;
  readonly port: number;
  /** `operator` when the stack's ACL file has that user; undefined for an older file (default user). */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** Set for the `cluster` stack variant: `host`/`port` are then the first seed. */
  readonly cluster?: ClusterAddresses | undefined;
}

export interface StartOptions extends UpOptions {
  /**
   * The containers of another stack's files that the user agreed to replace (exactly
   * these: one that appeared since is refused again). Their volumes are kept.
   */
  readonly replaceForeign?: readonly ForeignContainer[];
}

/**
 * The stack's operations over one engine. Starts are single-flight: a second start
 * while one runs waits for it instead of racing it.
 */
export class StackController {
  private starting: Promise<StartResult> | undefined;

  constructor(private readonly docker: Docker) {}

  /** Reads and checks the compose file; nothing on the engine changes. */
  async load(settings: StackSettings): Promise<ComposeProject> {
    if (settings.location.source === 'bundled') prepareBundledStack(settings.bundledStackDir, settings.location, settings.policy);
    return loadStackProject(settings.location, {
      ...(settings.env ? { env: settings.env } : {}),
      ...(settings.projectName ? { projectName: settings.projectName } : {}),
    });
  }

  /**
   * `up` for the stack's files. If the project's containers were created from another
   * stack's files (another folder, the bundled stack, another window's `-f`), it changes
   * nothing and throws {@link ForeignStackError}, unless they are the ones named in
   * `replaceForeign`: those are stopped and removed (volumes kept) before the up.
   */
  start(settings: StackSettings, options: StartOptions = {}): Promise<StartResult> {
    this.starting ??= this.up(settings, options).finally(() => { this.starting = undefined; });
    return this.starting;
  }

  get isStarting(): boolean {
    return this.starting !== undefined;
  }

  private async up(settings: StackSettings, options: StartOptions): Promise<StartResult> {
    const conflict = operatorPasswordConflict(settings.location.envFile, settings.env ?? process.env);
    let project: ComposeProject;
    try {
      project = await this.load(settings);
    } catch (error) {
      // An empty REDIS_PASSWORD in the environment also fails the compose file's interpolation:
      // the conflict is the cause worth naming.
      if (conflict) throw new Error(conflict);
      throw error;
    }
    // One Start of this project on this engine at a time across windows; the second then finds it up.
    return withStackStartLock(engineKey(this.docker), project.name, () => this.upLoaded(project, settings, options, conflict), {
      signal: options.signal,
      onWait: () => options.onProgress?.({ message: `Waiting for another window's Start of ${project.name} to finish` }),
      busy: () => new StackError('engine', `Another VS Code window has been starting ${project.name} for 15 minutes; nothing was changed. Try again once it is done.`),
      cancelled: () => new StackError('cancelled', 'Starting the stack was cancelled.'),
    });
  }

  private async upLoaded(project: ComposeProject, settings: StackSettings, options: StartOptions, conflict: string | undefined): Promise<StartResult> {
    const files = stackAccessFiles(project);
    // Only a stack whose users.acl we write from .env: elsewhere Compose's own order (the
    // environment over .env) is what the container gets, and redisPassword follows it.
    if (files && conflict) throw new Error(conflict);
    const foreign = await this.foreign(project);
    const agreed = new Set((options.replaceForeign ?? []).map((c) => c.id));
    const unconfirmed = foreign.filter((c) => !agreed.has(c.id));
    if (unconfirmed.length > 0) throw new ForeignStackError(project.name, ownStack(project).composeFile, unconfirmed, project.volumes.map((v) => v.name));
    // Everything that can refuse runs before the engine changes (the delimiter, users.acl).
    // Under the stack folder's lock: another window may be adding service users meanwhile.
    let aclDiffers: readonly AclLineDifference[] = [];
    const synced = files
      ? await withStackFilesLock(dirname(files.envFile), () => {
          // A linked replication.conf is refused before users.acl is written: nothing changes.
          if (isClusterProject(project)) refuseLinkedFile(replicationConfFile(project.workingDir));
          const acl = syncAclFile(files, settings.policy);
          aclDiffers = aclFileDifferences(files, settings.policy);
          // The cluster's replicas log in to their master with the password in replication.conf.
          if (isClusterProject(project)) syncReplicationConf(files.envFile, replicationConfFile(project.workingDir));
          return acl;
        })
      : 'not-managed';
    const plan = planStack(project);
    const planned = new Set(plan.services.map((s) => s.service));
    // A replaced container of one of our services goes through up's own recreate: set aside,
    // its anonymous volumes carried over, and put back if the new one fails.
    const result = await upStack(this.docker, plan, {
      ...options,
      recreate: new Set(foreign.filter((c) => planned.has(c.service)).map((c) => c.id)),
      runOnceDone: isClusterProject(project) ? () => this.clusterAlreadyFormed(project, options) : undefined,
    });
    // Another stack's services that ours does not have go only once ours is up; volumes stay.
    for (const container of foreign.filter((c) => !planned.has(c.service))) {
      options.onProgress?.({ service: container.service, message: `Removing ${container.name} (started from ${container.origin.composeFile ?? container.origin.workingDir ?? 'other files'}); its volumes stay` });
      const old = this.docker.getContainer(container.id);
      await old.stop({ t: 10 }).catch(() => undefined); // a clean shutdown lets Redis write its data first
      await old.remove({ force: true, v: false }).catch((error: unknown) => {
        if (!isNotFound(error)) throw new StackError('engine', `Could not remove ${container.name} to replace it: ${engineMessage(error)}`, container.service);
      });
    }
    if (isClusterProject(project)) await this.waitForCluster(project, options);
    // A container that was not (re)created still runs with the old users: reload them.
    const kept = [...result.actions.values()].some((a) => a === 'unchanged' || a === 'started');
    const done = (acl: AclSync): StartResult => ({ ...result, acl, aclDiffers, aclFile: files?.aclFile });
    if (!files || synced !== 'updated' || !kept) return done(synced === 'no-password' ? 'not-managed' : synced);
    const env = settings.env ?? process.env;
    const redis = stackRedis(project, await this.status(project.name), env);
    const password = redisPassword(project, env);
    if (!redis || !password) return done('updated');
    try {
      await reloadStackAcl(redis, password);
      return done('reloaded');
    } catch (error) {
      return done({ reloadFailed: error instanceof Error ? error.message : String(error), file: files.aclFile });
    }
  }

  /** The project's containers that another stack's files created (see ownership.ts). */
  foreign(project: ComposeProject): Promise<ForeignContainer[]> {
    return foreignContainers(this.docker, project.name, ownStack(project));
  }

  /**
   * "Use that stack as it is": its containers keep their configuration; stopped ones are
   * started (as `docker start` would) and each is waited for until healthy or running.
   */
  async useForeign(containers: readonly ForeignContainer[], options: UpOptions = {}): Promise<string[]> {
    const started: string[] = [];
    for (const container of containers.filter((c) => !c.running)) {
      options.onProgress?.({ service: container.service, message: `Starting ${container.name} as it is` });
      await this.docker.getContainer(container.id).start().catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 304) throw new StackError('engine', `Could not start ${container.name}: ${engineMessage(error)}`, container.service);
      });
      started.push(container.service);
    }
    for (const container of containers) {
      // One this call started has a fresh restart count; a running one is judged from its count now.
      const restartsBefore = container.running ? undefined : 0;
      await waitUntilReady(this.docker, container.id, container.service, true, { signal: options.signal, timeoutMs: options.healthTimeoutMs, restartsBefore });
    }
    return started;
  }

  /**
   * The project whose `.env` and `users.acl` the running Redis was started with: ours, or,
   * when another stack's files own the containers, that stack's (if its files can be read
   * here), so the extension logs in with the password that Redis really has.
   */
  async credentialsOf(project: ComposeProject, env?: NodeJS.ProcessEnv): Promise<ComposeProject> {
    const owner = (await this.foreign(project)).find((c) => c.origin.composeFile)?.origin.composeFile;
    if (!owner) return project;
    return loadComposeProject(owner, { projectName: project.name, ...(env ? { env } : {}) }).catch(() => project);
  }

  async stop(project: ComposeProject): Promise<string[]> {
    return stopStack(this.docker, project.name, project.services.map((s) => s.name));
  }

  async restart(project: ComposeProject, options: UpOptions = {}): Promise<string[]> {
    const restarted = await restartStack(this.docker, project.name, project.services.map((s) => s.name));
    if (isClusterProject(project)) await this.waitForCluster(project, options);
    return restarted;
  }

  /**
   * The cluster's init exited non-zero: `docker-compose up -d` runs it again on a cluster it
   * formed before, and it fails with "Node is not empty". Its job is done when every node
   * already knows all the others (only a formed cluster does) and the cluster then reaches
   * `cluster_state:ok`; a node that knows only itself means the cluster was never formed,
   * and the init runs again (and fails with its own log lines if it still cannot form it).
   */
  private async clusterAlreadyFormed(project: ComposeProject, options: UpOptions): Promise<boolean> {
    const nodes = await this.clusterNodes(project);
    const size = project.services.filter(isClusterNode).length;
    const views = await clusterViews(this.docker, nodes);
    if (nodes.length !== size || !views.every((v) => v.state !== undefined && v.nodes.length === size)) return false;
    await this.waitForCluster(project, options);
    return true;
  }

  /** The cluster's node containers (created ones, running or not), in service order. */
  private async clusterNodes(project: ComposeProject): Promise<ClusterNodeContainer[]> {
    const statuses = await this.status(project.name);
    return project.services.filter(isClusterNode).flatMap((service) => {
      const status = statuses.find((s) => s.service === service.name);
      return status ? [{ service: service.name, containerId: status.containerId }] : [];
    });
  }

  /**
   * For the cluster variant: waits until every node says `cluster_state:ok` and sees the
   * others (asked inside each container, see clusterHealth.ts); the engine's healthy says
   * only that each node answers.
   */
  async waitForCluster(project: ComposeProject, options: UpOptions = {}): Promise<ClusterNodeView[]> {
    const nodes = await this.clusterNodes(project);
    options.onProgress?.({ message: `Waiting for cluster_state:ok on ${nodes.length} nodes` });
    return waitForCluster(this.docker, nodes, {
      signal: options.signal,
      timeoutMs: options.healthTimeoutMs,
      onState: (state) => options.onProgress?.({ message: state }),
    });
  }

  removalPlan(project: ComposeProject): Promise<RemovalPlan> {
    return removalPlan(this.docker, project.name, removableVolumes(project));
  }

  /** Computes the plan now and removes it: for callers that show no dialog. */
  remove(project: ComposeProject, removeVolumes: boolean): Promise<RemovalResult> {
    return removeStack(this.docker, project.name, removableVolumes(project), removeVolumes);
  }

  /** Removes exactly the plan the user confirmed, nothing that appeared since. */
  removePlanned(plan: RemovalPlan, removeVolumes: boolean): Promise<RemovalResult> {
    return removePlanned(this.docker, plan, removeVolumes);
  }

  status(projectName: string): Promise<ServiceStatus[]> {
    return projectStatus(this.docker, projectName);
  }
}

/** Which engine a Docker client talks to: its socket, or its host and port. */
function engineKey(docker: Docker): string {
  const modem = (docker as unknown as { modem?: { socketPath?: unknown; host?: unknown; port?: unknown } }).modem;
  return typeof modem?.socketPath === 'string' ? modem.socketPath : `${String(modem?.host)}:${String(modem?.port)}`;
}

/** The stack's main compose file and folder, what ownership is judged by. */
export function ownStack(project: ComposeProject): { composeFile: string; workingDir: string } {
  return { composeFile: project.configFiles[0] ?? join(project.workingDir, 'docker-compose.yml'), workingDir: project.workingDir };
}

/**
 * The operator's password: `.env`'s for a stack whose users.acl we write (the file is made
 * from it), else Compose's interpolation order (the environment wins over `.env`).
 */
export function redisPassword(project: ComposeProject, env: NodeJS.ProcessEnv): string | undefined {
  const fromFile = project.envFile.values['REDIS_PASSWORD'];
  if (managedAclFile(project) && fromFile) return fromFile;
  return env['REDIS_PASSWORD'] || fromFile || undefined;
}

/** Where the stack's Redis answers: the port its Redis service publishes for 6379. */
export function stackRedis(project: ComposeProject, statuses: readonly ServiceStatus[], env: NodeJS.ProcessEnv): StackRedis | undefined {
  if (isClusterProject(project)) {
    // The cluster variant: every running node is a seed, and what each announces maps to its port here.
    const nodes = stackClusterNodes(project, statuses);
    const first = nodes[0];
    if (!first) return undefined;
    return { ...first.published, username: operatorUser(project), password: redisPassword(project, env), cluster: clusterAddresses(nodes) };
  }
  for (const status of statuses) {
    if (status.state !== 'running') continue;
    const port = status.ports.find((p) => p.containerPort === 6379 && p.protocol === 'tcp');
    if (!port) continue;
    return { host: loopbackHost(port.hostIp), port: port.hostPort, username: operatorUser(project), password: redisPassword(project, env) };
  }
  return undefined;
}

/** `operator` when the stack's ACL file has that user; undefined for an older file (default user). */
function operatorUser(project: ComposeProject): string | undefined {
  const aclFile = managedAclFile(project);
  return aclFile && aclFileHasUser(aclFile, OPERATOR_USER) ? OPERATOR_USER : undefined;
}

/** `ACL LOAD` on the stack's running Redis: on every node of a cluster, each of which has its own users. */
export async function reloadStackAcl(redis: StackRedis, operatorPassword: string): Promise<void> {
  for (const node of redis.cluster?.seeds ?? [redis]) await reloadAcl({ host: node.host, port: node.port, db: 0, tls: false }, operatorPassword);
}

/**
 * The stack's ACL file when a service bind-mounts it from beside the compose file: the
 * `acl` folder (`acl/users.acl`), or, in a stack made before that folder, `users.acl` alone.
 */
export function managedAclFile(project: ComposeProject): string | undefined {
  const binds = project.services.flatMap((s) => s.volumes.filter((m) => m.type === 'bind').map((m) => m.source));
  if (binds.includes(dirname(stackAclFile(project.workingDir)))) return stackAclFile(project.workingDir);
  return binds.includes(legacyAclFile(project.workingDir)) ? legacyAclFile(project.workingDir) : undefined;
}

/** The stack's `.env` and ACL file, as {@link syncAclFile} writes them; undefined when the stack mounts no ACL file of ours. */
export function stackAccessFiles(project: ComposeProject): StackAccessFiles | undefined {
  const aclFile = managedAclFile(project);
  return aclFile ? { envFile: project.envFile.path, aclFile, aclMountedAlone: aclFile === legacyAclFile(project.workingDir) } : undefined;
}
