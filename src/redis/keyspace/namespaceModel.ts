import { BinaryString, bytesOf, fromBinary, KeyBytes, toBinary } from './binary';
import { displayBytes, DisplayOptions, displaySegment } from './display';
import { ID_SEGMENT, isIdLike, PatternBudget, PatternNode } from './idPatterns';
import { keyHash as keyHashOf, pathHashOfBinary, SEED_B } from './keyHash';
import { compareNatural } from './naturalOrder';
import { SeenKeys } from './seenKeys';
import { UntrackedNamespaces } from './untrackedNamespaces';

/**
 * How key names map to namespaces (delimiter D, `:` by default):
 *
 * - A key is split on D from left to right into segments s0 … sn (n = number of
 *   delimiters; segments may be empty). With n = 0 it is a top-level key (a direct key
 *   of the root). Otherwise it belongs to the namespaces s0, s0Ds1, …, s0D…Ds(n-1) and is
 *   a direct key of the deepest one, labelled sn. `a:b:c` is in `a` and `a:b`, and is the
 *   direct key `c` of `a:b`.
 * - The count of a namespace with path P is the number of keys whose name starts with
 *   P + D (all depths below it); its direct count those whose namespace is exactly P.
 *   The root counts every key.
 * - Empty segments are namespaces like any other: `a::b` is the direct key `b` of `a:`
 *   (path `a` + D + ``) under `a`; `:a` is the key `a` of the namespace `` (empty
 *   segment) under the root; `a:` is the key `` (empty label) of `a`; `:` is the key ``
 *   of the namespace ``. A namespace's identity is its prefix P + D, so the namespace ``
 *   (prefix `:`) and the root (prefix empty) never collide.
 * - Names are bytes: segments and keys are kept exactly (binary strings inside, Buffers
 *   outside), whatever they contain (non-UTF-8 bytes, newlines, a 512 KB name).
 */
export type WalkState = 'walking' | 'complete' | 'failed' | 'cancelled';

export type ChildOrder = 'name' | 'count';

export interface NamespaceModelOptions {
  /** Splits key names into namespaces (default `:`). A string is taken as UTF-8. */
  readonly delimiter?: Buffer | string;
  /** A namespace keeps the names of its direct keys while it has at most this many
   * (default: no fixed limit; the name budget and the sparsity rule decide). */
  readonly keepNamesUpTo?: number;
  /** Names kept over all namespaces at most (default: no limit but the byte budget). */
  readonly maxStoredNames?: number;
  /** Estimated heap bytes of all kept names (default 8 MiB, see DEFAULT_NAME_BUDGET_BYTES).
   * Over it, the namespaces holding the most names (the densest) give theirs up first. */
  readonly nameBudgetBytes?: number;
  /** Namespaces tracked at most (default 100,000). Keys that would need a new one past
   * that are still counted in every tracked ancestor, as `untrackedCount` of the
   * deepest; `truncated` tells. Counts of tracked namespaces stay exact. */
  readonly maxNamespaces?: number;
  /** Count a key SCAN returns twice only once (default true; see SeenKeys). */
  readonly dedupe?: boolean;
  /** The filter the walk used, remembered for paging: SCAN MATCH pattern and TYPE. */
  readonly match?: Buffer | string | undefined;
  readonly type?: string | undefined;
}

export const DEFAULT_KEEP_NAMES_UP_TO = Number.POSITIVE_INFINITY;
export const DEFAULT_MAX_STORED_NAMES = Number.POSITIVE_INFINITY;
/**
 * Which namespaces keep their key names, by sparsity. Paging a namespace without names is
 * `SCAN MATCH prefix*` over the whole keyspace until a page (200) of its keys turned up:
 * about pageSize ÷ share keys read. A namespace of ≥ 1% of the keyspace (dense) finds a
 * page within ~20,000 keys (a few calls of COUNT ≤ 5,000, milliseconds), so its names are
 * not worth their memory; a sparse one (1,500 keys among 10M) would need the whole
 * keyspace (seconds), while its names cost ~60 KB. Namespaces of at most
 * SMALL_NAMESPACE_KEYS keys count as sparse whatever their share (a thousand names are
 * cheap, and in a small keyspace SCAN is fast anyway).
 */
export const DENSE_SHARE = 0.01;
export const SMALL_NAMESPACE_KEYS = 1000;
/** Names a namespace holds before its share of the walk so far may drop them (boundToBeDense). */
const PREDICT_FROM_NAMES = 1024;
/**
 * The heap kept names may take in all: 8 MiB holds ~140,000 names of ~36 bytes (say a
 * hundred sparse namespaces of 1,500 keys). The target for the model of 10M keys
 * is ≤ 40 MB of heap; the rest of the model is a few hundred bytes per namespace (see
 * NamespaceNode), so 8 MiB of names leaves room for tens of thousands of namespaces.
 * Over budget the largest holders (the densest, cheapest to page with SCAN) give theirs
 * up first, and the per-namespace limit drops below them.
 */
