import * as vscode from 'vscode';
import { OPERATOR_DENIED_COMMANDS, OPERATOR_USER, SHARED_NAMESPACE } from '../redis/acl/rules';
import type { StackSnapshot } from '../stackService';

/** The Stack view's "Redis users" row: the stack's users.acl in words. */
export class UsersRow {
  constructor(
    readonly users: readonly UserRow[],
    readonly aclFile: string,
    readonly envFile: string,
  ) {}
}

/**
 * One user of the stack's users.acl. `service` is the namespace of a service user, so the
 * row passed to `sharedRedis.serviceConnection` by an inline action names its service.
 */
export class UserRow {
  constructor(
    readonly parent: UsersRow | undefined,
    readonly username: string,
    readonly kind: 'operator' | 'service' | 'missing',
    readonly service: string | undefined,
    /** The service user is in `.env` but not yet in users.acl (the next start or Add Service Users writes it). */
    readonly pending: boolean,
    readonly envKey: string,
  ) {}
}

/**
 * The users of a running stack whose compose file mounts users.acl (the snapshot read them
 * once per refresh): the operator, each service user, and declared namespaces whose service
 * has no user yet. Only names: the passwords stay in `.env`.
 */
export function stackUsersRow(snapshot: StackSnapshot): UsersRow | undefined {
  const stackUsers = snapshot.users;
  if (!stackUsers) return undefined;
  const users: UserRow[] = [];
  const row = new UsersRow(users, stackUsers.aclFile, stackUsers.envFile);
  users.push(new UserRow(row, OPERATOR_USER, 'operator', undefined, false, 'REDIS_PASSWORD'));
  for (const user of stackUsers.services) {
    users.push(new UserRow(row, user.username, 'service', user.namespace, !user.loaded, user.envKey));
  }
  for (const user of stackUsers.missing) {
    users.push(new UserRow(row, user.username, 'missing', user.namespace, false, user.envKey));
  }
  return row;
}

export function usersTreeItem(row: UsersRow): vscode.TreeItem {
  const services = row.users.filter((u) => u.kind === 'service').length;
  const missing = row.users.filter((u) => u.kind === 'missing').length;
  const item = new vscode.TreeItem('Redis users', vscode.TreeItemCollapsibleState.Collapsed);
  item.id = 'users';
  item.description = `operator + ${services} service${services === 1 ? '' : 's'}${missing > 0 ? ` · ${missing} to add` : ''}`;
  item.iconPath = new vscode.ThemeIcon(
    missing > 0 ? 'warning' : 'shield',
    missing > 0 ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined,
  );
  item.contextValue = 'serviceUsers';
  item.tooltip = new vscode.MarkdownString()
    .appendMarkdown("**The stack's Redis users** (Redis ACL)\n\n")
    .appendMarkdown('Each service logs in as its own user and may touch only its own namespace. ')
    .appendMarkdown('**Verify Namespace Isolation** proves it on the running server.\n\n')
    .appendMarkdown(`Users: \`${row.aclFile}\` · passwords: \`${row.envFile}\``);
  return item;
}

export function userTreeItem(row: UserRow, delimiter: string): vscode.TreeItem {
  const item = new vscode.TreeItem(row.username, vscode.TreeItemCollapsibleState.None);
  item.id = `user:${row.username}`;
  const tooltip = new vscode.MarkdownString();
  if (row.kind === 'operator') {
    item.description = 'this extension · every key';
    item.iconPath = new vscode.ThemeIcon('key');
    tooltip.appendMarkdown(
      `**${row.username}**: the extension's user. Every key and command except ${OPERATOR_DENIED_COMMANDS.map((c) => `\`${c.toUpperCase()}\``).join(', ')}.`,
    );
  } else if (row.kind === 'missing') {
    item.description = 'not created yet';
    item.iconPath = new vscode.ThemeIcon('person-add', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    item.contextValue = 'serviceUser.missing';
    item.command = { command: 'sharedRedis.addServiceUsers', title: 'Add Service Users', arguments: [[row.service]] };
    tooltip.appendMarkdown(
      `**${row.username}**: \`${row.service ?? ''}\` is a declared namespace without its user. Click to add it (a generated password in \`.env\`, then \`ACL LOAD\`: no restart).`,
    );
  } else {
    const own = `${row.service ?? ''}${delimiter}*`;
    const reads = row.service === SHARED_NAMESPACE ? '' : ` · reads ${SHARED_NAMESPACE}${delimiter}*`;
    item.description = `${own}${reads}${row.pending ? ' · not loaded yet' : ''}`;
    item.iconPath = new vscode.ThemeIcon(row.pending ? 'person' : 'account');
    item.contextValue = 'serviceUser';
    tooltip
      .appendMarkdown(
        `**${row.username}**: reads and writes \`${own}\` keys and channels${reads ? `, reads \`${SHARED_NAMESPACE}${delimiter}*\`` : ''}; no dangerous or admin command.\n\n`,
      )
      .appendMarkdown(
        `Password: \`${row.envKey}\` in the stack's \`.env\`. **Copy Service Connection** puts the service's \`.env\` lines on the clipboard.`,
      );
    if (row.pending) tooltip.appendMarkdown('\n\n_Not in users.acl yet: the next start of the stack writes it._');
  }
  item.tooltip = tooltip;
  return item;
}
