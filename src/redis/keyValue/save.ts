import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { scoreValue, EditedValue } from './editFormat';
import { isNoAnswer } from '../errors';
import { endpointOfClient, keyspaceError, writeError } from '../keyspace/errors';
import { prepareReadBack } from '../mutations/readBack';
import type { WrittenState } from '../mutations/undoJournal';
import { KeyValue, readKeyValue } from './read';

/** One Redis command of a save, as sent: name first. */
export type SaveCommand = readonly [string, ...(Buffer | string | number)[]];

export interface SavePlan {
  /** The commands, in order, to run in one MULTI; empty when nothing changed. */
  readonly commands: readonly SaveCommand[];
  /** True when the plan deletes and writes the key again (its TTL must be put back). */
  readonly rewrites: boolean;
}

/**
 * A digest of a value as read (type, elements, scores, stream ids; not its TTL, encoding
 * or memory): two reads with the same version read the same value. A key document's
 * version, and the condition of its save.
 */
export function valueVersion(value: KeyValue): string {
  const hash = createHash('sha256');
  const add = (part: Buffer | string): void => {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  };
  add(value.kind);
  if (value.kind === 'gone') return hash.digest('hex');
  add(value.header.type);
  add(String(value.header.length));
  switch (value.kind) {
    case 'string':
      add(value.bytes);
      break;
    case 'hash':
      add(String(value.complete));
      value.entries.forEach(([f, v]) => (add(f), add(v)));
      break;
    case 'list':
      value.items.forEach(add);
      break;
    case 'set':
      add(String(value.complete));
      value.members.forEach(add);
      break;
    case 'zset':
      value.members.forEach(([m, s]) => (add(m), add(s)));
      break;
    case 'stream':
      value.entries.forEach((e) => (add(e.id), e.fields.forEach(([f, v]) => (add(f), add(v)))));
      break;
    case 'unsupported':
      break;
  }
  return hash.digest('hex');
}

/** The stream entry's fields as one comparable string. */
const fieldsId = (fields: readonly (readonly [Buffer, Buffer])[]): string =>
  fields.map(([f, v]) => `${f.toString('hex')}=${v.toString('hex')}`).join(',');

/** Existing stream entries are appended to and deleted, never rewritten. */
export class StreamEntryChangedError extends Error {
  override readonly name = 'StreamEntryChangedError';

  constructor(readonly id: string) {
    super(
      id === '*'
        ? 'a new entry needs its id to be * (Redis gives it one)'
        : `the entry ${id} was changed or added with an id of its own: existing entries cannot be changed; remove its line and add a new line with the id * instead`,
    );
  }
}

/**
 * The fewest commands that turn `base` (what the editor read) into `edited`: only
 * changed fields, members and elements. Additions come before removals, so a collection
 * never empties on the way (which would delete the key and its TTL). A list of the same
 * length gets LSETs; a list that only grew or shrank at its end RPUSH or LTRIM; any other
 * list change is one rewrite (DEL + RPUSH, the caller restores the TTL).
 */
