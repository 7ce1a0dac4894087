import { BinaryString, bytesOf, displayBytes, fromBinary, toBinary } from '../keyspace';

/**
 * Which source keys go where. A mapping takes every source key whose first segment
 * (the bytes before the first delimiter) is `source` and writes it under `target`
 * instead: with `session` -> `auth:session`, `session:42` becomes `auth:session:42` and
 * `session:a:b` becomes `auth:session:a:b`. `source: null` stands for the keys with no
 * delimiter at all (`counter` becomes `legacy:counter` with the target `legacy`).
 * Source keys whose first segment has no mapping are left out.
 */
export interface SegmentMapping {
  /** The first segment, exact bytes (a string is UTF-8), or null for keys without a delimiter. */
  readonly source: Buffer | string | null;
  /** The target prefix path, without a trailing delimiter (a string is UTF-8). */
  readonly target: Buffer | string;
  /** Allows writing into a declared namespace owned by another service than the one
   * that owns the source segment (refused otherwise). */
  readonly crossOwner?: boolean;
}

/** A declared namespace (setting `sharedRedis.namespaces`): its path and owning service. */
export interface NamespaceOwner {
  /** The namespace path (`auth`, `user:search`); a string is UTF-8. */
  readonly path: Buffer | string;
  readonly owner?: string | undefined;
}

export interface MappingIssue {
  /** Index of the mapping in the list given. */
  readonly index: number;
  readonly message: string;
}

export interface MappingCheck {
  /** Problems that make the mapping unusable: nothing may be copied while there are any. */
  readonly errors: readonly MappingIssue[];
  /** Things worth a second look (a target outside every declared namespace, nested targets). */
  readonly warnings: readonly MappingIssue[];
}

/** A mapping ready for the copier: exact bytes as binary strings. */
export interface CompiledMapping {
  readonly index: number;
  readonly source: BinaryString | null;
  readonly target: BinaryString;
}

export function segmentText(source: Buffer | string | null): string {
  return source === null ? '(keys without a delimiter)' : displayBytes(bytesOf(source));
}

export const binaryOf = (value: Buffer | string): BinaryString => toBinary(bytesOf(value));

/** The declared namespace that owns `path` (the longest declared path that is `path` or a
 * prefix of it at a segment boundary), or undefined. */
export function ownerOf(
  path: Buffer | string,
  declared: readonly NamespaceOwner[],
  delimiter: Buffer | string = ':',
): NamespaceOwner | undefined {
  const p = binaryOf(path);
  const d = binaryOf(delimiter);
  let best: NamespaceOwner | undefined;
  let bestLength = -1;
  for (const namespace of declared) {
    const n = binaryOf(namespace.path);
    if (n.length > bestLength && (p === n || p.startsWith(n + d))) {
      best = namespace;
      bestLength = n.length;
    }
  }
  return best;
}

function ownerName(namespace: NamespaceOwner): string {
  return namespace.owner ?? displayBytes(bytesOf(namespace.path));
}

/**
 * Checks a set of mappings before anything is copied. Errors: an empty target, a target
 * that starts or ends with the delimiter (it would make an empty segment), the same
 * source mapped twice, two sources onto the same target (their keys would collide), and
 * a mapping from a segment that a declared namespace owns into a namespace of another
 * owner without `crossOwner`. Warnings: a target outside every declared namespace, and a
 * target nested inside another mapping's target (keys may collide; the second is then
 * skipped as existing).
 */
export function checkMappings(
  mappings: readonly SegmentMapping[],
  options: { delimiter?: Buffer | string; declared?: readonly NamespaceOwner[] } = {},
): MappingCheck {
  const d = binaryOf(options.delimiter ?? ':');
  const declared = options.declared ?? [];
  const errors: MappingIssue[] = [];
  const warnings: MappingIssue[] = [];
  const seenSources = new Map<BinaryString | null, number>();
  const targets: { index: number; target: BinaryString }[] = [];
  if (mappings.length === 0) {
    errors.push({ index: -1, message: 'No segment is mapped: choose at least one to import.' });
  }
  mappings.forEach((mapping, index) => {
    const from = segmentText(mapping.source);
    const source = mapping.source === null ? null : binaryOf(mapping.source);
    const target = binaryOf(mapping.target);
    const shown = displayBytes(fromBinary(target));
    const before = seenSources.get(source);
    if (before !== undefined) errors.push({ index, message: `${from} is mapped twice.` });
    seenSources.set(source, index);
    if (source !== null && source.includes(d)) {
      errors.push({ index, message: `${from} is not a first segment: it contains the delimiter.` });
    }
    if (target.length === 0) {
      errors.push({ index, message: `${from}: the target prefix is empty; give a namespace such as auth:session.` });
      return;
    }
    if (target.startsWith(d) || target.endsWith(d)) {
      errors.push({
        index,
        message: `${from} -> ${shown}: leave out the leading or trailing delimiter (the delimiter between the prefix and the rest of the key is added).`,
      });
      return;
    }
    const targetOwner = ownerOf(target, declared, d);
    const sourceOwner = source === null ? undefined : ownerOf(source, declared, d);
    if (targetOwner === undefined) {
      if (declared.length > 0) {
        warnings.push({
          index,
          message: `${from} -> ${shown}: ${displayBytes(fromBinary(target.split(d)[0] ?? target))} is not a declared namespace (setting sharedRedis.namespaces).`,
        });
      }
    } else if (
      sourceOwner !== undefined &&
      ownerName(sourceOwner) !== ownerName(targetOwner) &&
      mapping.crossOwner !== true
    ) {
      errors.push({
        index,
        message: `${from} belongs to ${ownerName(sourceOwner)} but ${shown} to ${ownerName(targetOwner)}: mapping into another service's namespace must be confirmed explicitly.`,
      });
    }
    for (const other of targets) {
      if (other.target === target) {
        errors.push({
          index,
          message: `${from} and ${segmentText(mappings[other.index]?.source ?? null)} both map to ${shown}: their keys would collide.`,
        });
      } else if (targetsMeet(target, other.target, d)) {
        warnings.push({
          index,
          message: `${shown} and ${displayBytes(fromBinary(other.target))} are nested: keys of the two mappings may land on the same name (the first keeps it, also with "Copy and replace"; the second is skipped and reported).`,
        });
      }
    }
    targets.push({ index, target });
  });
  return { errors, warnings };
}

