import type Docker from 'dockerode';
import { engineMessage } from '../engineErrors';
import { StackError } from './errors';
import { waitUntilReady } from './health';
import { ensureImage, PullProgress } from './images';
import {
  COMPOSE_VERSION, CONFIG_FILES_LABEL, CONFIG_HASH_LABEL, CONTAINER_NUMBER_LABEL, CREATED_BY_LABEL, ONEOFF_LABEL,
  PROJECT_LABEL, SERVICE_LABEL, VERSION_LABEL, WORKING_DIR_LABEL,
} from './labels';
import type { ServicePlan, StackPlan } from './plan';
import { ensureNetwork, ensureVolume } from './resources';
import { projectStatus, ServiceStatus } from './status';

export interface UpProgress {
  readonly service?: string;
  readonly message: string;
  readonly pull?: PullProgress;
}

export interface UpOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: (progress: UpProgress) => void;
  readonly healthTimeoutMs?: number | undefined;
}

export interface UpResult {
  /** What each service's container went through: left as it was, started, or (re)created. */
  readonly actions: ReadonlyMap<string, 'unchanged' | 'started' | 'created' | 'recreated'>;
}

/**
 * `docker compose up -d --wait` through the Engine API: networks, volumes, then each
 * service after the ones it depends on, each container labelled as Compose labels its
 * own. Unchanged running services are left alone; a service whose configuration hash
 * changed is recreated with its volumes kept. If anything fails, what this call created
 * is removed again (never a volume that existed before), and the error says why.
 */
export async function upStack(docker: Docker, plan: StackPlan, options: UpOptions = {}): Promise<UpResult> {
  const progress = options.onProgress ?? (() => undefined);
  const created: { containers: string[]; networks: string[]; volumes: string[] } = { containers: [], networks: [], volumes: [] };
  const actions = new Map<string, 'unchanged' | 'started' | 'created' | 'recreated'>();
  const checkCancel = (): void => {
    if (options.signal?.aborted) throw new StackError('cancelled', 'Starting the stack was cancelled.');
  };

  try {
    for (const network of plan.networks) {
      if (await ensureNetwork(docker, plan.project, network)) { created.networks.push(network.name); progress({ message: `Created network ${network.name}` }); }
    }
    for (const volume of plan.volumes) {
      if (await ensureVolume(docker, plan.project, volume)) { created.volumes.push(volume.name); progress({ message: `Created volume ${volume.name}` }); }
    }
    const existing = new Map((await projectStatus(docker, plan.project)).map((s) => [s.service, s]));
    const ready = new Map<string, string>();

    for (const service of plan.services) {
      checkCancel();
      for (const dependency of service.dependsOn) {
        const containerId = ready.get(dependency.service);
        const dependencyPlan = plan.services.find((s) => s.service === dependency.service);
        if (containerId && dependencyPlan && dependency.condition === 'service_healthy') {
          progress({ service: service.service, message: `Waiting for ${dependency.service} to be healthy` });
          await waitUntilReady(docker, containerId, dependency.service, dependencyPlan.hasHealthcheck, { signal: options.signal, timeoutMs: options.healthTimeoutMs });
        }
      }
      const { containerId, action } = await ensureServiceContainer(docker, plan, service, existing.get(service.service), created, progress, options.signal);
      actions.set(service.service, action);
      ready.set(service.service, containerId);
    }

    for (const service of plan.services) {
      const containerId = ready.get(service.service);
      if (!containerId) continue;
      progress({ service: service.service, message: service.hasHealthcheck ? `Waiting for ${service.service} to be healthy` : `Waiting for ${service.service} to run` });
      await waitUntilReady(docker, containerId, service.service, service.hasHealthcheck, {
        signal: options.signal,
        timeoutMs: options.healthTimeoutMs,
        onState: (state) => progress({ service: service.service, message: `${service.service}: ${state}` }),
      });
    }
    return { actions };
  } catch (error) {
    await rollBack(docker, created);
    if (error instanceof StackError) throw error;
    throw new StackError('engine', `The Docker engine refused to start the stack: ${engineMessage(error)}`);
  }
}

async function ensureServiceContainer(
  docker: Docker,
  plan: StackPlan,
  service: ServicePlan,
  current: ServiceStatus | undefined,
  created: { containers: string[] },
  progress: (p: UpProgress) => void,
  signal: AbortSignal | undefined,
): Promise<{ containerId: string; action: 'unchanged' | 'started' | 'created' | 'recreated' }> {
  if (current && current.configHash === service.configHash) {
    if (current.state === 'running') return { containerId: current.containerId, action: 'unchanged' };
    progress({ service: service.service, message: `Starting ${current.containerName}` });
    await startContainer(docker, current.containerId, service);
    return { containerId: current.containerId, action: 'started' };
  }

  await ensureImage(docker, service.image, (pull) => progress({ service: service.service, message: `Pulling ${service.image}: ${pull.status}`, pull }));
  if (signal?.aborted) throw new StackError('cancelled', 'Starting the stack was cancelled.');
  if (current) {
    // Recreate: the configuration changed. Named volumes are kept; only the container goes.
    progress({ service: service.service, message: `Recreating ${current.containerName} (configuration changed)` });
    const old = docker.getContainer(current.containerId);
    await old.stop({ t: 10 }).catch(() => undefined);
    await old.remove({ v: false, force: true });
  }
  progress({ service: service.service, message: `Creating ${service.containerName}` });
  const [primary, ...others] = service.networks;
  const container = await docker.createContainer({
    ...service.create,
    name: service.containerName,
    Labels: {
      ...service.create.Labels,
      [PROJECT_LABEL]: plan.project,
      [SERVICE_LABEL]: service.service,
      [CONTAINER_NUMBER_LABEL]: '1',
      [ONEOFF_LABEL]: 'False',
      [CONFIG_HASH_LABEL]: service.configHash,
      [WORKING_DIR_LABEL]: plan.workingDir,
      [CONFIG_FILES_LABEL]: plan.configFiles.join(','),
      [VERSION_LABEL]: COMPOSE_VERSION,
      [CREATED_BY_LABEL]: 'shared-redis-vscode',
    },
    HostConfig: { ...service.create.HostConfig, ...(primary ? { NetworkMode: primary.name } : {}) },
    ...(primary ? { NetworkingConfig: { EndpointsConfig: { [primary.name]: { Aliases: [...primary.aliases] } } } } : {}),
  });
  created.containers.push(container.id);
  // Engines before API 1.44 take one network at create; the others are joined before start.
  for (const network of others) {
    await docker.getNetwork(network.name).connect({ Container: container.id, EndpointConfig: { Aliases: [...network.aliases] } });
  }
  progress({ service: service.service, message: `Starting ${service.containerName}` });
  await startContainer(docker, container.id, service);
  return { containerId: container.id, action: current ? 'recreated' : 'created' };
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

async function rollBack(docker: Docker, created: { containers: string[]; networks: string[]; volumes: string[] }): Promise<void> {
  for (const id of created.containers) await docker.getContainer(id).remove({ force: true, v: false }).catch(() => undefined);
  for (const name of created.networks) await docker.getNetwork(name).remove().catch(() => undefined);
  // Only volumes this very call created, and so held nothing before it.
  for (const name of created.volumes) await docker.getVolume(name).remove().catch(() => undefined);
}