export function planSave(key: Buffer, base: KeyValue, edited: EditedValue): SavePlan {
  const none: SavePlan = { commands: [], rewrites: false };
  if (base.kind !== edited.kind) throw new Error(`a ${base.kind} cannot be saved as a ${edited.kind}`);
  switch (edited.kind) {
    case 'string': {
      const before = base.kind === 'string' ? base.bytes : Buffer.alloc(0);
      return before.equals(edited.bytes)
        ? none
        : { commands: [['SET', key, edited.bytes, 'KEEPTTL']], rewrites: false };
    }
    case 'hash': {
      const before = new Map((base.kind === 'hash' ? base.entries : []).map(([f, v]) => [f.toString('hex'), v]));
      const set: Buffer[] = [];
      const kept = new Set<string>();
      for (const [field, value] of edited.entries) {
        const id = field.toString('hex');
        kept.add(id);
        if (!before.get(id)?.equals(value)) set.push(field, value);
      }
      const removed = [...before.keys()].filter((id) => !kept.has(id)).map((id) => Buffer.from(id, 'hex'));
      const commands: SaveCommand[] = [];
      if (set.length > 0) commands.push(['HSET', key, ...set]);
      if (removed.length > 0) commands.push(['HDEL', key, ...removed]);
      return { commands, rewrites: false };
    }
    case 'set': {
      const before = new Set((base.kind === 'set' ? base.members : []).map((m) => m.toString('hex')));
      const after = new Set(edited.members.map((m) => m.toString('hex')));
      const added = edited.members.filter((m) => !before.has(m.toString('hex')));
      const removed = [...before].filter((id) => !after.has(id)).map((id) => Buffer.from(id, 'hex'));
      const commands: SaveCommand[] = [];
      if (added.length > 0) commands.push(['SADD', key, ...added]);
      if (removed.length > 0) commands.push(['SREM', key, ...removed]);
      return { commands, rewrites: false };
    }
    case 'zset': {
      const before = new Map((base.kind === 'zset' ? base.members : []).map(([m, s]) => [m.toString('hex'), s]));
      const add: (Buffer | string)[] = [];
      const kept = new Set<string>();
      for (const [member, score] of edited.members) {
        const id = member.toString('hex');
        kept.add(id);
        const old = before.get(id);
        if (old === undefined || scoreValue(old) !== scoreValue(score)) add.push(score, member);
      }
      const removed = [...before.keys()].filter((id) => !kept.has(id)).map((id) => Buffer.from(id, 'hex'));
      const commands: SaveCommand[] = [];
      if (add.length > 0) commands.push(['ZADD', key, ...add]);
      if (removed.length > 0) commands.push(['ZREM', key, ...removed]);
      return { commands, rewrites: false };
    }
    case 'list': {
      const before = base.kind === 'list' ? base.items : [];
      const after = edited.items;
      const common = Math.min(before.length, after.length);
      let samePrefix = 0;
      while (samePrefix < common && (before[samePrefix] as Buffer).equals(after[samePrefix] as Buffer)) samePrefix++;
      if (samePrefix === before.length && samePrefix === after.length) return none;
      if (before.length === after.length) {
        const commands: SaveCommand[] = [];
        after.forEach((item, i) => {
          if (!(before[i] as Buffer).equals(item)) commands.push(['LSET', key, i, item]);
        });
        return { commands, rewrites: false };
      }
      if (samePrefix === before.length) {
        return { commands: [['RPUSH', key, ...after.slice(samePrefix)]], rewrites: false };
      }
      if (samePrefix === after.length) return { commands: [['LTRIM', key, 0, after.length - 1]], rewrites: false };
      return {
        commands: [
          ['DEL', key],
          ['RPUSH', key, ...after],
        ],
        rewrites: true,
      };
    }
    case 'stream': {
      const before = new Map((base.kind === 'stream' ? base.entries : []).map((e) => [e.id, fieldsId(e.fields)]));
      const kept = new Set<string>();
      const commands: SaveCommand[] = [];
      for (const entry of edited.entries) {
        if (entry.id === '*') {
          if (entry.fields.length > 0) commands.push(['XADD', key, '*', ...entry.fields.flat()]);
          continue;
        }
        if (before.get(entry.id) !== fieldsId(entry.fields)) throw new StreamEntryChangedError(entry.id);
        kept.add(entry.id);
      }
      const removed = [...before.keys()].filter((id) => !kept.has(id));
      if (removed.length > 0) commands.push(['XDEL', key, ...removed]);
      return { commands, rewrites: false };
    }
  }
}

export type SaveOutcome =
  | { readonly kind: 'saved'; readonly commands: number }
  | { readonly kind: 'unchanged' }
  /** The key is not what the editor read any more (`current`: what it is now); nothing was written. */
  | { readonly kind: 'conflict'; readonly current: KeyValue }
  /** beforeWrite said not to write (the before-state could not be kept for undo); nothing was written. */
  | { readonly kind: 'dismissed' };

