import { isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../duration';
import type { ComposeHealthcheck, ComposePort, ComposeRestartPolicy, DependencyCondition } from '../model';
import { splitShellWords } from '../shellwords';
import type { TreeNode } from '../yamlTree';
import { Checker, fileOf, Place } from './check';
import { RawMount, readMount } from './mounts';
import { readPort } from './ports';

export const SERVICE_KEYS = [
  'image',
  'container_name',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'volumes',
  'networks',
  'healthcheck',
  'restart',
  'depends_on',
  'labels',
  'profiles',
] as const;

const HEALTHCHECK_KEYS = ['test', 'interval', 'timeout', 'start_period', 'start_interval', 'retries', 'disable'];
const DEPENDS_ON_KEYS = ['condition', 'restart', 'required'];
const CONDITIONS: readonly DependencyCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface RawEnvFile {
  /** Absolute path to read. */
  readonly path: string;
  /** As written in the file, resolved against the compose file's name as the caller gave it (for messages). */
  readonly display: string;
  readonly required: boolean;
  readonly node: TreeNode;
}

export interface RawNetworkRef {
  readonly key: string;
  readonly aliases: readonly string[];
  readonly line: number;
  readonly path: string;
  readonly file?: string;
}

export interface RawDependency {
  readonly service: string;
  readonly condition: DependencyCondition;
  readonly restart: boolean;
  readonly required: boolean;
  readonly line: number;
  readonly path: string;
  readonly file?: string;
}

/** A service as written, validated, before env files are read and names are resolved. */
export interface RawService {
  readonly name: string;
  readonly line: number;
  readonly path: string;
  /** The file that declared the service, when the tree merges several (absent: the first file). */
  readonly file?: string;
  readonly image?: string;
  readonly containerName?: string;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly envFiles: readonly RawEnvFile[];
  /** In file order; undefined value: take it from the project environment, or leave it out. */
  readonly environment: ReadonlyArray<readonly [string, string | undefined]>;
  readonly ports: readonly ComposePort[];
  readonly mounts: readonly RawMount[];
  /** Undefined: the service lists no networks and joins `default`. */
  readonly networks?: readonly RawNetworkRef[];
  readonly healthcheck?: ComposeHealthcheck;
  readonly restart?: ComposeRestartPolicy;
  readonly dependsOn: readonly RawDependency[];
  readonly labels: Readonly<Record<string, string>>;
  readonly profiles: readonly string[];
}

export interface ServiceContext {
  readonly check: Checker;
  /** Absolute folder of the compose file. */
  readonly workingDir: string;
  /** Folder of the compose file as the caller named it (for messages about env files). */
  readonly displayDir: string;
}

/**
 * Compose's unicity rule (compose-go override/uncity.go, EnforceUnicity): in these lists a
 * later item with the same key replaces the earlier one, in the earlier one's place. It
 * runs on every file, and after an override file is merged in.
 */
export function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const result: T[] = [];
  const index = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, result.length);
      result.push(item);
    } else {
      result[at] = item;
    }
  }
  return result;
}

/**
 * compose-go's portIndexer on the canonical (long) form: host IP (0.0.0.0 when absent),
 * published, target, protocol; `mode` is not part of it.
 */
function portKey(port: ComposePort): string {
  return `${port.hostIp ?? '0.0.0.0'}:${port.published ?? ''}:${port.target}/${port.protocol}`;
}

/** `command:` / `entrypoint:` as a list, a shell-style string, or null (the image's own). */
function readCommand(check: Checker, node: TreeNode): string[] | null | undefined {
  if (node.kind === 'scalar' && node.value === null && !node.failed) return null;
  if (node.kind === 'scalar' && typeof node.value === 'string' && !node.failed) {
    try {
      return splitShellWords(node.value);
    } catch (error) {
      return check.expected(node, 'a command line', (error as Error).message);
    }
  }
  if (node.kind === 'seq') return check.stringList(node, 'a list of strings or a command line');
  return check.expected(node, 'a list of strings or a command line');
}

