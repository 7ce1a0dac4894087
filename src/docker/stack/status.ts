import type Docker from 'dockerode';
import { CONFIG_HASH_LABEL, ONEOFF_LABEL, projectFilter, REPLACE_LABEL, RUN_ONCE_LABEL, SERVICE_LABEL } from './labels';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy';

export interface PublishedPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
}

/** One service's container as the engine reports it. */
export interface ServiceStatus {
  readonly service: string;
  readonly containerId: string;
  readonly containerName: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly health: HealthState | undefined;
  readonly ports: readonly PublishedPort[];
  readonly startedAt: Date | undefined;
  readonly configHash: string | undefined;
  /** A run-once service (the cluster's init): exited 0 means done, not stopped. */
  readonly runOnce?: boolean;
  /** The exit code of a container that exited. */
  readonly exitCode?: number | undefined;
  /** The container Compose v2 created it to replace, by id or name (label com.docker.compose.replace). */
  readonly replaces?: string | undefined;
}

/**
 * A container under the temporary name `<id12>_<name>` of a recreate that never ended:
 * - the old one, renamed with its own id (ours, docker-compose 1.x, early Compose v2);
 * - the new one Compose v2 creates under the old one's id, labelled com.docker.compose.replace
 *   with the old one's id (earlier v2) or name (later v2). The label stays after the rename to
 *   the final name, so the name must still be the temporary one: the label's id as its prefix,
 *   or the label's name at its end.
 * A team's container_name that merely looks like `<12 hex>_…` is not set aside.
 */
export function isSetAside(status: Pick<ServiceStatus, 'containerName' | 'containerId' | 'replaces'>): boolean {
  const temporary = /^([0-9a-f]{12})_(.+)$/.exec(status.containerName);
  if (!temporary) return false;
  const [, prefix = '', rest = ''] = temporary;
  if (status.containerId.startsWith(prefix)) return true;
  const replaces = status.replaces;
  if (replaces === undefined) return false;
  return /^[0-9a-f]{64}$/.test(replaces) ? replaces.startsWith(prefix) : rest.endsWith(replaces);
}

/**
 * Each service's container: the properly named one over one set aside; one set aside when it is
 * all the service has (a recreate interrupted after the old container went), as it is the one
 * that runs.
 */
export function currentContainers(statuses: readonly ServiceStatus[]): Map<string, ServiceStatus> {
  const byService = new Map<string, ServiceStatus>();
  for (const status of statuses) {
    const held = byService.get(status.service);
    if (!held || (isSetAside(held) && !isSetAside(status))) byService.set(status.service, status);
  }
  return byService;
}

/** The project's service containers (one-off `run` containers excluded), sorted by service. */
export async function projectStatus(docker: Docker, project: string): Promise<ServiceStatus[]> {
  const containers = await docker.listContainers({ all: true, filters: projectFilter(project) });
  const statuses = await Promise.all(containers
    .filter((c) => c.Labels[ONEOFF_LABEL] !== 'True')
    .map(async (c): Promise<ServiceStatus> => {
      const details = await docker.getContainer(c.Id).inspect().catch(() => undefined);
      // The engine keeps the last health status of a stopped container: only a running one has a health.
      const health = details?.State.Running ? details.State.Health?.Status : undefined;
      const startedAt = details?.State.Running ? new Date(details.State.StartedAt) : undefined;
      return {
        service: c.Labels[SERVICE_LABEL] ?? '',
        containerId: c.Id,
        containerName: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        state: (details?.State.Status ?? c.State) as ContainerState,
        health: health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : undefined,
        // From the same inspect as the state: the listing may predate a restart's start and show no ports.
        ports: details ? inspectedPorts(details) : c.Ports.filter((p) => p.PublicPort !== undefined)
          .map((p) => ({ hostIp: p.IP ?? '', hostPort: p.PublicPort, containerPort: p.PrivatePort, protocol: p.Type })),
        startedAt,
        configHash: c.Labels[CONFIG_HASH_LABEL],
        runOnce: c.Labels[RUN_ONCE_LABEL] === 'true',
        replaces: c.Labels[REPLACE_LABEL],
        exitCode: details && details.State.Status === 'exited' ? details.State.ExitCode : undefined,
      };
    }));
  return statuses.sort((a, b) => a.service.localeCompare(b.service));
}

/** The host ports a running container publishes, from `NetworkSettings.Ports` (`"6379/tcp": [{ HostIp, HostPort }]`). */
function inspectedPorts(details: Docker.ContainerInspectInfo): PublishedPort[] {
  if (!details.State.Running) return [];
  const ports: PublishedPort[] = [];
  for (const [spec, bindings] of Object.entries(details.NetworkSettings.Ports ?? {})) {
    const [containerPort = '', protocol = 'tcp'] = spec.split('/');
    for (const binding of bindings ?? []) {
      const hostPort = Number(binding.HostPort);
      if (Number.isInteger(hostPort) && hostPort > 0) ports.push({ hostIp: binding.HostIp ?? '', hostPort, containerPort: Number(containerPort), protocol });
    }
  }
  return ports;
}

/**
 * A run-once container (the cluster's init) that exited non-zero and whose job is not done:
 * re-run by `docker-compose up` on the cluster it formed, it fails with "Node is not empty",
 * which is no failure while the cluster is formed (`clusterFormed`, see clusterHealth.ts).
 */
export function runOnceFailed(status: ServiceStatus, clusterFormed = false): boolean {
  return status.runOnce === true && status.state === 'exited' && status.exitCode !== 0 && !clusterFormed;
}

/** `running · healthy · 127.0.0.1:6379`, `exited`, `running · starting`. */
export function describeStatus(status: ServiceStatus, clusterFormed = false): string {
  if (status.runOnce && status.state === 'exited') {
    if (runOnceFailed(status, clusterFormed)) return `failed (exit code ${status.exitCode ?? '?'})`;
    return status.exitCode === 0 ? 'completed' : `completed (the cluster is formed; a later run exited ${status.exitCode ?? '?'})`;
  }
  const parts: string[] = [status.state];
  if (status.health) parts.push(status.health);
  const seen = new Set<string>();
  for (const port of status.ports) {
    const text = `${port.hostIp && port.hostIp !== '0.0.0.0' ? port.hostIp : '0.0.0.0'}:${port.hostPort}`;
    if (!seen.has(text)) { seen.add(text); parts.push(text); }
  }
  return parts.join(' · ');
}

/** `5m`, `2h 10m`, `3d 4h`: how long a container has been up. */
export function formatUptime(startedAt: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - startedAt.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
