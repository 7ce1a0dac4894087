import { BinaryString } from './binary';
import { ID_SEGMENT } from './idSegment';
import { compareNatural } from './naturalOrder';

export { ID_SEGMENT };

const DECIMAL = /^[0-9]+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** One case only: `deadbeef01` or `DEADBEEF01`, not a word in mixed case. */
const HEX = /^(?:[0-9a-f]{8,}|[0-9A-F]{8,})$/;
/** Crockford base32, 26 characters, the first at most 7 (48-bit time). */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/**
 * True for a segment that names one thing among many of its kind: a decimal number
 * (`42`, `2024`), a UUID (with or without dashes), a hex digest or object id of at least
 * 8 hex digits in one case (`9f86d081`, a 24-digit ObjectId, a SHA-1), a ULID. Shorter hex
 * (`cafe`) and words are names. Binary strings: non-ASCII bytes never match.
 */
export function isIdLike(segment: BinaryString): boolean {
  return DECIMAL.test(segment) || HEX.test(segment) || UUID.test(segment) || ULID.test(segment);
}

/** The pattern segment of a real segment that reads `{id}` (a key template written as it
 * was): not ID_SEGMENT, which stands for ids, or its keys would be counted in the ids' row
 * and never listed there. Its first character is no byte: no real segment reads it either. */
export const LITERAL_ID_SEGMENT = '\u0100{id}';

/** A pattern segment for a real one: `{id}` for an id-like segment, the segment itself otherwise. */
export function patternSegment(segment: BinaryString): BinaryString {
  return isIdLike(segment) ? ID_SEGMENT : segment === ID_SEGMENT ? LITERAL_ID_SEGMENT : segment;
}

/** The bytes a pattern segment other than ID_SEGMENT stands for. */
export function literalSegment(segment: BinaryString): BinaryString {
  return segment === LITERAL_ID_SEGMENT ? ID_SEGMENT : segment;
}

/**
 * When a namespace shows its children as one `{id}` row: at least MIN_IDS id-like child
 * namespaces, and at least MOSTLY of all its child namespaces. Below 50 the plain list
 * fits a quarter of a page and reads fine; 90% lets a few named siblings (`user:index`,
 * `user:stats`, which stay rows of their own beside `{id}`) not hide the shape, while a
 * namespace whose ids are only a part of its children keeps its names.
 */
export const MIN_IDS = 50;
export const MOSTLY = 0.9;

export function mostlyIds(idNamespaces: number, allNamespaces: number): boolean {
  return idNamespaces >= MIN_IDS && idNamespaces >= allNamespaces * MOSTLY;
}

/**
 * Pattern entries held at most over a whole model (nodes and key labels): with ids
 * collapsed a real keyspace has a few hundred; past the limit (labels that are not ids
 * but unique, like e-mail addresses) keys still count, as `unitemized` of the deepest
 * pattern that could hold them, so every total stays exact.
 */
export const MAX_PATTERN_ENTRIES = 10_000;

/** Shared by the pattern trees of one model: how many entries are left. */
export class PatternBudget {
  entries = 0;
  constructor(readonly max = MAX_PATTERN_ENTRIES) {}

  take(): boolean {
    if (this.entries >= this.max) return false;
    this.entries++;
    return true;
  }
}

/** One name below a pattern node, for a row: a key label, a child pattern, or both. */
export interface PatternChild {
  /** The pattern segment (`profile`, `{id}`), exact bytes as a binary string. */
  readonly segment: BinaryString;
  /** Keys under it over all ids: keys with this label plus keys in the child pattern. */
  readonly keys: number;
  readonly node: PatternNode | undefined;
}

/**
 * Exact key counts of a pattern path: `user:{id}` counts every key of every id-like child
 * namespace of `user` (tracked or past maxNamespaces), `instances` how many such
 * namespaces there are; below it, keys by the next pattern segment (`profile`, `roles`,
 * `sessions` …). Counted during the walk, like the namespaces.
 */
export class PatternNode {
  /** Keys at this pattern path, at every depth below. */
  keys = 0;
  /** Distinct namespaces this pattern stands for (exact for the `{id}` node under a namespace). */
  instances = 0;
  /** Keys below that are in no listed entry (past MAX_PATTERN_ENTRIES). */
  unitemized = 0;
  /** Of `instances` and `keys` of an `{id}` group: those past maxNamespaces (in the
   * namespace's "not listed" counts too, so a grouped view takes them out of that row). */
  untrackedInstances = 0;
  untrackedKeys = 0;
  /** @internal Child patterns (namespaces one level down, ids collapsed). */
  children: Map<BinaryString, PatternNode> | undefined;
  /** @internal Direct keys by label (ids collapsed). */
  labels: Map<BinaryString, number> | undefined;

  constructor(
    readonly budget: PatternBudget,
    readonly parent: PatternNode | undefined,
    readonly segment: BinaryString,
  ) {}

  /** The child pattern for a real segment, made when the budget allows. */
  child(segment: BinaryString, create: boolean): PatternNode | undefined {
    const name = patternSegment(segment);
    let child = this.children?.get(name);
    if (child === undefined && create && this.budget.take()) {
      child = new PatternNode(this.budget, this, name);
      (this.children ??= new Map()).set(name, child);
    }
    return child;
  }

  /** Counts (`by` = 1) or uncounts (-1) one direct key with this real label. */
  countKey(label: BinaryString, by: 1 | -1): void {
    const name = patternSegment(label);
    const labels = (this.labels ??= new Map());
    const had = labels.get(name);
    if (had !== undefined) labels.set(name, had + by);
    else if (by > 0 && this.budget.take()) labels.set(name, 1);
    else this.unitemized += by;
    this.countUp(by);
  }

  /** A key that has no entry of its own here (its deeper pattern could not be made). */
  countUnitemized(by: 1 | -1): void {
    this.unitemized += by;
    this.countUp(by);
  }

  private countUp(by: number): void {
    this.keys += by;
    for (let n = this.parent; n !== undefined; n = n.parent) n.keys += by;
  }

  /** Labels and child patterns merged by segment, in natural order; empty ones left out. */
  entries(): PatternChild[] {
    const merged = new Map<BinaryString, { keys: number; node: PatternNode | undefined }>();
    for (const [segment, keys] of this.labels ?? []) merged.set(segment, { keys, node: undefined });
    for (const [segment, node] of this.children ?? []) {
      const label = merged.get(segment);
      merged.set(segment, { keys: (label?.keys ?? 0) + node.keys, node });
    }
    return [...merged]
      .filter(([, entry]) => entry.keys > 0)
      .map(([segment, entry]) => ({ segment, ...entry }))
      .sort((a, b) => compareNatural(a.segment, b.segment));
  }

  /** Segments from the `{id}` node down to this one (`['{id}', 'sessions']`). */
  segments(): BinaryString[] {
    const out: BinaryString[] = [this.segment];
    for (let n = this.parent; n !== undefined; n = n.parent) out.unshift(n.segment);
    return out;
  }
}
