import type { Cluster } from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary, toBinary } from '../keyspace/binary';
import { KeyspaceCancelledError, keyspaceError } from '../keyspace/errors';
import { GONE } from '../keyspace/format';
import { KeyEntry } from '../keyspace/keyInfo';
import { NamespaceNode } from '../keyspace/namespaceModel';
import { compareNatural } from '../keyspace/naturalOrder';
import { OneAtATime } from '../keyspace/oneAtATime';
import { DEFAULT_PAGE_SIZE, KeyPage, NamespaceKeyPager, PagedKey, PagerOptions } from '../keyspace/pager';
import { lostConnection } from './nodes';
import { ClusterMaster, Topology } from './topology';

/** What a namespace row keeps to page its keys: NamespaceKeyPager on one server, ClusterKeyPager on a cluster. */
export interface KeyPager {
  readonly namespace: NamespaceNode;
  readonly done: boolean;
  next(signal?: AbortSignal): Promise<KeyPage>;
  forget(key: BinaryString): void;
}

/** The pager for a namespace on this topology. */
export function pagerFor(topology: Topology, node: NamespaceNode, options: PagerOptions = {}): KeyPager {
  if (topology.kind === 'single') {
    return new NamespaceKeyPager(topology.client, node, { ...options, endpoint: topology.endpoint });
  }
  return new ClusterKeyPager(topology.cluster, topology.masters(), node, { ...options, endpoint: topology.endpoint });
}

/**
 * Pages a namespace's direct keys across a cluster. A small namespace of a complete walk
 * pages from the names the model holds. A large one pages every master at once: one
 * NamespaceKeyPager per master (its own `SCAN MATCH` cursor on that master's connection,
 * TYPE/PTTL pipelined there), each asked for its share of a page; a page merges their
 * answers in natural order, exactly the page size of them until the last page. Every key
 * comes once: each key lives on one master, and each master's pager drops what its SCAN repeats.
 */
export class ClusterKeyPager implements KeyPager {
  private readonly pageSize: number;
  private readonly names: BinaryString[] | undefined;
  private offset = 0;
  private readonly perMaster: NamespaceKeyPager[];
  /** Keys the other masters gave in a round where one master failed: the next page starts with them. */
  private carried: PagedKey[] = [];
  private readonly endpoint: RedisEndpoint | undefined;
  private readonly queue = new OneAtATime();

  constructor(
    private readonly cluster: Cluster,
    masters: readonly ClusterMaster[],
    readonly namespace: NamespaceNode,
    options: PagerOptions = {},
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.endpoint = options.endpoint;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError('The page size must be a positive integer.');
    }
    // A pattern's keys (`user:*:profile`) are not the namespace's names: they page by SCAN MATCH.
    if (options.pattern === undefined && namespace.hasAllDirectKeyNames && namespace.names !== undefined) {
      this.names = [...namespace.names].sort(compareNatural);
      this.perMaster = [];
      return;
    }
    const share = Math.max(1, Math.ceil(this.pageSize / Math.max(1, masters.length)));
    this.perMaster = masters.map((master) => {
      if (!master.client) throw lostConnection(master);
      return new NamespaceKeyPager(master.client, namespace, {
        ...options,
        pageSize: share,
        endpoint: master.endpoint,
      });
    });
  }

  get done(): boolean {
    return this.names !== undefined
      ? this.offset >= this.names.length
      : this.carried.length === 0 && this.perMaster.every((pager) => pager.done);
  }

  forget(key: BinaryString): void {
    if (this.names !== undefined) {
      const at = this.names.indexOf(key, this.offset);
      if (at >= 0) this.names.splice(at, 1);
    }
    this.carried = this.carried.filter((entry) => entry.id !== key);
    for (const pager of this.perMaster) pager.forget(key);
  }

  /** As NamespaceKeyPager.next: calls made while one runs wait for it; a failure leaves the pager where it was. */
  next(signal?: AbortSignal): Promise<KeyPage> {
    return this.queue.run(() => this.nextNow(signal));
  }

  private async nextNow(signal: AbortSignal | undefined): Promise<KeyPage> {
    if (this.done) return { keys: [], more: false, scans: 0 };
    if (this.names !== undefined) {
      const page = this.names.slice(this.offset, this.offset + this.pageSize);
      const entries = await describeClusterKeys(this.cluster, page, this.endpoint, signal);
      this.offset += page.length;
      const prefixLength = this.namespace.id.length;
      return {
        keys: entries.map((entry) => ({ ...entry, labelBytes: entry.id.slice(prefixLength) })),
        more: !this.done,
        scans: 0,
      };
    }
    // Rounds until a page is full: each master gives its share per round, and a namespace
    // that lives on fewer masters (a hash tag keeps it in one slot) needs several rounds.
    // A master's pager that fails stays where it was; the keys the others gave are carried
    // to the next page, so a retry loses none. Keys beyond the page size wait for the next.
    const keys = this.carried;
    this.carried = [];
    let scans = 0;
    while (keys.length < this.pageSize && this.perMaster.some((pager) => !pager.done)) {
      const results = await Promise.allSettled(
        this.perMaster.map((pager) => (pager.done ? Promise.resolve(undefined) : pager.next(signal))),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') {
          keys.push(...(result.value?.keys ?? []));
          scans += result.value?.scans ?? 0;
        }
      }
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        this.carried = keys;
        throw failed.reason;
      }
    }
    keys.sort((a, b) => compareNatural(a.id, b.id));
    this.carried = keys.splice(this.pageSize);
    return { keys, more: !this.done, scans };
  }
}

/**
 * TYPE and PTTL of keys on a cluster: each command goes to its key's master (ioredis
 * routes by slot and writes them all at once, so each node's share is one pipelined
 * round trip). A vanished key is `gone`.
 */
export async function describeClusterKeys(
  cluster: Cluster,
  keys: readonly BinaryString[],
  endpoint: RedisEndpoint | undefined,
  signal?: AbortSignal,
): Promise<KeyEntry[]> {
  if (signal?.aborted) throw new KeyspaceCancelledError();
  try {
    return await Promise.all(
      keys.map(async (id) => {
        const key = fromBinary(id);
        const [type, pttl] = await Promise.all([cluster.type(key), cluster.pttl(key)]);
        const gone = type === 'none' || pttl === GONE;
        return { key, id: toBinary(key), type: gone ? 'none' : type, pttlMs: gone ? GONE : pttl, gone };
      }),
    );
  } catch (error) {
    throw keyspaceError(error, endpoint ?? { host: 'the cluster', port: 0, db: 0, tls: false }, 'TYPE/PTTL');
  }
}