export const DEFAULT_NAME_BUDGET_BYTES = 8 * 1024 * 1024;
/** Estimated heap bytes of one kept name beyond its bytes: V8's string header (16) and the
 * array slot (8) on 64-bit without pointer compression; less with it (Electron). */
export const NAME_OVERHEAD_BYTES = 24;
export const DEFAULT_MAX_NAMESPACES = 100_000;
/** Keys that wait at most for the check against the keys seen (a SCAN reply holds about its COUNT). */
const PENDING_KEYS = 1024;

/** One namespace (or the root) of a NamespaceModel; live while the walk runs. */
export class NamespaceNode {
  /** Keys under this namespace's prefix, at every depth (the root: every key). */
  count = 0;
  /** Keys directly in this namespace (the root: keys without a delimiter). */
  directCount = 0;
  /** Keys in child namespaces that were not tracked because `maxNamespaces` was reached. */
  untrackedCount = 0;
  /** The child namespaces those untracked keys are in (distinct, exact): with
   * `untrackedCount`, what a "not listed" row says. Direct children only: an untracked
   * `user:7` is one, whatever its sub-namespaces. */
  untrackedNamespaces = 0;
  /** @internal Full names of the direct keys while the namespace is small; undefined once large. */
  names: BinaryString[] | undefined = [];
  /** @internal */
  children: Map<BinaryString, NamespaceNode> | undefined;
  /** @internal The next node whose path has the same lookup hash. */
  sameHash: NamespaceNode | undefined;
  /** @internal Children in natural order, sorted once until a child comes or goes. */
  sortedByName: NamespaceNode[] | undefined;
  /** The `{id}` pattern of this namespace's id-like child namespaces (user → `user:{id}`),
   * with exact counts over all of them, tracked or not; undefined when it has none. */
  idGroup: PatternNode | undefined;
  /** @internal The patterns this namespace's keys count into (one per id-like segment above it). */
  patterns: PatternTargets | undefined;
  /** @internal Shared by the id-like children: the patterns they count into. */
  idChildPatterns: PatternTargets | undefined;

  /** @internal */
  constructor(
    readonly model: NamespaceModel,
    readonly parent: NamespaceNode | undefined,
    /** The last segment, exact bytes as a binary string ('' for the root). */
    readonly segment: BinaryString,
    /** The path (segments joined by the delimiter, no trailing delimiter) as a binary string. */
    readonly path: BinaryString,
  ) {
    this.depth = parent ? parent.depth + 1 : 0;
  }

  /** 0 for the root, 1 for `auth`, 2 for `auth:session`. */
  readonly depth: number;

  /** Stable, unique identity: the key prefix (path + delimiter) as a binary string; '' for the root.
   * Made when asked (not held: a wide namespace has 100,000 nodes, each kept small). */
  get id(): BinaryString {
    return this.parent ? this.path + this.model.delimiterBinary : '';
  }

  get isRoot(): boolean {
    return this.parent === undefined;
  }

  /** Exact bytes every key of this namespace starts with (path + delimiter; empty for the root). */
  get prefix(): Buffer {
    return fromBinary(this.id);
  }

  get pathBytes(): Buffer {
    return fromBinary(this.path);
  }

  get segmentBytes(): Buffer {
    return fromBinary(this.segment);
  }

  /** The segment for a tree row, escaped where not printable (`""` when empty). */
  label(options?: DisplayOptions): string {
    return displaySegment(this.segment, options);
  }

  /** The whole path, escaped (`auth:session`); '' for the root. */
  displayPath(options?: DisplayOptions): string {
    return displayBytes(this.path, options);
  }

  /** Child namespaces, by segment in natural order (default: `9`, `10`, `100`; see
   * compareNatural) or by count, largest first (then naturally). */
  childNamespaces(order: ChildOrder = 'name'): NamespaceNode[] {
    if (order === 'name') return [...this.sortedChildNamespaces()];
    const list = this.children ? [...this.children.values()] : [];
    return list.sort((a, b) => b.count - a.count || compareNatural(a.segment, b.segment));
  }

  /** The children in natural order without a copy (do not change it): a view pages
   * through 250,000 of them without sorting them again for every page. */
  sortedChildNamespaces(): readonly NamespaceNode[] {
    return (this.sortedByName ??= this.children
      ? [...this.children.values()].sort((a, b) => compareNatural(a.segment, b.segment))
      : []);
  }

