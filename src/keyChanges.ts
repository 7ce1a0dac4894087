import type Redis from 'ioredis';
import * as vscode from 'vscode';
import type { Logger } from './logger';
import type { RedisSession } from './redisSession';
import { isNoAnswer, RedisConnectionError } from './redis/errors';
import { endpointOfClient } from './redis/keyspace/errors';
import { displayBytes, fromBinary } from './redis/keyspace';
import {
  DEFAULT_UNDO_LIMIT_BYTES,
  describeNotKept,
  KeySnapshot,
  snapshotBytes,
  snapshotKeys,
  WrittenState,
} from './redis/mutations/undoJournal';
import { delimiterBytes, SECTION, settings } from './settings';
import type { DeclaredNamespace } from './settingsModel';

export type WriteDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly outcome: 'refused' | 'dismissed' | 'failed'; readonly message: string };

export interface KeysChangedEvent {
  /** Exact bytes of every key whose value, type, TTL or existence changed. */
  readonly keys: readonly Buffer[];
  /** created: did not exist before; changed: value or TTL; deleted: gone; many: too many to list (a namespace), walk again. */
  readonly kind: 'created' | 'changed' | 'deleted' | 'many';
  readonly db: number;
}

export interface PendingUndo {
  /**
   * The change went through: remember the snapshot as the last change (Undo Last Change
   * restores it). `written`: what the change left in its keys (Undo then writes a key only
   * while it still holds that, never over another client's newer write).
   */
  commit(written?: readonly WrittenState[]): void;
  /**
   * The change went through and set only TTLs: the keys hold the values they held before (Undo
   * checks that). `ttlMs`: the TTL it set, by which a key may run out (a key gone before that
   * TTL could run out was deleted by another client); none when it removed the TTL.
   */
  commitTtlOnly(ttlMs?: number): void;
  /** The change did not happen (conflict, error, cancel): forget the snapshot. */
  discard(): void;
  /** The write failed with `error`: kept when Redis did not answer in time (it may still apply it), forgotten otherwise. */
  failed(error: unknown): void;
  /** Keys whose before-state could not be kept (over the size limit, DUMP refused), one line each; undefined when all were kept. */
  readonly notUndoable: string | undefined;
}

/** A change Undo Last Change can restore (single keys), or a bulk change it can only name. */
export type RecordedChange =
  | {
      readonly undoable: true;
      readonly label: string;
      /** `host:port db N` of the client that wrote: undo goes to the same server and database only. */
      readonly where: string;
      readonly db: number;
      readonly snapshots: readonly KeySnapshot[];
      /** Redis answered the write too late to know whether it was applied (see planUndo). */
      readonly unanswered: boolean;
      /** What the change left in its keys, when known (see WrittenState). */
      readonly written?: readonly WrittenState[] | undefined;
    }
  | { readonly undoable: false; readonly label: string; readonly reason: string };

/** How many changes are kept, and how many bytes of DUMP payloads in all (older ones are dropped first). */
const MAX_RECORDED_CHANGES = 20;
const MAX_RECORDED_BYTES = 16 * DEFAULT_UNDO_LIMIT_BYTES;

/**
 * The answers to "don't ask again" live in workspaceState: owners are a team's convention
 * for this workspace's Redis (the `sharedRedis.namespaces` setting is usually a workspace
 * setting), and `user` may well belong to someone else in another project.
 */
export const NOT_ASKING_KEY = 'sharedRedis.writeWithoutAsking';

export const WRITE = 'Write';
export const DONT_ASK_AGAIN = "Don't Ask Again for This Namespace";

/**
 * The one gate before every write (the readOnly setting, a read-only replica, namespace
 * owners), and the journal of what each write replaced (for Undo Last Change). View-free:
 * views listen to `onDidChangeKeys`. A command calls it first with no keys, before it asks
 * anything, and again with its keys before it writes.
 */
