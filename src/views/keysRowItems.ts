import * as vscode from 'vscode';
import type { BinaryString } from '../redis/keyspace/binary';
import { displaySegment } from '../redis/keyspace/display';
import { formatKeyCount, groupThousands } from '../redis/keyspace/format';
import { ID_SEGMENT } from '../redis/keyspace/idSegment';
import { rowKey } from './rowKey';

/**
 * What a Keys view row looks like, for the view (keysView.ts) and for the rows the first
 * stage lists before the view has loaded (firstKeysRows.ts): the same id, label and
 * description, so that VS Code finds each row again when the view's own rows replace them.
 */

/**
 * The id of a row that belongs to a namespace (`path`) or to the root (undefined): "Counting…",
 * "Load more…" and the like. VS Code refuses a tree whose ids repeat, and any name may be a
 * namespace, "" (keys such as `:a`) and "root" too: the root's ids have no name part.
 */
export function scopedRowId(kind: string, path: BinaryString | undefined): string {
  return path === undefined ? `${kind}-root` : `${kind}:${rowKey(path)}`;
}

/** A namespace row: `auth` with `12 keys · Auth Service`; while a walk counts, `12 keys so far` or `counting…`. */
export function namespaceItem(
  path: BinaryString,
  segment: BinaryString,
  count: number,
  counting: boolean,
  declared: { readonly owner: string | undefined } | undefined,
): vscode.TreeItem {
  const item = new vscode.TreeItem(displaySegment(segment), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `ns:${rowKey(path)}`;
  // While the walk counts, a count is a lower bound: a declared namespace it has not reached
  // yet is not "0 keys".
  const counted = !counting ? formatKeyCount(count) : count === 0 ? 'counting…' : `${formatKeyCount(count)} so far`;
  // A namespace named {id} (a key template written as it was) beside an ids' `{id}` row: say which is which.
  const named = segment === ID_SEGMENT ? `${counted} · named {id}, not ids` : counted;
  item.description = declared?.owner ? `${named} · ${declared.owner}` : named;
  item.iconPath = new vscode.ThemeIcon(declared ? 'folder-library' : 'folder');
  return item;
}

/** The label of a namespace's own keys (or the root's) while a walk counts. */
export function keysHereSoFar(count: number): string {
  return `${groupThousands(count)} keys here so far…`;
}

/** A "Load more…" row's description: `200 of 4,210 namespaces shown`. */
export function shownOf(shown: number, total: number, what: 'keys' | 'namespaces'): string {
  return `${groupThousands(shown)} of ${groupThousands(total)}${what === 'namespaces' ? ' namespaces' : ''} shown`;
}
