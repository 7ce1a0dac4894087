import type Docker from 'dockerode';
import { engineMessage } from '../engineErrors';
import { StackError } from './errors';
import { waitUntilCompleted, waitUntilReady } from './health';
import { ensureImage, PullProgress } from './images';
import {
  COMPOSE_VERSION, CONFIG_FILES_LABEL, CONFIG_HASH_LABEL, CONTAINER_NUMBER_LABEL, CREATED_BY_LABEL, ONEOFF_LABEL,
  PLAN_DIGEST_LABEL, PROJECT_LABEL, SERVICE_LABEL, VERSION_LABEL, WORKING_DIR_LABEL,
} from './labels';
import { composeV1ConfigHash } from './composeV1Hash';
import { containerDrift, plannedMounts } from './drift';
import type { ServicePlan, StackPlan } from './plan';
import { ensureNetwork, ensureVolume } from './resources';
import { currentContainers, isSetAside, projectStatus, ServiceStatus } from './status';

export interface UpProgress {
  readonly service?: string;
  readonly message: string;
  readonly pull?: PullProgress;
}

export interface UpOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: (progress: UpProgress) => void;
  readonly healthTimeoutMs?: number | undefined;
  /** Containers to recreate even when unchanged (another stack's, which the user chose to replace). */
  readonly recreate?: ReadonlySet<string> | undefined;
  /**
   * Asked for a run-once service whose last run exited non-zero, once its dependencies are up:
   * true when its job is done all the same (the cluster's init re-run by `docker-compose up`
   * fails on the cluster it formed), so it is not run again.
   */
  readonly runOnceDone?: ((service: string) => Promise<boolean>) | undefined;
}

export interface UpResult {
  /** What each service's container went through: left as it was, started, or (re)created. */
  readonly actions: ReadonlyMap<string, 'unchanged' | 'started' | 'created' | 'recreated'>;
}

/** What one Start did, so a failure can undo exactly that and nothing else. */
interface StartJournal {
  readonly containers: string[];
  readonly networks: string[];
  readonly volumes: string[];
  /** Named volumes a container of this Start ran with: they may hold writes. */
  readonly usedVolumes: Set<string>;
  /** Previous containers, stopped and renamed aside until their replacements are ready. */
  readonly replaced: Array<{ readonly id: string; readonly name: string; readonly wasRunning: boolean }>;
}

/**
 * `docker compose up -d --wait` through the Engine API: networks, volumes, then each
 * service after the ones it depends on, each container labelled as Compose labels its
 * own. A container that already matches its plan (whoever created it) is left alone; a
 * changed one is recreated as Compose does: the old one is stopped and renamed aside, the
 * new one gets its volumes (anonymous ones too), and the old one is removed only once the
 * new one is ready. If anything fails, what this call created is removed again and the old
 * containers are put back; volumes are kept (see {@link rollBack}).
 */
