import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { isReplyError } from '../errors';
import { endpointOfClient, keyspaceError, writeError } from '../keyspace/errors';
import { formatBytes } from '../keyspace/format';
import { displayBytes } from '../keyspace/display';

/**
 * The before-state of keys the extension is about to change, for Undo Last Change: `DUMP`
 * (Redis's own exact serialization, every type, binary-safe) and `PTTL`, taken on the
 * client that will write. Undo puts it back with `RESTORE … REPLACE` and the TTL that would
 * remain now, or deletes a key that did not exist before. No VS Code here.
 */

/** The largest DUMP payload kept per key (1 MiB): larger values are noted as not undoable. */
export const DEFAULT_UNDO_LIMIT_BYTES = 1024 * 1024;

/** The before-state of one key. */
export type KeySnapshot =
  | { readonly key: Buffer; readonly state: 'absent' }
  /** `pttl`: -1 without a TTL; `takenAt`: the clock's reading (ms) when PTTL was read. */
  | {
      readonly key: Buffer;
      readonly state: 'value';
      readonly payload: Buffer;
      readonly pttl: number;
      readonly takenAt: number;
    }
  /** Not kept: over the size limit, or DUMP refused (ACL, a server without DUMP). `reason` says which. */
  | { readonly key: Buffer; readonly state: 'notKept'; readonly reason: string };

export interface SnapshotOptions {
  readonly limitBytes?: number;
  /** A monotonic clock in ms (default `performance.now`): TTLs are counted down with it, never with wall time. */
  readonly now?: () => number;
  readonly endpoint?: RedisEndpoint;
}

export function monotonicNow(): number {
  return performance.now();
}

/**
 * Snapshots `keys` in two pipelined round trips (never MULTI: the caller may hold a WATCH,
 * and EXEC would drop it). A key whose estimated size (MEMORY USAGE) is already far over the
 * limit is not dumped at all, so a huge value is never transferred; the exact test is on the
 * payload's length.
 */
export async function snapshotKeys(
  client: Redis,
  keys: readonly Buffer[],
  options: SnapshotOptions = {},
): Promise<KeySnapshot[]> {
  const limit = options.limitBytes ?? DEFAULT_UNDO_LIMIT_BYTES;
  const now = options.now ?? monotonicNow;
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const unique = dedupe(keys);
  if (unique.length === 0) return [];

  const sizes = await pipelineReplies(
    client,
    unique.map((key) => ['MEMORY', 'USAGE', key]),
    endpoint,
  );
  const toDump: Buffer[] = [];
  const snapshots = new Map<string, KeySnapshot>();
  unique.forEach((key, i) => {
    const size = sizes[i];
    // MEMORY USAGE may be refused (an ACL, a not-quite-Redis): then only the payload decides.
    if (!(size instanceof Error) && size !== null && Number(size) > 2 * limit) {
      snapshots.set(key.toString('latin1'), tooLarge(key, Number(size), limit, 'about '));
    } else {
      toDump.push(key);
    }
  });

  const replies = await pipelineReplies(
    client,
    toDump.flatMap((key) => [
      ['DUMP', key],
      ['PTTL', key],
    ]),
    endpoint,
  );
  const takenAt = now();
  toDump.forEach((key, i) => {
    const payload = replies[2 * i];
    const pttl = replies[2 * i + 1];
    const id = key.toString('latin1');
    if (payload instanceof Error) {
      snapshots.set(id, { key, state: 'notKept', reason: `Redis refused DUMP (${payload.message})` });
    } else if (pttl instanceof Error) {
      snapshots.set(id, { key, state: 'notKept', reason: `Redis refused PTTL (${pttl.message})` });
    } else if (payload === null || Number(pttl) === -2) {
      // No key (or it expired between DUMP and PTTL): before the write it does not exist.
      snapshots.set(id, { key, state: 'absent' });
    } else if ((payload as Buffer).length > limit) {
      snapshots.set(id, tooLarge(key, (payload as Buffer).length, limit, ''));
    } else {
      snapshots.set(id, { key, state: 'value', payload: payload as Buffer, pttl: Number(pttl), takenAt });
    }
  });
  return unique.map((key) => snapshots.get(key.toString('latin1')) as KeySnapshot);
}

