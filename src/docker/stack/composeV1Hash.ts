import { pythonJsonHash } from '../compose/hash';
import type { ComposeMount, ComposePort, ComposeService } from '../compose/model';

/**
 * Compose v1 (`docker-compose` 1.29.2) decides "changed" by comparing the
 * `com.docker.compose.config-hash` label with `Service.config_hash()`: `json_hash` of
 * `config_dict()` = `{options, image_id, links, net, ipc_mode, networks, secrets,
 * volumes_from}`, where `options` is the service's dictionary as v1's config loader
 * leaves it (compose/service.py, compose/project.py `from_config`, config/types.py).
 * Writing that same hash on the containers the extension creates is what lets
 * `docker-compose up -d` leave them alone.
 *
 * Reproduced from the loaded model for the keys the extension supports. `options` keeps
 * some things as they were written, which the model has already normalised; for those
 * this takes the common spelling, and a file written the other way gets a different hash
 * (docker-compose then recreates the container once, keeping its volumes):
 * - `command`/`entrypoint` written as one string (v1 hashes the string; here: the list),
 *   `healthcheck.test` written as a string (v1: the string; here: `['CMD-SHELL', …]`);
 * - a port's protocol written as `/tcp` (v1: "tcp"; here: none written); long-syntax ports;
 * - a long-syntax volume without `nocopy` (v1: a mount dict; here: `source:target:mode`);
 * - an `environment` value written as a YAML number, or a variable left unset (v1: 1, null).
 */
export function composeV1Config(service: ComposeService): Record<string, unknown> {
  const networks = Object.fromEntries(service.networks
    .map((n) => [n.name, n.aliases.length > 0 ? { aliases: [...n.aliases] } : {}] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const options: Record<string, unknown> = {
    ...(service.command ? { command: [...service.command] } : {}),
    ...(service.containerName !== undefined ? { container_name: service.containerName } : {}),
    ...(service.dependsOn.length > 0 ? { depends_on: Object.fromEntries(service.dependsOn.map((d) => [d.service, { condition: d.condition }])) } : {}),
    device_requests: null,
    ...(service.entrypoint ? { entrypoint: [...service.entrypoint] } : {}),
    ...(Object.keys(service.environment).length > 0 ? { environment: { ...service.environment } } : {}),
    ...(service.healthcheck ? { healthcheck: v1Healthcheck(service.healthcheck) } : {}),
    image: service.image,
    ...(Object.keys(service.labels).length > 0 ? { labels: { ...service.labels } } : {}),
    platform: null,
    ...(service.ports.length > 0 ? { ports: service.ports.map(v1Port) } : {}),
    ...(service.profiles.length > 0 ? { profiles: [...service.profiles] } : {}),
    ...(service.restart ? { restart: { Name: service.restart.name, MaximumRetryCount: service.restart.maximumRetryCount ?? 0 } } : {}),
    volumes: service.volumes.map(v1Volume),
  };
  return {
    options,
    links: [],
    // v1's primary network (`network_mode`'s id) is the first of the service's networks by name.
    net: Object.keys(networks)[0] ?? 'none',
    ipc_mode: null,
    networks,
    secrets: [],
    volumes_from: [],
  };
}

/** The hash v1 computes for the service: `config` from {@link composeV1Config}, `image_id` the engine's id of its image. */
export function composeV1ConfigHash(config: Readonly<Record<string, unknown>>, imageId: string | undefined): string {
  return pythonJsonHash({ ...config, image_id: imageId ?? null });
}

/** As written: v1 keeps the keys given, with durations in nanoseconds; `disable: true` is `test: [NONE]`. */
function v1Healthcheck(healthcheck: NonNullable<ComposeService['healthcheck']>): Record<string, unknown> {
  return {
    ...(healthcheck.test ? { test: [...healthcheck.test] } : {}),
    ...(healthcheck.interval !== undefined ? { interval: healthcheck.interval } : {}),
    ...(healthcheck.timeout !== undefined ? { timeout: healthcheck.timeout } : {}),
    ...(healthcheck.startPeriod !== undefined ? { start_period: healthcheck.startPeriod } : {}),
    ...(healthcheck.retries !== undefined ? { retries: healthcheck.retries } : {}),
  };
}

/** `ServicePort` is a namedtuple, so a JSON array: `[target, published, protocol, mode, external_ip]`. */
function v1Port(port: ComposePort): unknown[] {
  const published = port.published === undefined ? null : /^\d+$/.test(port.published) ? Number(port.published) : port.published;
  return [port.target, published, port.protocol === 'tcp' ? null : port.protocol, null, port.hostIp ?? null];
}

/** `VolumeSpec` (short syntax) is `[external, internal, mode]`; a long-syntax `MountSpec` is a dict of its set fields. */
function v1Volume(mount: ComposeMount): unknown {
  if (mount.type === 'volume' && mount.nocopy) {
    return { type: 'volume', ...(mount.volumeName ? { source: mount.volumeName } : {}), target: mount.target, ...(mount.readOnly ? { read_only: true } : {}), volume: { nocopy: true } };
  }
  if (mount.type === 'bind' && !mount.createHostPath) {
    return { type: 'bind', source: mount.source, target: mount.target, ...(mount.readOnly ? { read_only: true } : {}) };
  }
  const selinux = mount.type === 'bind' ? mount.selinux : undefined;
  const mode = selinux ? (mount.readOnly ? `ro,${selinux}` : selinux) : mount.readOnly ? 'ro' : 'rw';
  return [mount.type === 'bind' ? mount.source : mount.volumeName ?? null, mount.target, mode];
}
