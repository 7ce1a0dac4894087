import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DotenvError, parseDotenv } from './dotenv';
import { ComposeFileError, ComposeProblem, problemAt } from './errors';
import { configHash } from './hash';
import type { Lookup } from './interpolate';
import type {
  ComposeEnvFile,
  ComposeMount,
  ComposeNetwork,
  ComposeProject,
  ComposeService,
  ComposeVolume,
  LoadComposeOptions,
} from './model';
import { dependencyOrder } from './order';
import { enabledProfiles, isServiceEnabled } from './profiles';
import { ProjectNameError, resolveProjectName } from './projectName';
import { Checker } from './schema/check';
import { RawProject, RawResource, readProject } from './schema/project';
import type { RawService } from './schema/service';
import { mergeTrees, withoutResets } from './merge';
import { readYamlTree } from './yamlTree';
import type { TreeNode } from './yamlTree';

/** Own values only: `constructor` is not a variable. */
function own(record: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The mount without the tree node it was read from. */
function withoutNode<T extends { readonly node: unknown }>(value: T): Omit<T, 'node'> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'node')) as Omit<T, 'node'>;
}

/** Throws the problems, top of the file first (stable, so one line keeps its order). */
function fail(problems: readonly ComposeProblem[]): never {
  const files = [...new Set(problems.map((p) => p.file))];
  const sorted = files.flatMap((f) =>
    problems.filter((p) => p.file === f).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  );
  throw new ComposeFileError(sorted);
}

function dotenvProblem(file: string, error: unknown): ComposeProblem {
  if (error instanceof DotenvError) return problemAt(file, error.line, undefined, error.message, error.variable);
  throw error;
}

/**
 * Loads compose files the way Docker Compose would for `up` (`-f a -f b`): reads the
 * `.env`, interpolates each file, merges them in order by Compose's rules (`merge.ts`),
 * validates every supported key (anything else is an error naming the file, line and key
 * path), applies profiles, checks references and orders the active services by
 * `depends_on`. Throws {@link ComposeFileError} on any problem; nothing here touches the
 * engine. Relative paths in every file are relative to the first file's folder, as in Compose.
 *
 * Messages name files as the caller named them (absolute paths give absolute names).
 */
