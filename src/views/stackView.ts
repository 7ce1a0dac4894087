import * as vscode from 'vscode';
import type { TreeViews } from './earlyTreeView';
import { connectionBlocked, SettingsChange } from '../settings';
import { describeStatus, formatUptime, runOnceFailed, ServiceStatus } from '../docker/stack/status';
import { ClusterNodeView, clusterFormed } from '../docker/stack/clusterHealth';
import { stackFiles } from '../docker/stack/location';
import type { EnvFileFix } from '../docker/stack/checkoutEnv';
import { PASSWORDLESS_ADVICE, PasswordlessAccess, probePasswordlessAccess } from '../redis/hardening/passwordlessProbe';
import type { RedisEndpoint } from '../redis/endpoint';
import { namespacePolicy, StackService, StackSnapshot, stackState } from '../stackService';
import { stackUsersRow, UserRow, UsersRow, usersTreeItem, userTreeItem } from './stackUsers';

type StackRow = ServiceRow | ProblemRow | EnvFixRow | ExposureRow | UsersRow | UserRow;

/** Where the extension's Redis is (the session): what the passwordless probe asks. */
export interface RedisEndpointSource {
  readonly endpoint: RedisEndpoint;
  readonly onDidChangeEndpoint: vscode.Event<void>;
}

/** The warning at the top: the Redis we use is on the network and serves anyone without a password. */
class ExposureRow {
  constructor(readonly access: PasswordlessAccess & { kind: 'open' }) {}
}

class ServiceRow {
  constructor(
    readonly status: ServiceStatus,
    readonly snapshot: StackSnapshot,
  ) {}
}

/** A tree row for what stops the stack from being read, with the action that fixes it. */
class ProblemRow {
  constructor(
    readonly message: string,
    readonly fix: vscode.Command,
  ) {}
}

/** A checkout of the stack without its `.env` (checkoutEnv.ts): a step to take, with the click that takes it. */
class EnvFixRow {
  constructor(
    readonly fix: EnvFileFix,
    /** The compose file's own error, for the tooltip. */
    readonly cause: string,
  ) {}
}

/**
 * The Stack view: one row per compose service (`running · healthy · 127.0.0.1:6379`), then
 * the stack's Redis users (see stackUsers.ts).
 * Welcome content covers an unreachable engine and a stack that does not exist yet.
 * Rows are rebuilt only while the view is visible.
 */