/** `KEY=VALUE` items or a mapping; `onBare` is the value of a lone `KEY` (or `KEY:` with nothing). */
function readKeyValues<T>(
  check: Checker,
  node: TreeNode,
  what: string,
  onBare: T,
): Array<[string, string | T]> | undefined {
  const entries: Array<[string, string | T]> = [];
  if (node.kind === 'map') {
    for (const entry of node.entries) {
      if (entry.value.kind === 'scalar' && entry.value.value === null && !entry.value.failed) {
        entries.push([entry.key, onBare]);
        continue;
      }
      const value = check.text(entry.value, 'a string, number or boolean', onBare);
      if (value !== undefined) entries.push([entry.key, value]);
    }
    return entries;
  }
  const seq = check.seq(node, `${what} (a mapping, or a list of "KEY=VALUE")`);
  if (!seq) return undefined;
  for (const item of seq.items) {
    const text = check.string(item, '"KEY=VALUE"');
    if (text === undefined) continue;
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    if (key === '') {
      check.expected(item, '"KEY=VALUE"');
      continue;
    }
    entries.push(eq < 0 ? [key, onBare] : [key, text.slice(eq + 1)]);
  }
  return entries;
}

export function readLabels(check: Checker, node: TreeNode): Record<string, string> | undefined {
  const entries = readKeyValues(check, node, 'labels', '');
  return entries && Object.fromEntries(entries);
}

function readDuration(check: Checker, node: TreeNode): number | undefined {
  const what = 'a duration like "5s", "1m30s" or "500ms"';
  if (node.kind === 'scalar' && node.failed) return undefined;
  if (node.kind !== 'scalar' || typeof node.value !== 'string') return check.expected(node, what);
  const nanoseconds = parseDuration(node.value);
  if (nanoseconds === undefined) return check.expected(node, what);
  if (nanoseconds !== 0 && nanoseconds < 1e6) return check.expected(node, what, 'the engine wants at least 1ms');
  return nanoseconds;
}

function readHealthcheck(check: Checker, node: TreeNode): ComposeHealthcheck | undefined {
  const map = check.map(node, 'a mapping with test, interval, timeout, start_period, retries or disable');
  if (!map) return undefined;
  check.keys(map, HEALTHCHECK_KEYS);
  const get = (key: string): TreeNode | undefined => Checker.get(map, key);
  const disableNode = get('disable');
  const disable = disableNode ? check.boolean(disableNode) : false;
  const testNode = get('test');
  let test: string[] | undefined;
  if (testNode) {
    const what = 'a command line (run by the shell), or a list starting with "CMD", "CMD-SHELL" or "NONE"';
    if (testNode.kind === 'scalar' && typeof testNode.value === 'string' && !testNode.failed) {
      test = testNode.value.trim() === '' ? check.expected(testNode, what) : ['CMD-SHELL', testNode.value];
    } else if (testNode.kind === 'seq') {
      const items = check.stringList(testNode, what);
      const [kind, ...args] = items ?? [];
      if (items === undefined) test = undefined;
      else if (kind === 'NONE' && args.length === 0) test = items;
      else if (kind === 'CMD' && args.length > 0) test = items;
      else if (kind === 'CMD-SHELL' && args.length === 1) test = items;
      else {
        check.expected(
          testNode,
          what,
          kind === 'CMD-SHELL'
            ? '"CMD-SHELL" takes exactly one command line'
            : kind === 'CMD'
              ? '"CMD" needs a program to run'
              : 'the first item must be "CMD", "CMD-SHELL" or "NONE"',
        );
      }
    } else {
      check.expected(testNode, what);
    }
  }
  if (disable === true) {
    if (testNode) {
      return check.report(
        { line: disableNode?.line ?? map.line, path: `${map.path}.disable`, ...fileOf(disableNode ?? map) },
        '"disable: true" cannot be combined with "test"',
      );
    }
    return { test: ['NONE'] };
  }
  const result: { -readonly [K in keyof ComposeHealthcheck]: ComposeHealthcheck[K] } = {};
  if (test) result.test = test;
  for (const [key, field] of [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start_period', 'startPeriod'],
    ['start_interval', 'startInterval'],
  ] as const) {
    const valueNode = get(key);
    if (!valueNode) continue;
    const value = readDuration(check, valueNode);
    if (value !== undefined) result[field] = value;
  }
  const retriesNode = get('retries');
  if (retriesNode) {
    const retries = check.integer(retriesNode, 'a number of retries', 0);
    if (retries !== undefined) result.retries = retries;
  }
  return result;
}

function readRestart(check: Checker, node: TreeNode): ComposeRestartPolicy | undefined {
  const what = '"no", "always", "on-failure", "on-failure:N" or "unless-stopped"';
  const text = check.string(node, what);
  if (text === undefined) return undefined;
  if (text === 'no' || text === 'always' || text === 'unless-stopped' || text === 'on-failure') return { name: text };
  const match = /^on-failure:(\d+)$/.exec(text);
  if (match) return { name: 'on-failure', maximumRetryCount: Number(match[1]) };
  return check.expected(node, what);
}

