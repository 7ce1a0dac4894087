import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import { ComposeProblem, problemAt } from './errors';
import { interpolate, InterpolationError, Lookup } from './interpolate';

/**
 * The compose file as a small tree that knows, for every value, its line and key path,
 * with every string scalar already interpolated (keys are not). Aliases are expanded and
 * `<<` merge keys applied, so validation sees exactly what Compose would.
 */
interface NodeBase {
  /** 1-based line where the value starts. */
  readonly line: number;
  /** `services.shared-redis.ports[0]`; empty for the document itself. */
  readonly path: string;
  /** The file the value was read from, when the tree merges several (absent: the first file). */
  readonly file?: string;
  /** Compose's merge tags: `!reset` removes the value from the files before, `!override` replaces it instead of merging. */
  readonly tag?: MergeTag;
}

export type MergeTag = '!reset' | '!override';

export interface MapEntry {
  readonly key: string;
  /** Line of the key. */
  readonly line: number;
  /** The file the key was read from, when the tree merges several (absent: the first file). */
  readonly file?: string;
  readonly value: TreeNode;
}

export interface MapNode extends NodeBase {
  readonly kind: 'map';
  readonly entries: readonly MapEntry[];
}

export interface SeqNode extends NodeBase {
  readonly kind: 'seq';
  readonly items: readonly TreeNode[];
}

export interface ScalarNode extends NodeBase {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  /** The text before interpolation, when it had a `$` in it. */
  readonly template?: string;
  /** Variables the template looked up, with their values when set (kept so messages can hide secret ones). */
  readonly variables?: ReadonlyArray<readonly [name: string, value: string | undefined]>;
  /** Interpolation failed (already reported): validation skips this value. */
  readonly failed?: boolean;
}

export type TreeNode = MapNode | SeqNode | ScalarNode;

export function childPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** Most nodes an alias-heavy file may expand to before it is refused (a "billion laughs" guard). */
const NODE_BUDGET = 100_000;

/**
 * Parses `text` and builds the tree. Problems (YAML syntax, failed interpolation) are
 * appended to `problems`; the tree is undefined when the YAML itself is unusable.
 */
export function readYamlTree(
  text: string,
  file: string,
  lookup: Lookup,
  problems: ComposeProblem[],
): TreeNode | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      problems.push(
        problemAt(file, lineCounter.linePos(error.pos[0]).line, undefined, `invalid YAML: ${error.message}`),
      );
    }
    return undefined;
  }
  const lineOf = (node: YamlNode | null | undefined, fallback: number): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : fallback;
  let budget = NODE_BUDGET;
  let overBudget = false;

  const convert = (node: unknown, path: string, fallbackLine: number, seen: ReadonlySet<unknown>): TreeNode => {
    const converted = convertNode(node, path, fallbackLine, seen);
    const tag = (node as { tag?: unknown } | null)?.tag;
    return tag === '!reset' || tag === '!override' ? { ...converted, tag } : converted;
  };

  const convertNode = (node: unknown, path: string, fallbackLine: number, seen: ReadonlySet<unknown>): TreeNode => {
    if (--budget < 0) {
      if (!overBudget) {
        problems.push(
          problemAt(file, fallbackLine, path, 'the file expands to too many values (aliases inside aliases?)'),
        );
      }
      overBudget = true;
      return { kind: 'scalar', line: fallbackLine, path, value: null, failed: true };
    }
    if (node === null || node === undefined) return { kind: 'scalar', line: fallbackLine, path, value: null };
    if (isAlias(node)) {
      const target = node.resolve(doc as Document.Parsed);
      const line = lineOf(node, fallbackLine);
      if (!target || seen.has(target)) {
        problems.push(
          problemAt(
            file,
            line,
            path,
            `alias *${node.source} ${target ? 'refers to itself' : 'has no anchor before it'}`,
          ),
        );
        return { kind: 'scalar', line, path, value: null, failed: true };
      }
      return convert(target, path, line, new Set([...seen, target]));
    }
    const line = lineOf(node as YamlNode, fallbackLine);
    if (isScalar(node)) return scalar(node.value, line, path);
    if (isSeq(node)) {
      return {
        kind: 'seq',
        line,
        path,
        items: node.items.map((item, index) => convert(item, itemPath(path, index), line, seen)),
      };
    }
    if (isMap(node)) {
      const entries: MapEntry[] = [];
      const merges: Array<{ node: unknown; line: number }> = [];
      for (const pair of node.items as Array<Pair<unknown, unknown>>) {
        const keyNode = pair.key;
        const keyLine = lineOf(keyNode as YamlNode, line);
        if (isMergeKey(keyNode)) {
          merges.push({ node: pair.value, line: keyLine });
          continue;
        }
        const key =
          isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object'
            ? String(keyNode.value)
            : undefined;
        if (key === undefined) {
          problems.push(problemAt(file, keyLine, path, 'keys must be plain strings'));
          continue;
        }
        const valueLine = pair.value ? lineOf(pair.value as YamlNode, keyLine) : keyLine;
        entries.push({ key, line: keyLine, value: convert(pair.value, childPath(path, key), valueLine, seen) });
      }
      for (const merge of merges) {
        for (const source of mergeSources(merge.node)) {
          const merged = convert(source, path, merge.line, seen);
          if (merged.kind !== 'map') {
            problems.push(problemAt(file, merged.line, path, '"<<" merges mappings only'));
            continue;
          }
          for (const entry of merged.entries) {
            if (!entries.some((e) => e.key === entry.key)) entries.push(entry);
          }
        }
      }
      return { kind: 'map', line, path, entries };
    }
    return { kind: 'scalar', line, path, value: null };
  };

  const mergeSources = (value: unknown): unknown[] => {
    const resolved = isAlias(value) ? value.resolve(doc as Document.Parsed) : value;
    return isSeq(resolved) ? [...resolved.items] : [value];
  };

  const scalar = (value: unknown, line: number, path: string): ScalarNode => {
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
      return { kind: 'scalar', line, path, value };
    }
    if (typeof value === 'bigint') return { kind: 'scalar', line, path, value: Number(value) };
    const text = typeof value === 'symbol' ? (value.description ?? '') : String(value);
    if (!text.includes('$')) return { kind: 'scalar', line, path, value: text };
    const used = new Set<string>();
    try {
      const interpolated = interpolate(text, lookup, used);
      return {
        kind: 'scalar',
        line,
        path,
        value: interpolated,
        template: text,
        variables: [...used].map((name) => [name, lookup(name)] as const),
      };
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      problems.push(problemAt(file, line, path, error.message, error.variable));
      return {
        kind: 'scalar',
        line,
        path,
        value: text,
        template: text,
        variables: [...used].map((name) => [name, lookup(name)] as const),
        failed: true,
      };
    }
  };

  if (doc.contents === null) return { kind: 'map', line: 1, path: '', entries: [] };
  return convert(doc.contents, '', 1, new Set());
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const value = key.value;
  return (
    (typeof value === 'symbol' && value.description === '<<') || (value === '<<' && (!key.type || key.type === 'PLAIN'))
  );
}
