import type { Cluster } from 'ioredis';
import { ConnectionTuning } from '../connection';
import { describeEndpoint, RedisCredentials, RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import { cursorCarriesSlot, keepsReverseBinaryCursor } from '../keyspace/cursorContract';
import { KeyspaceCancelledError, KeyspaceCommandError, keyspaceError } from '../keyspace/errors';
import { RespScanSource } from '../keyspace/respScanSource';
import { CursorHalf, isLastCursor, ScanRequest, ScanSink, ScanSource } from '../keyspace/scanSource';
import {
  closedWhileAnswering,
  cursorFraction,
  isClosedConnection,
  KeyspaceWalk,
  walkKeyspace,
  WalkOptions,
} from '../keyspace/walker';
import { MasterSlots, readSlotState } from './slotState';
import { ClusterMaster, clusterMasters, formatSlotRanges, SLOT_COUNT, Topology } from './topology';

/**
 * Walks a Redis Cluster into one namespace model: every master at once, each with SCAN
 * connections of its own (the walker's fast RESP path, the two cursor halves where the
 * server keeps Redis's cursor order), each call with its own bounded COUNT, so no master
 * waits behind more SCAN work than a single server would. Replicas are not walked, so
 * nothing is counted twice; the model's own dedupe also drops a key that a slot
 * migration shows on two masters.
 *
 * A master that fails mid-walk fails the walk with its name and slots in the message.
 * The slot map is read before and after: when it changed meanwhile (a failover, a
 * resharding), keys that moved from a master not yet walked to one already walked would be
 * missed, so the walk fails with ClusterSlotsChangedError, partial counts kept, and a
 * refresh walks the new map. The slot map stays the same while a reshard moves a slot's
 * keys (until its last step), so the masters' IMPORTING slots are read before and after
 * too: a slot importing then or now fails the walk the same way (ClusterSlotsMigratingError).
 */
export function walkCluster(
  cluster: Cluster,
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  options: WalkOptions & { readonly tuning?: ConnectionTuning } = {},
): KeyspaceWalk {
  const source = new ClusterScanSource(cluster, endpoint, credentials, options.tuning);
  // The walker uses the target only to name the endpoint: the source does the work.
  return walkKeyspace({ client: cluster as never, endpoint }, { ...options, source });
}

/** One server: the walker as it is; a cluster: every master (walkCluster). */
export function walkTopology(
  topology: Topology,
  credentials: RedisCredentials,
  options: WalkOptions & { readonly tuning?: ConnectionTuning } = {},
): KeyspaceWalk {
  if (topology.kind === 'cluster') return walkCluster(topology.cluster, topology.endpoint, credentials, options);
  const tuning = options.tuning;
  return walkKeyspace(
    tuning === undefined
      ? { endpoint: topology.endpoint, credentials }
      : { endpoint: topology.endpoint, credentials, tuning },
    options,
  );
}

/** The walk stopped because the cluster's slot map changed while it ran. */
export class ClusterSlotsChangedError extends KeyspaceCommandError {
  constructor(before: string, after: string) {
    super('SCAN', 'the slot map changed during the walk');
    this.message =
      `The cluster's slot map changed while the keys were walked (a failover or a resharding: ${before} → ${after}), ` +
      'so keys that moved may be missing from the counts. Refresh to walk the cluster again.';
  }
}

/** The walk stopped because a reshard was moving slots' keys between masters while it ran. */
export class ClusterSlotsMigratingError extends ClusterSlotsChangedError {
  constructor(slots: readonly number[]) {
    super('', '');
    const named = slots.slice(0, 5).join(', ') + (slots.length > 5 ? ` and ${slots.length - 5} more` : '');
    this.message =
      `A resharding was moving the keys of slot${slots.length === 1 ? '' : 's'} ${named} between masters while the keys were walked, ` +
      'so keys that moved behind a master’s SCAN may be missing from the counts. Refresh once the resharding is over.';
  }
}

/** `127.0.0.1:7001 (cluster master, slots 0-5460)`: how an error names a node. */
export function describeMaster(master: ClusterMaster): string {
  return `${describeEndpoint(master.endpoint)} (cluster master, slots ${formatSlotRanges(master.slots)})`;
}

/** One master's SCAN connections: one, or two walking the two cursor halves. */
interface MasterWalk {
  readonly master: ClusterMaster;
  readonly sources: RespScanSource[];
  readonly halves: (CursorHalf | undefined)[];
  /** DBSIZE when the connections opened. */
  readonly size: number;
  /** How far each half is, 0 to 0.5 (halves) or 0 to 1 (one loop). */
  readonly progress: number[];
  /** Its SCAN cursor holds the slot in its low 14 bits (a table per slot: cursorCarriesSlot). */
  readonly slotCursor: boolean;
}

/**
 * A ScanSource over every master of a cluster: DBSIZE is the masters' sum, scanAll runs
 * their SCAN loops side by side into one sink and reports a combined cursor whose
 * position (cursorFraction) is the masters' mean progress, '0' only when all finished.
 */
class ClusterScanSource implements ScanSource {
  private walks: MasterWalk[] = [];
  private slotMapBefore = '';
  private slotStateBefore: MasterSlots[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly endpoint: RedisEndpoint,
    private readonly credentials: RedisCredentials,
    private readonly tuning: ConnectionTuning | undefined,
  ) {}

  async dbsize(signal?: AbortSignal): Promise<number> {
    const masters = await this.currentMasters();
    this.slotMapBefore = slotMapOf(masters);
    this.slotStateBefore = await readSlotState(masters);
    this.walks = await openAll(masters, this.credentials, this.tuning, signal);
    return this.walks.reduce((sum, walk) => sum + walk.size, 0);
  }

  async scanAll(request: ScanRequest, sink: ScanSink, signal?: AbortSignal): Promise<void> {
    const inner = new AbortController();
    const stop = (): void => inner.abort();
    signal?.addEventListener('abort', stop, { once: true });
    const walks = this.walks;
    const report = (): void => sink.batchEnd(combinedCursor(walks));
    try {
      await Promise.all(
        walks.flatMap((walk) =>
          walk.sources.map((source, i) => {
            const half = walk.halves[i];
            const own: ScanRequest = { ...request, count: Math.ceil(request.count / walk.sources.length), half };
            return named(walk.master, () =>
              source
                .scanAll(
                  own,
                  {
                    key: sink.key,
                    batchEnd: (cursor) => {
                      walk.progress[i] = walk.slotCursor
                        ? slotProgress(cursor, walk.master)
                        : halfProgress(cursor, own);
                      report();
                    },
                  },
                  inner.signal,
                )
                .catch(async (error: unknown) => {
                  // A master's connection closed while it answered: by the master going away, or
                  // by another client (CLIENT KILL) on a master that goes on. One new connection tells.
                  const typed = keyspaceError(error, walk.master.endpoint, 'SCAN');
                  if (inner.signal.aborted || signal?.aborted || !isClosedConnection(typed)) throw error;
                  throw await closedWhileAnswering(
                    { endpoint: walk.master.endpoint, credentials: this.credentials, tuning: this.tuning },
                    typed,
                  );
                }),
            ).catch((error: unknown) => {
              inner.abort();
              throw error;
            });
          }),
        ),
      );
    } catch (error) {
      if (signal?.aborted) throw new KeyspaceCancelledError();
      throw error;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    const masters = await this.currentMasters();
    const after = slotMapOf(masters);
    if (after !== this.slotMapBefore) throw new ClusterSlotsChangedError(this.slotMapBefore, after);
    const importing = importingSlots([...this.slotStateBefore, ...(await readSlotState(masters))]);
    if (importing.length > 0) throw new ClusterSlotsMigratingError(importing);
    sink.batchEnd('0');
  }

  close(): void {
    for (const walk of this.walks) for (const source of walk.sources) source.close();
  }

  /** The masters from a slot map read now (the client's cached one may predate a failover). */
  private async currentMasters(): Promise<ClusterMaster[]> {
    await new Promise<void>((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
    const masters = clusterMasters(this.cluster, this.endpoint);
    if (masters.length === 0) {
      throw new RedisConnectionError(
        'unreachable',
        describeEndpoint(this.endpoint),
        'is a Redis Cluster whose slot map names no reachable master',
        'Check that the cluster is up (cluster_state:ok) and that every node is reachable from this machine.',
      );
    }
    return masters;
  }
}

/** Opens every master's connections at once; the first failure closes the rest. */
async function openAll(
  masters: readonly ClusterMaster[],
  credentials: RedisCredentials,
  tuning: ConnectionTuning | undefined,
  signal: AbortSignal | undefined,
): Promise<MasterWalk[]> {
  const opened = await Promise.allSettled(
    masters.map((master) => named(master, () => openMaster(master, credentials, tuning, signal))),
  );
  const walks = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = opened.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    for (const walk of walks) for (const source of walk.sources) source.close();
    throw failed.reason;
  }
  return walks;
}

async function openMaster(
  master: ClusterMaster,
  credentials: RedisCredentials,
  tuning: ConnectionTuning | undefined,
  signal: AbortSignal | undefined,
): Promise<MasterWalk> {
  const first = await RespScanSource.open(master.endpoint, credentials, tuning, signal);
  const sources = [first];
  try {
    // As the walker does: INFO and DBSIZE in one round trip, the halves only where the cursor order is Redis's
    // and the cursor is the table's alone (not a slot's table and the slot: Redis 7.4+, Valkey 8+).
    const facts = await first.facts(signal);
    const info = facts.info ?? '';
    const slotCursor = cursorCarriesSlot(info);
    if (keepsReverseBinaryCursor(info) && !slotCursor) {
      sources.push(await RespScanSource.open(master.endpoint, credentials, tuning, signal));
      return { master, sources, halves: ['even', 'odd'], progress: [0, 0], size: facts.dbsize, slotCursor };
    }
    return { master, sources, halves: [undefined], progress: [0], size: facts.dbsize, slotCursor };
  } catch (error) {
    for (const source of sources) source.close();
    throw error;
  }
}

/** Runs `work` for one master; its failure names the master and its slots. */
async function named<T>(master: ClusterMaster, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const typed = keyspaceError(error, master.endpoint, 'SCAN');
    const where = describeMaster(master);
    if (typed instanceof RedisConnectionError) {
      throw new RedisConnectionError(typed.kind, where, typed.reason, typed.hint);
    }
    if (typed instanceof KeyspaceCommandError && !(typed instanceof ClusterSlotsChangedError)) {
      throw new KeyspaceCommandError(typed.command, `${typed.reply} (on ${where})`);
    }
    throw typed;
  }
}

/** A half's share walked, as the walker computes it: 0 to 0.5 for a half, 0 to 1 for one loop. */
function halfProgress(cursor: string, request: ScanRequest): number {
  const at = cursorFraction(cursor);
  if (request.half === undefined) return cursor === '0' ? 1 : at;
  if (request.half === 'even') return isLastCursor(cursor, request) ? 0.5 : Math.min(at, 0.5);
  return cursor === '0' ? 0.5 : Math.max(at - 0.5, 0);
}

/**
 * The share of a master walked with a cursor that holds the slot (cursorCarriesSlot): the
 * server walks the slots in order, so the share of the master's slots before the cursor's.
 */
function slotProgress(cursor: string, master: ClusterMaster): number {
  if (cursor === '0') return 1;
  let slot: number;
  try {
    slot = Number(BigInt(cursor) & BigInt(SLOT_COUNT - 1));
  } catch {
    return 0;
  }
  let before = 0;
  let all = 0;
  for (const [from, to] of master.slots) {
    all += to - from + 1;
    if (to < slot) before += to - from + 1;
    else if (from < slot) before += slot - from;
  }
  return all === 0 ? 0 : before / all;
}

/**
 * A cursor whose cursorFraction is the masters' mean progress: the walker reads its
 * progress from the cursor it is given. Never '0' (the walker's "finished") before the end.
 */
function combinedCursor(walks: readonly MasterWalk[]): string {
  const done = walks.reduce((sum, walk) => sum + walk.progress.reduce((a, b) => a + b, 0), 0) / walks.length;
  const position = BigInt(Math.max(1, Math.floor(Math.min(done, 1 - 2 ** -20) * 2 ** 52))) << 12n;
  let reversed = 0n;
  let value = position;
  for (let i = 0; i < 64; i++) {
    reversed = (reversed << 1n) | (value & 1n);
    value >>= 1n;
  }
  return reversed.toString();
}

/** `host:port=0-5460;…`: what must not change while a walk runs. */
/** Slots some master was importing (a reshard moving their keys), ascending, each once. */
function importingSlots(states: readonly MasterSlots[]): number[] {
  return [...new Set(states.flatMap((state) => state.importing))].sort((a, b) => a - b);
}

function slotMapOf(masters: readonly ClusterMaster[]): string {
  return masters.map((master) => `${master.address}=${formatSlotRanges(master.slots)}`).join('; ');
}
