import type Docker from 'dockerode';

/**
 * What `up` creates, already resolved to the engine's terms: names, labels, the
 * container's create options. Built from a compose project by `planStack`; the engine
 * code below works only on this.
 */
export interface StackPlan {
  readonly project: string;
  readonly workingDir: string;
  readonly configFiles: readonly string[];
  readonly networks: readonly ResourcePlan[];
  readonly volumes: readonly ResourcePlan[];
  /** Active services, each after the services it depends on. */
  readonly services: readonly ServicePlan[];
}

export interface ResourcePlan {
  /** The key in the compose file (`redis-data`). */
  readonly key: string;
  /** The engine's name (`shared-redis_redis-data`, or the file's `name:`). */
  readonly name: string;
  readonly external: boolean;
  readonly driver: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServicePlan {
  readonly service: string;
  readonly containerName: string;
  readonly image: string;
  /** The extension's digest of the service's model (`ComposeService.configHash`): equal means nothing changed. */
  readonly configHash: string;
  /** Compose v1's `config_dict()` without `image_id`, to write the config-hash `docker-compose` expects. */
  readonly composeV1Config: Readonly<Record<string, unknown>>;
  readonly dependsOn: ReadonlyArray<{ readonly service: string; readonly condition: DependencyCondition }>;
  readonly hasHealthcheck: boolean;
  /** Labelled run-once (see RUN_ONCE_LABEL): done when it exited 0, never started again then. */
  readonly runOnce: boolean;
  readonly ports: ReadonlyArray<{ readonly hostIp: string; readonly hostPort: string; readonly containerPort: string; readonly protocol: string }>;
  /** Networks (engine names) with the aliases the container answers to on each. */
  readonly networks: ReadonlyArray<{ readonly name: string; readonly aliases: readonly string[] }>;
  /** Create options without name, labels or networking, which `up` adds. */
  readonly create: Omit<Docker.ContainerCreateOptions, 'name' | 'NetworkingConfig'>;
}
