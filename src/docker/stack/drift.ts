import type Docker from 'dockerode';
import { PLAN_DIGEST_LABEL, PROJECT_LABEL } from './labels';
import type { ServicePlan } from './plan';

/**
 * What differs between a service's existing container and its plan, as the engine
 * reports the container: `[]` means the container is what Start would create, whoever
 * created it (the extension, `docker-compose` v1 or `docker compose` v2), so it is kept.
 *
 * A config-hash label is not trusted for this: each tool hashes its own model, so a hash
 * another tool wrote never matches ours. Instead the container's inspect is compared with
 * the plan after the engine's own defaults are put back in (at create the engine merges the
 * image's Env, Cmd, Entrypoint, labels, healthcheck, user and working dir into the
 * container's config, and mounts the image's VOLUMEs as anonymous volumes).
 */
export function containerDrift(container: Docker.ContainerInspectInfo, image: Docker.ImageInspectInfo, service: ServicePlan): string[] {
  // Our own digest, on containers we created: same model and same image id is unchanged.
  if (container.Config.Labels?.[PLAN_DIGEST_LABEL] === service.configHash && container.Image === image.Id) return [];
  const plan = service.create;
  const imageConfig = image.Config ?? image.ContainerConfig;
  const changed: string[] = [];
  const differ = (what: string, actual: unknown, expected: unknown): void => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) changed.push(what);
  };

  differ('image', container.Image, image.Id);
  // The engine takes the image's Cmd only when neither command nor entrypoint is given.
  differ('command', container.Config.Cmd ?? [], plan.Cmd ?? (plan.Entrypoint ? [] : imageConfig.Cmd ?? []));
  differ('entrypoint', asList(container.Config.Entrypoint), plan.Entrypoint ?? asList(imageConfig.Entrypoint));
  differ('environment', sortedEntries(envMap(container.Config.Env)), sortedEntries({ ...envMap(imageConfig.Env), ...envMap(plan.Env) }));
  differ('labels', sortedEntries(userLabels(container.Config.Labels)), sortedEntries(userLabels({ ...imageConfig.Labels, ...plan.Labels })));
  differ('ports', portBindings(container.HostConfig.PortBindings), portBindings(plan.HostConfig?.PortBindings));
  differ('healthcheck', healthcheck(container.Config.Healthcheck), healthcheck(mergedHealthcheck(imageConfig.Healthcheck, plan.Healthcheck)));
  differ('restart policy', restartPolicy(container.HostConfig.RestartPolicy), restartPolicy(plan.HostConfig?.RestartPolicy));
  differ('user', container.Config.User ?? '', imageConfig.User ?? '');
  differ('working dir', container.Config.WorkingDir ?? '', imageConfig.WorkingDir ?? '');
  if (!mountsMatch(container, imageConfig, service)) changed.push('volumes');
  if (!networksMatch(container, service)) changed.push('networks');
  return changed;
}

function asList(value: string | string[] | undefined | null): string[] {
  if (value === undefined || value === null) return [];
  return typeof value === 'string' ? [value] : value;
}

/** `KEY=value` lines as a map; a later line wins, as in the engine. */
function envMap(lines: readonly string[] | undefined | null): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of lines ?? []) {
    const at = line.indexOf('=');
    if (at < 0) map[line] = '';
    else map[line.slice(0, at)] = line.slice(at + 1);
  }
  return map;
}

function sortedEntries(map: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Labels a user wrote: the tools' own bookkeeping labels (`com.docker.compose.*`, ours) left out. */
function userLabels(labels: Readonly<Record<string, string>> | undefined | null): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !key.startsWith('com.docker.compose.') && !key.startsWith('dev.shared-redis.')));
}

/** `6379/tcp|127.0.0.1|6379` for each binding, sorted; `0.0.0.0` and an empty host address are the same. */
function portBindings(bindings: Readonly<Record<string, ReadonlyArray<{ HostIp?: string; HostPort?: string }> | null>> | undefined | null): string[] {
  const flat: string[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const spec = key.includes('/') ? key : `${key}/tcp`;
    for (const binding of list ?? []) {
      const ip = binding.HostIp === '0.0.0.0' ? '' : binding.HostIp ?? '';
      flat.push(`${spec}|${ip}|${binding.HostPort ?? ''}`);
    }
  }
  return flat.sort();
}

