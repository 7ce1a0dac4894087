import type Redis from 'ioredis';
import * as vscode from 'vscode';
import type { PendingUndo } from '../../keyChanges';
import { settings } from '../../settings';
import { displayBytes, formatBytes, formatKeyCount, KeyspaceCancelledError } from '../../redis/keyspace';
import { deleteNamespaceKeysOn, planNamespaceDeletionOn } from '../../redis/cluster/clusterNamespaceDelete';
import {
  DEFAULT_UNLINK_BATCH,
  DeleteResult,
  MoveResult,
  describeDeletion,
  describeSeconds,
  namespacePrefix,
  persistKey,
  setKeyTtl,
  unlinkKey,
} from '../../redis/mutations';
import type { CommandHandler, ExtensionServices } from '../context';
import { withLateProgress } from '../../views/lateProgress';
import { askTtl } from '../../views/ttlInput';
import { presentError } from '../presentError';
import { acceptNotUndoable } from './edit/common';
import { delimiterOf, resolveKey, resolveNamespace, runOnSession, whereOf } from './targets';

/**
 * What every key operation command resolves to, for tests and other extensions:
 * - `done`: the change was made (or, for copyKeyName, the name copied);
 * - `unchanged`: nothing needed doing (PERSIST on a key without TTL, an empty namespace);
 * - `gone`: the key does not exist any more;
 * - `invalid`: bad input (a TTL like `1.5h`), nothing was sent;
 * - `refused`: `sharedRedis.readOnly` is on, nothing was sent;
 * - `cancelled`: the user cancelled (a namespace deletion may have removed part: the message says how much);
 * - `dismissed`: a prompt or confirmation was closed, nothing was sent;
 * - `failed`: Redis answered with an error or could not be reached.
 * `message` is what the user was shown.
 */
export interface KeyOperationResult {
  readonly outcome: 'done' | 'unchanged' | 'gone' | 'invalid' | 'refused' | 'cancelled' | 'dismissed' | 'failed';
  readonly message: string;
  /** copyKeyName: the text put on the clipboard. */
  readonly text?: string;
  /** deleteNamespace: what the deletion did. */
  readonly deletion?: DeleteResult;
  /** moveToNamespace (a namespace): what the move did. */
  readonly move?: MoveResult;
}

const DISMISSED: KeyOperationResult = { outcome: 'dismissed', message: '' };

/** `sharedRedis.setTtl`, `persistKey`, `copyKeyName`, `deleteKey`, `deleteNamespace`. */
export function keyOperationCommands(
  services: ExtensionServices,
): Record<'setTtl' | 'persistKey' | 'copyKeyName' | 'deleteKey' | 'deleteNamespace', CommandHandler> {
  const log = services.logger.child('Keys');
  const ops = new KeyOperations(services, log);
  return {
    setTtl: (target?: unknown, ttl?: unknown) => ops.setTtl(target, ttl),
    persistKey: (target?: unknown) => ops.persist(target),
    copyKeyName: (target?: unknown) => ops.copyKeyName(target),
    deleteKey: (target?: unknown) => ops.deleteKey(target),
    deleteNamespace: (target?: unknown) => ops.deleteNamespace(target),
  };
}

class KeyOperations {
  constructor(
    private readonly services: ExtensionServices,
    private readonly log: ExtensionServices['logger'],
  ) {}

  async setTtl(target: unknown, ttlArgument: unknown): Promise<KeyOperationResult> {
    const early = await this.services.keyChanges.confirmWrite([], 'Set TTL');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    const key = await this.resolveKey(target, 'Set TTL: which key?');
    if (!key) return DISMISSED;
    const name = displayBytes(key);
    const parsed = await askTtl(ttlArgument, {
      title: `Set TTL of ${name}`,
      prompt: 'Seconds, or with a unit: 90, 90s, 30m, 1h, 2d',
      placeHolder: '30m',
    });
    if (parsed.kind === 'dismissed') return DISMISSED;
    if (parsed.kind === 'invalid') return { outcome: 'invalid', message: parsed.message };
    const gate = await this.services.keyChanges.confirmWrite([key], `Set the TTL of ${name}`);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
    return this.run('set the TTL', async (client) => {
      const pending = await this.services.keyChanges.recordBefore(client, [key], `Set the TTL of ${name}`);
      if (!(await acceptNotUndoable(pending, `Set the TTL of ${name}`))) return DISMISSED;
      const change = await settled(pending, setKeyTtl(client, key, parsed.seconds, this.services.session.endpoint));
      if (change === 'gone') {
        pending.discard();
        return this.gone(name);
      }
      pending.commitTtlOnly(parsed.seconds * 1000);
      await this.changed(key, 'changed');
      return this.info('done', `${name} now expires in ${describeSeconds(parsed.seconds)}.`);
    });
  }