function tooLarge(key: Buffer, size: number, limit: number, about: string): KeySnapshot {
  return {
    key,
    state: 'notKept',
    reason: `its value is ${about}${formatBytes(size)}, over the undo limit of ${formatBytes(limit)}`,
  };
}

/**
 * What a change left in a key: its DUMP taken in the change's own MULTI right after the
 * write (null: the change left no key). Undo writes a key only while it still holds exactly
 * that, so it never overwrites (or brings back over a delete) another client's newer write.
 */
export interface WrittenState {
  readonly key: Buffer;
  readonly payload: Buffer | null;
  /**
   * The change set only a TTL (the value is the one before it): a key gone now may simply have
   * expired by that TTL, and putting it back overwrites nothing, so only another value blocks Undo.
   */
  readonly mayExpire?: boolean;
  /**
   * With mayExpire: the earliest moment (the snapshot's clock) the TTL the change set can run
   * out. A key gone before then did not expire: another client deleted it, and Undo leaves it.
   */
  readonly expiresAt?: number;
  /**
   * When the TTL the change left runs out, in Unix ms (Date.now's clock; null: no TTL), read
   * with its DUMP. DUMP holds no TTL: a TTL another client set or removed since (EXPIRE,
   * PERSIST) is a newer write that Undo must not replace. Undefined: not known, not checked.
   */
  readonly expiry?: number | null;
}

/** What Undo does with one key. `written`: what the change left there (undefined: not known, not checked). */
export type UndoStep =
  /** RESTORE … REPLACE; `ttlMs` 0: no TTL. */
  | {
      readonly key: Buffer;
      readonly action: 'restore';
      readonly payload: Buffer;
      readonly ttlMs: number;
      readonly written?: Buffer | null;
      readonly mayExpire?: boolean;
      /** The TTL the change left (see WrittenState.expiry). */
      readonly writtenExpiry?: number | null;
    }
  /** It did not exist before the change: UNLINK. */
  | {
      readonly key: Buffer;
      readonly action: 'delete';
      readonly written?: Buffer | null;
      readonly writtenExpiry?: number | null;
    }
  /** Its TTL would have run out by now: restoring would bring back a value that is gone; left as it is. */
  | { readonly key: Buffer; readonly action: 'expired' }
  | { readonly key: Buffer; readonly action: 'notKept'; readonly reason: string };

export interface UndoPlanOptions {
  /**
   * Redis answered the change's write too late to know whether it was applied (a WATCHed
   * write may have been aborted): a key that did not exist before may have been written by
   * another client instead, so no key is deleted.
   */
  readonly unanswered?: boolean;
  /** What the change left in its keys (see WrittenState): Undo then writes a key only while it still holds that. */
  readonly written?: readonly WrittenState[] | undefined;
}