  /** The first `limit` children in natural order: a page of a wide namespace. While the
   * walk still adds children, one pass picks them (no sort of 250,000 children for every
   * refresh of the tree); once it is complete, the cached sort serves every page. */
  firstChildNamespaces(limit: number): readonly NamespaceNode[] {
    const children = this.children;
    if (children === undefined) return [];
    if (this.model.complete || this.sortedByName !== undefined || children.size <= limit * 4) {
      return this.sortedChildNamespaces().slice(0, limit);
    }
    const picked: NamespaceNode[] = [];
    for (const child of children.values()) {
      const last = picked[limit - 1];
      if (last !== undefined && compareNatural(child.segment, last.segment) >= 0) continue;
      let low = 0;
      let high = picked.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if (compareNatural((picked[middle] as NamespaceNode).segment, child.segment) <= 0) low = middle + 1;
        else high = middle;
      }
      picked.splice(low, 0, child);
      if (picked.length > limit) picked.pop();
    }
    return picked;
  }

  get childCount(): number {
    return this.children?.size ?? 0;
  }

  child(segment: KeyBytes): NamespaceNode | undefined {
    return this.children?.get(typeof segment === 'string' ? segment : toBinary(segment));
  }

  /** True when every direct key name is held in memory: the walk is complete and the
   * namespace small enough. Paging then needs no SCAN. */
  get hasAllDirectKeyNames(): boolean {
    return this.names !== undefined && this.model.complete;
  }

  /** The direct keys' exact names in natural order, when all are held (see hasAllDirectKeyNames). */
  directKeyNames(): Buffer[] | undefined {
    if (!this.hasAllDirectKeyNames || this.names === undefined) return undefined;
    return [...this.names].sort(compareNatural).map(fromBinary);
  }

  /** The label of one of this namespace's direct keys: the key after the prefix. */
  keyLabel(key: KeyBytes): BinaryString {
    const binary = typeof key === 'string' ? key : toBinary(key);
    return binary.slice(this.id.length);
  }
}

/** The pattern nodes a namespace's keys count into; `unitemized` where the entry budget ran out. */
interface PatternTargets {
  readonly exact: PatternNode[];
  readonly unitemized: PatternNode[];
}

/** The targets one segment further down (`create`: make pattern entries while the budget allows). */
function descend(from: PatternTargets | undefined, segment: BinaryString, create: boolean): PatternTargets | undefined {
  if (from === undefined) return undefined;
  const exact: PatternNode[] = [];
  const unitemized = [...from.unitemized];
  for (const pattern of from.exact) {
    const child = pattern.child(segment, create);
    if (child) exact.push(child);
    else unitemized.push(pattern);
  }
  return { exact, unitemized };
}

function countInto(targets: PatternTargets, label: BinaryString, by: 1 | -1): void {
  for (const pattern of targets.exact) pattern.countKey(label, by);
  for (const pattern of targets.unitemized) pattern.countUnitemized(by);
}

/** True when the binary string `path` is exactly bytes[start, end) (no Buffer per node to compare with). */
function sameBytes(path: BinaryString, bytes: Buffer, start: number, end: number): boolean {
  if (path.length !== end - start) return false;
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}

export function compareBinary(a: BinaryString, b: BinaryString): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Exact key counts for every namespace path at every depth, built from one walk of the
 * keyspace (`add` per key); see the definitions at the top of this file. Memory: a
 * node per namespace plus the names of sparse namespaces (within `nameBudgetBytes`,
 * densest dropped first; see DENSE_SHARE); a dense namespace costs a few numbers.
 */
export class NamespaceModel {
  readonly root: NamespaceNode;
  readonly delimiter: Buffer;
  /** The delimiter as a binary string. */
  readonly delimiterBinary: BinaryString;
  readonly match: Buffer | undefined;
  readonly type: string | undefined;
  readonly keepNamesUpTo: number;
  readonly maxStoredNames: number;
  readonly nameBudgetBytes: number;
  readonly maxNamespaces: number;

  state: WalkState = 'walking';
  /** Why the walk stopped early, when state is 'failed'. */
  error: Error | undefined;
  /** Keys SCAN returned, duplicates included. */
  keysSeen = 0;
  /** Keys SCAN returned more than once, counted once. */
  duplicates = 0;
  /** Namespaces tracked (the root not included). */
  namespaceCount = 0;
  /** Names held over all namespaces. */
  storedNames = 0;
  /** Their estimated heap bytes (NAME_OVERHEAD_BYTES + length each), within nameBudgetBytes. */
  storedNameBytes = 0;
  /** A namespace keeps at most this many names: keepNamesUpTo, lowered by the
   * keyspace's size (dense namespaces) and whenever the names exceed the budget. */
  private nameCap: number;
  /** The keys a walk in name-blind order expects (see expectKeys), 0 when its order may follow names. */
  private expectedInBlindOrder = 0;
  /** True when `maxNamespaces` was reached and some namespaces are not tracked. */
  truncated = false;
  /** @internal Keys whose namespace the hash lookup did not find (new or untracked ones). */
  lookupMisses = 0;
  /** True once a deletion of a whole namespace made the `{id}` pattern counts inexact
   * (they are exact again after the next walk); then show the plain lists. */
  patternsStale = false;
  private readonly patternBudget = new PatternBudget();

