import type { TreeNode } from '../yamlTree';
import { Checker, fileOf } from './check';
import { checkReferences, RawService, readLabels, readService, ServiceContext } from './service';

export const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes'];
const RESOURCE_KEYS = ['name', 'external', 'driver', 'labels'];
const KEY = /^[a-zA-Z0-9._-]+$/;

/** A top-level network or volume as written. */
export interface RawResource {
  readonly key: string;
  readonly line: number;
  readonly name?: string;
  readonly external: boolean;
  readonly driver?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface RawProject {
  /** Top-level `name:`, interpolated, not yet normalised. */
  readonly name?: string;
  /** Every service in the file, in file order. */
  readonly services: readonly RawService[];
  readonly networks: readonly RawResource[];
  readonly volumes: readonly RawResource[];
}

function readResources(check: Checker, node: TreeNode, kind: 'network' | 'volume'): RawResource[] {
  const map = check.optionalMap(node, `a mapping of ${kind} names`);
  if (!map) return [];
  const resources: RawResource[] = [];
  for (const entry of map.entries) {
    if (!KEY.test(entry.key)) {
      check.report(
        { line: entry.line, path: entry.value.path, ...fileOf(entry) },
        `a ${kind} key may only contain letters, digits, ".", "_" and "-"`,
      );
    }
    const options = check.optionalMap(entry.value, `a mapping with ${RESOURCE_KEYS.join(', ')} (or nothing)`);
    if (!options) continue;
    check.keys(options, RESOURCE_KEYS);
    const get = (key: string): TreeNode | undefined => Checker.get(options, key);
    const resource: { -readonly [K in keyof RawResource]: RawResource[K] } = {
      key: entry.key,
      line: entry.line,
      external: false,
      labels: {},
    };
    const nameNode = get('name');
    if (nameNode) {
      const name = check.nonEmptyString(nameNode, `a ${kind} name`);
      if (name !== undefined) resource.name = name;
    }
    const externalNode = get('external');
    if (externalNode) resource.external = check.boolean(externalNode) ?? false;
    const driverNode = get('driver');
    if (driverNode) {
      const driver = check.nonEmptyString(driverNode, 'a driver name');
      if (driver !== undefined) resource.driver = driver;
    }
    const labelsNode = get('labels');
    if (labelsNode) resource.labels = readLabels(check, labelsNode) ?? {};
    if (resource.external) {
      for (const key of ['driver', 'labels']) {
        const conflicting = options.entries.find((e) => e.key === key);
        if (conflicting) {
          check.report(
            { line: conflicting.line, path: conflicting.value.path, ...fileOf(conflicting) },
            `an external ${kind} is not created, so "${key}" cannot be set`,
          );
        }
      }
    }
    resources.push(resource);
  }
  return resources;
}

/** Validates the whole file into a {@link RawProject}; problems go to the checker. */
export function readProject(context: ServiceContext, root: TreeNode): RawProject | undefined {
  const { check } = context;
  const map = check.map(root, 'a mapping with "services"');
  if (!map) return undefined;
  check.keys(map, TOP_LEVEL_KEYS);
  const project: { -readonly [K in keyof RawProject]: RawProject[K] } = { services: [], networks: [], volumes: [] };

  const nameNode = Checker.get(map, 'name');
  if (nameNode) {
    const name = check.string(nameNode, 'a project name');
    if (name !== undefined) project.name = name;
  }
  const networksNode = Checker.get(map, 'networks');
  if (networksNode) project.networks = readResources(check, networksNode, 'network');
  const volumesNode = Checker.get(map, 'volumes');
  if (volumesNode) project.volumes = readResources(check, volumesNode, 'volume');

  const servicesNode = Checker.get(map, 'services');
  if (!servicesNode) {
    check.report({ line: map.line, path: '' }, 'there is no "services" section');
    return project;
  }
  const services = check.optionalMap(servicesNode, 'a mapping of service names to services');
  if (!services) return project;
  const volumeKeys = new Set(project.volumes.map((v) => v.key));
  const networkKeys = new Set(project.networks.map((n) => n.key));
  const read: RawService[] = [];
  for (const entry of services.entries) {
    const service = readService(
      context,
      entry.key,
      { line: entry.line, path: entry.value.path, ...fileOf(entry) },
      entry.value,
    );
    if (!service) continue;
    checkReferences(check, service, volumeKeys, networkKeys);
    read.push(service);
  }
  project.services = read;
  return project;
}
