import type { Cluster } from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary, toBinary } from '../keyspace/binary';
import { KeyspaceCancelledError, KeyspaceCommandError, keyspaceError } from '../keyspace/errors';
import { GONE } from '../keyspace/format';
import { NamespaceNode } from '../keyspace/namespaceModel';
import { compareNatural } from '../keyspace/naturalOrder';
import { OneAtATime } from '../keyspace/oneAtATime';
import { describeKeys, KeyEntry } from '../keyspace/keyInfo';
import { DEFAULT_PAGE_SIZE, KeyPage, NamespaceKeyPager, PagedKey, PagerOptions } from '../keyspace/pager';
import { lostConnection } from './nodes';
import { MasterSlots, readSlotState, receivingMasters } from './slotState';
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
  return new ClusterKeyPager(
    topology.cluster,
    topology.masters(),
    node,
    { ...options, endpoint: topology.endpoint },
    () => topology.masters(),
  );
}

/**
 * Pages a namespace's direct keys across a cluster. A small namespace of a complete walk
 * pages from the names the model holds. A large one pages every master at once: one
 * NamespaceKeyPager per master (its own `SCAN MATCH` cursor on that master's connection,
 * TYPE/PTTL pipelined there), each asked for its share of a page; a page merges their
 * answers in natural order, exactly the page size of them until the last page.
 *
 * Every key comes once, also while slots move between masters (resharding): the masters'
 * pagers share one set of the keys given (a key listed on its source master is skipped when
 * it turns up on the target); a listed key that moved before its TYPE is read there is read
 * through the cluster client, which follows ASK and MOVED; and when the masters' SCANs end,
 * a master that imported a slot or serves one it did not serve when paging began is scanned
 * again (keys given are skipped), since keys that arrived behind its cursor were seen by no
 * SCAN. The set holds the keys given, as the view holds their rows.
 */
export class ClusterKeyPager implements KeyPager {
  private readonly pageSize: number;
  private readonly names: BinaryString[] | undefined;
  private offset = 0;
  private readonly perMaster: NamespaceKeyPager[];
  private readonly given = new Set<BinaryString>();
  /** The slots each master served (and imported) when paging began, or at the last look. */
  private slotsBefore: MasterSlots[] | undefined;
  /** True once the masters' SCANs ended and no slot had moved meanwhile. */
  private settled = false;
  private sweeps = 0;
  private readonly options: PagerOptions;
  /** Keys the other masters gave in a round where one master failed: the next page starts with them. */
  private carried: PagedKey[] = [];
  private readonly endpoint: RedisEndpoint | undefined;
  private readonly queue = new OneAtATime();

  constructor(
    private readonly cluster: Cluster,
    masters: readonly ClusterMaster[],
    readonly namespace: NamespaceNode,
    options: PagerOptions = {},
    private readonly currentMasters: () => readonly ClusterMaster[] = () => masters,
  ) {
    this.options = options;
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
    this.perMaster = masters.map((master) => this.pagerOn(master, masters.length));
  }

  /** A SCAN pager on one master, its share of a page, skipping the keys any master's pager gave. */
  private pagerOn(master: ClusterMaster, masterCount: number): NamespaceKeyPager {
    const client = master.client;
    if (!client) throw lostConnection(master);
    const endpoint = master.endpoint;
    return new NamespaceKeyPager(client, this.namespace, {
      ...this.options,
      pageSize: Math.max(1, Math.ceil(this.pageSize / Math.max(1, masterCount))),
      endpoint,
      given: this.given,
      describe: async (keys) => {
        try {
          return await describeKeys(client, keys, endpoint);
        } catch (error) {
          // A key whose slot moved since SCAN listed it: ASK or MOVED; the cluster client follows them.
          if (!(error instanceof KeyspaceCommandError && /^(ASK|MOVED) /.test(error.reply))) throw error;
          return describeClusterKeys(this.cluster, keys, endpoint);
        }
      },
    });
  }

  get done(): boolean {
    return this.names !== undefined
      ? this.offset >= this.names.length
      : this.settled && this.carried.length === 0 && this.perMaster.every((pager) => pager.done);
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
    this.slotsBefore ??= await readSlotState(this.currentMasters());
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
    if (this.perMaster.every((pager) => pager.done)) await this.settle();
    return { keys, more: !this.done, scans };
  }

  /**
   * Every master's SCAN has ended: scans again the masters that received keys since paging
   * began (see the class comment), at most MAX_SWEEPS times under a resharding that goes on.
   */
  private async settle(): Promise<void> {
    const before = this.slotsBefore ?? [];
    const now = await readSlotState(this.currentMasters());
    this.slotsBefore = now;
    const receiving = this.sweeps < MAX_SWEEPS ? receivingMasters(before, now) : [];
    if (receiving.length === 0) {
      this.settled = true;
      return;
    }
    this.sweeps += 1;
    this.perMaster.push(...receiving.map((master) => this.pagerOn(master, receiving.length)));
  }
}

/** Scans of the receiving masters after the first pass, at most (a resharding that goes on is not followed for ever). */
const MAX_SWEEPS = 3;

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