  /** The namespaces past maxNamespaces, by path hash, with their key counts. */
  private readonly untracked = new UntrackedNamespaces();
  /** Set by `resolve` when it could not create a node: the path of the first namespace not tracked. */
  private untrackedPath: BinaryString = '';

  private readonly index = new Map<BinaryString, NamespaceNode>();
  /** Nodes by the lookup hash of their path bytes (pathHash), chained on sameHash. */
  private readonly byPathHash = new Map<number, NamespaceNode>();
  private readonly delimiterByte: number;
  private seen: SeenKeys | undefined;
  /**
   * Keys of the current SCAN reply waiting for the check against the keys seen, as their
   * 64-bit hashes and their namespaces. Only keys of known namespaces that keep no names and
   * no patterns wait (counting them needs nothing but the node): most keys of a large walk.
   * Why: at 10M keys the table of seen keys holds 128 MB, and a key checked as it came
   * waited for its own cache and TLB miss, the hashing of the next key in between keeping
   * the misses from overlapping; checked back to back, a reply's misses overlap. Measured in
   * a bare process, CPU per key counted over 10M shuffled keys of the benchmark's shape:
   * 334–423 ns before, 248–264 ns after (the same without the check: 87–100 ns). Splitting
   * the table by hash bits so that each check hits a 512 KB part measured no better.
   */
  private readonly pendingHashes = new Int32Array(2 * PENDING_KEYS);
  private readonly pendingNodes: NamespaceNode[] = [];
  private pendingCount = 0;
  private readonly singleByte: boolean;

  constructor(options: NamespaceModelOptions = {}) {
    this.delimiter = Buffer.from(bytesOf(options.delimiter ?? ':'));
    if (this.delimiter.length === 0) throw new RangeError('The namespace delimiter must not be empty.');
    this.delimiterBinary = toBinary(this.delimiter);
    this.singleByte = this.delimiter.length === 1;
    this.delimiterByte = this.delimiter[0] as number;
    this.match = options.match === undefined ? undefined : Buffer.from(bytesOf(options.match));
    this.type = options.type;
    this.keepNamesUpTo = options.keepNamesUpTo ?? DEFAULT_KEEP_NAMES_UP_TO;
    this.maxStoredNames = options.maxStoredNames ?? DEFAULT_MAX_STORED_NAMES;
    this.nameBudgetBytes = options.nameBudgetBytes ?? DEFAULT_NAME_BUDGET_BYTES;
    this.nameCap = this.keepNamesUpTo;
    this.maxNamespaces = options.maxNamespaces ?? DEFAULT_MAX_NAMESPACES;
    this.seen = options.dedupe === false ? undefined : new SeenKeys();
    this.root = new NamespaceNode(this, undefined, '', '');
  }

  /** True only when a walk went through the whole keyspace: counts are final. */
  get complete(): boolean {
    return this.state === 'complete';
  }

  /** Distinct keys counted. */
  get totalKeys(): number {
    return this.root.count;
  }

  /** Counts one key. */
  add(key: KeyBytes): void {
    const bytes = typeof key === 'string' ? fromBinary(key) : key;
    this.addBytes(bytes, 0, bytes.length);
    this.settle();
  }

  /**
   * Checks and counts the keys addBytes left waiting: the walk calls it at the end of each
   * SCAN reply; the counts are then exact for every key added.
   */
  settle(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    this.pendingCount = 0;
    const seen = this.seen as SeenKeys;
    const hashes = this.pendingHashes;
    const nodes = this.pendingNodes;
    for (let i = 0; i < n; i++) {
      if (!seen.addHash(hashes[2 * i] as number, hashes[2 * i + 1] as number)) {
        this.duplicates++;
        continue;
      }
      const node = nodes[i] as NamespaceNode;
      for (let m: NamespaceNode | undefined = node; m !== undefined; m = m.parent) m.count++;
      node.directCount++;
    }
  }

