import * as vscode from 'vscode';
import { describeFilter } from '../../keyBrowser';
import { KEY_TYPES, typeDisplayName } from '../../redis/keyspace';
import type { CommandHandler, ExtensionServices } from '../context';

interface IdGroupingRow {
  readonly idGrouping?: { readonly grouped: boolean; readonly toggle: () => void } | undefined;
  readonly grouping?: { readonly grouped: boolean; readonly toggle: () => void };
}

/** Switches the row's ids to the list (`fromGrouped`) or to `{id}`; true when it switched. */
function switchIds(row: IdGroupingRow | undefined, fromGrouped: boolean): boolean {
  const grouping = row?.idGrouping ?? row?.grouping;
  if (grouping?.grouped !== fromGrouped) return false;
  grouping.toggle();
  return true;
}

/**
 * `sharedRedis.refreshKeys`, `sharedRedis.filterKeys` and `sharedRedis.clearKeyFilter`. Each
 * resolves to the walk's end state. `sharedRedis.loadMoreKeys` is the `Load more…` row's;
 * `sharedRedis.showIdsAsList` / `sharedRedis.groupIds` switch a namespace between `{id}` and its ids.
 */
export function keyBrowsingCommands({
  keyBrowser: browser,
}: ExtensionServices): Record<
  'refreshKeys' | 'filterKeys' | 'clearKeyFilter' | 'loadMoreKeys' | 'showIdsAsList' | 'groupIds',
  CommandHandler
> {
  return {
    refreshKeys: async () => (await browser.refresh()).kind,
    // `{ prefill }` (a "not listed" row of the Keys view): asks, starting from that pattern.
    filterKeys: async (filter?: { match?: string; type?: string; prefill?: string }) => {
      const prefill = typeof filter?.prefill === 'string' ? filter.prefill : undefined;
      if (filter && typeof filter === 'object' && prefill === undefined) return (await browser.setFilter(filter)).kind;
      const current = browser.filter;
      const value = prefill ?? current.match ?? '';
      const match = await vscode.window.showInputBox({
        title: 'Filter keys (1/2): pattern',
        prompt: 'A glob as SCAN MATCH takes it: * any characters, ? one, [abc] a set, \\ escapes. Empty: every key.',
        value,
        // The cursor before the final `*` of a prefilled `user:*`, to type the ids' start.
        ...(prefill?.endsWith('*') ? { valueSelection: [value.length - 1, value.length - 1] as [number, number] } : {}),
        placeHolder: 'auth:session:*',
        validateInput: (value) => (/[\r\n]/.test(value) ? 'A pattern is one line: remove the line break.' : undefined),
      });
      if (match === undefined) return undefined;
      const any = { label: 'Any type', type: undefined as string | undefined };
      const picks = [
        any,
        ...KEY_TYPES.map((t) => ({
          label: typeDisplayName(t),
          description: t === 'zset' ? 'zset' : undefined,
          type: t as string | undefined,
        })),
      ];
      const type = await vscode.window.showQuickPick(picks, {
        title: 'Filter keys (2/2): type',
        placeHolder: current.type ? `Now: ${current.type}` : 'Any type',
      });
      if (type === undefined) return undefined;
      const state = await browser.setFilter({ match: match.trim() || undefined, type: type.type });
      return state.kind;
    },
    clearKeyFilter: async () => {
      if (!describeFilter(browser.filter)) return 'unfiltered';
      return (await browser.setFilter({})).kind;
    },
    // The row carries its own loader: the pages it extends are the view's.
    loadMoreKeys: async (row?: { load?: () => Promise<void> }) => {
      await row?.load?.();
    },
    // A namespace row whose children are mostly ids, or its `{id}` row: the row carries the switch.
    showIdsAsList: (row?: IdGroupingRow) => switchIds(row, true),
    groupIds: (row?: IdGroupingRow) => switchIds(row, false),
  };
}