  async persist(target: unknown): Promise<KeyOperationResult> {
    const early = await this.services.keyChanges.confirmWrite([], 'Remove TTL');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    const key = await this.resolveKey(target, 'Remove the TTL of which key?');
    if (!key) return DISMISSED;
    const name = displayBytes(key);
    const gate = await this.services.keyChanges.confirmWrite([key], `Remove the TTL of ${name}`);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
    return this.run('remove the TTL', async (client) => {
      const pending = await this.services.keyChanges.recordBefore(client, [key], `Remove the TTL of ${name}`);
      if (!(await acceptNotUndoable(pending, `Remove the TTL of ${name}`))) return DISMISSED;
      const change = await settled(pending, persistKey(client, key, this.services.session.endpoint));
      if (change !== 'changed') pending.discard();
      if (change === 'gone') return this.gone(name);
      if (change === 'unchanged') return this.info('unchanged', `${name} has no TTL: nothing to change.`);
      pending.commitTtlOnly();
      await this.changed(key, 'changed');
      return this.info('done', `${name} no longer expires.`);
    });
  }

  async copyKeyName(target: unknown): Promise<KeyOperationResult> {
    const key = await this.resolveKey(target, 'Copy the name of which key?');
    if (!key) return DISMISSED;
    const utf8 = decodeUtf8(key);
    const text = utf8 ?? displayBytes(key, { maxLength: Number.MAX_SAFE_INTEGER });
    try {
      await vscode.env.clipboard.writeText(text);
    } catch (error) {
      return { outcome: 'failed', message: presentError('Could not copy the key name', error, this.log) };
    }
    const shown = displayBytes(key);
    const message =
      utf8 !== undefined
        ? `Copied ${shown}.`
        : `Copied ${shown} escaped: the name is not valid UTF-8, so bytes are written as \\xNN (and \\ as \\\\).`;
    void vscode.window.setStatusBarMessage(message, 4000);
    if (utf8 === undefined) void vscode.window.showInformationMessage(message);
    return { outcome: 'done', message, text };
  }

  async deleteKey(target: unknown): Promise<KeyOperationResult> {
    const early = await this.services.keyChanges.confirmWrite([], 'Delete Key');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    const key = await this.resolveKey(target, 'Delete which key?');
    if (!key) return DISMISSED;
    const name = displayBytes(key);
    const choice = await vscode.window.showWarningMessage(
      `Delete the key ${name}?`,
      {
        modal: true,
        detail: `UNLINK removes this one key from the shared Redis at ${this.where()}. Undo Last Change can restore it (values up to ${formatBytes(this.services.keyChanges.undoLimitBytes)}).`,
      },
      'Delete',
    );
    if (choice !== 'Delete') return DISMISSED;
    const gate = await this.services.keyChanges.confirmWrite([key], `Delete ${name}`);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
    return this.run('delete the key', async (client) => {
      const pending = await this.services.keyChanges.recordBefore(client, [key], `Delete ${name}`);
      if (!(await acceptNotUndoable(pending, `Delete ${name}`))) return DISMISSED;
      const change = await settled(pending, unlinkKey(client, key, this.services.session.endpoint));
      if (change === 'gone') {
        pending.discard();
        return this.gone(name);
      }
      // What the delete left: no key. Undo brings it back only while no other client wrote it again.
      pending.commit([{ key, payload: null }]);
      await this.changed(key, 'deleted');
      return this.info('done', `Deleted ${name}.`);
    });
  }