  /**
   * Counts the key in `bytes[start, end)`: the walk's hot path, which allocates nothing
   * for a key of a known namespace. One pass over the bytes finds the last delimiter
   * and hashes both the key (for SeenKeys) and the path before that delimiter; the path
   * hash finds the namespace node, whose bytes are compared to confirm it; then one
   * counter per depth. A key's name is copied only when its namespace keeps names.
   */
  addBytes(bytes: Buffer, start: number, end: number): void {
    this.keysSeen++;
    if (!this.singleByte) {
      this.addSplit(bytes.toString('latin1', start, end));
      return;
    }
    const d = this.delimiterByte;
    // The constants of keyHash.ts as int32 literals (V8 keeps the loop in integer registers);
    // SEED_B is this process's own (see keyHash.ts).
    let a = -559038737; // SEED_A | 0
    let b = SEED_B;
    let cut = -1;
    let pathHashA = 0;
    for (let i = start; i < end; i++) {
      const c = bytes[i] as number;
      if (c === d) {
        cut = i;
        pathHashA = a;
      }
      a = Math.imul(a ^ c, -1640531535); // MUL_A | 0
      b = Math.imul(b ^ c, 1597334677); // MUL_B
    }
    let node: NamespaceNode | undefined;
    if (cut < 0) {
      node = this.root;
    } else {
      node = this.byPathHash.get(pathHashA & 0x3fffffff);
      while (node !== undefined && !sameBytes(node.path, bytes, start, cut)) node = node.sameHash;
    }
    const seen = this.seen;
    if (seen !== undefined) {
      // finishHash (keyHash.ts), inlined.
      b ^= end - start;
      const h1 = Math.imul(a ^ (a >>> 16), -2048144789) ^ Math.imul(b ^ (b >>> 13), -1028477387);
      const h2 = Math.imul(b ^ (b >>> 16), -2048144789) ^ Math.imul(h1 ^ (h1 >>> 13), -1028477387);
      if (node !== undefined && node.names === undefined && node.patterns === undefined) {
        // The common case, a key of a known dense namespace: checked and counted in settle.
        const at = this.pendingCount++;
        this.pendingHashes[2 * at] = h1;
        this.pendingHashes[2 * at + 1] = h2;
        this.pendingNodes[at] = node;
        if (at + 1 === PENDING_KEYS) this.settle();
        return;
      }
      if (!seen.addHash(h1, h2)) {
        this.duplicates++;
        return;
      }
    }
    // Not found: a namespace new to the model, or one past maxNamespaces (never the root).
    if (node === undefined) {
      this.lookupMisses++;
      const path = bytes.toString('latin1', start, cut);
      node = this.resolve(path);
      if (node.path !== path || node.isRoot) {
        this.countUntracked(node, path, bytes.toString('latin1', cut + 1, end));
        return;
      }
    }
    this.countDirect(node, bytes, start, end);
  }

  /** The general path (a delimiter of several bytes): split the binary string. */
  private addSplit(key: BinaryString): void {
    const cut = this.lastDelimiter(key);
    if (this.seen !== undefined) {
      const buffer = fromBinary(key);
      const [h1, h2] = keyHashOf(buffer);
      if (!this.seen.addHash(h1, h2)) {
        this.duplicates++;
        return;
      }
    }
    let node = this.root;
    if (cut >= 0) {
      const path = key.slice(0, cut);
      node = this.index.get(path) ?? this.resolve(path);
      if (node.path !== path || node.isRoot) {
        this.countUntracked(node, path, key.slice(cut + this.delimiterBinary.length));
        return;
      }
    }
    const buffer = fromBinary(key);
    this.countDirect(node, buffer, 0, buffer.length);
  }

  /** Past maxNamespaces: counted in the deepest tracked ancestor only, and in the
   * namespace below it that `resolve` could not create (untrackedPath); and in its patterns. */
  private countUntracked(node: NamespaceNode, path: BinaryString, label: BinaryString): void {
    node.untrackedCount++;
    const [h1, h2] = keyHashOf(fromBinary(this.untrackedPath));
    const added = this.untracked.addKey(h1, h2);
    if (added) node.untrackedNamespaces++;
    for (let n: NamespaceNode | undefined = node; n !== undefined; n = n.parent) n.count++;
    const targets = this.untrackedTargets(node, path, true, added ? 1 : 0);
    if (targets) countInto(targets, label, 1);
  }

  /** The patterns a key of an untracked namespace (`path`, below the tracked `node`) counts
   * into; `instances` is added to the `{id}` group when its first segment is an id. */
  private untrackedTargets(
    node: NamespaceNode,
    path: BinaryString,
    create: boolean,
    instances: number,
  ): PatternTargets | undefined {
    const below = this.segments(node.isRoot ? path : path.slice(node.id.length));
    const first = below[0] ?? '';
    let targets = descend(node.patterns, first, create);
    if (isIdLike(first) && (create || node.idGroup)) {
      const group = this.idGroupOf(node);
      group.instances += instances;
      group.untrackedInstances += instances;
      group.untrackedKeys += create ? 1 : -1;
      targets = { exact: [...(targets?.exact ?? []), group], unitemized: targets?.unitemized ?? [] };
    }
    for (const segment of below.slice(1)) targets = descend(targets, segment, create);
    return targets;
  }

  private idGroupOf(node: NamespaceNode): PatternNode {
    return (node.idGroup ??= new PatternNode(this.patternBudget, undefined, ID_SEGMENT));
  }