function readDependsOn(check: Checker, node: TreeNode): RawDependency[] {
  const dependencies: RawDependency[] = [];
  if (node.kind === 'seq') {
    node.items.forEach((item) => {
      const service = check.nonEmptyString(item, 'a service name');
      if (service !== undefined) {
        dependencies.push({
          service,
          condition: 'service_started',
          restart: false,
          required: true,
          line: item.line,
          path: item.path,
          ...fileOf(item),
        });
      }
    });
    return dependencies;
  }
  const map = check.map(node, 'a list of service names, or a mapping of service name to { condition }');
  if (!map) return dependencies;
  for (const entry of map.entries) {
    const options = check.optionalMap(entry.value, 'a mapping with condition, restart or required');
    if (!options) continue;
    check.keys(options, DEPENDS_ON_KEYS);
    let condition: DependencyCondition = 'service_started';
    const conditionNode = Checker.get(options, 'condition');
    if (conditionNode) {
      const text = check.string(
        conditionNode,
        CONDITIONS.map((c) => `"${c}"`)
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1'),
      );
      if (text !== undefined && CONDITIONS.includes(text as DependencyCondition)) {
        condition = text as DependencyCondition;
      } else if (text !== undefined) {
        check.expected(
          conditionNode,
          CONDITIONS.map((c) => `"${c}"`)
            .join(', ')
            .replace(/, ([^,]*)$/, ' or $1'),
        );
      }
    }
    const restartNode = Checker.get(options, 'restart');
    const requiredNode = Checker.get(options, 'required');
    const restart = restartNode ? (check.boolean(restartNode) ?? false) : false;
    const required = requiredNode ? (check.boolean(requiredNode) ?? true) : true;
    dependencies.push({
      service: entry.key,
      condition,
      restart,
      required,
      line: entry.line,
      path: entry.value.path,
      ...fileOf(entry),
    });
  }
  return dependencies;
}

function readNetworks(check: Checker, node: TreeNode): RawNetworkRef[] | undefined {
  if (node.kind === 'seq') {
    const refs: RawNetworkRef[] = [];
    for (const item of node.items) {
      const key = check.nonEmptyString(item, 'a network name');
      if (key !== undefined) refs.push({ key, aliases: [], line: item.line, path: item.path, ...fileOf(item) });
    }
    return refs;
  }
  const map = check.map(node, 'a list of network names, or a mapping of network name to { aliases }');
  if (!map) return undefined;
  const refs: RawNetworkRef[] = [];
  for (const entry of map.entries) {
    const options = check.optionalMap(entry.value, 'a mapping with aliases');
    if (!options) continue;
    check.keys(options, ['aliases']);
    const aliasesNode = Checker.get(options, 'aliases');
    const aliases = aliasesNode ? (check.stringList(aliasesNode, 'a list of host names') ?? []) : [];
    // Compose keeps one of each alias (compose-go override/uncity.go).
    refs.push({
      key: entry.key,
      aliases: [...new Set(aliases)],
      line: entry.line,
      path: entry.value.path,
      ...fileOf(entry),
    });
  }
  return refs;
}

function readEnvFiles(context: ServiceContext, node: TreeNode): RawEnvFile[] {
  const { check, workingDir, displayDir } = context;
  const what = 'a file path, or a list of file paths';
  const items = node.kind === 'seq' ? node.items : [node];
  const files: RawEnvFile[] = [];
  for (const item of items) {
    let pathNode: TreeNode = item;
    let required = true;
    if (item.kind === 'map' && node.kind === 'seq') {
      check.keys(item, ['path', 'required']);
      const found = Checker.get(item, 'path');
      if (!found) {
        check.report(item, 'an env_file entry needs "path"');
        continue;
      }
      pathNode = found;
      const requiredNode = Checker.get(item, 'required');
      required = requiredNode ? (check.boolean(requiredNode) ?? true) : true;
    }
    const file = check.nonEmptyString(pathNode, node.kind === 'seq' ? 'a file path' : what);
    if (file === undefined) continue;
    const absolute = isAbsolute(file) ? file : resolve(workingDir, file);
    files.push({ path: absolute, display: isAbsolute(file) ? file : join(displayDir, file), required, node: pathNode });
  }
  return files;
}