/** The steps that put `snapshots` back at time `now` (the same clock as the snapshot's). */
export function planUndo(
  snapshots: readonly KeySnapshot[],
  now: number = monotonicNow(),
  options: UndoPlanOptions = {},
): UndoStep[] {
  // A key that did not exist may now hold the value of a key that was not kept (a rename
  // moved it there): deleting it would lose that value for good, so it is left.
  const lost = snapshots.find((s) => s.state === 'notKept');
  const written = new Map((options.written ?? []).map((w) => [w.key.toString('latin1'), w]));
  const check = (key: Buffer): { written?: Buffer | null; mayExpire?: boolean; writtenExpiry?: number | null } => {
    const state = written.get(key.toString('latin1'));
    if (!state) return {};
    const mayHaveExpired = state.mayExpire === true && (state.expiresAt === undefined || now >= state.expiresAt);
    const expiry = state.expiry !== undefined && state.payload !== null ? { writtenExpiry: state.expiry } : {};
    return mayHaveExpired
      ? { written: state.payload, mayExpire: true, ...expiry }
      : { written: state.payload, ...expiry };
  };
  return snapshots.map((snapshot): UndoStep => {
    switch (snapshot.state) {
      case 'absent':
        return lost
          ? {
              key: snapshot.key,
              action: 'notKept',
              reason: `it may hold the value of ${displayBytes(lost.key)}, which was not kept`,
            }
          : options.unanswered
            ? {
                key: snapshot.key,
                action: 'notKept',
                reason:
                  'Redis answered too late to know whether this change or another client wrote it: left for you to check',
              }
            : { key: snapshot.key, action: 'delete', ...check(snapshot.key) };
      case 'notKept':
        return { key: snapshot.key, action: 'notKept', reason: snapshot.reason };
      case 'value': {
        const restore = {
          key: snapshot.key,
          action: 'restore',
          payload: snapshot.payload,
          ...check(snapshot.key),
        } as const;
        if (snapshot.pttl < 0) return { ...restore, ttlMs: 0 };
        const remaining = Math.ceil(snapshot.pttl - (now - snapshot.takenAt));
        return remaining > 0 ? { ...restore, ttlMs: remaining } : { key: snapshot.key, action: 'expired' };
      }
    }
  });
}

export interface UndoResult {
  readonly restored: readonly Buffer[];
  readonly deleted: readonly Buffer[];
  readonly expired: readonly Buffer[];
  readonly notKept: readonly { readonly key: Buffer; readonly reason: string }[];
  /**
   * Keys that no longer hold what the change wrote (another client wrote or deleted them
   * since): when any, nothing at all was written (restored and deleted are empty).
   */
  readonly changedSince: readonly Buffer[];
}

/**
 * Applies the restore and delete steps in one MULTI/EXEC (all or nothing); the others are
 * reported. A step that knows what the change wrote (`written`) is checked first, under
 * WATCH: when any such key holds something else now, or is written between the check and
 * EXEC, nothing is written and those keys are reported in `changedSince`. The WATCH needs
 * `client` to be a connection of the caller's own.
 */
export async function applyUndo(
  client: Redis,
  steps: readonly UndoStep[],
  endpoint?: RedisEndpoint,
): Promise<UndoResult> {
  const where = endpoint ?? endpointOfClient(client);
  const writes = steps.filter((s) => s.action === 'restore' || s.action === 'delete');
  const checked = checkedSteps(steps);
  const untouched = (changedSince: readonly Buffer[]): UndoResult => ({
    restored: [],
    deleted: [],
    expired: steps.filter((s) => s.action === 'expired').map((s) => s.key),
    notKept: steps.flatMap((s) => (s.action === 'notKept' ? [{ key: s.key, reason: s.reason }] : [])),
    changedSince,
  });
  const changedKeys = (): Promise<Buffer[]> => differingKeys(client, checked, where);
  if (checked.length > 0) {
    try {
      await client.watch(...checked.map((s) => s.key));
    } catch (error) {
      throw keyspaceError(error, where, 'WATCH');
    }
    const changed = await changedKeys().catch(async (error: unknown) => {
      await client.unwatch().catch(() => undefined);
      throw error;
    });
    if (changed.length > 0) {
      await client.unwatch().catch(() => undefined);
      return untouched(changed);
    }
  }
  if (writes.length > 0) {
    const multi = client.multi();
    for (const step of writes) {
      if (step.action === 'restore') multi.callBuffer('RESTORE', step.key, step.ttlMs, step.payload, 'REPLACE');
      else multi.callBuffer('UNLINK', step.key);
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await multi.exec();
    } catch (error) {
      throw writeError(error, where, 'RESTORE');
    }
    if (replies === null) {
      // A watched key was written between the check and EXEC: nothing was written.
      const changed = await changedKeys();
      return untouched(changed.length > 0 ? changed : checked.map((s) => s.key));
    }
    const failed = replies.find(([error]) => error)?.[0];
    if (failed) throw keyspaceError(failed, where, 'RESTORE');
  }
  return {
    ...untouched([]),
    restored: steps.filter((s) => s.action === 'restore').map((s) => s.key),
    deleted: steps.filter((s) => s.action === 'delete').map((s) => s.key),
  };
}

