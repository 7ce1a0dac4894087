import type { ComposeProblem } from './errors';
import { Checker, describe, fileOf } from './schema/check';
import type { MapEntry, MapNode, ScalarNode, SeqNode, TreeNode } from './yamlTree';

/**
 * Merges an override file's tree into the files read before it, by Compose v2's rules.
 * Our own code only because the rules are Compose's exact ones: this follows
 * compose-go `override/merge.go` (MergeYaml, mergeMappings and the `mergeSpecials` table)
 * for the keys this loader knows; compose-go's unicity pass (`override/uncity.go`) runs on
 * the parsed values in `schema/service.ts` (`uniqueBy`), where the canonical form of a port
 * or volume is known.
 *
 * - mappings merge key by key, recursively; a key only in the override is added;
 * - lists are appended (`ports`, `volumes`, `profiles`, `networks.*.aliases`, ...);
 * - `command`, `entrypoint` and `healthcheck.test` are replaced as a whole;
 * - `environment` and `labels` (a mapping or `KEY=VALUE` items, either side) merge by key;
 * - `env_file` (a path or a list) is appended; `depends_on` and `networks` (a list or a
 *   mapping) merge as mappings, a listed dependency counting as `condition:
 *   service_started, required: true`;
 * - an empty override value keeps the earlier one; any other scalar replaces it;
 * - a list or mapping cannot be overridden by a value of another kind.
 *
 * Every node of the override keeps its file, so a later problem names the right one.
 */
export function mergeTrees(
  base: TreeNode,
  override: TreeNode,
  files: { readonly first: string; readonly override: string },
  problems: ComposeProblem[],
): TreeNode {
  const check = new Checker(files.first, problems);
  const overrideFile = files.override;
  return mergeValue(base, stampFile(override, overrideFile), [], check);
}

type Merger = (base: TreeNode, override: TreeNode, path: readonly string[], check: Checker) => TreeNode;

/** compose-go `mergeSpecials`, for the keys this loader reads. */
const SPECIALS: ReadonlyArray<readonly [pattern: readonly string[], merger: Merger]> = [
  [['services', '*', 'command'], replace],
  [['services', '*', 'entrypoint'], replace],
  [['services', '*', 'healthcheck', 'test'], replace],
  [
    ['services', '*', 'depends_on'],
    (b, o, p, c) =>
      mergeMappings(
        asMapping(b, c, 'a service name', dependencyDefaults),
        asMapping(o, c, 'a service name', dependencyDefaults),
        p,
        c,
      ),
  ],
  [
    ['services', '*', 'networks'],
    (b, o, p, c) => mergeMappings(asMapping(b, c, 'a network name'), asMapping(o, c, 'a network name'), p, c),
  ],
  [['services', '*', 'environment'], mergeKeyValues],
  [['services', '*', 'labels'], mergeKeyValues],
  [['networks', '*', 'labels'], mergeKeyValues],
  [['volumes', '*', 'labels'], mergeKeyValues],
  [
    ['services', '*', 'env_file'],
    (b, o) => ({ ...asSequence(b), items: [...asSequence(b).items, ...asSequence(withoutResets(o)).items] }),
  ],
];

function matches(path: readonly string[], pattern: readonly string[]): boolean {
  return path.length === pattern.length && pattern.every((segment, i) => segment === '*' || segment === path[i]);
}

function isNull(node: TreeNode): boolean {
  return node.kind === 'scalar' && node.value === null && !node.failed;
}

function mergeValue(base: TreeNode, override: TreeNode, path: readonly string[], check: Checker): TreeNode {
  const special = SPECIALS.find(([pattern]) => matches(path, pattern));
  if (special) return special[1](base, override, path, check);
  if (isNull(override)) return base;
  if (base.kind === 'map') {
    if (override.kind !== 'map') return cannotOverride(base, override, check);
    return mergeMappings(base, override, path, check);
  }
  if (base.kind === 'seq') {
    if (override.kind !== 'seq') return cannotOverride(base, override, check);
    return { ...base, items: [...base.items, ...withoutResets(override).items] };
  }
  return withoutResets(override);
}

function replace(_base: TreeNode, override: TreeNode): TreeNode {
  return withoutResets(override);
}

/** compose-go: `cannot override <path>`; said with both places. */
function cannotOverride(base: MapNode | SeqNode, override: TreeNode, check: Checker): TreeNode {
  const where = `${base.file ?? check.file} line ${base.line}`;
  check.report(
    override,
    `cannot override ${base.kind === 'map' ? 'a mapping' : 'a list'} (${where}) with ${describe(override)}`,
  );
  return base;
}

function mergeMappings(base: MapNode, override: MapNode, path: readonly string[], check: Checker): MapNode {
  const entries: MapEntry[] = [...base.entries];
  for (const entry of override.entries) {
    const at = entries.findIndex((e) => e.key === entry.key);
    const existing = entries[at];
    if (entry.value.tag === '!reset') {
      if (existing !== undefined) entries.splice(at, 1);
    } else if (existing === undefined) {
      entries.push({ ...entry, value: withoutResets(entry.value) });
    } else if (entry.value.tag === '!override') {
      entries[at] = { ...entry, value: withoutResets(entry.value) };
    } else {
      entries[at] = { ...existing, value: mergeValue(existing.value, entry.value, [...path, entry.key], check) };
    }
  }
  return { ...base, entries };
}

