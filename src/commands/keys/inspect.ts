import * as vscode from 'vscode';
import { bytesOf, displayBytes, NamespaceNode } from '../../redis/keyspace';
import type { CommandHandler, ExtensionServices } from '../context';
import { keyDocumentUri, KEY_SCHEME } from '../../views/keyDocument';

/** The most key names the palette's picker offers (the walk may hold many more). */
const MAX_PICK_NAMES = 5000;

/** What `sharedRedis.inspectKey` accepts: a Keys view row, a key name (UTF-8), exact bytes. */
type InspectArgument = { readonly key: { readonly key: Buffer } } | string | Buffer | Uint8Array | undefined;

/**
 * `sharedRedis.inspectKey` (a key row's click, its context menu, or the palette, which
 * asks for the key) opens the key's read-only document and resolves to its URI string
 * (undefined when the picker was dismissed). `sharedRedis.loadMoreValue` and
 * `sharedRedis.refreshKeyDocument` act on the given or active key document and resolve
 * to its new text.
 */
export function keyInspectionCommands(
  services: ExtensionServices,
): Record<'inspectKey' | 'loadMoreValue' | 'refreshKeyDocument', CommandHandler> {
  const { session, keyDocuments: documents } = services;

  const targetUri = (uri: unknown): vscode.Uri | undefined => {
    if (uri instanceof vscode.Uri && uri.scheme === KEY_SCHEME) return uri;
    const active = vscode.window.activeTextEditor?.document.uri;
    return active?.scheme === KEY_SCHEME ? active : undefined;
  };

  const inspect = async (argument?: InspectArgument): Promise<string | undefined> => {
    const key = keyOf(argument) ?? (await pickKey(services));
    if (key === undefined) return undefined;
    const uri = keyDocumentUri(key, session.endpoint);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // Already open: read it again rather than show what was read before.
    if (open) await documents.refresh(uri);
    const document = open ?? (await vscode.workspace.openTextDocument(uri));
    const language = documents.rendered(uri)?.language;
    const shown =
      language && document.languageId !== language
        ? await vscode.languages.setTextDocumentLanguage(document, language)
        : document;
    await vscode.window.showTextDocument(shown, { preview: true });
    return uri.toString();
  };

  return {
    inspectKey: inspect,
    loadMoreValue: async (uri?: unknown) => {
      const target = targetUri(uri);
      return target ? documents.loadMore(target) : undefined;
    },
    refreshKeyDocument: async (uri?: unknown) => {
      const target = targetUri(uri);
      return target ? documents.refresh(target) : undefined;
    },
  };
}

function keyOf(argument: unknown): Buffer | undefined {
  if (typeof argument === 'string') return bytesOf(argument);
  if (Buffer.isBuffer(argument)) return argument;
  if (argument instanceof Uint8Array) return Buffer.from(argument);
  const row = argument as { key?: { key?: unknown } } | undefined;
  if (row && typeof row === 'object' && row.key && Buffer.isBuffer(row.key.key)) return row.key.key;
  return undefined;
}

interface KeyPick extends vscode.QuickPickItem {
  readonly bytes: Buffer;
}

/** A picker of the key names the last walk holds, or any name typed (taken as UTF-8). */
async function pickKey(services: ExtensionServices): Promise<Buffer | undefined> {
  const state = services.keyBrowser.state;
  const names: Buffer[] = [];
  const visit = (node: NamespaceNode): void => {
    for (const name of node.directKeyNames() ?? []) {
      if (names.length >= MAX_PICK_NAMES) return;
      names.push(name);
    }
    for (const child of node.childNamespaces()) {
      if (names.length >= MAX_PICK_NAMES) return;
      visit(child);
    }
  };
  if (state.kind !== 'idle' && state.model) visit(state.model.root);
  const known: KeyPick[] = names.map((bytes) => ({ label: displayBytes(bytes), bytes }));
  const pick = vscode.window.createQuickPick<KeyPick>();
  pick.title = 'Inspect Key';
  pick.placeholder = known.length > 0 ? 'Pick a key, or type its full name' : 'Type the full name of the key';
  pick.items = known;
  return new Promise<Buffer | undefined>((resolve) => {
    pick.onDidChangeValue((value) => {
      const typed =
        value.length > 0 && !known.some((item) => item.label === value)
          ? [{ label: value, description: 'inspect this name', alwaysShow: true, bytes: Buffer.from(value, 'utf8') }]
          : [];
      pick.items = [...typed, ...known];
    });
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0] ?? pick.activeItems[0];
      resolve(chosen?.bytes ?? (pick.value ? Buffer.from(pick.value, 'utf8') : undefined));
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}