/**
 * The keys of `steps` that no longer hold what the change wrote, read now without WATCH: the
 * same check applyUndo makes, for asking before Undo only when it can still be done. applyUndo
 * checks again under WATCH when it writes (a key may be written in between).
 */
export async function changedSinceWritten(
  client: Redis,
  steps: readonly UndoStep[],
  endpoint?: RedisEndpoint,
): Promise<Buffer[]> {
  return differingKeys(client, checkedSteps(steps), endpoint ?? endpointOfClient(client));
}

type CheckedStep = Extract<UndoStep, { action: 'restore' | 'delete' }>;

/** The restore and delete steps that know what the change wrote (only those are checked). */
function checkedSteps(steps: readonly UndoStep[]): CheckedStep[] {
  return steps.filter(
    (s): s is CheckedStep => (s.action === 'restore' || s.action === 'delete') && s.written !== undefined,
  );
}

/** The keys of `checked` that hold something else now than what the change wrote. */
async function differingKeys(client: Redis, checked: readonly CheckedStep[], where: RedisEndpoint): Promise<Buffer[]> {
  // First a count (O(1)) of what each key holds: one that cannot be what the change wrote is
  // not dumped, so a value another client made huge is neither serialized nor transferred.
  const counted = checked.flatMap((s) => {
    const command = countCommand(s.key, s.written ?? null);
    return command ? [{ step: s, command }] : [];
  });
  const counts = await pipelineReplies(
    client,
    counted.map((c) => c.command),
    where,
  );
  const differ = new Set(counted.filter((c, i) => cannotHold(counts[i], c.step.written ?? null)).map((c) => c.step));
  const toDump = checked.filter((s) => !differ.has(s));
  // Each key's PTTL before its DUMP (DUMP holds no TTL), for a key whose TTL after the change is known.
  const sent = Date.now();
  const now = await pipelineReplies(
    client,
    toDump.flatMap((s) =>
      s.writtenExpiry !== undefined
        ? [
            ['PTTL', s.key],
            ['DUMP', s.key],
          ]
        : [['DUMP', s.key]],
    ),
    where,
  );
  const answered = Date.now();
  let at = 0;
  for (const s of toDump) {
    const pttl = s.writtenExpiry !== undefined ? now[at++] : undefined;
    const dump = now[at++];
    if (!sameState(dump, s.written ?? null, s.action === 'restore' && s.mayExpire === true)) differ.add(s);
    else if (dump !== null && dump !== undefined && !sameExpiry(pttl, s.writtenExpiry, sent, answered)) differ.add(s);
  }
  return checked.filter((s) => differ.has(s)).map((s) => s.key);
}

/**
 * The command that counts what a key holds, for the RDB type of the DUMP the change left (its
 * first byte): a string's bytes, a collection's elements. Types 0 to 21 are Redis 7.2's, which
 * Valkey forked; a module's or a later type is not counted (its DUMP decides).
 */
const COUNT_COMMANDS: ReadonlyMap<number, string> = new Map([
  [0, 'STRLEN'],
  ...[1, 10, 14, 18].map((type) => [type, 'LLEN'] as const),
  ...[2, 11, 20].map((type) => [type, 'SCARD'] as const),
  ...[3, 5, 12, 17].map((type) => [type, 'ZCARD'] as const),
  ...[4, 9, 13, 16].map((type) => [type, 'HLEN'] as const),
  ...[15, 19, 21].map((type) => [type, 'XLEN'] as const),
]);

