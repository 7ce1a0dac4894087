import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import type { StackSettings } from '../../src/docker/stack/stackController';
import { fillEnvTemplate } from '../../src/docker/stack/dotenvFile';
import { generatePassword } from '../../src/docker/stack/secrets';
import { PROJECT_LABEL } from '../../src/docker/stack/labels';
import { stackAclFile, syncAclFile } from '../../src/docker/stack/serviceAccess';
import { replicationConfFile, syncReplicationConf } from '../../src/docker/stack/clusterStack';

/** The Redis image built offline by scripts/build-redis-image.sh (no registry here). */
export const OFFLINE_REDIS_IMAGE = process.env['SHARED_REDIS_TEST_IMAGE'] ?? 'shared-redis/redis-offline:7.0.15';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const BUNDLED_STACK = join(REPO_ROOT, 'stack');
/** The cluster variant: six nodes and the init that forms the cluster. */
export const BUNDLED_CLUSTER_STACK = join(BUNDLED_STACK, 'cluster');

/** The design's namespaces, each with its service user in the stack's ACL file. */
export const DEFAULT_POLICY = { declared: ['auth', 'user', 'shared'], delimiter: ':' } as const;

/** The stack's own user for the extension, with REDIS_PASSWORD. */
export const OPERATOR = 'operator';

export interface StackFixture {
  readonly dir: string;
  readonly composeFile: string;
  readonly project: string;
  readonly password: string;
  readonly port: number;
  readonly network: string;
  setEnv(values: Record<string, string>): void;
  cleanup(docker: Docker): Promise<void>;
}

/**
 * A copy of the shipped stack in a temp folder, with its own project name, network,
 * host port and a generated password, running the offline image.
 */
export function stackFixture(
  port: number,
  overrides: Record<string, string> = {},
  source = BUNDLED_STACK,
): StackFixture {
  const dir = mkdtempSync(join(tmpdir(), 'shared-redis-stack-'));
  const id = Math.random().toString(36).slice(2, 8);
  const project = `srtest-${id}`;
  const network = `srtest-net-${id}`;
  const password = generatePassword();
  cpSync(source, dir, { recursive: true });
  const envFile = join(dir, '.env');
  const values = {
    REDIS_PASSWORD: password,
    COMMANDER_PASSWORD: generatePassword(),
    REDIS_PORT: String(port),
    REDIS_IMAGE: OFFLINE_REDIS_IMAGE,
    REDIS_NETWORK: network,
    ...overrides,
  };
  writeFileSync(envFile, fillEnvTemplate(readFileSync(join(dir, '.env.example'), 'utf8'), values));
  // users.acl as Create Stack writes it, so docker-compose can start the folder on its own too.
  syncAclFile({ envFile, aclFile: stackAclFile(dir) }, DEFAULT_POLICY);
  if (source === BUNDLED_CLUSTER_STACK) syncReplicationConf(envFile, replicationConfFile(dir));
  return {
    dir,
    composeFile: join(dir, 'docker-compose.yml'),
    project,
    password,
    port,
    network,
    setEnv: (more) => writeFileSync(envFile, fillEnvTemplate(readFileSync(envFile, 'utf8'), more)),
    cleanup: async (docker) => {
      await removeProject(docker, project);
      await docker
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Removes everything labelled with the project, volumes included: test data only. */
export async function removeProject(docker: Docker, project: string): Promise<void> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    // v: its anonymous volumes too (test data only).
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
  }
}

/** What the engine holds for a project: used to check that a failure left nothing behind. */
export async function projectResources(
  docker: Docker,
  project: string,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

/**
 * A copy of the shipped cluster stack in a temp folder (see {@link stackFixture}): six
 * nodes on six free loopback ports (`port` is node 1's).
 */
export function clusterStackFixture(ports: readonly number[], overrides: Record<string, string> = {}): StackFixture {
  const published = Object.fromEntries(ports.map((p, i) => [`REDIS_CLUSTER_PORT_${i + 1}`, String(p)]));
  return stackFixture(ports[0] ?? 0, { ...published, ...overrides }, BUNDLED_CLUSTER_STACK);
}

/** The controller's settings for the fixture's stack, as the extension passes them for a `sharedRedis.composeFile` setting. */
export function stackSettings(fixture: StackFixture): StackSettings {
  return {
    location: {
      composeFile: fixture.composeFile,
      composeFiles: [fixture.composeFile],
      envFile: join(fixture.dir, '.env'),
      source: 'setting',
    },
    bundledStackDir: BUNDLED_STACK,
    projectName: fixture.project,
    policy: DEFAULT_POLICY,
    env: { PATH: process.env['PATH'] },
  };
}