export async function upStack(docker: Docker, plan: StackPlan, options: UpOptions = {}): Promise<UpResult> {
  const progress = options.onProgress ?? (() => undefined);
  const journal: StartJournal = { containers: [], networks: [], volumes: [], usedVolumes: new Set(), replaced: [] };
  const actions = new Map<string, 'unchanged' | 'started' | 'created' | 'recreated'>();
  const checkCancel = (): void => {
    if (options.signal?.aborted) throw new StackError('cancelled', 'Starting the stack was cancelled.');
  };

  /** Each service's container, and its restart count when this Start took it over (see waitUntilReady). */
  const ready = new Map<string, { containerId: string; restartsBefore: number; staleProbe?: string | undefined }>();
  let statuses: ServiceStatus[] = [];
  try {
    for (const network of plan.networks) {
      if (await ensureNetwork(docker, plan.project, network)) { journal.networks.push(network.name); progress({ message: `Created network ${network.name}` }); }
    }
    for (const volume of plan.volumes) {
      if (await ensureVolume(docker, plan.project, volume)) { journal.volumes.push(volume.name); progress({ message: `Created volume ${volume.name}` }); }
    }
    statuses = await projectStatus(docker, plan.project);
    const existing = currentContainers(statuses);

    for (const service of plan.services) {
      checkCancel();
      for (const dependency of service.dependsOn) {
        const container = ready.get(dependency.service);
        const dependencyPlan = plan.services.find((s) => s.service === dependency.service);
        if (container && dependencyPlan && dependency.condition === 'service_healthy') {
          progress({ service: service.service, message: `Waiting for ${dependency.service} to be healthy` });
          await waitUntilReady(docker, container.containerId, dependency.service, dependencyPlan.hasHealthcheck, {
            signal: options.signal, timeoutMs: options.healthTimeoutMs, restartsBefore: container.restartsBefore, staleProbe: container.staleProbe,
          });
        }
      }
      const { action, ...container } = await ensureServiceContainer(docker, plan, service, existing.get(service.service), journal, progress, options);
      actions.set(service.service, action);
      ready.set(service.service, container);
    }

    for (const service of plan.services) {
      const { containerId, restartsBefore, staleProbe } = ready.get(service.service) ?? {};
      if (!containerId) continue;
      if (service.runOnce) {
        if (actions.get(service.service) === 'unchanged') continue;
        progress({ service: service.service, message: `Waiting for ${service.service} to complete` });
        await waitUntilCompleted(docker, containerId, service.service, { signal: options.signal, timeoutMs: options.healthTimeoutMs });
        continue;
      }
      progress({ service: service.service, message: service.hasHealthcheck ? `Waiting for ${service.service} to be healthy` : `Waiting for ${service.service} to run` });
      await waitUntilReady(docker, containerId, service.service, service.hasHealthcheck, {
        signal: options.signal,
        timeoutMs: options.healthTimeoutMs,
        restartsBefore,
        staleProbe,
        onState: (state) => progress({ service: service.service, message: `${service.service}: ${state}` }),
      });
    }
  } catch (error) {
    const restoreProblems = await rollBack(docker, journal);
    const failure = error instanceof StackError ? error : new StackError('engine', `The Docker engine refused to start the stack: ${engineMessage(error)}`);
    if (restoreProblems.length === 0) throw failure;
    throw new StackError(failure.kind, `${failure.message.split('\nLast ')[0] ?? ''} ${restoreProblems.join(' ')}`, failure.service, failure.logs);
  }
  // Every new container is ready: the ones they replace can go (their volumes stay).
  for (const old of journal.replaced) await docker.getContainer(old.id).remove({ force: true, v: false }).catch(() => undefined);
  // So can one an earlier Start set aside and never removed (its window died mid-recreate): it
  // held the service's port and name, and Restart would start it too. Volumes stay.
  const readyIds = new Set([...ready.values()].map((c) => c.containerId));
  for (const leftover of statuses.filter((s) => isSetAside(s) && ready.has(s.service) && !readyIds.has(s.containerId))) {
    progress({ service: leftover.service, message: `Removing ${leftover.containerName}, set aside by a Start that did not finish; its volumes stay` });
    const old = docker.getContainer(leftover.containerId);
    await old.stop({ t: 10 }).catch(() => undefined);
    await old.remove({ force: true, v: false }).catch(() => undefined);
  }
  return { actions };
}