export class StackView implements vscode.TreeDataProvider<StackRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<StackRow>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private stale = false;
  private access: PasswordlessAccess | undefined;
  private probes = 0;
  private probing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stack: StackService,
    settingsChanges: vscode.Event<SettingsChange>,
    trees: TreeViews,
    private readonly redis?: RedisEndpointSource,
  ) {
    this.view = trees.treeView('sharedRedis.stack', this);
    this.subscriptions.push(
      this.view,
      this.changed,
      stack.onDidChange(() => this.onStackChanged()),
      this.view.onDidChangeVisibility((e) => {
        if (!e.visible) return;
        void stack.refresh();
        void this.probe();
        if (this.stale) {
          this.stale = false;
          this.changed.fire();
        }
      }),
    );
    if (redis) {
      this.subscriptions.push(
        redis.onDidChangeEndpoint(() => void this.probe()),
        settingsChanges((change) => {
          if (change.affectsRedisConnection) void this.probe();
        }),
      );
      void this.probe();
    }
    this.describe(stack.snapshot);
  }

  /** The last passwordless-access probe's answer (undefined before the first one). */
  get passwordlessAccess(): PasswordlessAccess | undefined {
    return this.access;
  }

  /**
   * Asks once whether the Redis we use serves anyone without a password (see
   * probePasswordlessAccess): when it opens, when its endpoint or settings change and when
   * the view is shown again; never on a timer. Resolves when the answer is shown.
   */
  probe(): Promise<void> {
    const redis = this.redis;
    if (!redis) return Promise.resolve();
    // Invalid connection settings name no server: probing the fallback would ask one nobody named.
    if (connectionBlocked() !== undefined) {
      this.probes++; // an answer still on its way is dropped
      if (this.access) {
        this.access = undefined;
        this.onStackChanged();
      }
      return Promise.resolve();
    }
    const run = ++this.probes;
    const endpoint = redis.endpoint;
    this.probing = probePasswordlessAccess(endpoint).then(
      (access) => {
        if (run !== this.probes) return;
        const before = this.access;
        this.access = access;
        if (before?.kind !== access.kind || before.endpoint !== access.endpoint) this.onStackChanged();
      },
      () => undefined,
    );
    return this.probing;
  }

  private onStackChanged(): void {
    this.describe(this.stack.snapshot);
    if (this.view.visible) this.changed.fire();
    else this.stale = true;
  }

  private describe(snapshot: StackSnapshot): void {
    const state = stackState(snapshot);
    this.view.description =
      snapshot.busy ??
      (snapshot.project ? `${snapshot.project.name}${snapshot.location.source === 'bundled' ? ' (bundled)' : ''}` : '');
    this.view.badge = state === 'unhealthy' ? { value: 1, tooltip: 'The shared Redis is unhealthy' } : undefined;
  }

  getChildren(element?: StackRow): StackRow[] {
    if (element instanceof UsersRow) return [...element.users];
    if (element) return [];
    const access = this.access;
    const top: StackRow[] = access?.kind === 'open' ? [new ExposureRow(access)] : [];
    const snapshot = this.stack.snapshot;
    if (snapshot.engine !== 'reachable') return top;
    if (snapshot.envFix) return [...top, new EnvFixRow(snapshot.envFix, snapshot.projectError ?? '')];
    if (snapshot.projectError) {
      return [
        ...top,
        new ProblemRow(snapshot.projectError, { command: 'sharedRedis.openStackFile', title: 'Open Stack File' }),
      ];
    }
    const users = stackUsersRow(snapshot);
    return [...top, ...snapshot.services.map((s) => new ServiceRow(s, snapshot)), ...(users ? [users] : [])];
  }

  getTreeItem(row: StackRow): vscode.TreeItem {
    if (row instanceof UsersRow) return usersTreeItem(row);
    if (row instanceof UserRow) return userTreeItem(row, namespacePolicy().delimiter);
    if (row instanceof ExposureRow) {
      const item = new vscode.TreeItem(`Redis at ${row.access.endpoint} accepts commands without a password`);
      item.id = 'exposure';
      item.description = 'reachable from the network';
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.contextValue = 'exposure.passwordless';
      item.tooltip = new vscode.MarkdownString()
        .appendMarkdown(
          `**Redis at \`${row.access.endpoint}\` is not on this machine's loopback and answered PING without any password.**\n\n`,
        )
        .appendMarkdown(PASSWORDLESS_ADVICE)
        .appendMarkdown(
          '\n\n_Checked once with a separate connection that sends no credentials; checked again when the endpoint changes or this view is shown._',
        );
      return item;
    }
    if (row instanceof EnvFixRow) {
      const { fix } = row;
      const file = vscode.workspace.asRelativePath(fix.file);
      const item = new vscode.TreeItem(
        fix.exists ? `${file} has no ${fix.passwords.join(', ')}` : `${file} is missing`,
      );
      item.description = `click to ${fix.exists ? 'add' : 'create it with'} new passwords`;
      item.iconPath = new vscode.ThemeIcon('key', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.tooltip = new vscode.MarkdownString()
        .appendText(
          fix.exists
            ? `The stack's compose file needs ${fix.passwords.join(', ')}, which ${file} leaves empty or out.`
            : "This checkout has the stack's compose file but not its .env, which holds the passwords and is never committed.",
        )
        .appendMarkdown('\n\n')
        .appendText(row.cause)
        .appendMarkdown(
          fix.exists
            ? "\n\n_Click to write new passwords into those lines only (not when git tracks the file); every other line stays, the file becomes readable by you only, and it is added to the folder's .gitignore. Start then writes the stack's users from it._"
            : "\n\n_Click to write it with new passwords, readable by you only, and add it to the folder's .gitignore; Start then writes the stack's users from it. Nothing else is changed._",
        );
      item.command = {
        command: 'sharedRedis.createStack',
        title: fix.exists ? 'Add passwords to .env' : 'Create .env',
      };
      item.id = 'env-fix';
      return item;
    }
    if (row instanceof ProblemRow) {
      const item = new vscode.TreeItem(row.message.split('\n')[0] ?? row.message);
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.tooltip = new vscode.MarkdownString()
        .appendText(row.message)
        .appendMarkdown('\n\n_Click to open the stack file._');
      item.command = row.fix;
      item.id = 'problem';
      return item;
    }
    const { status, snapshot } = row;
    const item = new vscode.TreeItem(status.service);
    // A service may have two containers: scaled (`docker compose up --scale`), or while Start
    // keeps the old one renamed aside. VS Code refuses a tree whose ids repeat.
    const several = snapshot.services.filter((s) => s.service === status.service).length > 1;
    item.id = several ? `service:${status.service}:${status.containerId}` : `service:${status.service}`;
    const node = describeClusterNode(snapshot.cluster?.find((v) => v.service === status.service));
    const formed = clusterFormed(snapshot.cluster ?? []);
    const full = describeStatus(status, formed);
    item.description = `${several ? `${status.containerName} · ` : ''}${node ? nodeRow(node.row, status) : full}`;
    item.iconPath = iconFor(status, formed);
    item.contextValue = `service.${status.state}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${status.service}** — ${node ? `${node.full} · ${full}` : full}\n\n`);
    tooltip.appendMarkdown(`| | |\n|---|---|\n`);
    tooltip.appendMarkdown(`| Container | \`${status.containerName}\` |\n| Image | \`${status.image}\` |\n`);
    if (status.startedAt) tooltip.appendMarkdown(`| Up | ${formatUptime(status.startedAt)} |\n`);
    tooltip.appendMarkdown(
      `| Compose file | ${stackFiles(snapshot.location)
        .map((f) => `\`${f}\``)
        .join(', ')} |\n`,
    );
    item.tooltip = tooltip;
    item.command = { command: 'sharedRedis.showLogs', title: 'Show Logs', arguments: [status.service] };
    return item;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/**
 * A node's place in the cluster as it says itself: `master · slots 0-5460`, `replica of
 * redis-node-1`, and `cluster_state:fail` (or why it did not answer) when it is not ok. `row`
 * is the short form for the row (`master · 0-5460`), `full` the tooltip's.
 */
export function describeClusterNode(view: ClusterNodeView | undefined): { row: string; full: string } | undefined {
  if (!view) return undefined;
  if (view.state === undefined) {
    const unknown = `cluster state unknown (${view.error ?? 'no answer'})`;
    return { row: unknown, full: unknown };
  }
  const myself = view.nodes.find((n) => n.myself);
  const state = view.state === 'ok' ? [] : [`cluster_state:${view.state}`];
  if (!myself) return state.length > 0 ? { row: state.join(' · '), full: state.join(' · ') } : undefined;
  if (myself.role === 'replica') {
    const master = view.nodes.find((n) => n.id === myself.masterId);
    const role = [`replica of ${master?.name ?? myself.masterId ?? '?'}`, ...state].join(' · ');
    return { row: role, full: role };
  }
  const slots = myself.slots.length > 0 ? myself.slots.join(', ') : undefined;
  return {
    row: ['master', slots ?? 'no slots', ...state].join(' · '),
    full: ['master', slots ? `slots ${slots}` : 'no slots', ...state].join(' · '),
  };
}

/**
 * A node's row: its role and slots, and its state only when it is not healthy (the icon says
 * healthy). Six such rows stay whole in a side bar of the default width; the address
 * (`127.0.0.1:7001`) and the container's state in words are in the tooltip.
 */
function nodeRow(node: string, status: ServiceStatus): string {
  if (status.state === 'running' && (status.health === 'healthy' || status.health === undefined)) return node;
  return `${node} · ${status.state === 'running' ? (status.health ?? status.state) : status.state}`;
}

function iconFor(status: ServiceStatus, clusterFormed: boolean): vscode.ThemeIcon {
  if (status.runOnce && status.state === 'exited') {
    return runOnceFailed(status, clusterFormed)
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
      : new vscode.ThemeIcon('check');
  }
  if (status.health === 'unhealthy' || status.state === 'restarting' || status.state === 'dead') {
    return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  }
  if (status.state === 'running' && status.health === 'starting') return new vscode.ThemeIcon('loading~spin');
  if (status.state === 'running') {
    return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
  }
  return new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'));
}