/** As the engine merges at create: each field the service leaves empty comes from the image. */
function mergedHealthcheck(image: Docker.HealthConfig | undefined, own: Docker.HealthConfig | undefined): Docker.HealthConfig | undefined {
  if (!own) return image;
  if (!image) return own;
  return {
    Test: own.Test && own.Test.length > 0 ? own.Test : image.Test,
    Interval: own.Interval || image.Interval,
    Timeout: own.Timeout || image.Timeout,
    StartPeriod: own.StartPeriod || image.StartPeriod,
    Retries: own.Retries || image.Retries,
  };
}

function healthcheck(config: Docker.HealthConfig | undefined | null): unknown[] {
  if (!config) return [];
  return [config.Test ?? [], config.Interval ?? 0, config.Timeout ?? 0, config.StartPeriod ?? 0, config.Retries ?? 0];
}

function restartPolicy(policy: Docker.HostRestartPolicy | undefined): string {
  return `${policy?.Name || 'no'}:${policy?.MaximumRetryCount ?? 0}`;
}

interface PlannedMount {
  readonly type: 'volume' | 'bind';
  /** Volume name (empty: anonymous) or host path. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** The mounts the plan asks for, from both `Binds` (`src:dst[:ro]`) and `Mounts`. */
export function plannedMounts(service: ServicePlan): PlannedMount[] {
  const binds = (service.create.HostConfig?.Binds ?? []).map((bind): PlannedMount => {
    const [source = '', target = '', mode = ''] = bind.split(':');
    return { type: 'bind', source, target, readOnly: mode.split(',').includes('ro') };
  });
  const mounts = (service.create.HostConfig?.Mounts ?? []).map((m): PlannedMount => ({
    type: m.Type === 'bind' ? 'bind' : 'volume', source: m.Source ?? '', target: m.Target ?? '', readOnly: m.ReadOnly === true,
  }));
  return [...binds, ...mounts];
}

/**
 * Every planned mount is there (same volume or host path, same read-only), and every
 * other mount is an anonymous volume for one of the image's VOLUMEs.
 */
function mountsMatch(container: Docker.ContainerInspectInfo, image: Docker.ContainerInspectInfo['Config'], service: ServicePlan): boolean {
  const actual = new Map(container.Mounts.map((m) => [m.Destination, m]));
  const planned = plannedMounts(service);
  for (const mount of planned) {
    const found = actual.get(mount.target);
    if (!found || found.Type !== mount.type || found.RW === mount.readOnly) return false;
    if (mount.type === 'bind' && found.Source !== mount.source) return false;
    if (mount.type === 'volume' && mount.source !== '' && found.Name !== mount.source) return false;
  }
  const targets = new Set(planned.map((m) => m.target));
  const imageVolumes = new Set(Object.keys(image.Volumes ?? {}));
  return container.Mounts.every((m) => targets.has(m.Destination) || (m.Type === 'volume' && imageVolumes.has(m.Destination)));
}

/** Every planned network, each with at least the planned aliases (engines add the container's
 * id and name), and no other network of the project. A network someone connected the
 * container to besides (`docker network connect`) is theirs: Compose keeps such a container
 * too, and recreating it would cut it off. The project's own networks are told by Compose's
 * naming, `<project>_<key>` (one taken out of the compose file is in no plan any more); one
 * with its own `name:` that was taken out is then kept like someone else's. */
function networksMatch(container: Docker.ContainerInspectInfo, service: ServicePlan): boolean {
  const actual = container.NetworkSettings.Networks ?? {};
  const planned = new Set(service.networks.map((n) => n.name));
  const project = container.Config.Labels?.[PROJECT_LABEL];
  if (project !== undefined && Object.keys(actual).some((name) => !planned.has(name) && name.startsWith(`${project}_`))) {
    return false;
  }
  return service.networks.every(
    (n) => actual[n.name] !== undefined && n.aliases.every((alias) => (actual[n.name]?.Aliases ?? []).includes(alias)),
  );
}