/**
 * True when a key under one target can have the name of a key under the other: `a + d + rest`
 * equals `b + d + rest'` exactly when one of `a + d`, `b + d` begins the other (`app` and
 * `app:legacy`; with the delimiter `::`, `app` and `app:` as well).
 */
export function targetsMeet(a: BinaryString, b: BinaryString, d: BinaryString): boolean {
  return (a + d).startsWith(b + d) || (b + d).startsWith(a + d);
}

/** Throws a RangeError naming every error of `checkMappings`; returns the compiled mappings. */
export function compileMappings(
  mappings: readonly SegmentMapping[],
  options: { delimiter?: Buffer | string; declared?: readonly NamespaceOwner[] } = {},
): CompiledMapping[] {
  const check = checkMappings(mappings, options);
  if (check.errors.length > 0) throw new MappingError(check.errors);
  return mappings.map((mapping, index) => ({
    index,
    source: mapping.source === null ? null : binaryOf(mapping.source),
    target: binaryOf(mapping.target),
  }));
}

export class MappingError extends RangeError {
  override readonly name = 'MappingError';

  constructor(readonly issues: readonly MappingIssue[]) {
    super(`The mapping cannot be used: ${issues.map((issue) => issue.message).join(' ')}`);
  }
}

/** Finds the mapping of a key and the key's name in the target, as binary strings. */
export class KeyMapper {
  private readonly bySegment = new Map<BinaryString, CompiledMapping>();
  private readonly topLevel: CompiledMapping | undefined;
  private readonly d: BinaryString;

  constructor(
    readonly mappings: readonly CompiledMapping[],
    delimiter: Buffer | string = ':',
  ) {
    this.d = binaryOf(delimiter);
    let topLevel: CompiledMapping | undefined;
    for (const mapping of mappings) {
      if (mapping.source === null) topLevel = mapping;
      else this.bySegment.set(mapping.source, mapping);
    }
    this.topLevel = topLevel;
  }

  /** The mapping and the target key of a source key (binary string), or undefined when unmapped. */
  map(key: BinaryString): { mapping: CompiledMapping; target: BinaryString } | undefined {
    const cut = key.indexOf(this.d);
    if (cut < 0) {
      return this.topLevel ? { mapping: this.topLevel, target: this.topLevel.target + this.d + key } : undefined;
    }
    const mapping = this.bySegment.get(key.slice(0, cut));
    return mapping ? { mapping, target: mapping.target + key.slice(cut) } : undefined;
  }
}

export interface GuessContext {
  readonly declared: readonly NamespaceOwner[];
  readonly delimiter?: Buffer | string;
  /** The source's host name: a declared namespace it names (`auth-redis`) is a hint. */
  readonly sourceHost?: string;
  /** Whether the target already has a namespace with this path (binary string), e.g. from the Keys view's walk. */
  readonly targetHas?: (path: BinaryString) => boolean;
}

/**
 * A first guess at the target prefix of a source segment, for the user to accept or edit:
 * 1. the segment itself when it is a declared top-level namespace (`auth` -> `auth`);
 * 2. the one declared namespace whose last segment it is (`profile` -> `user:profile`);
 * 3. the one `<declared>:<segment>` the target already has (`session` -> `auth:session`);
 * 4. `<ns>:<segment>` when the source's host names a declared namespace (`auth-redis`);
 * 5. the segment itself. Keys without a delimiter: `<ns>:legacy` by rule 4, else `legacy`.
 */
export function guessTargetPrefix(segment: Buffer | string | null, context: GuessContext): BinaryString {
  const d = binaryOf(context.delimiter ?? ':');
  const paths = context.declared.map((ns) => binaryOf(ns.path));
  const words = (context.sourceHost ?? '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  const fromHost = paths.find((path) => !path.includes(d) && words.includes(path.toLowerCase()));
  if (segment === null) return fromHost !== undefined ? `${fromHost}${d}legacy` : 'legacy';
  const s = binaryOf(segment);
  if (paths.includes(s)) return s;
  const nested = paths.filter((path) => path.endsWith(d + s));
  if (nested.length === 1) return nested[0] as BinaryString;
  const topLevel = paths.filter((path) => !path.includes(d));
  const existing = context.targetHas ? topLevel.filter((path) => context.targetHas?.(path + d + s) === true) : [];
  if (existing.length === 1) return `${existing[0] as BinaryString}${d}${s}`;
  if (fromHost !== undefined) return `${fromHost}${d}${s}`;
  return s;
}
