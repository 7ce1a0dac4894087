import * as vscode from 'vscode';
import type { TreeViewId, TreeViews } from './earlyTreeView';
import type { ClientsMonitor, ClientsState } from '../clientsMonitor';
import type { ClientGroup, MissingService } from '../redis/observe/clientGroups';
import { ClientInfo, isExtensionConnection } from '../redis/observe/clientList';
import { formatDuration } from '../redis/serverInfo';

/** The connections of one ACL user. */
export class GroupRow {
  constructor(readonly group: ClientGroup) {}
}

/** One connection. `contextValue` `client` carries Kill Client…; the extension's own are `client.own`. */
export class ClientRow {
  constructor(
    readonly client: ClientInfo,
    readonly group: ClientGroup,
  ) {}

  get own(): boolean {
    return isExtensionConnection({ name: this.client.name, service: this.group.service });
  }
}

/** A declared service with no connection. */
export class MissingRow {
  constructor(readonly missing: MissingService) {}
}

/** `… 1,234 more connections not shown`. */
export class MoreRow {
  constructor(readonly group: ClientGroup) {}
}

export type ClientsRow = GroupRow | ClientRow | MissingRow | MoreRow;

export const CLIENTS_VIEW_ID: TreeViewId = 'sharedRedis.clients';

/**
 * The Clients view: who is connected, grouped by ACL user (= service), read again every
 * 2 s only while the view is visible (it tells the monitor when it shows and hides).
 */
export class ClientsView implements vscode.TreeDataProvider<ClientsRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ClientsRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<ClientsRow>;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly monitor: ClientsMonitor,
    trees: TreeViews,
  ) {
    this.view = trees.treeView(CLIENTS_VIEW_ID, this);
    this.subscriptions.push(
      this.changed,
      this.view.onDidChangeVisibility((event) => monitor.watch(event.visible)),
      monitor.onDidChange((state) => this.render(state)),
    );
    monitor.watch(this.view.visible);
  }

  private render(state: ClientsState): void {
    if (state.kind === 'failed') {
      this.view.message = state.missingRight
        ? `${state.missingRight.message} The list is not read again until the view is shown again.`
        : `Could not list the clients: ${state.message}`;
      this.view.description = '';
    } else if (state.kind === 'ready') {
      const { total, missing } = state.snapshot;
      this.view.message = '';
      this.view.description = `${total} ${total === 1 ? 'connection' : 'connections'}${missing.length > 0 ? ` · ${missing.length} not connected` : ''} · ${state.at.toLocaleTimeString()}`;
    } else if (state.kind === 'loading') {
      this.view.message = 'Listing the clients…';
    }
    this.changed.fire(undefined);
  }

  getParent(row: ClientsRow): ClientsRow | undefined {
    if (row instanceof ClientRow || row instanceof MoreRow) return new GroupRow(row.group);
    return undefined;
  }

  getChildren(row?: ClientsRow): ClientsRow[] {
    const state = this.monitor.state;
    if (state.kind !== 'ready') return [];
    if (!row) {
      return [
        ...state.snapshot.groups.map((group) => new GroupRow(group)),
        ...state.snapshot.missing.map((missing) => new MissingRow(missing)),
      ];
    }
    if (row instanceof GroupRow) {
      const rows: ClientsRow[] = row.group.clients.map((client) => new ClientRow(client, row.group));
      if (row.group.notShown > 0) rows.push(new MoreRow(row.group));
      return rows;
    }
    return [];
  }

  getTreeItem(row: ClientsRow): vscode.TreeItem {
    if (row instanceof GroupRow) return groupItem(row.group);
    if (row instanceof ClientRow) return clientItem(row);
    if (row instanceof MissingRow) {
      const item = new vscode.TreeItem(row.missing.user, vscode.TreeItemCollapsibleState.None);
      item.id = `missing:${row.missing.user}`;
      item.description = `${row.missing.service ? `${row.missing.service} · ` : ''}not connected`;
      item.tooltip = `No connection logs in as ${row.missing.user}${row.missing.service ? ` (${row.missing.service})` : ''}: the service is not running, or connects as another user.`;
      item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'clients.missing';
      return item;
    }
    const item = new vscode.TreeItem(
      `… ${row.group.notShown.toLocaleString('en-US')} more not shown`,
      vscode.TreeItemCollapsibleState.None,
    );
    item.id = `more:${row.group.user}`;
    item.tooltip = `${row.group.user} has ${row.group.count.toLocaleString('en-US')} connections; the ${row.group.clients.length} oldest are listed.`;
    item.iconPath = new vscode.ThemeIcon('ellipsis');
    item.contextValue = 'clients.more';
    return item;
  }

  dispose(): void {
    this.monitor.watch(false);
    this.subscriptions.forEach((s) => s.dispose());
    this.view.dispose();
  }
}