/**
 * The most a DUMP payload can hold per byte, as a count of string bytes or elements, with a
 * margin. Every element takes at least one byte (an RDB string's length) or two (a listpack,
 * ziplist or intset entry) before compression, and LZF, DUMP's only compression, expands a
 * byte at most 88 times (its longest back-reference: 264 bytes in 3). Exact counts, unlike
 * MEMORY USAGE (allocator and hash table overhead, which a table not shrunk during a fork
 * makes unbounded; and SAMPLES 0 walks every element).
 */
const MAX_COUNT_PER_DUMP_BYTE = 100;

/** The count that tells whether `key` may hold `written` (null: whether it exists); undefined for none. */
function countCommand(key: Buffer, written: Buffer | null): (string | Buffer)[] | undefined {
  if (written === null) return ['EXISTS', key];
  const command = COUNT_COMMANDS.get(written[0] as number);
  return command ? [command, key] : undefined;
}

/**
 * Whether a count reply shows the key cannot hold `written`: it exists where the change left no
 * key, it holds another type, or far more than `written`'s payload can hold. A refused count (an
 * ACL, a not-quite-Redis) tells nothing: then the DUMP decides, as it does without a count.
 */
function cannotHold(reply: unknown, written: Buffer | null): boolean {
  if (reply instanceof Error) return written !== null && reply.message.startsWith('WRONGTYPE');
  if (typeof reply !== 'number') return false;
  return written === null ? reply > 0 : reply > MAX_COUNT_PER_DUMP_BYTE * written.length;
}

/** Whether a DUMP reply (a payload, null for no key, or an Error) is what the change left. */
function sameState(reply: unknown, written: Buffer | null, mayExpire: boolean): boolean {
  if (reply instanceof Error) return false; // cannot tell: never overwrite on a guess
  if (mayExpire && (reply === null || reply === undefined)) return true;
  if (written === null) return reply === null || reply === undefined;
  return Buffer.isBuffer(reply) && (reply.equals(written) || sameUnorderedDump(reply, written));
}

/**
 * How far apart two readings of one TTL may be, in ms, besides the time a reply takes: the
 * change's read-back and its commit are moments apart; another client's EXPIRE or PERSIST
 * moves the moment a key runs out by far more, or to never.
 */
const EXPIRY_TOLERANCE_MS = 1_000;

/**
 * Whether a PTTL reply, read between `sent` and `answered` (Date.now), shows the TTL the change
 * left (`expiry`: when it runs out, null: none; undefined: not known, so not checked).
 */
function sameExpiry(reply: unknown, expiry: number | null | undefined, sent: number, answered: number): boolean {
  if (expiry === undefined) return true;
  if (reply instanceof Error || typeof reply !== 'number') return true; // PTTL refused: the DUMP alone decides
  if (reply === -2) return true; // gone between the PTTL and the DUMP: the DUMP decides
  if (expiry === null || reply === -1) return expiry === null && reply === -1;
  return sent + reply >= expiry - EXPIRY_TOLERANCE_MS && answered + reply <= expiry + EXPIRY_TOLERANCE_MS;
}

/** RDB object types whose DUMP lists elements in hash table order: a set (2) and a hash (4) kept as hash tables. */
const RDB_SET = 2;
const RDB_HASH = 4;

/**
 * Whether two DUMP payloads of a set or hash hold the same elements in another order. Redis
 * lists a hash table's elements in bucket order, which a rehash (done a step per lookup, by
 * any client's read) changes without any write: the same value then dumps differently.
 * Each element's encoding is deterministic, so elements are compared as their encoded bytes.
 */
function sameUnorderedDump(a: Buffer, b: Buffer): boolean {
  // The same type and RDB version (the 2 bytes before the CRC64), then the same elements.
  if (a[0] !== b[0] || !a.subarray(-10, -8).equals(b.subarray(-10, -8))) return false;
  const left = unorderedElements(a);
  const right = unorderedElements(b);
  if (!left || !right || left.length !== right.length) return false;
  left.sort(Buffer.compare);
  right.sort(Buffer.compare);
  return left.every((element, i) => element.equals(right[i] as Buffer));
}