  async deleteNamespace(target: unknown): Promise<KeyOperationResult> {
    const early = await this.services.keyChanges.confirmWrite([], 'Delete Namespace');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    const delimiter = this.delimiter();
    const path = await this.resolveNamespace(target, delimiter);
    if (!path) return DISMISSED;
    const prefix = namespacePrefix(path, delimiter);
    const prefixText = displayBytes(prefix);
    const scanCount = settings().scanCount;
    const gate = await this.services.keyChanges.confirmWriteUnder(prefix, `Delete ${prefixText}*`);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
    return this.run('delete the namespace', async () => {
      const endpoint = this.services.session.endpoint;
      // On a cluster: counted on every master, deleted master by master.
      const topology = await this.services.session.topology();
      const plan = await withLateProgress(`Counting keys (${prefixText}*)`, (report, signal) =>
        planNamespaceDeletionOn(topology, prefix, {
          scanCount,
          signal,
          endpoint,
          onProgress: (found) => report(`${formatKeyCount(found)} so far`),
        }),
      ).then(
        (p) => p,
        (error: unknown) => {
          if (error instanceof KeyspaceCancelledError) return undefined;
          throw error;
        },
      );
      if (!plan) return this.info('cancelled', `Cancelled counting the keys under ${prefixText}: nothing was deleted.`);
      if (plan.count === 0) return this.info('unchanged', `Nothing to delete: no keys under ${prefixText}`);
      const choice = await vscode.window.showWarningMessage(
        `Delete ${formatKeyCount(plan.count)} under ${prefixText}?`,
        {
          modal: true,
          detail: `Exactly the keys whose names start with ${prefixText} in the shared Redis at ${this.where()}, counted just now; keys that merely start with the same letters are kept. They are removed with UNLINK in batches of ${DEFAULT_UNLINK_BATCH}; cancelling stops after the current batch. It cannot be undone.`,
        },
        'Delete',
      );
      if (choice !== 'Delete') return DISMISSED;
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Deleting ${formatKeyCount(plan.count)} (${prefixText}*)`,
          cancellable: true,
        },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          return deleteNamespaceKeysOn(topology, plan, {
            signal: abort.signal,
            endpoint,
            onProgress: ({ deleted, processed, total }) => {
              const fraction = (processed / total) * 100;
              progress.report({ increment: fraction - reported, message: `${formatKeyCount(deleted)} deleted` });
              reported = fraction;
            },
          }).catch((error: unknown) => {
            const partial = (error as { partial?: DeleteResult }).partial;
            if (partial && partial.deleted > 0) this.services.keyBrowser.requestRefresh();
            throw partial
              ? Object.assign(error as Error, {
                  message: `${(error as Error).message} (${describeDeletion(partial, prefixText)} before the failure)`,
                })
              : error;
          });
        },
      );
      this.services.keyChanges.recordNotUndoable(
        `Delete ${prefixText}*`,
        'a namespace deletion is not recorded for undo',
      );
      if (result.cancelled) this.services.keyBrowser.requestRefresh();
      else this.services.keyBrowser.namespaceDeleted(path);
      const message = describeDeletion(result, prefixText);
      this.log.info(message);
      return { ...this.info(result.cancelled ? 'cancelled' : 'done', `${message}.`), deletion: result };
    });
  }

  /** Runs `action` on the shared connection; an error becomes one clear message. */
  private run(what: string, action: (client: Redis) => Promise<KeyOperationResult>): Promise<KeyOperationResult> {
    return runOnSession(this.services, this.log, what, action);
  }

  /** Tells the views (through KeyChanges) and waits until the Keys view shows the change. */
  private async changed(key: Buffer, kind: 'changed' | 'deleted'): Promise<void> {
    this.services.keyChanges.keysChanged({ keys: [key], kind, db: this.services.session.endpoint.db });
    await this.services.keyBrowser.applied();
  }

  private info(outcome: KeyOperationResult['outcome'], message: string): KeyOperationResult {
    void vscode.window.showInformationMessage(message);
    return { outcome, message };
  }

  private gone(name: string): KeyOperationResult {
    this.services.keyBrowser.requestRefresh();
    const message = `${name} no longer exists (deleted or expired): nothing was changed.`;
    void vscode.window.showWarningMessage(message);
    return { outcome: 'gone', message };
  }

  private where(): string {
    return whereOf(this.services);
  }

  private delimiter(): Buffer {
    return delimiterOf(this.services);
  }

  private resolveKey(target: unknown, title: string): Promise<Buffer | undefined> {
    return resolveKey(this.services, target, title);
  }

  private resolveNamespace(target: unknown, delimiter: Buffer): Promise<Buffer | undefined> {
    return resolveNamespace(this.services, target, delimiter, 'Delete which namespace?');
  }
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The write's result; when it fails, the undo record is kept if Redis may still apply it (PendingUndo.failed). */
async function settled<T>(pending: PendingUndo, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    pending.failed(error);
    throw error;
  }
}
