/**
 * The typed model of a compose project after loading: interpolated, validated, with
 * relative paths resolved and durations in nanoseconds, ready to be turned into Docker
 * Engine API calls. Plain data only (no classes), so it can be hashed, logged (it holds
 * environment values: never log it whole) and compared.
 */

/** `${key}` of the top-level `networks` or `volumes` section, and the engine name it resolves to. */
export interface ComposeNetwork {
  /** Key under top-level `networks` (`default` for the implicit one). */
  readonly key: string;
  /** Name on the engine: `name:` if given, the key if external, else `<project>_<key>`. */
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ComposeVolume {
  readonly key: string;
  /** Name on the engine: `name:` if given, the key if external, else `<project>_<key>`. */
  readonly name: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface ComposePort {
  /** Port inside the container. */
  readonly target: number;
  /** Host port or range (`6379`, `8000-8010`); absent: the engine picks one. */
  readonly published?: string;
  /** Host address to bind (`127.0.0.1`, `::1`); absent: every interface. */
  readonly hostIp?: string;
  readonly protocol: PortProtocol;
  readonly mode?: 'host' | 'ingress';
}

export interface ComposeVolumeMount {
  readonly type: 'volume';
  /** Key of the top-level volume; absent for an anonymous volume. */
  readonly source?: string;
  /** Engine name of the volume (see {@link ComposeVolume.name}); absent when anonymous. */
  readonly volumeName?: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly nocopy?: boolean;
}

export interface ComposeBindMount {
  readonly type: 'bind';
  /** Absolute host path (relative paths are resolved against the compose file's folder, `~` against the home folder). */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  /** Short syntax binds create a missing host folder, as `docker compose` does; long syntax ones do not. */
  readonly createHostPath: boolean;
  readonly selinux?: 'z' | 'Z';
}

export type ComposeMount = ComposeVolumeMount | ComposeBindMount;

export interface ComposeServiceNetwork {
  /** Key of the top-level network. */
  readonly key: string;
  /** Engine name of the network. */
  readonly name: string;
  readonly aliases: readonly string[];
}

export interface ComposeHealthcheck {
  /**
   * As the Engine API wants it: `['CMD', exe, ...args]`, `['CMD-SHELL', command]` or
   * `['NONE']`; absent: the image's own healthcheck, with the timings below.
   */
  readonly test?: readonly string[];
  /** Nanoseconds. */
  readonly interval?: number;
  readonly timeout?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly retries?: number;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeDependency {
  readonly service: string;
  readonly condition: DependencyCondition;
  /** Restart this service when the dependency is restarted (`restart: true`). */
  readonly restart: boolean;
}

export interface ComposeRestartPolicy {
  /** As the Engine API's `RestartPolicy.Name`. */
  readonly name: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  /** Only with `on-failure:N`. */
  readonly maximumRetryCount?: number;
}

export interface ComposeService {
  readonly name: string;
  readonly image: string;
  readonly containerName?: string;
  /** Absent: the image's CMD. A string in the file is split the way a shell would. */
  readonly command?: readonly string[];
  /** Absent: the image's ENTRYPOINT. */
  readonly entrypoint?: readonly string[];
  /** `env_file` values first, then `environment` over them. Holds secrets: never log it. */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute paths of the `env_file`s that were read, in order. */
  readonly envFiles: readonly string[];
  readonly ports: readonly ComposePort[];
  readonly volumes: readonly ComposeMount[];
  /** Networks the service joins; `default` when the file lists none. */
  readonly networks: readonly ComposeServiceNetwork[];
  readonly healthcheck?: ComposeHealthcheck;
  readonly restart?: ComposeRestartPolicy;
  readonly dependsOn: readonly ComposeDependency[];
  readonly labels: Readonly<Record<string, string>>;
  readonly profiles: readonly string[];
  /**
   * SHA-256 (hex) over the canonical JSON of everything above: equal for an unchanged
   * service, different after any change. Goes on the `com.docker.compose.config-hash` label.
   */
  readonly configHash: string;
}

export interface ComposeEnvFile {
  /** Absolute path of the `.env` beside the compose file. */
  readonly path: string;
  readonly exists: boolean;
  /** Its values (after its own interpolation). Holds secrets: never log them. */
  readonly values: Readonly<Record<string, string>>;
}

export interface ComposeProject {
  /** Normalised project name (`com.docker.compose.project`). */
  readonly name: string;
  /** Absolute folder of the compose file (`com.docker.compose.project.working_dir`). */
  readonly workingDir: string;
  /** Absolute paths of the files read (`com.docker.compose.project.config_files`, comma-joined). */
  readonly configFiles: readonly string[];
  /** Active services (no profile, or a profile that is enabled), dependencies first. */
  readonly services: readonly ComposeService[];
  /** Services left out because none of their profiles is enabled. */
  readonly disabledServices: readonly string[];
  /** Enabled profiles: COMPOSE_PROFILES plus the explicit ones. */
  readonly profiles: readonly string[];
  /** Networks the active services use (as `docker compose up` creates them), in file order. */
  readonly networks: readonly ComposeNetwork[];
  /** Volumes the active services use, in file order. */
  readonly volumes: readonly ComposeVolume[];
  readonly envFile: ComposeEnvFile;
  /** Compose's warnings about the files (several with supported names, an obsolete `version`), as Compose words them. */
  readonly warnings: readonly string[];
}

export interface LoadComposeOptions {
  /** Variables that win over the `.env` file. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Profiles to enable besides those in COMPOSE_PROFILES. */
  readonly profiles?: readonly string[];
  /** Explicit project name; must already be a valid one. Wins over everything else. */
  readonly projectName?: string;
  /** The `.env` to read. Default: `.env` beside the first file (Compose with `-f`); the stack folder's when its files came from discovery or COMPOSE_FILE. */
  readonly envFile?: string;
  /** Warnings from choosing the files (see `files.ts`), passed on in {@link ComposeProject.warnings}. */
  readonly warnings?: readonly string[];
}