/**
 * A set's members or a hash's field-value pairs, each as its encoded bytes; undefined for
 * another type or a payload that does not parse exactly.
 */
function unorderedElements(payload: Buffer): Buffer[] | undefined {
  const type = payload[0];
  if ((type !== RDB_SET && type !== RDB_HASH) || payload.length < 11) return undefined;
  const end = payload.length - 10; // then the RDB version (2 bytes) and a CRC64 (8 bytes)
  let at = 1;
  /** Reads an RDB length at `at`; special: the low bits of an encoded string's header. */
  const length = (): { value: number; special: boolean } | undefined => {
    const first = payload[at];
    if (first === undefined || at >= end) return undefined;
    const kind = first >> 6;
    if (kind === 0) return ((at += 1), { value: first & 0x3f, special: false });
    if (kind === 1) {
      if (at + 2 > end) return undefined;
      const value = ((first & 0x3f) << 8) | (payload[at + 1] as number);
      return ((at += 2), { value, special: false });
    }
    if (kind === 3) return ((at += 1), { value: first & 0x3f, special: true });
    if (first === 0x80 && at + 5 <= end) {
      const value = payload.readUInt32BE(at + 1);
      return ((at += 5), { value, special: false });
    }
    if (first === 0x81 && at + 9 <= end) {
      const value = Number(payload.readBigUInt64BE(at + 1));
      return ((at += 9), { value, special: false });
    }
    return undefined;
  };
  /** Skips one encoded string; false when it does not parse. */
  const skipString = (): boolean => {
    const header = length();
    if (!header) return false;
    if (!header.special) return (at += header.value) <= end;
    if (header.value <= 2) return (at += [1, 2, 4][header.value] as number) <= end; // an integer
    if (header.value !== 3) return false;
    const compressed = length(); // LZF: compressed length, then the plain length
    if (!compressed || compressed.special || !length()) return false;
    return (at += compressed.value) <= end;
  };
  const count = length();
  if (!count || count.special) return undefined;
  const elements: Buffer[] = [];
  for (let i = 0; i < count.value; i++) {
    const start = at;
    if (!skipString() || (type === RDB_HASH && !skipString())) return undefined;
    elements.push(payload.subarray(start, at));
  }
  return at === end ? elements : undefined;
}

/** One line per key that cannot be undone, for a "cannot be undone" question; undefined when all are kept. */
export function describeNotKept(snapshots: readonly KeySnapshot[]): string | undefined {
  const lines = snapshots.flatMap((s) => (s.state === 'notKept' ? [`${displayBytes(s.key)}: ${s.reason}`] : []));
  return lines.length > 0 ? lines.join('; ') : undefined;
}

/** The bytes a snapshot holds (the journal's budget). */
export function snapshotBytes(snapshots: readonly KeySnapshot[]): number {
  return snapshots.reduce((sum, s) => sum + s.key.length + (s.state === 'value' ? s.payload.length : 0), 0);
}

function dedupe(keys: readonly Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return keys.filter((key) => {
    const id = key.toString('latin1');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Sends `commands` as one pipeline; each reply is its value or its Error (a connection failure throws). */
async function pipelineReplies(
  client: Redis,
  commands: readonly (readonly (string | Buffer)[])[],
  endpoint: RedisEndpoint,
): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const pipeline = client.pipeline();
  for (const [name, ...args] of commands) pipeline.callBuffer(name as string, ...args);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    throw keyspaceError(error, endpoint, String(commands[0]?.[0]));
  }
  if (!replies) throw keyspaceError(new Error('the pipeline was not sent'), endpoint, String(commands[0]?.[0]));
  return replies.map(([error, value]) => {
    if (!error) return value;
    // A reply error (NOPERM, unknown command) belongs to that key; a transport failure to all.
    if (!isReplyError(error)) throw keyspaceError(error, endpoint, String(commands[0]?.[0]));
    return error;
  });
}
