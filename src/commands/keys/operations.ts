import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { delimiterBytes, settings } from '../../settings';
import { RedisConnectionError } from '../../redis/errors';
import {
  BinaryString,
  displayBytes,
  formatKeyCount,
  fromBinary,
  KeyspaceCancelledError,
  NamespaceModel,
  NamespaceNode,
  toBinary,
} from '../../redis/keyspace';
import {
  DEFAULT_UNLINK_BATCH,
  DeleteResult,
  deleteNamespaceKeys,
  describeDeletion,
  describeSeconds,
  namespacePrefix,
  persistKey,
  planNamespaceDeletion,
  setKeyTtl,
  unlinkKey,
} from '../../redis/mutations';
import type { CommandHandler, ExtensionServices } from '../context';
import { KeyRow, NamespaceRow } from '../../views/keysView';
import { withLateProgress } from '../../views/lateProgress';
import { askTtl } from '../../views/ttlInput';
import { presentError } from '../presentError';
import { readOnlyRefusal } from '../readOnly';

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
}

const DISMISSED: KeyOperationResult = { outcome: 'dismissed', message: '' };
const MAX_PICKS = 5000;

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
    const refused = readOnlyRefusal('Set TTL');
    if (refused) return { outcome: 'refused', message: refused };
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
    return this.run('set the TTL', async (client) => {
      const change = await setKeyTtl(client, key, parsed.seconds, this.services.session.endpoint);
      if (change === 'gone') return this.gone(name);
      await this.services.keyBrowser.keyChanged(key, 'expiry');
      return this.info('done', `${name} now expires in ${describeSeconds(parsed.seconds)}.`);
    });
  }

  async persist(target: unknown): Promise<KeyOperationResult> {
    const refused = readOnlyRefusal('Remove TTL');
    if (refused) return { outcome: 'refused', message: refused };
    const key = await this.resolveKey(target, 'Remove the TTL of which key?');
    if (!key) return DISMISSED;
    const name = displayBytes(key);
    return this.run('remove the TTL', async (client) => {
      const change = await persistKey(client, key, this.services.session.endpoint);
      if (change === 'gone') return this.gone(name);
      if (change === 'unchanged') return this.info('unchanged', `${name} has no TTL: nothing to change.`);
      await this.services.keyBrowser.keyChanged(key, 'expiry');
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
    const refused = readOnlyRefusal('Delete Key');
    if (refused) return { outcome: 'refused', message: refused };
    const key = await this.resolveKey(target, 'Delete which key?');
    if (!key) return DISMISSED;
    const name = displayBytes(key);
    const choice = await vscode.window.showWarningMessage(
      `Delete the key ${name}?`,
      {
        modal: true,
        detail: `UNLINK removes this one key from the shared Redis at ${this.where()}. It cannot be undone.`,
      },
      'Delete',
    );
    if (choice !== 'Delete') return DISMISSED;
    return this.run('delete the key', async (client) => {
      const change = await unlinkKey(client, key, this.services.session.endpoint);
      if (change === 'gone') return this.gone(name);
      await this.services.keyBrowser.keyChanged(key, 'deleted');
      return this.info('done', `Deleted ${name}.`);
    });
  }

  async deleteNamespace(target: unknown): Promise<KeyOperationResult> {
    const refused = readOnlyRefusal('Delete Namespace');
    if (refused) return { outcome: 'refused', message: refused };
    const delimiter = this.delimiter();
    const path = await this.resolveNamespace(target, delimiter);
    if (!path) return DISMISSED;
    const prefix = namespacePrefix(path, delimiter);
    const prefixText = displayBytes(prefix);
    const scanCount = settings().scanCount;
    return this.run('delete the namespace', async (client) => {
      const endpoint = this.services.session.endpoint;
      const plan = await withLateProgress(`Counting keys (${prefixText}*)`, (report, signal) =>
        planNamespaceDeletion(client, prefix, {
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
          return deleteNamespaceKeys(client, plan, {
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
      if (result.cancelled) this.services.keyBrowser.requestRefresh();
      else this.services.keyBrowser.namespaceDeleted(path);
      const message = describeDeletion(result, prefixText);
      this.log.info(message);
      return { ...this.info(result.cancelled ? 'cancelled' : 'done', `${message}.`), deletion: result };
    });
  }

  /** Runs `action` on the shared connection; an error becomes one clear message. */
  private async run(what: string, action: (client: Redis) => Promise<KeyOperationResult>): Promise<KeyOperationResult> {
    let client: Redis | undefined;
    try {
      client = await this.services.session.client();
      return await action(client);
    } catch (error) {
      if (client && client.status !== 'ready') this.services.session.reset('connection lost');
      const failure =
        error instanceof Error && !(error instanceof RedisConnectionError) && client && client.status !== 'ready'
          ? new RedisConnectionError(
              'unreachable',
              this.where(),
              `dropped the connection (${error.message})`,
              'Check that the shared Redis is running, then try again.',
            )
          : error;
      return { outcome: 'failed', message: presentError(`Could not ${what}`, failure, this.log) };
    }
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
    const e = this.services.session.endpoint;
    return `${e.host}:${e.port}${e.db ? ` db ${e.db}` : ''}`;
  }

  private delimiter(): Buffer {
    const model = this.model();
    if (model) return model.delimiter;
    return delimiterBytes();
  }

  private model(): NamespaceModel | undefined {
    const state = this.services.keyBrowser.state;
    return state.kind === 'idle' ? undefined : state.model;
  }

  /** A KeyRow, a Buffer (exact bytes), a string (UTF-8 text) or `{ key: Buffer }`; else asks. */
  private async resolveKey(target: unknown, title: string): Promise<Buffer | undefined> {
    if (target instanceof KeyRow) return target.key.key;
    if (Buffer.isBuffer(target)) return target;
    if (target instanceof Uint8Array) return Buffer.from(target);
    if (typeof target === 'string' && target !== '') return Buffer.from(target, 'utf8');
    if (target && typeof target === 'object' && Buffer.isBuffer((target as { key?: unknown }).key)) {
      return (target as { key: Buffer }).key;
    }
    const names: BinaryString[] = [];
    walkNodes(this.model()?.root, (node) => {
      for (const name of node.names ?? []) {
        if (names.length >= MAX_PICKS) return false;
        names.push(name);
      }
      return names.length < MAX_PICKS;
    });
    const picked = await pickWithFreeText(
      title,
      'A key name from the Keys view, or type one (as UTF-8 text)',
      names.sort().map((id) => ({ label: displayBytes(id), id })),
    );
    return picked === undefined ? undefined : 'id' in picked ? fromBinary(picked.id) : Buffer.from(picked.text, 'utf8');
  }

  /** A NamespaceRow, a Buffer or string path (a trailing delimiter is dropped); else asks. Returns the path's bytes. */
  private async resolveNamespace(target: unknown, delimiter: Buffer): Promise<Buffer | undefined> {
    const trim = (bytes: Buffer): Buffer =>
      bytes.length > delimiter.length && bytes.subarray(bytes.length - delimiter.length).equals(delimiter)
        ? bytes.subarray(0, bytes.length - delimiter.length)
        : bytes;
    if (target instanceof NamespaceRow) return fromBinary(target.path);
    if (Buffer.isBuffer(target)) return trim(target);
    if (typeof target === 'string' && target !== '') return trim(Buffer.from(target, 'utf8'));
    const items: { label: string; description: string; id: BinaryString }[] = [];
    walkNodes(this.model()?.root, (node) => {
      if (!node.isRoot) {
        items.push({ label: displayBytes(node.path), description: formatKeyCount(node.count), id: node.path });
      }
      return items.length < MAX_PICKS;
    });
    const picked = await pickWithFreeText(
      'Delete which namespace?',
      `A namespace (the delimiter ${displayBytes(toBinary(delimiter))} is added), or type one`,
      items,
    );
    if (picked === undefined) return undefined;
    return 'id' in picked ? fromBinary(picked.id) : trim(Buffer.from(picked.text, 'utf8'));
  }
}

/** Visits nodes depth-first until `visit` returns false. */
function walkNodes(node: NamespaceNode | undefined, visit: (node: NamespaceNode) => boolean): boolean {
  if (!node) return true;
  if (!visit(node)) return false;
  for (const child of node.childNamespaces('name')) if (!walkNodes(child, visit)) return false;
  return true;
}

type Choice<T> = T | { readonly text: string };

/** A QuickPick of known names that also takes what is typed. */
function pickWithFreeText<T extends { label: string; id: BinaryString }>(
  title: string,
  placeHolder: string,
  items: T[],
): Promise<Choice<T> | undefined> {
  return new Promise((resolve) => {
    type Item = vscode.QuickPickItem & { readonly choice: Choice<T> };
    const known: Item[] = items.map((item) => ({ ...item, choice: item }));
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = title;
    quickPick.placeholder = placeHolder;
    quickPick.matchOnDescription = true;
    quickPick.items = known;
    let done = false;
    const finish = (value: Choice<T> | undefined): void => {
      if (done) return;
      done = true;
      resolve(value);
      quickPick.dispose();
    };
    quickPick.onDidChangeValue((value) => {
      const typed: Item[] =
        value !== '' && !known.some((item) => item.label === value)
          ? [{ label: value, description: 'as typed', alwaysShow: true, choice: { text: value } }]
          : [];
      quickPick.items = [...typed, ...known];
    });
    quickPick.onDidAccept(() =>
      finish(quickPick.selectedItems[0]?.choice ?? (quickPick.value ? { text: quickPick.value } : undefined)),
    );
    quickPick.onDidHide(() => finish(undefined));
    quickPick.show();
  });
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
