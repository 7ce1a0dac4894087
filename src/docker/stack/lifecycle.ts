import type Docker from 'dockerode';
import type { ComposeProject } from '../compose/model';
import { projectFilter } from './labels';
import { currentContainers, projectStatus } from './status';
import { engineMessage, isNotFound } from '../engineErrors';
import { StackError } from './errors';
import { waitUntilReady, WaitOptions } from './health';

/** Stops the project's running containers, dependents first. Containers and volumes stay. */
export async function stopStack(docker: Docker, project: string, order: readonly string[] = []): Promise<string[]> {
  // Every running container of the project, one a recreate set aside too: it may be the one
  // serving (a recreate interrupted after the old container went), and stopping it loses nothing.
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
  // One container per service: not one set aside beside the service's own (it would take the
  // service's port), but one set aside that is all the service has.
  const statuses = [...currentContainers(await projectStatus(docker, project)).values()];
  const restarted: string[] = [];
  // A run-once container (the cluster's init) is done: a restart would run its job again.
  for (const status of sortReverse(statuses.filter((s) => !s.runOnce), order).reverse()) {
    await docker.getContainer(status.containerId).restart({ t: 10 });
    // A restart resets the engine's restart count: any restart past 0 is a crash after it.
    await waitUntilReady(docker, status.containerId, status.service, true, { ...wait, restartsBefore: 0 });
    restarted.push(status.service);
  }
  return restarted;
}

export interface RemovalPlan {
  readonly containers: ReadonlyArray<{ id: string; name: string; service: string }>;
  readonly networks: readonly string[];
  /** The volumes a removal may delete. */
  readonly volumes: readonly string[];
  /** The project's volumes that containers outside the plan use: never offered, as the engine would refuse. */
  readonly volumesInUse: ReadonlyArray<{ volume: string; containers: readonly string[] }>;
}

/**
 * The volumes a `down -v` of the compose file may delete: those it declares, not external.
 * A volume it declares external, or another file's of the same project name, stays, as
 * docker-compose leaves it (the Compose labels alone would name both).
 */
export function removableVolumes(project: Pick<ComposeProject, 'volumes'>): string[] {
  return project.volumes.filter((v) => !v.external).map((v) => v.name);
}

/**
 * The project's containers and networks the engine holds, found by the Compose labels, and of
 * its labelled volumes those in `removable` (see {@link removableVolumes}).
 */
export async function removalPlan(docker: Docker, project: string, removable: readonly string[]): Promise<RemovalPlan> {
  const filters = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const planned = new Set(containers.map((c) => c.Id));
  const candidates = (volumes.Volumes ?? []).map((v) => v.Name).filter((name) => removable.includes(name));
  const users = await Promise.all(candidates.map(async (volume) => ({
    volume,
    containers: (await docker.listContainers({ all: true, filters: { volume: [volume] } }))
      .filter((c) => !planned.has(c.Id))
      .map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
  })));
  return {
    containers: containers.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), service: c.Labels['com.docker.compose.service'] ?? '' })),
    networks: [...new Set(networks.map((n) => n.Name))],
    volumes: users.filter((u) => u.containers.length === 0).map((u) => u.volume),
    volumesInUse: users.filter((u) => u.containers.length > 0),
  };
}

/** What a removal did: what it removed, and what it left with the reason. */
export interface RemovalResult extends Omit<RemovalPlan, 'volumesInUse'> {
  /** `network shared-redis (it still has active endpoints)`: named in the plan, still there. */
  readonly kept: readonly string[];
}

/**
 * `docker compose down` for the project's current plan. Volumes only when `removeVolumes`
 * is true, which the caller sets only after the user confirmed by name.
 */
export async function removeStack(docker: Docker, project: string, removable: readonly string[], removeVolumes: boolean): Promise<RemovalResult> {
  return removePlanned(docker, await removalPlan(docker, project, removable), removeVolumes);
}

/**
 * Removes exactly what `plan` lists: the containers by id, then the networks, then (only
 * with `removeVolumes`) the volumes. The plan is the one the user saw: something that
 * appeared since is not in it and stays; something already gone is skipped; a network or
 * volume that a newcomer uses is kept and said so, not forced.
 */
export async function removePlanned(docker: Docker, plan: RemovalPlan, removeVolumes: boolean): Promise<RemovalResult> {
  const removed: { containers: Array<RemovalPlan['containers'][number]>; networks: string[]; volumes: string[] } = { containers: [], networks: [], volumes: [] };
  const kept: string[] = [];
  for (const container of plan.containers) {
    const gone = await docker.getContainer(container.id).remove({ force: true, v: false }).then(() => false, (error: unknown) => {
      if (isNotFound(error)) return true;
      throw new StackError('engine', `Could not remove the container ${container.name}: ${engineMessage(error)}`, container.service);
    });
    if (!gone) removed.containers.push(container);
  }
  for (const network of new Set(plan.networks)) {
    // By id: two networks of one name (two Starts that raced before Starts took a lock) make the name ambiguous.
    const ids = (await docker.listNetworks({ filters: { name: [network] } })).filter((n) => n.Name === network).map((n) => n.Id);
    for (const id of ids) {
      await docker.getNetwork(id).remove().then(() => { if (!removed.networks.includes(network)) removed.networks.push(network); }, (error: unknown) => {
        if (isNotFound(error)) return;
        if (isInUse(error)) { kept.push(`network ${network} (${engineMessage(error)})`); return; }
        throw new StackError('engine', `Could not remove the network ${network}: ${engineMessage(error)}`);
      });
    }
  }
  if (removeVolumes) {
    for (const volume of plan.volumes) {
      await docker.getVolume(volume).remove().then(() => removed.volumes.push(volume), (error: unknown) => {
        if (isNotFound(error)) return;
        if (isInUse(error)) { kept.push(`volume ${volume} (${engineMessage(error)})`); return; }
        throw new StackError('engine', `Could not remove the volume ${volume}: ${engineMessage(error)}`);
      });
    }
  }
  return { ...removed, kept };
}

/** 409 Conflict, or an older engine's 403 "has active endpoints": something else still uses it. */
function isInUse(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 409 || (status === 403 && /active endpoints/i.test(engineMessage(error)));
}

function sortReverse<T extends { service: string }>(items: readonly T[], order: readonly string[]): T[] {
  const rank = (service: string): number => { const i = order.indexOf(service); return i === -1 ? order.length : i; };
  return [...items].sort((a, b) => rank(b.service) - rank(a.service));
}