  /** The patterns a new child namespace's keys count into. */
  private childTargets(parent: NamespaceNode, segment: BinaryString): PatternTargets | undefined {
    if (!isIdLike(segment)) return descend(parent.patterns, segment, true);
    if (parent.idChildPatterns === undefined) {
      const above = descend(parent.patterns, segment, true);
      parent.idChildPatterns = {
        exact: [...(above?.exact ?? []), this.idGroupOf(parent)],
        unitemized: above?.unitemized ?? [],
      };
    }
    return parent.idChildPatterns;
  }

  private countDirect(node: NamespaceNode, bytes: Buffer, start: number, end: number): void {
    for (let n: NamespaceNode | undefined = node; n !== undefined; n = n.parent) n.count++;
    node.directCount++;
    if (node.names !== undefined) this.keepName(node, bytes, start, end);
    if (node.patterns !== undefined) {
      countInto(node.patterns, bytes.toString('latin1', start + node.path.length + this.delimiter.length, end), 1);
    }
  }

  /** Keeps a direct key's name while the namespace is under the cap and the names fit the
   * budget; over the budget the largest holders drop theirs (lowerNameCap). */
  private keepName(node: NamespaceNode, bytes: Buffer, start: number, end: number): void {
    const cost = NAME_OVERHEAD_BYTES + end - start;
    // A name larger than the whole budget must not cost the other namespaces theirs.
    if (cost > this.nameBudgetBytes) {
      this.dropNames(node);
      return;
    }
    for (;;) {
      const names = node.names;
      if (names === undefined) return;
      if (names.length >= this.nameCap || this.boundToBeDense(names.length)) {
        this.dropNames(node);
        return;
      }
      if (this.storedNameBytes + cost <= this.nameBudgetBytes && this.storedNames < this.maxStoredNames) {
        names.push(bytes.toString('latin1', start, end));
        this.storedNames++;
        this.storedNameBytes += cost;
        return;
      }
      if (!this.lowerNameCap(cost)) {
        this.dropNames(node);
        return;
      }
    }
  }

  /**
   * Makes room: drops the names of the largest holders (the densest namespaces, cheapest
   * to page with SCAN) until the names take at most 3/4 of the budget, and lowers the cap
   * below the last one dropped, so that no namespace that large keeps names again. The
   * quarter left free makes these passes rare (each sorts the holders once).
   */
  private lowerNameCap(cost: number): boolean {
    const holders = [...this.holders()].filter((node) => (node.names?.length ?? 0) > 0);
    holders.sort((a, b) => (b.names?.length ?? 0) - (a.names?.length ?? 0));
    const bytes = Math.min(this.nameBudgetBytes * 0.75, this.nameBudgetBytes - cost);
    const names = Math.min(this.maxStoredNames * 0.75, this.maxStoredNames - 1);
    let dropped = false;
    for (const node of holders) {
      if (this.storedNameBytes <= bytes && this.storedNames <= names) break;
      this.nameCap = Math.min(this.nameCap, (node.names?.length ?? 0) - 1);
      this.dropNames(node);
      dropped = true;
    }
    return dropped;
  }

  private *holders(): Iterable<NamespaceNode> {
    yield this.root;
    yield* this.index.values();
  }

  /** The namespace keeps counts only from now on (it pages with SCAN). */
  private dropNames(node: NamespaceNode): void {
    const names = node.names;
    if (names === undefined) return;
    this.storedNames -= names.length;
    for (const name of names) this.storedNameBytes -= NAME_OVERHEAD_BYTES + name.length;
    node.names = undefined;
  }

  /** Sizes the walk's tables for about this many keys (DBSIZE); before the first key only.
   * `nameBlindOrder`: SCAN returns the keys in an order that has nothing to do with their
   * names (one Redis or Valkey server: its table is ordered by a seeded hash of the whole
   * key), so a namespace's share of the keys seen so far is its share at the end. */
  expectKeys(keys: number, nameBlindOrder = false): void {
    if (this.keysSeen !== 0) return;
    if (this.seen !== undefined) this.seen = new SeenKeys(keys);
    // Unfiltered, DBSIZE is what the walk will count: dense namespaces need no names from the start.
    if (this.match === undefined && this.type === undefined) {
      this.nameCap = Math.min(this.nameCap, this.denseFrom(keys));
      this.expectedInBlindOrder = nameBlindOrder && Number.isFinite(keys) && keys > 0 ? keys : 0;
    }
  }

