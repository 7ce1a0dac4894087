import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { RedisConnectionError } from '../../redis/errors';
import {
  BinaryString,
  displayBytes,
  formatKeyCount,
  fromBinary,
  NamespaceModel,
  NamespaceNode,
  toBinary,
} from '../../redis/keyspace';
import { delimiterBytes } from '../../settings';
import { KeyRow, NamespaceRow } from '../../views/keysView';
import type { ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { explainWithStack } from '../../redisNotReady';

/**
 * What the key commands share: which key or namespace a command is about (a row, bytes,
 * text, or a pick), and running on the shared connection with one message per failure.
 */

const MAX_PICKS = 5000;

/** The outcome every key command resolves to (see KeyOperationResult in operations.ts). */
export interface CommandFailure {
  readonly outcome: 'failed';
  readonly message: string;
}

/** Runs `action` on the shared connection; an error becomes one clear message. */
export async function runOnSession<T>(
  services: ExtensionServices,
  log: ExtensionServices['logger'],
  what: string,
  action: (client: Redis) => Promise<T>,
): Promise<T | CommandFailure> {
  let client: Redis | undefined;
  try {
    client = await services.session.client();
    return await action(client);
  } catch (error) {
    if (client && client.status !== 'ready') services.session.reset('connection lost');
    const failure =
      error instanceof Error && !(error instanceof RedisConnectionError) && client && client.status !== 'ready'
        ? new RedisConnectionError(
            'unreachable',
            whereOf(services),
            `dropped the connection (${error.message})`,
            'Check that the shared Redis is running, then try again.',
          )
        : error;
    return {
      outcome: 'failed',
      message: presentError(
        `Could not ${what}`,
        explainWithStack(failure, services.stack.snapshot, services.session.endpoint),
        log,
      ),
    };
  }
}

/** `host:port` (and ` db N`): the shared Redis a confirmation names. */
export function whereOf(services: ExtensionServices): string {
  const e = services.session.endpoint;
  return `${e.host}:${e.port}${e.db ? ` db ${e.db}` : ''}`;
}

export function modelOf(services: ExtensionServices): NamespaceModel | undefined {
  const state = services.keyBrowser.state;
  return state.kind === 'idle' ? undefined : state.model;
}

/** The delimiter the Keys view splits with (else the setting's). */
export function delimiterOf(services: ExtensionServices): Buffer {
  return modelOf(services)?.delimiter ?? delimiterBytes();
}

/** A KeyRow, a Buffer (exact bytes), a string (UTF-8 text) or `{ key: Buffer }`; else asks. */
export async function resolveKey(
  services: ExtensionServices,
  target: unknown,
  title: string,
): Promise<Buffer | undefined> {
  const given = keyOf(target);
  if (given) return given;
  const names: BinaryString[] = [];
  walkNodes(modelOf(services)?.root, (node) => {
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

/** The key a command argument names, without asking; undefined when it names none. */
export function keyOf(target: unknown): Buffer | undefined {
  if (target instanceof KeyRow) return target.key.key;
  if (Buffer.isBuffer(target)) return target;
  if (target instanceof Uint8Array) return Buffer.from(target);
  if (typeof target === 'string' && target !== '') return Buffer.from(target, 'utf8');
  if (target && typeof target === 'object' && Buffer.isBuffer((target as { key?: unknown }).key)) {
    return (target as { key: Buffer }).key;
  }
  return undefined;
}

/** A NamespaceRow, a Buffer or string path (a trailing delimiter is dropped); else asks. Returns the path's bytes. */
export async function resolveNamespace(
  services: ExtensionServices,
  target: unknown,
  delimiter: Buffer,
  title: string,
): Promise<Buffer | undefined> {
  const trim = (bytes: Buffer): Buffer =>
    bytes.length > delimiter.length && bytes.subarray(bytes.length - delimiter.length).equals(delimiter)
      ? bytes.subarray(0, bytes.length - delimiter.length)
      : bytes;
  if (target instanceof NamespaceRow) return fromBinary(target.path);
  if (Buffer.isBuffer(target)) return trim(target);
  if (typeof target === 'string' && target !== '') return trim(Buffer.from(target, 'utf8'));
  const items: { label: string; description: string; id: BinaryString }[] = [];
  walkNodes(modelOf(services)?.root, (node) => {
    if (!node.isRoot) {
      items.push({ label: displayBytes(node.path), description: formatKeyCount(node.count), id: node.path });
    }
    return items.length < MAX_PICKS;
  });
  const picked = await pickWithFreeText(
    title,
    `A namespace (the delimiter ${displayBytes(toBinary(delimiter))} is added), or type one`,
    items,
  );
  if (picked === undefined) return undefined;
  return 'id' in picked ? fromBinary(picked.id) : trim(Buffer.from(picked.text, 'utf8'));
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
