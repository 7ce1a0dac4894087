import type Redis from 'ioredis';
import { BinaryString, compareBinary, fromBinary, NamespaceModel, NamespaceNode } from '../keyspace';
import { ScanBound, scanPrefix } from './scan';
import type { DeclaredNamespaceSpec } from './types';

export const DEFAULT_EXAMPLES = 3;
/** SCAN calls at most when looking for examples the walk did not keep. */
export const EXAMPLE_SCAN_CALLS = 50;
/** Groups at most (the largest) whose examples may come from SCAN. */
export const EXAMPLE_SCAN_GROUPS = 10;

/** Keys outside every declared namespace that share a first segment (or have no delimiter at all). */
export interface UndeclaredGroup {
  /** The first segment (exact bytes as a binary string); undefined for keys without a delimiter. */
  readonly segment: BinaryString | undefined;
  /** Exact, from the walk. */
  readonly count: number;
  /** At most `examples` of them. */
  readonly examples: readonly Buffer[];
}

export interface UndeclaredResult {
  /** Keys outside every declared namespace. */
  readonly total: number;
  /** Largest first. */
  readonly groups: readonly UndeclaredGroup[];
  /** Keys in the walk. */
  readonly keys: number;
  /** Set when the check could not judge (no namespace is declared). */
  readonly skipped?: string | undefined;
}

export interface UndeclaredOptions extends ScanBound {
  /** Example keys per group (default 3). */
  readonly examples?: number;
  /** Looks for examples with a bounded SCAN when the walk did not keep enough names (on a cluster: on each master in turn). */
  readonly client?: Redis | readonly Redis[] | undefined;
}

/**
 * Keys that belong to no declared namespace (a service forgot its prefix): how many,
 * per first segment, with a few examples. A key is inside a declared namespace `P` when
 * its name starts with `P` + delimiter, at any depth; keys without a delimiter are
 * outside all. Counts come from a complete, unfiltered keyspace walk (exact); examples
 * from the names the walk kept, else from a bounded SCAN MATCH of the group's prefix.
 */
export async function checkUndeclaredKeys(
  model: NamespaceModel,
  declared: readonly DeclaredNamespaceSpec[],
  options: UndeclaredOptions = {},
): Promise<UndeclaredResult> {
  assertFullWalk(model);
  const keys = model.totalKeys;
  if (declared.length === 0) {
    return {
      total: 0,
      groups: [],
      keys,
      skipped: 'No namespace is declared (setting sharedRedis.namespaces), so no key can be outside one.',
    };
  }
  const wanted = Math.max(0, Math.floor(options.examples ?? DEFAULT_EXAMPLES));
  const declaredPaths = new Set(declared.map((d) => d.path));
  const delimiter = model.delimiter;
  const prefixes = declared.map((d) => Buffer.concat([fromBinary(d.path), delimiter]));
  const covered = (key: Buffer): boolean =>
    prefixes.some((p) => key.length >= p.length && key.subarray(0, p.length).equals(p));

  const groups: UndeclaredGroup[] = [];
  const root = model.root;
  const topLevel = root.directCount;
  if (topLevel > 0) {
    groups.push({ segment: undefined, count: topLevel, examples: (root.directKeyNames() ?? []).slice(0, wanted) });
  }
  for (const child of root.childNamespaces('name')) {
    if (declaredPaths.has(child.path)) continue;
    const inside = coveredCount(child, declaredPaths);
    const count = child.count - inside;
    if (count <= 0) continue;
    const examples: Buffer[] = [];
    collectNames(child, declaredPaths, examples, wanted);
    groups.push({ segment: child.segment, count, examples });
  }
  groups.sort((a, b) => b.count - a.count || compareBinary(a.segment ?? '', b.segment ?? ''));
  // Groups too large for the walk to keep their names: examples from a bounded SCAN, for the largest few only.
  if (options.client) {
    for (const group of groups.slice(0, EXAMPLE_SCAN_GROUPS)) {
      const examples = group.examples as Buffer[];
      if (examples.length >= Math.min(wanted, group.count)) continue;
      const prefix =
        group.segment === undefined ? Buffer.alloc(0) : Buffer.concat([fromBinary(group.segment), delimiter]);
      const accept =
        group.segment === undefined
          ? (key: Buffer): boolean => key.indexOf(delimiter) === -1
          : (key: Buffer): boolean => !covered(key);
      for (const client of Array.isArray(options.client) ? options.client : [options.client]) {
        if (examples.length >= Math.min(wanted, group.count)) break;
        await scanExamples(client as Redis, prefix, examples, wanted, accept, options);
      }
    }
  }
  return { total: groups.reduce((sum, g) => sum + g.count, 0), groups, keys };
}

/** The checks judge the whole keyspace: a filtered or unfinished walk would mislead. */
export function assertFullWalk(model: NamespaceModel): void {
  if (!model.complete) throw new RangeError('The checks need a complete keyspace walk.');
  if (model.match !== undefined || model.type !== undefined) {
    throw new RangeError('The checks need an unfiltered keyspace walk.');
  }
}

/** Keys under `node` that are inside a declared namespace (the shallowest declared ones, so none counts twice). */
function coveredCount(node: NamespaceNode, declared: ReadonlySet<BinaryString>): number {
  let sum = 0;
  for (const child of node.childNamespaces('name')) {
    sum += declared.has(child.path) ? child.count : coveredCount(child, declared);
  }
  return sum;
}

/** Names the walk kept, outside declared namespaces, in byte order, up to `wanted`. */
function collectNames(node: NamespaceNode, declared: ReadonlySet<BinaryString>, into: Buffer[], wanted: number): void {
  if (into.length >= wanted) return;
  for (const name of node.directKeyNames() ?? []) {
    if (into.length >= wanted) return;
    into.push(name);
  }
  for (const child of node.childNamespaces('name')) {
    if (into.length >= wanted) return;
    if (!declared.has(child.path)) collectNames(child, declared, into, wanted);
  }
}

async function scanExamples(
  client: Redis,
  prefix: Buffer,
  into: Buffer[],
  wanted: number,
  accept: (key: Buffer) => boolean,
  bound: ScanBound,
): Promise<void> {
  const seen = new Set(into.map((key) => key.toString('latin1')));
  await scanPrefix(
    client,
    prefix,
    { ...bound, maxScanCalls: Math.min(bound.maxScanCalls ?? EXAMPLE_SCAN_CALLS, EXAMPLE_SCAN_CALLS) },
    (keys) => {
      for (const key of keys) {
        const id = key.toString('latin1');
        if (seen.has(id) || !accept(key)) continue;
        seen.add(id);
        into.push(key);
        if (into.length >= wanted) return false;
      }
      return undefined;
    },
  );
}
