import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { DEFAULT_UNDO_LIMIT_BYTES, type WrittenState } from './undoJournal';

type Reply = [Error | null, unknown];

/**
 * What a write reads back for Undo (see WrittenState): the DUMP of the keys it leaves, at the
 * end of its own MULTI so no other write comes between. One for every write (key edits, the
 * key document's save), so each obeys the undo limit the same way.
 */
export interface ReadBack {
  /** Queues the DUMPs; after the write's own commands. */
  queue(multi: ChainableCommander): void;
  /**
   * The MULTI's replies split into the write's own and what it left in the keys: undefined when
   * the read-back was not asked for, or a DUMP was refused or odd (nothing known: Undo does not check).
   */
  split(replies: readonly Reply[]): { readonly own: readonly Reply[]; readonly written?: WrittenState[] };
}

/** How large a read-back key's value will be after the write: MEMORY USAGE of its source now, plus what the write adds. */
export interface AfterSize {
  /** The key whose value it will hold (a copy's source); default itself. */
  readonly valueSource?: ((key: Buffer) => Buffer) | undefined;
  /** Bytes the write sends into it (a save's new value); default none. */
  readonly added?: ((key: Buffer) => number) | undefined;
  /** The write replaces the whole value (SET, DEL then RPUSH): its size now does not count, only `added`. */
  readonly replaces?: boolean | undefined;
}

/**
 * The read-back of `keys` (undefined: none asked for). A key whose value after the write is
 * estimated (see AfterSize) at over twice `limit` is not dumped at all, so a huge value is never
 * transferred from the shared server; a payload over `limit` is not kept. Undo then does not
 * check that key, as the before-state's own limit could not keep such a value either. Run
 * inside the write's WATCH, before its MULTI (the MEMORY USAGE is of the value before it).
 */
export async function prepareReadBack(
  client: Redis,
  keys: readonly Buffer[] | undefined,
  limit: number = DEFAULT_UNDO_LIMIT_BYTES,
  size: AfterSize = {},
): Promise<ReadBack> {
  const dumped = keys ? await smallEnough(client, keys, limit, size) : [];
  return {
    // Each key's DUMP and its PTTL (a DUMP holds no TTL; Undo checks both).
    queue: (multi) => dumped.forEach((key) => multi.callBuffer('DUMP', key).pttl(key)),
    split: (replies) => {
      const own = replies.slice(0, replies.length - 2 * dumped.length);
      if (!keys) return { own };
      const read = replies.slice(own.length);
      const dumps = read.filter((_, i) => i % 2 === 0);
      if (!dumps.every(([error, value]) => !error && (value === null || Buffer.isBuffer(value)))) return { own };
      const answered = Date.now();
      const written = dumped
        .map((key, i): WrittenState => {
          const payload = (dumps[i]?.[1] as Buffer | null) ?? null;
          const [error, pttl] = read[2 * i + 1] ?? [null, undefined];
          if (payload === null || error || typeof pttl !== 'number' || pttl === -2) return { key, payload };
          return { key, payload, expiry: pttl === -1 ? null : answered + pttl };
        })
        .filter((w) => (w.payload?.length ?? 0) <= limit);
      return { own, written };
    },
  };
}

/**
 * The keys of `keys` whose value after the write is not estimated at over twice `limit`. A
 * refused MEMORY USAGE counts as nothing: what the write adds, else the payload's own length,
 * decides, as for the before-state.
 */
async function smallEnough(client: Redis, keys: readonly Buffer[], limit: number, size: AfterSize): Promise<Buffer[]> {
  if (keys.length === 0) return [];
  if (size.replaces) return keys.filter((key) => (size.added?.(key) ?? 0) <= 2 * limit);
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.call('MEMORY', 'USAGE', size.valueSource ? size.valueSource(key) : key);
  const usages = (await pipeline.exec()) ?? [];
  return keys.filter((key, i) => {
    const [error, usage] = usages[i] ?? [null, null];
    const now = error || usage === null ? 0 : Number(usage);
    return now + (size.added?.(key) ?? 0) <= 2 * limit;
  });
}