export class KeyChanges implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<KeysChangedEvent>();
  readonly onDidChangeKeys = this.changed.event;
  /** Namespaces the user agreed to write into this session (`db|path` as binary strings). */
  private readonly confirmed = new Set<string>();
  private readonly journal: RecordedChange[] = [];

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: Logger,
    /** The per-key DUMP limit (tests lower it). */
    readonly undoLimitBytes = DEFAULT_UNDO_LIMIT_BYTES,
    /** The server writes go to: a read-only replica there refuses every write, so the gate refuses first. */
    private readonly target?: Pick<RedisSession, 'readOnlyReplica'>,
  ) {}

  confirmWrite(keys: readonly Buffer[], action: string): Promise<WriteDecision> {
    return this.gate(keys, action);
  }

  confirmWriteUnder(prefix: Buffer, action: string): Promise<WriteDecision> {
    const delimiter = delimiterBytes();
    const path = prefix.subarray(prefix.length - delimiter.length).equals(delimiter)
      ? prefix.subarray(0, prefix.length - delimiter.length)
      : prefix;
    // The namespace the prefix is in, and every declared namespace inside it (its keys move there too).
    const inside = settings()
      .namespaces.map((n) => fromBinary(n.path))
      .filter((n) => n.length > prefix.length && n.subarray(0, prefix.length).equals(prefix));
    return this.gate([path, ...inside], action);
  }

  async recordBefore(client: Redis, keys: readonly Buffer[], label: string): Promise<PendingUndo> {
    const snapshots = await snapshotKeys(client, keys, { limitBytes: this.undoLimitBytes });
    const endpoint = endpointOfClient(client);
    const where = `${endpoint.host}:${endpoint.port}${endpoint.db ? ` db ${endpoint.db}` : ''}`;
    let settled = false;
    const keep = (unanswered: boolean, written?: readonly WrittenState[]): void => {
      if (settled) return;
      settled = true;
      this.remember({ undoable: true, label, where, db: endpoint.db, snapshots, unanswered, written });
    };
    const discard = (): void => {
      settled = true;
    };
    return {
      notUndoable: describeNotKept(snapshots),
      commit: (written) => keep(false, written),
      commitTtlOnly: (ttlMs) => {
        // When the TTL set runs out (it was set just before this): Undo leaves a key whose TTL another client changed since.
        const expiry = ttlMs === undefined ? null : Date.now() + ttlMs;
        keep(
          false,
          snapshots.flatMap((s) =>
            s.state !== 'value'
              ? []
              : ttlMs === undefined
                ? [{ key: s.key, payload: s.payload, expiry }]
                : // The earliest the TTL set can run out: it was set after the snapshot.
                  [{ key: s.key, payload: s.payload, mayExpire: true, expiresAt: s.takenAt + ttlMs, expiry }],
          ),
        );
      },
      discard,
      failed: (error) => (isNoAnswer(error) ? keep(true) : discard()),
    };
  }

  /** A change Undo cannot restore (a namespace moved or deleted): Undo then says so instead of restoring an older change. */
  recordNotUndoable(label: string, reason: string): void {
    this.remember({ undoable: false, label, reason });
  }

  /** The most recent change, still kept. */
  get lastChange(): RecordedChange | undefined {
    return this.journal[this.journal.length - 1];
  }

  /** Removes `change` from the journal (Undo restored it, or it was named as not undoable). */
  forget(change: RecordedChange): void {
    const index = this.journal.lastIndexOf(change);
    if (index >= 0) this.journal.splice(index, 1);
  }

  keysChanged(event: KeysChangedEvent): void {
    this.changed.fire(event);
  }

  dispose(): void {
    this.changed.dispose();
    this.journal.length = 0;
  }

  private remember(change: RecordedChange): void {
    this.journal.push(change);
    const bytes = (): number =>
      this.journal.reduce(
        (sum, c) =>
          sum +
          (c.undoable
            ? snapshotBytes(c.snapshots) + (c.written ?? []).reduce((n, w) => n + (w.payload?.length ?? 0), 0)
            : 0),
        0,
      );
    while (this.journal.length > MAX_RECORDED_CHANGES || (this.journal.length > 1 && bytes() > MAX_RECORDED_BYTES)) {
      this.journal.shift();
    }
    this.log.info(`Recorded for Undo Last Change: ${change.label}`);
  }

  private async gate(keys: readonly Buffer[], action: string): Promise<WriteDecision> {
    const values = settings();
    if (values.readOnly) {
      const message = `Shared Redis is read-only (setting "${SECTION}.readOnly"): ${action} was not run and nothing was changed.`;
      void vscode.window.showWarningMessage(message, 'Open Setting').then((choice) => {
        if (choice === 'Open Setting') {
          void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.readOnly`);
        }
      });
      return { allowed: false, outcome: 'refused', message };
    }
    // Asked before any question: a read-only replica would refuse the write with READONLY after them.
    let replica: Awaited<ReturnType<RedisSession['readOnlyReplica']>>;
    try {
      replica = await this.target?.readOnlyReplica();
    } catch (error) {
      // The server cannot be reached: said once here, not again after each question.
      if (!(error instanceof RedisConnectionError)) throw error;
      const message = `${action} was not run: ${error.message}`;
      void vscode.window.showErrorMessage(message);
      return { allowed: false, outcome: 'failed', message };
    }
    if (replica) {
      const message = `${action} was not run: the Redis at ${replica.at} is a read-only replica of ${replica.master}, and refuses every write. Connect Shared Redis to its master, ${replica.master} (the settings ${SECTION}.host and ${SECTION}.port), to change keys. Nothing was changed.`;
      void vscode.window.showWarningMessage(message);
      return { allowed: false, outcome: 'refused', message };
    }
    const delimiter = delimiterBytes();
    const owned = values.namespaces.filter((n) => n.owner !== undefined);
    const db = values.db;
    const remembered = new Set(this.state.get<string[]>(NOT_ASKING_KEY, []));
    const toAsk = new Map<string, { path: string; owner: string }>();
    for (const key of keys) {
      const namespace = owningNamespace(key, owned, delimiter);
      if (!namespace?.owner) continue;
      const id = `${db}|${namespace.path}`;
      if (this.confirmed.has(id) || remembered.has(namespace.path)) continue;
      toAsk.set(id, { path: namespace.path, owner: namespace.owner });
    }
    for (const [id, { path, owner }] of toAsk) {
      const pattern = `${displayBytes(path)}${displayBytes(delimiter)}*`;
      const choice = await vscode.window.showWarningMessage(
        `${pattern} belongs to ${owner}. ${action}?`,
        {
          modal: true,
          detail: `The setting ${SECTION}.namespaces declares ${pattern} as ${owner}'s namespace: a change here is a change under that service's feet. You are asked once per session for each namespace.`,
        },
        WRITE,
        DONT_ASK_AGAIN,
      );
      if (choice === DONT_ASK_AGAIN) {
        remembered.add(path);
        await this.state.update(NOT_ASKING_KEY, [...remembered]);
      } else if (choice !== WRITE) {
        return {
          allowed: false,
          outcome: 'dismissed',
          message: `${action} was not run: ${pattern} belongs to ${owner}. Nothing was changed.`,
        };
      }
      this.confirmed.add(id);
    }
    return { allowed: true };
  }
}

/** The declared namespace `key` lies in: the longest declared path that is `key` or a prefix of it ending at a delimiter. */
export function owningNamespace(
  key: Buffer,
  declared: readonly DeclaredNamespace[],
  delimiter: Buffer,
): DeclaredNamespace | undefined {
  let best: DeclaredNamespace | undefined;
  for (const namespace of declared) {
    const path = fromBinary(namespace.path);
    const inside =
      key.equals(path) ||
      (key.length >= path.length + delimiter.length &&
        key.subarray(0, path.length).equals(path) &&
        key.subarray(path.length, path.length + delimiter.length).equals(delimiter));
    if (inside && (!best || namespace.path.length > best.path.length)) best = namespace;
  }
  return best;
}

export const CHANGE_ANYWAY = 'Change Without Undo';

/** Asks before a change Undo Last Change could not restore; true when all is kept or the user accepts. */
export async function acceptNotUndoable(pending: PendingUndo, label: string): Promise<boolean> {
  if (pending.notUndoable === undefined) return true;
  const choice = await vscode.window.showWarningMessage(
    `${label}: this change cannot be undone. Go on?`,
    {
      modal: true,
      detail: `Undo Last Change could not keep the value before the change: ${pending.notUndoable}.`,
    },
    CHANGE_ANYWAY,
  );
  if (choice === CHANGE_ANYWAY) return true;
  pending.discard();
  return false;
}
