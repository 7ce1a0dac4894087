import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { BinaryString, escapeGlob, toBinary } from './binary';
import { displaySegment, DisplayOptions } from './display';
import { endpointOfClient, KeyspaceCancelledError, keyspaceError } from './errors';
import { globMatches } from './glob';
import { describeKeys, KeyEntry } from './keyInfo';
import { NamespaceNode } from './namespaceModel';
import { OneAtATime } from './oneAtATime';
import { compareNatural } from './naturalOrder';
import { asScanReply, ScanRequest, scanArguments } from './scanSource';
import { DEFAULT_SCAN_COUNT } from './walker';

export const DEFAULT_PAGE_SIZE = 200;

export interface PagerOptions {
  /** Direct keys per page (default 200; setting `pageSize`). */
  readonly pageSize?: number;
  /** SCAN COUNT when the namespace's names are not held (default 1000). For a namespace
   * that is a small share of the keyspace it grows, up to `maxCount`, so that a page
   * needs few round trips. */
  readonly count?: number;
  /** Default 5 × count. */
  readonly maxCount?: number;
  readonly endpoint?: RedisEndpoint;
  /** Page the keys of a pattern below the namespace instead of its direct keys (see patternSelection). */
  readonly pattern?: PatternSelection;
  /** The keys already given, shared by pagers that must not give a key twice between them (a cluster's masters). */
  readonly given?: Set<BinaryString>;
  /** TYPE and PTTL of a page's keys (default: pipelined on this pager's connection). */
  readonly describe?: (keys: readonly BinaryString[]) => Promise<KeyEntry[]>;
}

/** Keys below a namespace that match a pattern path (`user:` + `{id}:profile`). */
export interface PatternSelection {
  /** SCAN MATCH for them (a superset: `*` crosses delimiters). */
  readonly match: Buffer;
  /** The exact test, byte for byte. */
  readonly accepts: (key: BinaryString) => boolean;
  /** How many there are (the pattern's count), to size COUNT. */
  readonly keys: number;
}

/** A direct key of a namespace, with its row label. */
export interface PagedKey extends KeyEntry {
  /** The key after the namespace's prefix, exact bytes as a binary string. */
  readonly labelBytes: BinaryString;
}

export interface KeyPage {
  /** Direct keys of the namespace, each once over all pages, sorted by name within the page;
   * `gone` ones included (they vanished since they were listed). */
  readonly keys: PagedKey[];
  /** True when a `Load more…` row belongs after this page. */
  readonly more: boolean;
  /** SCAN calls this page took (0 when the names were held). */
  readonly scans: number;
}

/**
 * Pages the direct keys of one namespace (keys deeper down belong to child namespaces
 * and are skipped), their TYPE and PTTL fetched in one pipelined round trip per page.
 * The pager is the continuation token: keep it with the namespace's row and call
 * `next()` for `Load more…`.
 *
 * - Small namespace of a complete walk: the names the model holds, in natural order (compareNatural).
 * - Otherwise: SCAN with `MATCH <escaped prefix>*` (no MATCH for the root), and the
 *   walk's TYPE filter, from where the last page stopped until a page of direct keys is
 *   collected; keys SCAN returns twice are given once (the pager remembers what it gave);
 *   keys read beyond a full page wait for the next one. The walk's MATCH filter applies
 *   on the client (Redis's glob rules, see glob.ts).
 */
export class NamespaceKeyPager {
  private readonly pageSize: number;
  private readonly endpoint: RedisEndpoint;
  private readonly names: BinaryString[] | undefined;
  private offset = 0;
  private cursor: string | undefined;
  private readonly request: ScanRequest | undefined;
  private readonly ready: BinaryString[] = [];
  private readonly given: Set<BinaryString>;
  private readonly describe: (keys: readonly BinaryString[]) => Promise<KeyEntry[]>;
  private finished = false;