/**
 * The value as Compose reads it from one file: `!reset` keys and items left out, the tags
 * dropped (compose-go ResetProcessor). The first file goes through this; later ones as they merge.
 */
export function withoutResets(node: SeqNode): SeqNode;
export function withoutResets(node: TreeNode): TreeNode;
export function withoutResets(node: TreeNode): TreeNode {
  const plain: TreeNode = { ...node };
  delete (plain as { tag?: unknown }).tag;
  if (plain.kind === 'map') {
    return {
      ...plain,
      entries: plain.entries
        .filter((e) => e.value.tag !== '!reset')
        .map((e) => ({ ...e, value: withoutResets(e.value) })),
    };
  }
  if (plain.kind === 'seq') {
    return { ...plain, items: plain.items.filter((item) => item.tag !== '!reset').map((item) => withoutResets(item)) };
  }
  return plain;
}

/**
 * compose-go `convertIntoMapping`: a list of names becomes a mapping of each name to
 * `defaults` (or nothing). An item that is not a name is reported and left out.
 */
function asMapping(node: TreeNode, check: Checker, what: string, defaults?: (item: TreeNode) => TreeNode): MapNode {
  if (node.kind === 'map') return node;
  if (node.kind !== 'seq') {
    if (!isNull(node)) check.expected(node, `a list of names or a mapping`);
    return { kind: 'map', line: node.line, path: node.path, ...fileOf(node), entries: [] };
  }
  const entries = node.items.flatMap((item): MapEntry[] => {
    if (item.kind !== 'scalar' || typeof item.value !== 'string' || item.value === '') {
      check.expected(item, what);
      return [];
    }
    const value: TreeNode = defaults
      ? defaults(item)
      : { kind: 'scalar', line: item.line, path: item.path, value: null, ...fileOf(item) };
    return [{ key: item.value, line: item.line, ...fileOf(item), value }];
  });
  return { kind: 'map', line: node.line, path: node.path, ...fileOf(node), entries };
}

/** What a listed `depends_on` item means (compose-go mergeDependsOn's default). */
function dependencyDefaults(item: TreeNode): MapNode {
  const scalar = (key: string, value: string | boolean): MapEntry => ({
    key,
    line: item.line,
    ...fileOf(item),
    value: { kind: 'scalar', line: item.line, path: `${item.path}.${key}`, value, ...fileOf(item) },
  });
  return {
    kind: 'map',
    line: item.line,
    path: item.path,
    ...fileOf(item),
    entries: [scalar('condition', 'service_started'), scalar('required', true)],
  };
}

/** compose-go `convertIntoSequence` for a list-valued key: a single value is a list of one. */
function asSequence(node: TreeNode): SeqNode {
  if (node.kind === 'seq') return node;
  if (isNull(node)) return { kind: 'seq', line: node.line, path: node.path, ...fileOf(node), items: [] };
  return { kind: 'seq', line: node.line, path: node.path, ...fileOf(node), items: [node] };
}

/**
 * compose-go merges `environment` and `labels` as `KEY=VALUE` lists (mergeToSequence) and
 * then keeps the last item of each key, in the first one's place (keyValueIndexer): the
 * same as merging mappings by key, which is how it is done here, on the mapping form.
 */
function mergeKeyValues(base: TreeNode, override: TreeNode, _path: readonly string[], check: Checker): TreeNode {
  const entries = keyValueEntries(base, check);
  const right = keyValueEntries(override, check);
  for (const entry of right) {
    const at = entries.findIndex((e) => e.key === entry.key);
    if (entry.value.tag === '!reset') {
      if (at >= 0) entries.splice(at, 1);
    } else if (at >= 0) {
      entries[at] = { ...entry, value: withoutResets(entry.value) };
    } else {
      entries.push({ ...entry, value: withoutResets(entry.value) });
    }
  }
  return { kind: 'map', line: base.line, path: base.path, ...fileOf(base), entries };
}

/** A mapping's entries, or `KEY=VALUE` / `KEY` items as entries; anything else is reported and left out. */
function keyValueEntries(node: TreeNode, check: Checker): MapEntry[] {
  if (node.kind === 'map') return [...node.entries];
  if (isNull(node)) return [];
  const items = node.kind === 'seq' ? node.items : [node];
  const entries: MapEntry[] = [];
  for (const item of items) {
    if (item.kind !== 'scalar' || typeof item.value !== 'string' || item.failed) {
      check.expected(item, '"KEY=VALUE"');
      continue;
    }
    const eq = item.value.indexOf('=');
    const key = eq < 0 ? item.value : item.value.slice(0, eq);
    if (key === '') {
      check.expected(item, '"KEY=VALUE"');
      continue;
    }
    // The value keeps the item's template and variables, so a message can still hide a secret.
    const value: ScalarNode = { ...item, value: eq < 0 ? null : item.value.slice(eq + 1) };
    entries.push({ key, line: item.line, ...fileOf(item), value });
  }
  return entries;
}

/** The tree with `file` on every node and key, so problems found after the merge name it. */
export function stampFile(node: TreeNode, file: string): TreeNode {
  if (node.kind === 'scalar') return { ...node, file };
  if (node.kind === 'seq') return { ...node, file, items: node.items.map((item) => stampFile(item, file)) };
  return {
    ...node,
    file,
    entries: node.entries.map((entry) => ({ ...entry, file, value: stampFile(entry.value, file) })),
  };
}