  /**
   * True when a namespace holding `names` names (all its direct keys so far) is on course to
   * end with at least twice the cap: its names are dropped then, not when the cap is reached.
   * Checked at 1,024, 2,048, … names: with that many keys seen, in a name-blind order, the
   * estimate is within a few percent, and a namespace that ends under the cap would have
   * had to turn up at twice its rate. Why: at 1M keys the benchmark's eleven large
   * namespaces each kept 10,000 names before the cap dropped them, 7 of the walk's 11 MB
   * of garbage, promoted to the old generation on the way (keyspaceScale.bench).
   */
  private boundToBeDense(names: number): boolean {
    const expected = this.expectedInBlindOrder;
    if (expected === 0 || names < PREDICT_FROM_NAMES || (names & (names - 1)) !== 0) return false;
    return names * expected >= 2 * this.nameCap * this.keysSeen;
  }

  /** Direct keys up to which a namespace is sparse in a keyspace of `keys` (see DENSE_SHARE). */
  private denseFrom(keys: number): number {
    return Math.max(SMALL_NAMESPACE_KEYS, Math.ceil(keys * DENSE_SHARE));
  }

  /** Ends the walk; releases what only the walk needed. */
  finish(state: Exclude<WalkState, 'walking'>, error?: Error): void {
    this.settle();
    this.pendingNodes.length = 0;
    this.state = state;
    this.error = error;
    this.seen = undefined;
    // Filtered, a namespace's share of the keys counted says nothing about the SCAN over all
    // keys its pages need: keep what the budget allows.
    if (state !== 'complete' || this.match !== undefined || this.type !== undefined) return;
    // Now that the keyspace's size is known: dense namespaces page fast with SCAN, drop their names.
    // (Not the cap lowered for the budget: namespaces that kept all their names keep them.)
    const dense = this.denseFrom(this.totalKeys);
    this.nameCap = Math.min(this.nameCap, dense);
    for (const node of this.holders()) if (node.directCount > dense) this.dropNames(node);
  }

  /**
   * Counts one key the user just created (or renamed to) in a complete, unfiltered model,
   * making its namespaces as needed, so the counts stay exact without walking again. False,
   * changing nothing, when the model cannot tell (still walking, or filtered) or already
   * holds the key's name.
   */
  addKey(key: KeyBytes): boolean {
    if (!this.complete || this.match !== undefined || this.type !== undefined) return false;
    const binary = typeof key === 'string' ? key : toBinary(key);
    const { path } = this.split(binary);
    const node = path === undefined ? this.root : this.findNamespace(path);
    if (node?.names?.includes(binary)) return false;
    // The walk's table of seen keys is released at the end: this adds without it.
    this.add(binary);
    return true;
  }

  /**
   * Takes one key the user deleted out of a complete, unfiltered model, so the counts stay
   * exact without walking again; namespaces left empty go too. False, changing nothing,
   * when the model cannot tell (still walking, or filtered: the key may not have been
   * counted) or when it holds the names of the key's namespace and this key is not among
   * them.
   */
  removeKey(key: KeyBytes): boolean {
    if (!this.complete || this.match !== undefined || this.type !== undefined) return false;
    const binary = typeof key === 'string' ? key : toBinary(key);
    const { path } = this.split(binary);
    const node = path === undefined ? this.root : this.findNamespace(path);
    if (node === undefined) {
      // Its namespace was past maxNamespaces: counted in the deepest tracked ancestor.
      const ancestor = this.deepestTracked(path ?? '');
      if (ancestor.untrackedCount === 0) return false;
      const untrackedPath = this.segments(path ?? '')
        .slice(0, ancestor.depth + 1)
        .join(this.delimiterBinary);
      const [h1, h2] = keyHashOf(fromBinary(untrackedPath));
      const emptied = this.untracked.removeKey(h1, h2);
      if (emptied) ancestor.untrackedNamespaces--;
      const targets = this.untrackedTargets(ancestor, path ?? '', false, emptied ? -1 : 0);
      if (targets) countInto(targets, this.split(binary).label, -1);
      ancestor.untrackedCount--;
      this.uncount(ancestor, 1);
      return true;
    }
    if (node.directCount === 0) return false;
    if (node.names !== undefined) {
      const at = node.names.indexOf(binary);
      if (at < 0) return false;
      node.names.splice(at, 1);
      this.storedNames--;
      this.storedNameBytes -= NAME_OVERHEAD_BYTES + binary.length;
    }
    node.directCount--;
    if (node.patterns !== undefined) countInto(node.patterns, binary.slice(node.id.length), -1);
    this.uncount(node, 1);
    return true;
  }

  /**
   * Takes a namespace the user deleted (every key under its prefix) out of a complete,
   * unfiltered model, with all namespaces below it; the ancestors lose its count. False,
   * changing nothing, when the model cannot tell or does not track that namespace.
   */
  removeNamespace(path: KeyBytes): boolean {
    if (!this.complete || this.match !== undefined || this.type !== undefined) return false;
    const node = this.findNamespace(path);
    if (node === undefined || node.parent === undefined) return false;
    const removed = node.count;
    // Which labels its keys had is not known here: the patterns are exact again after a walk.
    if (node.patterns !== undefined || node.idGroup !== undefined || isIdLike(node.segment)) this.patternsStale = true;
    node.parent.children?.delete(node.segment);
    node.parent.sortedByName = undefined;
    this.forgetSubtree(node);
    this.uncount(node.parent, removed);
    return true;
  }