async function ensureServiceContainer(
  docker: Docker,
  plan: StackPlan,
  service: ServicePlan,
  current: ServiceStatus | undefined,
  journal: StartJournal,
  progress: (p: UpProgress) => void,
  { signal, recreate, runOnceDone }: UpOptions,
): Promise<{ containerId: string; action: 'unchanged' | 'started' | 'created' | 'recreated'; restartsBefore: number; staleProbe?: string | undefined }> {
  await ensureImage(docker, service.image, (pull) => progress({ service: service.service, message: `Pulling ${service.image}: ${pull.status}`, pull }));
  const image = await docker.getImage(service.image).inspect();
  if (signal?.aborted) throw new StackError('cancelled', 'Starting the stack was cancelled.');

  let previous: Docker.ContainerInspectInfo | undefined;
  if (current) {
    previous = await docker.getContainer(current.containerId).inspect();
    // A run-once service that completed is done, even if its file changed since: running it
    // again would repeat its one job (the cluster's init would try to form the cluster again).
    if (service.runOnce && completed(previous)) return { containerId: previous.Id, action: 'unchanged', restartsBefore: previous.RestartCount };
    if (service.runOnce && exitedWithError(previous) && await runOnceDone?.(service.service)) return { containerId: previous.Id, action: 'unchanged', restartsBefore: previous.RestartCount };
    const changed = recreate?.has(previous.Id) ? ['the stack it belongs to'] : containerDrift(previous, image, service);
    if (changed.length === 0) {
      // Start means usable: a paused container (docker pause) is unpaused, as it is, data and all.
      if (previous.State.Paused) {
        progress({ service: service.service, message: `Unpausing ${current.containerName} (it was paused)` });
        await docker.getContainer(previous.Id).unpause();
        return { containerId: previous.Id, action: 'started', restartsBefore: previous.RestartCount, staleProbe: previous.State.Health?.Log?.at(-1)?.Start };
      }
      // Left running as it is: restarts the engine made before this Start are not this Start's failure.
      if (previous.State.Running) return { containerId: previous.Id, action: 'unchanged', restartsBefore: previous.RestartCount };
      progress({ service: service.service, message: `Starting ${current.containerName}` });
      await startContainer(docker, previous.Id, service);
      // A start resets the engine's restart count.
      return { containerId: previous.Id, action: 'started', restartsBefore: 0 };
    }
    // Recreate as Compose does: stop the old container and rename it aside; it is removed
    // once the new one is ready, or renamed back and restarted if the new one fails.
    progress({ service: service.service, message: `Recreating ${current.containerName} (${changed.join(', ')} changed)` });
    const old = docker.getContainer(previous.Id);
    const name = previous.Name.replace(/^\//, '');
    // In the journal before the stop: whatever step fails, the rollback restores it.
    journal.replaced.push({ id: previous.Id, name, wasRunning: previous.State.Running });
    await old.stop({ t: 10 }).catch((error: unknown) => { if (!isNotModified(error)) throw error; });
    await old.rename({ name: `${previous.Id.slice(0, 12)}_${name}` });
  }

  progress({ service: service.service, message: `Creating ${service.containerName}` });
  const [primary, ...others] = service.networks;
  const mounts = previous ? withCarriedVolumes(service, previous, image) : service.create.HostConfig?.Mounts;
  const container = await docker.createContainer({
    ...service.create,
    name: service.containerName,
    Labels: {
      ...service.create.Labels,
      [PROJECT_LABEL]: plan.project,
      [SERVICE_LABEL]: service.service,
      [CONTAINER_NUMBER_LABEL]: '1',
      [ONEOFF_LABEL]: 'False',
      // Compose v1's own hash, so `docker-compose up -d` sees this container as up to date.
      [CONFIG_HASH_LABEL]: composeV1ConfigHash(service.composeV1Config, image.Id),
      [PLAN_DIGEST_LABEL]: service.configHash,
      [WORKING_DIR_LABEL]: plan.workingDir,
      [CONFIG_FILES_LABEL]: plan.configFiles.join(','),
      [VERSION_LABEL]: COMPOSE_VERSION,
      [CREATED_BY_LABEL]: 'shared-redis-vscode',
    },
    HostConfig: { ...service.create.HostConfig, ...(mounts ? { Mounts: mounts } : {}), ...(primary ? { NetworkMode: primary.name } : {}) },
    ...(primary ? { NetworkingConfig: { EndpointsConfig: { [primary.name]: { Aliases: [...primary.aliases] } } } } : {}),
  });
  journal.containers.push(container.id);
  // Engines before API 1.44 take one network at create; the others are joined before start.
  for (const network of others) {
    await docker.getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: [...network.aliases] } });
  }
  progress({ service: service.service, message: `Starting ${service.containerName}` });
  await startContainer(docker, container.id, service);
  for (const mount of plannedMounts(service)) if (mount.type === 'volume' && mount.source) journal.usedVolumes.add(mount.source);
  return { containerId: container.id, action: previous ? 'recreated' : 'created', restartsBefore: 0 };
}

