/**
 * The labels docker compose puts on what it creates. With them, `docker compose ps`,
 * `docker compose down` (v2) and `docker-compose` (v1) see what the extension started
 * as their own project, and the extension sees theirs.
 */
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';
export const CONTAINER_NUMBER_LABEL = 'com.docker.compose.container-number';
export const ONEOFF_LABEL = 'com.docker.compose.oneoff';
export const CONFIG_HASH_LABEL = 'com.docker.compose.config-hash';
export const WORKING_DIR_LABEL = 'com.docker.compose.project.working_dir';
export const CONFIG_FILES_LABEL = 'com.docker.compose.project.config_files';
export const VERSION_LABEL = 'com.docker.compose.version';
export const NETWORK_LABEL = 'com.docker.compose.network';
export const VOLUME_LABEL = 'com.docker.compose.volume';
/** On the container Compose v2 creates to replace another (it is created under a temporary name). */
export const REPLACE_LABEL = 'com.docker.compose.replace';
/** Marks objects this extension created, for its own diagnostics only. */
export const CREATED_BY_LABEL = 'dev.shared-redis.created-by';
/**
 * On containers the extension created: its own digest of the service's model. Equal digest
 * and image is a fast "unchanged"; the config-hash label holds Compose v1's hash instead.
 */
export const PLAN_DIGEST_LABEL = 'dev.shared-redis.plan-digest';

/**
 * On a service: it runs once. Its container, once it exited 0 with an unchanged configuration,
 * is not started again by Start or Restart (Compose would run it again). The cluster stack's
 * init has it, so `redis-cli --cluster create` runs once.
 */
export const RUN_ONCE_LABEL = 'dev.shared-redis.run-once';

/** The Compose file format level whose behaviour the extension follows. */
export const COMPOSE_VERSION = '2.24.0';

export function projectFilter(project: string): { label: string[] } {
  return { label: [`${PROJECT_LABEL}=${project}`] };
}