  /** Lowers the counts from `node` up to the root; drops namespaces left with no key. */
  private uncount(node: NamespaceNode, keys: number): void {
    for (let n: NamespaceNode | undefined = node; n !== undefined; n = n.parent) n.count -= keys;
    for (let n: NamespaceNode | undefined = node; n?.parent !== undefined && n.count === 0; n = n.parent) {
      if (n.parent.idGroup !== undefined && isIdLike(n.segment)) n.parent.idGroup.instances--;
      n.parent.children?.delete(n.segment);
      n.parent.sortedByName = undefined;
      this.forgetSubtree(n);
    }
  }

  private forgetSubtree(node: NamespaceNode): void {
    for (const child of node.children?.values() ?? []) this.forgetSubtree(child);
    this.dropNames(node);
    this.index.delete(node.path);
    const hash = pathHashOfBinary(node.path);
    let first = this.byPathHash.get(hash);
    if (first === node) {
      if (node.sameHash) this.byPathHash.set(hash, node.sameHash);
      else this.byPathHash.delete(hash);
    } else {
      while (first !== undefined && first.sameHash !== node) first = first.sameHash;
      if (first) first.sameHash = node.sameHash;
    }
    this.namespaceCount--;
  }

  /** The deepest namespace of the path that the model tracks (the root at least). */
  private deepestTracked(path: BinaryString): NamespaceNode {
    let node = this.root;
    for (const segment of path === '' ? [] : path.split(this.delimiterBinary)) {
      const next = node.children?.get(segment);
      if (next === undefined) break;
      node = next;
    }
    return node;
  }

  /** The namespace with this path (segments joined by the delimiter, without trailing
   * delimiter), or undefined. The root has no path: use `root`. */
  findNamespace(path: KeyBytes): NamespaceNode | undefined {
    return this.index.get(typeof path === 'string' ? path : toBinary(path));
  }

  /** The namespace a key belongs to and its label there, by the rules above, whether or
   * not the model tracks that namespace. `path` is undefined for a top-level key. */
  split(key: KeyBytes): { path: BinaryString | undefined; label: BinaryString } {
    const binary = typeof key === 'string' ? key : toBinary(key);
    const cut = this.lastDelimiter(binary);
    return cut < 0
      ? { path: undefined, label: binary }
      : { path: binary.slice(0, cut), label: binary.slice(cut + this.delimiterBinary.length) };
  }

  /** Segments of a path or key, split left to right (exact bytes as binary strings). */
  segments(path: KeyBytes): BinaryString[] {
    return (typeof path === 'string' ? path : toBinary(path)).split(this.delimiterBinary);
  }

  /** Position of the delimiter that ends the key's namespace path, or -1. For a
   * one-byte delimiter the last occurrence; for a longer one the last of a
   * left-to-right, non-overlapping split (as `String.prototype.split` does). */
  private lastDelimiter(key: BinaryString): number {
    const d = this.delimiterBinary;
    if (this.singleByte) return key.lastIndexOf(d);
    let last = -1;
    for (let at = key.indexOf(d); at >= 0; at = key.indexOf(d, at + d.length)) last = at;
    return last;
  }

  /** Finds or creates the node of a path, or returns the deepest tracked ancestor when
   * maxNamespaces does not allow creating it (then `untrackedPath` is the path of the
   * namespace below it). Once a namespace was refused, none is created any more, not even
   * after a removal makes room: keys of a namespace counted as untracked must stay there. */
  private resolve(path: BinaryString): NamespaceNode {
    const segments = path.split(this.delimiterBinary);
    let node = this.root;
    let nodePath: BinaryString | undefined;
    for (const segment of segments) {
      nodePath = nodePath === undefined ? segment : nodePath + this.delimiterBinary + segment;
      let next = node.children?.get(segment);
      if (next === undefined) {
        if (this.truncated || this.namespaceCount >= this.maxNamespaces) {
          this.truncated = true;
          this.untrackedPath = nodePath;
          return node;
        }
        next = new NamespaceNode(this, node, segment, nodePath);
        next.patterns = this.childTargets(node, segment);
        if (isIdLike(segment)) this.idGroupOf(node).instances++;
        (node.children ??= new Map()).set(segment, next);
        node.sortedByName = undefined;
        this.index.set(nodePath, next);
        const hash = pathHashOfBinary(next.path);
        next.sameHash = this.byPathHash.get(hash);
        this.byPathHash.set(hash, next);
        this.namespaceCount++;
      }
      node = next;
    }
    return node;
  }
}
