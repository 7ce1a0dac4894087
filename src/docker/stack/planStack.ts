import type Docker from 'dockerode';
import type { ComposeMount, ComposePort, ComposeProject, ComposeService } from '../compose/model';
import { composeV1Config } from './composeV1Hash';
import type { ServicePlan, StackPlan } from './plan';
import { RUN_ONCE_LABEL } from './labels';

/** Turns a loaded compose project into what the engine is asked to create. */
export function planStack(project: ComposeProject): StackPlan {
  return {
    project: project.name,
    workingDir: project.workingDir,
    configFiles: project.configFiles,
    networks: project.networks.map((n) => ({ key: n.key, name: n.name, external: n.external, driver: n.driver, labels: n.labels })),
    volumes: project.volumes.map((v) => ({ key: v.key, name: v.name, external: v.external, driver: v.driver, labels: v.labels })),
    services: project.services.map((s) => planService(project.name, s)),
  };
}

function planService(project: string, service: ComposeService): ServicePlan {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of service.ports) {
    const key = `${port.target}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp ?? '', HostPort: port.published ?? '' });
  }
  const create: Omit<Docker.ContainerCreateOptions, 'name' | 'NetworkingConfig'> = {
    Image: service.image,
    Env: Object.entries(service.environment).map(([key, value]) => `${key}=${value}`),
    Labels: { ...service.labels },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      // Short-syntax binds go through `Binds`, which creates a missing host path as Compose
      // does on every engine version; everything else through `Mounts`.
      Binds: service.volumes.filter((m) => m.type === 'bind' && m.createHostPath).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
      Mounts: service.volumes.filter((m) => !(m.type === 'bind' && m.createHostPath)).map(mountOf),
      RestartPolicy: service.restart
        ? { Name: service.restart.name, ...(service.restart.maximumRetryCount !== undefined ? { MaximumRetryCount: service.restart.maximumRetryCount } : {}) }
        : { Name: 'no' },
    },
    ...(service.command ? { Cmd: [...service.command] } : {}),
    ...(service.entrypoint ? { Entrypoint: [...service.entrypoint] } : {}),
    ...(service.healthcheck ? { Healthcheck: healthcheckOf(service) } : {}),
  };
  return {
    service: service.name,
    containerName: service.containerName ?? `${project}-${service.name}-1`,
    image: service.image,
    configHash: service.configHash,
    composeV1Config: composeV1Config(service),
    dependsOn: service.dependsOn.map((d) => ({ service: d.service, condition: d.condition })),
    hasHealthcheck: service.healthcheck?.test?.[0] !== 'NONE' && service.healthcheck !== undefined,
    runOnce: service.labels[RUN_ONCE_LABEL] === 'true',
    ports: service.ports.map(portOf),
    networks: service.networks.map((n) => ({ name: n.name, aliases: [service.name, ...n.aliases] })),
    create,
  };
}

function portOf(port: ComposePort): ServicePlan['ports'][number] {
  return { hostIp: port.hostIp ?? '', hostPort: port.published ?? '', containerPort: String(port.target), protocol: port.protocol };
}

function mountOf(mount: ComposeMount): Docker.MountSettings {
  if (mount.type === 'bind') {
    return { Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly };
  }
  return {
    Type: 'volume', Source: mount.volumeName ?? '', Target: mount.target, ReadOnly: mount.readOnly,
    ...(mount.nocopy ? { VolumeOptions: { NoCopy: true } } : {}),
  } as Docker.MountSettings;
}

function healthcheckOf(service: ComposeService): Docker.HealthConfig {
  const h = service.healthcheck;
  return {
    ...(h?.test ? { Test: [...h.test] } : {}),
    ...(h?.interval !== undefined ? { Interval: h.interval } : {}),
    ...(h?.timeout !== undefined ? { Timeout: h.timeout } : {}),
    ...(h?.startPeriod !== undefined ? { StartPeriod: h.startPeriod } : {}),
    ...(h?.retries !== undefined ? { Retries: h.retries } : {}),
  };
}