export function readService(context: ServiceContext, name: string, at: Place, node: TreeNode): RawService | undefined {
  const { line } = at;
  const { check } = context;
  const map = check.map(node, "a mapping with the service's image, ports, volumes, ...");
  if (!map) return undefined;
  if (!NAME.test(name)) {
    check.report(
      { ...at, path: map.path },
      'a service name may only contain letters, digits, ".", "_" and "-", and must not start with one of the last three',
    );
  }
  check.keys(map, SERVICE_KEYS);
  const get = (key: string): TreeNode | undefined => Checker.get(map, key);

  const service: { -readonly [K in keyof RawService]: RawService[K] } = {
    name,
    line,
    path: map.path,
    ...fileOf(at),
    envFiles: [],
    environment: [],
    ports: [],
    mounts: [],
    dependsOn: [],
    labels: {},
    profiles: [],
  };
  const image = get('image');
  if (image) {
    const value = check.nonEmptyString(image, 'an image reference like "redis:7.2-alpine"');
    if (value !== undefined) service.image = value;
  } else {
    check.report({ ...at, path: map.path }, 'no "image" (this loader runs images and does not build them)');
  }
  const containerName = get('container_name');
  if (containerName) {
    const value = check.string(containerName, 'a container name of letters, digits, ".", "_" and "-"');
    if (value !== undefined && /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(value)) service.containerName = value;
    else if (value !== undefined) {
      check.expected(containerName, 'a container name of letters, digits, ".", "_" and "-"');
    }
  }
  for (const key of ['command', 'entrypoint'] as const) {
    const valueNode = get(key);
    const value = valueNode ? readCommand(check, valueNode) : null;
    if (value) service[key] = value;
  }
  const environment = get('environment');
  if (environment) service.environment = readKeyValues(check, environment, 'environment variables', undefined) ?? [];
  const envFile = get('env_file');
  if (envFile) {
    service.envFiles = uniqueBy(readEnvFiles(context, envFile), (file) =>
      file.node.kind === 'scalar' ? String(file.node.value) : file.path,
    );
  }
  const ports = get('ports');
  if (ports) {
    const seq = check.seq(ports, 'a list of port mappings');
    service.ports = uniqueBy(seq ? seq.items.flatMap((item) => readPort(check, item) ?? []) : [], portKey);
  }
  const volumes = get('volumes');
  if (volumes) {
    const seq = check.seq(volumes, 'a list of volumes');
    service.mounts = uniqueBy(
      seq ? seq.items.flatMap((item) => readMount(check, item, context.workingDir) ?? []) : [],
      (mount) => mount.target,
    );
  }
  const networks = get('networks');
  if (networks) {
    // An empty list or mapping joins `default`, as if there were none.
    const refs = readNetworks(check, networks);
    if (refs && refs.length > 0) service.networks = refs;
  }
  const healthcheck = get('healthcheck');
  if (healthcheck) {
    const value = readHealthcheck(check, healthcheck);
    if (value) service.healthcheck = value;
  }
  const restart = get('restart');
  if (restart) {
    const value = readRestart(check, restart);
    if (value) service.restart = value;
  }
  const dependsOn = get('depends_on');
  if (dependsOn) service.dependsOn = readDependsOn(check, dependsOn);
  const labels = get('labels');
  if (labels) service.labels = readLabels(check, labels) ?? {};
  const profiles = get('profiles');
  if (profiles) {
    const list = check.stringList(profiles, 'a list of profile names') ?? [];
    const seq = profiles.kind === 'seq' ? profiles.items : [];
    list.forEach((profile, index) => {
      const item = seq[index];
      if (!NAME.test(profile) && item) check.expected(item, 'a profile name of letters, digits, ".", "_" and "-"');
    });
    service.profiles = uniqueBy(list, (profile) => profile);
  }
  return service;
}

/** Checks a service reaches only declared volumes and networks. */
export function checkReferences(
  check: Checker,
  service: RawService,
  volumes: ReadonlySet<string>,
  networks: ReadonlySet<string>,
): void {
  for (const mount of service.mounts) {
    if (mount.type === 'volume' && mount.source !== undefined && !volumes.has(mount.source)) {
      check.report(mount.node, `volume "${mount.source}" is not declared under the top-level "volumes"`);
    }
  }
  for (const ref of service.networks ?? []) {
    if (ref.key !== 'default' && !networks.has(ref.key)) {
      check.report(ref, `network "${ref.key}" is not declared under the top-level "networks"`);
    }
  }
}