export async function loadComposeProject(
  fileOrFiles: string | readonly string[],
  options: LoadComposeOptions = {},
): Promise<ComposeProject> {
  const env = options.env ?? process.env;
  const files = typeof fileOrFiles === 'string' ? [fileOrFiles] : [...fileOrFiles];
  const file = files[0];
  if (file === undefined) fail([problemAt('(no compose file)', undefined, undefined, 'no compose file was given')]);
  const absoluteFiles = files.map((f) => resolve(f));
  const workingDir = dirname(resolve(file));
  const displayDir = dirname(file);

  const texts: string[] = [];
  const missing: ComposeProblem[] = [];
  for (const [index, name] of files.entries()) {
    let text: string | undefined;
    try {
      text = await readText(absoluteFiles[index] ?? name);
    } catch (error) {
      missing.push(problemAt(name, undefined, undefined, `cannot read the file: ${(error as Error).message}`));
      continue;
    }
    if (text === undefined) missing.push(problemAt(name, undefined, undefined, 'the file does not exist'));
    else texts.push(text);
  }
  if (missing.length > 0) fail(missing);

  // The project's .env; the process environment wins over it.
  const envFilePath = options.envFile !== undefined ? resolve(options.envFile) : join(workingDir, '.env');
  const envFileDisplay = options.envFile ?? join(displayDir, '.env');
  const fromEnv: Lookup = (name) => own(env, name);
  let dotenv: Record<string, string> = {};
  const envText = await readText(envFilePath);
  if (envText !== undefined) {
    try {
      dotenv = parseDotenv(envText, fromEnv);
    } catch (error) {
      fail([dotenvProblem(envFileDisplay, error)]);
    }
  }
  const lookup: Lookup = (name) => fromEnv(name) ?? own(dotenv, name);

  const problems: ComposeProblem[] = [];
  const trees = files.map((name, index) => readYamlTree(texts[index] ?? '', name, lookup, problems));
  if (trees.some((t) => t === undefined)) fail(problems);
  const warnings = [...(options.warnings ?? [])];
  let tree: TreeNode | undefined;
  for (const [index, next] of trees.entries()) {
    if (!next) continue; // not reached: a file without a tree failed above
    // compose-go loader.go warnObsoleteVersion, worded as Compose prints it.
    if (next.kind === 'map' && next.entries.some((e) => e.key === 'version')) {
      warnings.push(
        `${files[index] ?? ''}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`,
      );
    }
    tree =
      tree === undefined
        ? withoutResets(next)
        : mergeTrees(tree, next, { first: file, override: files[index] ?? '' }, problems);
  }
  if (!tree) fail(problems);
  const check = new Checker(file, problems);
  const raw = readProject({ check, workingDir, displayDir }, tree);
  if (!raw) fail(problems);

  const profiles = enabledProfiles(lookup('COMPOSE_PROFILES'), options.profiles);
  const active = raw.services.filter((s) => isServiceEnabled(s.profiles, profiles));
  const activeNames = new Set(active.map((s) => s.name));
  checkDependencies(check, raw, activeNames, profiles);
  // A cycle is an error in the file even among services whose profile is off.
  const allNames = new Set(raw.services.map((s) => s.name));
  const whole = dependencyOrder([...allNames], (name) => activeDependencies(raw, name, allNames));
  if ('cycle' in whole) {
    const first = raw.services.find((s) => s.name === whole.cycle[0]);
    const edge = first?.dependsOn.find((d) => d.service === whole.cycle[1]);
    check.report(
      edge ?? { line: first?.line ?? 1, path: `services.${whole.cycle[0] ?? ''}`, file: first?.file },
      `depends_on makes a cycle: ${whole.cycle.join(' -> ')}`,
    );
  }
  const order = dependencyOrder(
    active.map((s) => s.name),
    (name) => activeDependencies(raw, name, activeNames),
  );
  if (problems.length > 0) fail(problems);

  let name: string;
  try {
    name = resolveProjectName({
      explicit: options.projectName,
      environment: lookup('COMPOSE_PROJECT_NAME'),
      fromFile: raw.name,
      workingDir,
    }).name;
  } catch (error) {
    if (!(error instanceof ProjectNameError)) throw error;
    const where =
      error.source === 'COMPOSE_PROJECT_NAME' && fromEnv('COMPOSE_PROJECT_NAME') === undefined ? envFileDisplay : file;
    fail([problemAt(where, undefined, undefined, error.message)]);
  }

  const resourceName = (resource: RawResource): string =>
    resource.name ?? (resource.external ? resource.key : `${name}_${resource.key}`);
  const ordered = ('order' in order ? order.order : []).map(
    (serviceName) => active.find((s) => s.name === serviceName) as RawService,
  );

  // Networks and volumes the active services use, as `docker compose up` creates them.
  const usedNetworks = new Set(ordered.flatMap((s) => (s.networks ?? [{ key: 'default' }]).map((n) => n.key)));
  const declaredNetworks =
    usedNetworks.has('default') && !raw.networks.some((n) => n.key === 'default')
      ? [{ key: 'default', line: 1, external: false, labels: {} }, ...raw.networks]
      : raw.networks;
  const networks: ComposeNetwork[] = declaredNetworks
    .filter((n) => usedNetworks.has(n.key))
    .map((n) => ({
      key: n.key,
      name: resourceName(n),
      external: n.external,
      ...(n.driver !== undefined ? { driver: n.driver } : {}),
      labels: n.labels,
    }));
  const usedVolumes = new Set(
    ordered.flatMap((s) => s.mounts.flatMap((m) => (m.type === 'volume' && m.source !== undefined ? [m.source] : []))),
  );
  const volumes: ComposeVolume[] = raw.volumes
    .filter((v) => usedVolumes.has(v.key))
    .map((v) => ({
      key: v.key,
      name: resourceName(v),
      external: v.external,
      ...(v.driver !== undefined ? { driver: v.driver } : {}),
      labels: v.labels,
    }));
  const networkName = new Map(networks.map((n) => [n.key, n.name]));
  const volumeName = new Map(volumes.map((v) => [v.key, v.name]));

  const services: ComposeService[] = [];
  for (const service of ordered) {
    const environment: Record<string, string> = {};
    const envFiles: string[] = [];
    for (const envFile of service.envFiles) {
      const content = await readText(envFile.path).catch((error: Error) => {
        problems.push(
          problemAt(
            envFile.node.file ?? file,
            envFile.node.line,
            envFile.node.path,
            `cannot read ${envFile.display}: ${error.message}`,
          ),
        );
        return undefined;
      });
      if (content === undefined) {
        if (envFile.required) {
          problems.push(
            problemAt(
              envFile.node.file ?? file,
              envFile.node.line,
              envFile.node.path,
              `env file ${envFile.display} does not exist`,
            ),
          );
        }
        continue;
      }
      try {
        Object.assign(environment, parseDotenv(content, lookup));
        envFiles.push(envFile.path);
      } catch (error) {
        problems.push(dotenvProblem(envFile.display, error));
      }
    }
    for (const [key, value] of service.environment) {
      const resolved = value ?? lookup(key);
      if (resolved !== undefined) environment[key] = resolved;
      else delete environment[key];
    }
    const mounts: ComposeMount[] = service.mounts.map((mount) => {
      if (mount.type === 'bind') return withoutNode(mount);
      const volume = withoutNode(mount);
      const engineName = volume.source !== undefined ? volumeName.get(volume.source) : undefined;
      return { ...volume, ...(engineName !== undefined ? { volumeName: engineName } : {}) };
    });
    const config: Omit<ComposeService, 'configHash'> = {
      name: service.name,
      image: service.image ?? '',
      ...(service.containerName !== undefined ? { containerName: service.containerName } : {}),
      ...(service.command !== undefined ? { command: service.command } : {}),
      ...(service.entrypoint !== undefined ? { entrypoint: service.entrypoint } : {}),
      environment,
      envFiles,
      ports: service.ports,
      volumes: mounts,
      networks: (service.networks ?? [{ key: 'default', aliases: [] }]).map((n) => ({
        key: n.key,
        name: networkName.get(n.key) ?? n.key,
        aliases: n.aliases,
      })),
      ...(service.healthcheck !== undefined ? { healthcheck: service.healthcheck } : {}),
      ...(service.restart !== undefined ? { restart: service.restart } : {}),
      dependsOn: service.dependsOn
        .filter((d) => activeNames.has(d.service))
        .map((d) => ({ service: d.service, condition: d.condition, restart: d.restart })),
      labels: service.labels,
      profiles: service.profiles,
    };
    services.push({ ...config, configHash: configHash(config) });
  }
  if (problems.length > 0) fail(problems);

  const envFile: ComposeEnvFile = { path: envFilePath, exists: envText !== undefined, values: dotenv };
  return {
    name,
    workingDir,
    configFiles: absoluteFiles,
    services,
    disabledServices: raw.services.filter((s) => !activeNames.has(s.name)).map((s) => s.name),
    profiles,
    networks,
    volumes,
    envFile,
    warnings,
  };
}

/** The services `name` depends on, among `active`. */
function activeDependencies(raw: RawProject, name: string, active: ReadonlySet<string>): string[] {
  return (raw.services.find((s) => s.name === name)?.dependsOn ?? [])
    .map((d) => d.service)
    .filter((d) => active.has(d));
}

/** Every depends_on names a service of the file; an active service needs its required dependencies active too. */
function checkDependencies(
  check: Checker,
  raw: RawProject,
  active: ReadonlySet<string>,
  profiles: readonly string[],
): void {
  for (const service of raw.services) {
    for (const dependency of service.dependsOn) {
      const target = raw.services.find((s) => s.name === dependency.service);
      if (!target) {
        check.report(
          dependency,
          `service "${service.name}" depends on "${dependency.service}", which is not a service of this file`,
        );
      } else if (active.has(service.name) && !active.has(target.name) && dependency.required) {
        const enabled = profiles.length > 0 ? `enabled: ${profiles.join(', ')}` : 'none enabled';
        check.report(
          dependency,
          `service "${service.name}" depends on "${target.name}", which only runs with profile ${target.profiles.map((p) => `"${p}"`).join(' or ')} (${enabled})`,
        );
      }
    }
  }
}
