import type { Cluster } from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import { BinaryString, fromBinary, toBinary } from '../keyspace/binary';
import { KeyspaceCancelledError, KeyspaceCommandError, keyspaceError } from '../keyspace/errors';
import { GONE } from '../keyspace/format';
import { NamespaceNode } from '../keyspace/namespaceModel';
import { compareNatural } from '../keyspace/naturalOrder';
import { OneAtATime } from '../keyspace/oneAtATime';
import { describeKeys, KeyEntry, noAccessEntry } from '../keyspace/keyInfo';
import { DEFAULT_PAGE_SIZE, KeyPage, NamespaceKeyPager, PagedKey, PagerOptions } from '../keyspace/pager';
import { describeMaster } from './clusterWalk';
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
 *
 * A master that stops answering (its connection closed) fails its share of the page; once a
 * replica has taken its slots over (or it came back), the next page reads the slot map again
 * and starts that share's SCAN over on the master that serves those slots now (keys given are
 * skipped), so `Load more…` works again without a Refresh.
 */
export class ClusterKeyPager implements KeyPager {
  private readonly pageSize: number;
  private readonly names: BinaryString[] | undefined;
  private offset = 0;
  private perMaster: MasterPager[];
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
  private pagerOn(master: ClusterMaster, masterCount: number): MasterPager {
    const client = master.client;
    if (!client) throw lostConnection(master);
    const endpoint = master.endpoint;
    const pager = new NamespaceKeyPager(client, this.namespace, {
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
    return { master, client, pager };
  }

  get done(): boolean {
    return this.names !== undefined
      ? this.offset >= this.names.length
      : this.settled && this.carried.length === 0 && this.perMaster.every((part) => part.pager.done);
  }

  forget(key: BinaryString): void {
    if (this.names !== undefined) {
      const at = this.names.indexOf(key, this.offset);
      if (at >= 0) this.names.splice(at, 1);
    }
    this.carried = this.carried.filter((entry) => entry.id !== key);
    for (const part of this.perMaster) part.pager.forget(key);
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
    // to the next page, so a retry loses none (they are fewer than a page plus one round of
    // the others' shares: a round runs only while the page is not full). Keys beyond the
    // page size wait for the next. A master whose connection failed is looked up again, once
    // per page: if another node serves its slots now, its share restarts there in this page.
    const keys = this.carried;
    this.carried = [];
    let scans = 0;
    let lookedUp = false;
    while (keys.length < this.pageSize && this.perMaster.some((part) => !part.pager.done)) {
      const parts = [...this.perMaster];
      const results = await Promise.allSettled(
        parts.map((part) => (part.pager.done ? Promise.resolve(undefined) : part.pager.next(signal))),
      );
      const failures: { part: MasterPager; reason: unknown }[] = [];
      results.forEach((result, at) => {
        const part = parts[at];
        if (result.status === 'fulfilled') {
          keys.push(...(result.value?.keys ?? []));
          scans += result.value?.scans ?? 0;
        } else if (part) {
          failures.push({ part, reason: result.reason });
        }
      });
      if (failures.length === 0) continue;
      const lost = failures.filter((failure) => isConnectionFailure(failure.reason));
      const moved = lost.length > 0 && !lookedUp && !signal?.aborted ? await this.reroute(lost.map((f) => f.part)) : [];
      lookedUp ||= lost.length > 0;
      const left = failures.filter((failure) => !moved.includes(failure.part));
      const first = left[0];
      if (first) {
        this.carried = keys;
        throw explainFailure(first.part, first.reason);
      }
    }
    keys.sort((a, b) => compareNatural(a.id, b.id));
    this.carried = keys.splice(this.pageSize);
    if (this.perMaster.every((part) => part.pager.done)) await this.settle();
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

  /**
   * Masters whose connection failed: reads the slot map again, and where every slot of one is
   * served now by masters on live connections other than the failed one (a replica took over,
   * or the node came back), starts its share over there. Keys the dropped pager had read but not
   * given yet are given back to the shared set, so the new SCAN gives them. Returns the parts
   * replaced; the others still fail (the failover has not happened yet).
   */
  private async reroute(lost: readonly MasterPager[]): Promise<MasterPager[]> {
    await new Promise<void>((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
    const now = this.currentMasters();
    const replaced: MasterPager[] = [];
    const added: MasterPager[] = [];
    for (const part of lost) {
      const takers = takersOf(part, now);
      if (takers === undefined) continue;
      for (const key of part.pager.waiting) this.given.delete(key);
      replaced.push(part);
      added.push(...takers.map((master) => this.pagerOn(master, now.length)));
    }
    if (replaced.length === 0) return replaced;
    this.perMaster = [...this.perMaster.filter((part) => !replaced.includes(part)), ...added];
    // Their SCANs begin now: settle() compares their slots with these, not with paging's start,
    // so the takeover is not taken for keys moving in (which would scan them all again).
    if (this.slotsBefore !== undefined) {
      const states = await readSlotState(added.map((part) => part.master));
      const ids = new Set(states.map((state) => state.id));
      this.slotsBefore = [...this.slotsBefore.filter((state) => !ids.has(state.id)), ...states];
    }
    return replaced;
  }
}

/** One master's share of the paging: the master as the slot map showed it, the connection used, its pager. */
interface MasterPager {
  readonly master: ClusterMaster;
  readonly client: NonNullable<ClusterMaster['client']>;
  readonly pager: NamespaceKeyPager;
}

/** A failure that another node (a promoted replica) or a later try may not have: the connection, not the command. */
function isConnectionFailure(error: unknown): error is RedisConnectionError {
  return error instanceof RedisConnectionError && (error.kind === 'unreachable' || error.kind === 'timeout');
}

/**
 * The masters that serve a failed part's slots now, when each is on a live connection other
 * than the failed one and together they serve every one of those slots; undefined otherwise.
 */
function takersOf(part: MasterPager, now: readonly ClusterMaster[]): ClusterMaster[] | undefined {
  const takers = now.filter((master) =>
    master.slots.some((range) => part.master.slots.some((own) => overlap(own, range))),
  );
  if (takers.length === 0) return undefined;
  if (takers.some((master) => master.client === undefined || master.client === part.client)) return undefined;
  for (const [from, to] of part.master.slots) {
    for (let slot = from; slot <= to; slot++) {
      if (!takers.some((master) => master.slots.some(([a, b]) => a <= slot && slot <= b))) return undefined;
    }
  }
  return takers;
}

function overlap(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/** A master's failure as the user reads it: a lost connection names the node as a cluster master and says what to do. */
function explainFailure(part: MasterPager, error: unknown): unknown {
  if (!isConnectionFailure(error)) return error;
  const hint = lostConnection(part.master).hint;
  return new RedisConnectionError(error.kind, describeMaster(part.master), error.reason, hint);
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
        let replies: [string, number];
        try {
          replies = await Promise.all([cluster.type(key), cluster.pttl(key)]);
        } catch (error) {
          // A key outside this user's key patterns is listed as such, not a failed page.
          const refused = noAccessEntry(key, error);
          if (refused) return refused;
          throw error;
        }
        const [type, pttl] = replies;
        const gone = type === 'none' || pttl === GONE;
        return { key, id: toBinary(key), type: gone ? 'none' : type, pttlMs: gone ? GONE : pttl, gone };
      }),
    );
  } catch (error) {
    throw keyspaceError(error, endpoint ?? { host: 'the cluster', port: 0, db: 0, tls: false }, 'TYPE/PTTL');
  }
}