/**
 * The plan's mounts with the old container's anonymous volumes carried over, as Compose
 * does on recreate (v1 `get_container_data_volumes`): for each anonymous volume of the
 * service (`- /data`) and each image VOLUME that no named volume or bind covers, the
 * volume the old container had there is mounted again, so its data stays.
 */
function withCarriedVolumes(service: ServicePlan, previous: Docker.ContainerInspectInfo, image: Docker.ImageInspectInfo): Docker.MountSettings[] {
  const old = new Map(previous.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => [m.Destination, m.Name as string]));
  const mounts = (service.create.HostConfig?.Mounts ?? []).map((mount) => (
    mount.Type === 'volume' && !mount.Source && old.has(mount.Target) ? { ...mount, Source: old.get(mount.Target) as string } : mount));
  const covered = new Set(plannedMounts(service).map((m) => m.target));
  for (const target of Object.keys((image.Config ?? image.ContainerConfig).Volumes ?? {})) {
    const name = old.get(target);
    if (name && !covered.has(target)) mounts.push({ Type: 'volume', Source: name, Target: target, ReadOnly: false });
  }
  return mounts;
}

/** A container that ran its command to the end with exit code 0. */
function completed(info: Docker.ContainerInspectInfo): boolean {
  return info.State.Status === 'exited' && info.State.ExitCode === 0;
}

/** A container that ran to the end and exited non-zero. */
function exitedWithError(info: Docker.ContainerInspectInfo): boolean {
  return info.State.Status === 'exited' && info.State.ExitCode !== 0;
}

function isNotModified(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 304;
}
async function startContainer(docker: Docker, containerId: string, service: ServicePlan): Promise<void> {
  try {
    await docker.getContainer(containerId).start();
  } catch (error) {
    const message = engineMessage(error);
    if (/port is already allocated|address already in use/i.test(message)) {
      const port = /:(\d+)(?: failed|: bind)/.exec(message)?.[1] ?? service.ports[0]?.hostPort ?? '?';
      throw new StackError('port-in-use',
        `Port ${port} on the host is already in use, so ${service.service} cannot publish it. Stop what uses port ${port}, or set REDIS_PORT in the stack's .env to a free port.`,
        service.service);
    }
    throw new StackError('engine', `The Docker engine could not start ${service.service}: ${message}`, service.service);
  }
}

/**
 * Undoes one failed Start: removes the containers and networks it created, and renames
 * back and restarts the containers it set aside. Returns what could not be restored.
 *
 * Volumes: Compose never removes a volume when `up` fails, and neither does this, except
 * one this very Start created that no container of it ever ran with (so nothing can have
 * been written to it; e.g. the image was missing or the port was taken). A volume that
 * existed before, or that a container already served writes from, is always kept.
 */
async function rollBack(docker: Docker, journal: StartJournal): Promise<string[]> {
  const problems: string[] = [];
  for (const id of journal.containers) await docker.getContainer(id).remove({ force: true, v: false }).catch(() => undefined);
  for (const old of journal.replaced) {
    try {
      const container = docker.getContainer(old.id);
      const state = await container.inspect();
      if (state.Name.replace(/^\//, '') !== old.name) await container.rename({ name: old.name });
      if (old.wasRunning && !state.State.Running) await container.start();
    } catch (error) {
      problems.push(`The previous container ${old.name} was kept but could not be restarted (${engineMessage(error)}); start it with docker start ${old.id.slice(0, 12)}.`);
    }
  }
  for (const name of journal.networks) await docker.getNetwork(name).remove().catch(() => undefined);
  for (const name of journal.volumes) {
    if (!journal.usedVolumes.has(name)) await docker.getVolume(name).remove().catch(() => undefined);
  }
  return problems;
}