  constructor(
    private readonly client: Redis,
    readonly namespace: NamespaceNode,
    options: PagerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError('The page size must be a positive integer.');
    }
    this.endpoint = options.endpoint ?? endpointOfClient(client);
    this.given = options.given ?? new Set<BinaryString>();
    this.describe = options.describe ?? ((keys) => describeKeys(this.client, keys, this.endpoint));
    const model = namespace.model;
    const pattern = options.pattern;
    if (pattern === undefined && namespace.hasAllDirectKeyNames && namespace.names !== undefined) {
      this.names = [...namespace.names].sort(compareNatural);
      return;
    }
    const count = options.count ?? DEFAULT_SCAN_COUNT;
    const maxCount = options.maxCount ?? count * 5;
    // Share of the keys SCAN will look at that are ours: known after a complete walk.
    const wantedKeys = pattern?.keys ?? namespace.directCount;
    const share = model.complete && model.totalKeys > 0 ? Math.max(wantedKeys, 1) / model.totalKeys : 1;
    const wanted = Math.ceil((this.pageSize * 1.25) / share);
    this.request = {
      count: Math.max(count, Math.min(maxCount, wanted)),
      match:
        pattern?.match ??
        (namespace.isRoot ? model.match : Buffer.concat([escapeGlob(namespace.id), Buffer.from('*')])),
      type: model.type,
    };
    this.cursor = '0';
    const target = namespace.isRoot ? undefined : namespace.path;
    this.accepts = pattern?.accepts ?? ((key) => model.split(key).path === target);
  }

  private readonly accepts: (key: BinaryString) => boolean = () => false;

  /** True once the last page was returned. */
  get done(): boolean {
    return this.finished;
  }

  /** Keys SCAN read that no page gave yet (they are in `given` already): whoever drops this pager gives them back. */
  get waiting(): readonly BinaryString[] {
    return this.ready;
  }

  /** A key deleted since this pager was made: no later page gives it. */
  forget(key: BinaryString): void {
    this.given.add(key);
    if (this.names !== undefined) {
      const at = this.names.indexOf(key, this.offset);
      if (at >= 0) this.names.splice(at, 1);
      this.finished = this.offset >= this.names.length;
    } else {
      const at = this.ready.indexOf(key);
      if (at >= 0) this.ready.splice(at, 1);
      this.finished = this.cursor === undefined && this.ready.length === 0;
    }
  }

  /** The next page. Rejects with RedisConnectionError, KeyspaceCommandError or, when
   * `signal` fires between round trips, KeyspaceCancelledError; after a rejection the
   * pager is where it was, and `next()` may be called again. Calls made while one is
   * running wait for it (two quick clicks on `Load more…` give two pages). */
  next(signal?: AbortSignal): Promise<KeyPage> {
    return this.queue.run(() => this.nextNow(signal));
  }

  private readonly queue = new OneAtATime();

  private async nextNow(signal: AbortSignal | undefined): Promise<KeyPage> {
    if (this.finished) return { keys: [], more: false, scans: 0 };
    let page: BinaryString[];
    let scans = 0;
    if (this.names !== undefined) {
      page = this.names.slice(this.offset, this.offset + this.pageSize);
    } else {
      scans = await this.fill(signal);
      page = this.ready.slice(0, this.pageSize).sort(compareNatural);
    }
    if (signal?.aborted) throw new KeyspaceCancelledError();
    const entries = await this.describe(page);
    // Only now, with the page in hand, does the pager move on.
    if (this.names !== undefined) {
      this.offset += page.length;
      this.finished = this.offset >= this.names.length;
    } else {
      this.ready.splice(0, page.length);
      this.finished = this.cursor === undefined && this.ready.length === 0;
    }
    const prefixLength = this.namespace.id.length;
    const keys = entries.map((entry) => ({ ...entry, labelBytes: entry.id.slice(prefixLength) }));
    return { keys, more: !this.finished, scans };
  }

  /** Scans until a page of direct keys is ready or the keyspace ends. */
  private async fill(signal: AbortSignal | undefined): Promise<number> {
    const request = this.request;
    let scans = 0;
    if (request === undefined) return scans;
    const model = this.namespace.model;
    const clientMatch = !this.namespace.isRoot && model.match !== undefined ? toBinary(model.match) : undefined;
    while (this.ready.length < this.pageSize && this.cursor !== undefined) {
      if (signal?.aborted) throw new KeyspaceCancelledError();
      let reply: [string, Buffer[]];
      try {
        reply = asScanReply(await this.client.callBuffer('SCAN', ...scanArguments(this.cursor, request)));
      } catch (error) {
        throw keyspaceError(error, this.endpoint, 'SCAN');
      }
      scans++;
      const [cursor, keys] = reply;
      this.cursor = cursor === '0' ? undefined : cursor;
      for (const buffer of keys) {
        const key = buffer.toString('latin1');
        if (!this.accepts(key)) continue;
        if (clientMatch !== undefined && !globMatches(clientMatch, key)) continue;
        if (this.given.has(key)) continue;
        this.given.add(key);
        this.ready.push(key);
      }
    }
    return scans;
  }
}

/** The row label of a paged key: the rest after its namespace, escaped (`""` if empty). */
export function keyLabel(key: PagedKey, options?: DisplayOptions): string {
  return displaySegment(key.labelBytes, options);
}