export interface SaveOptions {
  /** Pages the editor read (the same are read again to compare). */
  readonly pages: number;
  /**
   * Called inside the WATCH, right before MULTI, on the connection that writes (the undo
   * snapshot); its result's commit() runs after EXEC went through, with what the save left
   * in the key (its DUMP in the same MULTI: Undo then writes the key only while it still
   * holds that; undefined when not known, left out when over undoLimitBytes), discard()
   * otherwise. False: do not write (`dismissed`).
   */
  readonly beforeWrite?: (client: Redis) => Promise<
    | {
        commit(written?: readonly WrittenState[]): void;
        discard(): void;
        /** Set when the before-state was not kept (DUMP refused, too large): then the save's DUMP is not sent either. */
        readonly notUndoable?: string | undefined;
      }
    | false
  >;
  /** The largest value read back for Undo (default: the undo limit, 1 MiB); see prepareReadBack. */
  readonly undoLimitBytes?: number;
}

/**
 * Saves `edited` over `expected` (what the editor read), only if the key still holds
 * exactly that: WATCH the key, read it again and compare, then the plan's commands in one
 * MULTI/EXEC (a rewrite restores the remaining PTTL in the same MULTI). Another client's
 * write between the read and EXEC makes EXEC fail: nothing is written, `conflict`.
 *
 * `client` must be a connection of its own (WATCH belongs to a connection): a shared one
 * could have its WATCH cleared by someone else's EXEC.
 */
export async function saveKeyValue(
  client: Redis,
  key: Buffer,
  expected: KeyValue,
  edited: EditedValue,
  options: SaveOptions,
): Promise<SaveOutcome> {
  const plan = planSave(key, expected, edited);
  await client.watch(key);
  let watching = true;
  try {
    const current = await readKeyValue(client, key, { pages: options.pages });
    if (valueVersion(current) !== valueVersion(expected)) return { kind: 'conflict', current };
    if (plan.commands.length === 0) return { kind: 'unchanged' };
    const undo = await options.beforeWrite?.(client);
    if (undo === false) return { kind: 'dismissed' };
    // After beforeWrite, which may wait for a person's answer: the TTL left now is the one put back.
    const pttl = plan.rewrites ? await client.pttl(key) : -1;
    // What the save left in the key, read in the same MULTI. Not when the before-state could
    // not be kept: an ACL that refuses DUMP would abort the whole MULTI.
    const dump = undo !== undefined && undo.notUndoable === undefined;
    // The key's size now tells nothing of a large value the save writes: its commands' bytes are counted too.
    const added = planBytes(plan);
    const readBack = await prepareReadBack(client, dump ? [key] : undefined, options.undoLimitBytes, {
      added: () => added,
      // A string's SET, a list's rewrite: what the key holds now is gone after the write.
      replaces: plan.rewrites || edited.kind === 'string',
    });
    const transaction = client.multi();
    for (const [name, ...args] of plan.commands) transaction.call(name, ...args);
    if (pttl > 0) transaction.pexpire(key, pttl);
    readBack.queue(transaction);
    watching = false;
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await transaction.exec();
    } catch (error) {
      // No answer in time: Redis may still apply it, so the before-state is kept for Undo.
      if (isNoAnswer(error)) undo?.commit();
      else undo?.discard();
      throw writeError(error, endpointOfClient(client), 'MULTI');
    }
    if (replies === null) {
      undo?.discard();
      return { kind: 'conflict', current: await readKeyValue(client, key, { pages: options.pages }) };
    }
    const { own, written } = readBack.split(replies);
    const failed = own.find(([error]) => error)?.[0];
    if (failed) {
      // A command refused inside EXEC (out of memory, an ACL): the others ran; the undo keeps the before.
      undo?.commit(written);
      throw keyspaceError(failed, endpointOfClient(client), 'MULTI');
    }
    undo?.commit(written);
    return { kind: 'saved', commands: plan.commands.length + (pttl > 0 ? 1 : 0) };
  } finally {
    if (watching) await client.unwatch().catch(() => undefined);
  }
}

/** The bytes a plan's commands send: about the most they can add to the key's value. */
function planBytes(plan: SavePlan): number {
  return plan.commands.reduce(
    (sum, [, ...args]) =>
      sum +
      args.reduce<number>((n, arg) => n + (Buffer.isBuffer(arg) ? arg.length : Buffer.byteLength(String(arg))), 0),
    0,
  );
}