function groupItem(group: ClientGroup): vscode.TreeItem {
  const item = new vscode.TreeItem(group.user, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `group:${group.user}`;
  const idle =
    group.shortestIdleSeconds === group.longestIdleSeconds
      ? `idle ${formatDuration(group.longestIdleSeconds)}`
      : `idle ${formatDuration(group.shortestIdleSeconds)}–${formatDuration(group.longestIdleSeconds)}`;
  const own = group.own > 0 ? ` (${group.own === group.count ? 'this extension' : `${group.own} this extension`})` : '';
  item.description = `${group.service ? `${group.service} · ` : ''}${group.count} ${group.count === 1 ? 'connection' : 'connections'}${own} · oldest ${formatDuration(group.oldestAgeSeconds)} · ${idle}`;
  item.tooltip = `User ${group.user}${group.service ? `, the user of ${group.service}` : ''}: ${group.count} connections, the oldest opened ${formatDuration(group.oldestAgeSeconds)} ago; idle from ${formatDuration(group.shortestIdleSeconds)} to ${formatDuration(group.longestIdleSeconds)}.`;
  item.iconPath = new vscode.ThemeIcon(group.service ? 'server-process' : 'account');
  item.contextValue = group.service ? 'clients.service' : 'clients.user';
  return item;
}

function clientItem(row: ClientRow): vscode.TreeItem {
  const c = row.client;
  const item = new vscode.TreeItem(c.addr || `#${c.id}`, vscode.TreeItemCollapsibleState.None);
  // A client id is one node's counter: on a cluster the node makes the row's id unique.
  item.id = c.node === undefined ? `client:${c.id}` : `client:${c.node}:${c.id}`;
  const parts = [
    c.node === undefined ? undefined : `on ${c.node}${c.role === 'replica' ? ' (replica)' : ''}`,
    row.own ? `this extension (${c.name})` : c.name ? `"${c.name}"` : undefined,
    `db ${c.db}`,
    `age ${formatDuration(c.ageSeconds)}`,
    `idle ${formatDuration(c.idleSeconds)}`,
    c.lastCommand ? `last ${c.lastCommand.replace('|', ' ')}` : undefined,
  ].filter((p): p is string => p !== undefined);
  item.description = parts.join(' · ');
  item.tooltip = [
    `Client #${c.id} · user ${c.user}${row.group.service ? ` (${row.group.service})` : ''}`,
    `Address ${c.addr}${c.laddr ? ` → ${c.laddr}` : ''}${c.node ? ` (cluster ${c.role ?? 'master'} ${c.node})` : ''}`,
    `Name ${c.name || '(none)'}${row.own ? ' — a connection of this extension' : ''}`,
    `Database ${c.db}, open ${formatDuration(c.ageSeconds)}, idle ${formatDuration(c.idleSeconds)}`,
    `Last command ${c.lastCommand || '(none)'}, flags ${c.flags || '(none)'}`,
  ].join('\n');
  item.iconPath = new vscode.ThemeIcon(row.own ? 'vscode' : 'plug');
  item.contextValue = row.own ? 'client.own' : 'client';
  return item;
}
