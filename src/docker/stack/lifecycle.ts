import type Docker from 'dockerode';
import { projectFilter } from './labels';
import { projectStatus } from './status';
import { engineMessage, isNotFound } from '../engineErrors';
import { StackError } from './errors';
import { waitUntilReady, WaitOptions } from './health';

/** Stops the project's running containers, dependents first. Containers and volumes stay. */
export async function stopStack(docker: Docker, project: string, order: readonly string[] = []): Promise<string[]> {
  const running = (await projectStatus(docker, project)).filter((s) => s.state === 'running' || s.state === 'restarting' || s.state === 'paused');
  const stopped: string[] = [];
  for (const status of sortReverse(running, order)) {
    await docker.getContainer(status.containerId).stop({ t: 10 }).catch((error: unknown) => {
      // 304: already stopped between the listing and the call.
      if ((error as { statusCode?: number }).statusCode !== 304) throw new StackError('engine', `Could not stop ${status.service}: ${engineMessage(error)}`, status.service);
    });
    stopped.push(status.service);
  }
  return stopped;
}

/**
 * Restarts the project's existing containers in dependency order, each healthy (or, without
 * a healthcheck, running) before the next, so "restarted" means usable, as after a start.
 */
export async function restartStack(docker: Docker, project: string, order: readonly string[] = [], wait: WaitOptions = {}): Promise<string[]> {
  const statuses = await projectStatus(docker, project);
  const restarted: string[] = [];
  for (const status of sortReverse(statuses, order).reverse()) {
    await docker.getContainer(status.containerId).restart({ t: 10 });
    await waitUntilReady(docker, status.containerId, status.service, true, wait);
    restarted.push(status.service);
  }
  return restarted;
}

export interface RemovalPlan {
  readonly containers: ReadonlyArray<{ id: string; name: string; service: string }>;
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/** Everything of the project the engine holds, found by the Compose labels. */
export async function removalPlan(docker: Docker, project: string): Promise<RemovalPlan> {
  const filters = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), service: c.Labels['com.docker.compose.service'] ?? '' })),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

/**
 * `docker compose down`: containers and the project's networks. Volumes only when
 * `removeVolumes` is true, which the caller sets only after the user confirmed by name.
 */
export async function removeStack(docker: Docker, project: string, removeVolumes: boolean): Promise<RemovalPlan> {
  const plan = await removalPlan(docker, project);
  for (const container of plan.containers) {
    await docker.getContainer(container.id).remove({ force: true, v: false });
  }
  for (const network of plan.networks) {
    await docker.getNetwork(network).remove().catch((error: unknown) => {
      if (!isNotFound(error)) throw new StackError('engine', `Could not remove the network ${network}: ${engineMessage(error)}`);
    });
  }
  if (removeVolumes) {
    for (const volume of plan.volumes) await docker.getVolume(volume).remove();
  }
  return { ...plan, volumes: removeVolumes ? plan.volumes : [] };
}

function sortReverse<T extends { service: string }>(items: readonly T[], order: readonly string[]): T[] {
  const rank = (service: string): number => { const i = order.indexOf(service); return i === -1 ? order.length : i; };
  return [...items].sort((a, b) => rank(b.service) - rank(a.service));
}
