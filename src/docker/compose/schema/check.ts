import { ComposeProblem, problemAt } from '../errors';
import type { MapNode, ScalarNode, SeqNode, TreeNode } from '../yamlTree';

/** Variable names whose values are never repeated in an error message. */
const SECRET_NAME = /PASS|SECRET|TOKEN|AUTH|CREDENTIAL|PRIVATE|KEY/i;

/** A value interpolated from a variable whose name looks like a secret's. */
function isSecret(node: TreeNode): node is ScalarNode & { readonly template: string } {
  return (
    node.kind === 'scalar' &&
    node.template !== undefined &&
    (node.variables ?? []).some(([name]) => SECRET_NAME.test(name))
  );
}

/** The whole value as its template, and any secret variable's value as `${NAME}`. */
function hideSecrets(node: ScalarNode & { readonly template: string }, message: string): string {
  let text =
    typeof node.value === 'string' && node.value !== '' ? message.split(node.value).join(node.template) : message;
  for (const [name, value] of node.variables ?? []) {
    if (SECRET_NAME.test(name) && value) text = text.split(value).join(`\${${name}}`);
  }
  return text;
}

/** Shortest readable description of a value, for "expected X, got Y". */
export function describe(node: TreeNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const { value } = node;
  if (value === null) return 'an empty value';
  if (typeof value !== 'string') return String(value);
  const shown = quote(value);
  if (node.template === undefined) return shown;
  if (isSecret(node)) return quote(node.template);
  return `${shown} (from ${quote(node.template)})`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Where a problem is: line, key path and, in a merged tree, the file (absent: the checker's file). */
export interface Place {
  readonly line: number;
  readonly path: string;
  readonly file?: string | undefined;
}

/** `{ file }` when the node or entry came from another file than the first; spread into a {@link Place}. */
export function fileOf(at: { readonly file?: string | undefined }): { file?: string } {
  return at.file !== undefined ? { file: at.file } : {};
}

/**
 * Collects problems while a tree is read into the model. Every reader returns undefined
 * (after reporting) when a value is unusable, so validation goes on and reports them all.
 */
export class Checker {
  constructor(
    readonly file: string,
    readonly problems: ComposeProblem[],
  ) {}

  /** Reports at a node or place; a value from a secret-looking variable is shown as its template. */
  report(at: TreeNode | Place, message: string): undefined {
    const text = 'kind' in at && isSecret(at) ? hideSecrets(at, message) : message;
    this.problems.push(problemAt(at.file ?? this.file, at.line, at.path, text));
    return undefined;
  }

  /**
   * `expected <what>, got <value> (<why>)`; silent for values whose interpolation already
   * failed. For a value from a secret-looking variable the reason is left out, as it may
   * quote part of the value.
   */
  expected(node: TreeNode, what: string, why?: string): undefined {
    if (node.kind === 'scalar' && node.failed) return undefined;
    const reason = why && !isSecret(node) ? ` (${why})` : '';
    return this.report(node, `expected ${what}, got ${describe(node)}${reason}`);
  }

  /** Reports keys that are neither in `allowed` nor `x-` extensions. */
  keys(node: MapNode, allowed: readonly string[]): void {
    for (const entry of node.entries) {
      if (allowed.includes(entry.key) || entry.key.startsWith('x-')) continue;
      const path = node.path ? `${node.path}.${entry.key}` : entry.key;
      const close = allowed
        .filter((key) => distance(key, entry.key) <= 2)
        .sort((a, b) => distance(a, entry.key) - distance(b, entry.key))[0];
      this.report(
        { line: entry.line, path, ...fileOf(entry) },
        close
          ? `unknown key "${entry.key}" (did you mean "${close}"?)`
          : `unknown key "${entry.key}" (allowed here: ${allowed.join(', ')})`,
      );
    }
  }

  map(node: TreeNode, what = 'a mapping'): MapNode | undefined {
    return node.kind === 'map' ? node : this.expected(node, what);
  }

  /** A mapping, or an empty value read as an empty mapping (`volumes:` with nothing under it). */
  optionalMap(node: TreeNode, what = 'a mapping'): MapNode | undefined {
    if (node.kind === 'scalar' && node.value === null && !node.failed) {
      return { kind: 'map', line: node.line, path: node.path, entries: [] };
    }
    return this.map(node, what);
  }

  seq(node: TreeNode, what = 'a list'): SeqNode | undefined {
    return node.kind === 'seq' ? node : this.expected(node, what);
  }

  string(node: TreeNode, what = 'a string'): string | undefined {
    if (node.kind === 'scalar' && node.failed) return undefined;
    return node.kind === 'scalar' && typeof node.value === 'string' ? node.value : this.expected(node, what);
  }

  nonEmptyString(node: TreeNode, what = 'a non-empty string'): string | undefined {
    const value = this.string(node, what);
    return value === '' ? this.expected(node, what) : value;
  }

  /** A string, number or boolean as text (environment and label values); null as `onNull`. */
  text<T>(node: TreeNode, what: string, onNull: T): string | T | undefined {
    if (node.kind !== 'scalar') return this.expected(node, what);
    if (node.failed) return undefined;
    return node.value === null ? onNull : String(node.value);
  }

  /** An integer, or a string of digits (what an interpolated `${RETRIES:-3}` gives). */
  integer(node: TreeNode, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (node.kind === 'scalar' && node.failed) return undefined;
    const value = scalarValue(node);
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)
          ? Number(value)
          : NaN;
    if (!Number.isInteger(number)) return this.expected(node, what);
    if (number < min || number > max) return this.expected(node, what, `out of range ${min}-${max}`);
    return number;
  }

  /** true/false, or their spellings as Compose accepts them after interpolation (`"true"`, `"no"`, ...). */
  boolean(node: TreeNode, what = 'true or false'): boolean | undefined {
    if (node.kind === 'scalar' && node.failed) return undefined;
    const value = scalarValue(node);
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const lower = value.toLowerCase();
      if (['true', 'yes', 'y', 'on'].includes(lower)) return true;
      if (['false', 'no', 'n', 'off'].includes(lower)) return false;
    }
    return this.expected(node, what);
  }

  /** A list whose items are all strings. */
  stringList(node: TreeNode, what = 'a list of strings'): string[] | undefined {
    const seq = this.seq(node, what);
    if (!seq) return undefined;
    const items: string[] = [];
    let ok = true;
    for (const item of seq.items) {
      const value = this.string(item, 'a string');
      if (value === undefined) ok = false;
      else items.push(value);
    }
    return ok ? items : undefined;
  }

  /** The value under `key`, if present. */
  static get(node: MapNode, key: string): TreeNode | undefined {
    return node.entries.find((entry) => entry.key === key)?.value;
  }
}

function scalarValue(node: TreeNode): ScalarNode['value'] | undefined {
  return node.kind === 'scalar' ? node.value : undefined;
}
