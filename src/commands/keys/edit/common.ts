import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { acceptNotUndoable, type PendingUndo } from '../../../keyChanges';
import type { ExtensionServices } from '../../context';
import { connectDuplicate } from '../../../redis/connection';
import { displayBytes } from '../../../redis/keyspace';
import type { AfterWrite } from '../../../redis/mutations/keyEdits';
import type { WrittenState } from '../../../redis/mutations/undoJournal';
import type { KeyOperationResult } from '../operations';

/** What the editing commands resolve to: the key operations' outcomes. */
export type EditResult = KeyOperationResult;

export const DISMISSED: EditResult = { outcome: 'dismissed', message: '' };

/** Shows `message` (a warning for anything but done) and returns it as the result. */
export function tell(outcome: EditResult['outcome'], message: string): EditResult {
  if (outcome === 'done' || outcome === 'unchanged') void vscode.window.showInformationMessage(message);
  else if (outcome === 'invalid' || outcome === 'failed') void vscode.window.showErrorMessage(message);
  else void vscode.window.showWarningMessage(message);
  return { outcome, message };
}

/**
 * Runs `action` on a connection of its own (a duplicate of the session's: same server,
 * database and credentials), because WATCH belongs to a connection and the shared one
 * serves the views meanwhile. Closed afterwards.
 */
export async function withOwnConnection<T>(
  services: ExtensionServices,
  action: (client: Redis) => Promise<T>,
): Promise<T> {
  // Opened as every connection is, so that a refusal (a server at its maxclients) is named as such.
  const own = await connectDuplicate(await services.session.client(), services.session.endpoint);
  try {
    return await action(own);
  } finally {
    own.disconnect();
  }
}

/**
 * The undo record of one change, taken inside the write's WATCH right before it: when a
 * key's before-state cannot be kept (too large, DUMP refused) the user is asked whether to
 * go on without undo. `settle(outcome)` after the write, whether or not it happened.
 */
export class UndoRecord {
  private pending: PendingUndo | undefined;

  constructor(
    private readonly services: ExtensionServices,
    private readonly keys: readonly Buffer[],
    private readonly label: string,
  ) {}

  /**
   * False when the user would rather not change what cannot be undone. When every before-state
   * was kept, the write reads back what it leaves in the keys (Undo then never overwrites a
   * newer write); not otherwise (an ACL that refuses DUMP would abort the whole MULTI).
   */
  readonly beforeWrite = async (client: Redis): Promise<boolean | AfterWrite> => {
    this.pending = await this.services.keyChanges.recordBefore(client, this.keys, this.label);
    if (this.pending.notUndoable === undefined) {
      return { readBack: this.keys, limitBytes: this.services.keyChanges.undoLimitBytes };
    }
    return acceptNotUndoable(this.pending, this.label);
  };

  /** After the write: `written` (what it left, when read back) is kept with the record; else the record is dropped. */
  settle(outcome: { readonly kind: string; readonly written?: readonly WrittenState[] }): void {
    if (outcome.kind === 'written') this.pending?.commit(outcome.written);
    else this.pending?.discard();
  }

  /** Runs the write, keeping the record when Redis did not answer in time (it may still apply it). */
  async write<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      this.pending?.failed(error);
      throw error;
    }
  }
}

export { acceptNotUndoable, CHANGE_ANYWAY } from '../../../keyChanges';

/**
 * What a person typed into a box prefilled with `shown` (bytes shown as UTF-8), as bytes; a
 * message instead when those bytes are not UTF-8 and the text still has the stand-in they
 * were shown with (U+FFFD): a typed name cannot hold them, and written as typed it would name
 * another key.
 */
export function typedBytes(typed: string, shown: Buffer): Buffer | { readonly refused: string } {
  const representable = Buffer.from(shown.toString('utf8'), 'utf8').equals(shown);
  if (!representable && typed.includes('\ufffd')) {
    return {
      refused: `${displayBytes(shown)} holds bytes that are not UTF-8 (shown as \ufffd), which a typed name cannot hold: type the whole name without \ufffd, or use redis-cli. Nothing was changed.`,
    };
  }
  return Buffer.from(typed, 'utf8');
}

/** Text typed by a person as exact bytes (UTF-8), or the bytes given by a caller. */
export function bytesArgument(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}
