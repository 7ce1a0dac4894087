import * as vscode from 'vscode';
import type { TreeViews } from './earlyTreeView';
import type { CheckId, CheckReport, Finding, Severity } from '../redis/checks';
import { percent } from '../redis/checks';
import { displayBytes, formatBytes, formatKeyCount, groupThousands } from '../redis/keyspace';
import type { ChecksRunner } from '../checksRunner';
import { rowKey } from './rowKey';

/** The first row: how many problems, or none, or what stopped the run. */
export class StatusRow {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly description: string,
    readonly icon: vscode.ThemeIcon,
    readonly tooltip: string,
    readonly command?: vscode.Command,
  ) {}
}

/** One check, with its findings (and what it looked at) below. */
export class CheckRow {
  constructor(readonly check: CheckId) {}
}

/** A problem a check found. `contextValue` `check.finding.<check>` carries its quick actions. */
export class FindingRow {
  constructor(readonly finding: Finding) {}
}

/** What a check looked at without finding a problem (memory figures, a clean cache namespace). */
export class InfoRow {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly description: string,
    readonly tooltip: string,
    readonly contextValue: string,
    readonly children: readonly InfoRow[] = [],
    readonly icon: vscode.ThemeIcon = INFO_ICON,
  ) {}
}

/** An example key of a finding: a click opens it. */
export class ExampleRow {
  constructor(
    readonly parent: FindingRow,
    readonly key: Buffer,
  ) {}
}

export type ChecksRow = StatusRow | CheckRow | FindingRow | InfoRow | ExampleRow;

const CHECK_TITLES: Record<CheckId, string> = {
  undeclared: 'Keys outside declared namespaces',
  cacheTtl: 'Cache keys without a TTL',
  memory: 'Memory',
  slowLog: 'Slow commands from services',
  deniedAccesses: 'Denied accesses',
  clusterSlots: 'Cluster advice: keys used together across hash slots',
};
const CHECKS: readonly CheckId[] = ['undeclared', 'cacheTtl', 'memory', 'slowLog', 'deniedAccesses', 'clusterSlots'];
/** What a click on a finding of these checks opens. */
const FINDING_COMMANDS: Partial<Record<CheckId, vscode.Command>> = {
  memory: { command: 'sharedRedis.info', title: 'Show Server Info' },
  slowLog: { command: 'sharedRedis.showSlowLog', title: 'Show Slow Log' },
  deniedAccesses: { command: 'sharedRedis.showDeniedAccesses', title: 'Show Denied Accesses' },
};
const INFO_ICON = new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
const PASS_ICON = new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));

function severityIcon(severity: Severity): vscode.ThemeIcon {
  if (severity === 'error') return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  if (severity === 'warning') {
    return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  }
  return INFO_ICON;
}

/**
 * The Checks view, a Problems-style list: a summary row (`No problems found` or `3
 * problems`), then one row per check with its findings (warning or error icons,
 * tooltips with what is wrong and examples) and what it looked at (info icons). The
 * findings' inline actions open the keys, set a TTL on the keys without one, or open
 * the INFO view. The view's badge counts the problems.
 */
export class ChecksView implements vscode.TreeDataProvider<ChecksRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ChecksRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<ChecksRow>;
  private current: CheckReport | undefined;
  private failure: string | undefined;
  private running = false;

  private readonly subscription: vscode.Disposable;

  constructor(checks: ChecksRunner, trees: TreeViews) {
    this.view = trees.treeView('sharedRedis.checks', this);
    this.subscription = checks.onDidChange((event) => {
      if (event.kind === 'running') this.setRunning(event.running);
      else if (event.kind === 'report') this.setReport(event.report);
      else this.setFailure(event.message);
    });
  }

  get report(): CheckReport | undefined {
    return this.current;
  }

  /** A run started: the rows stay until it ends. */
  setRunning(running: boolean): void {
    this.running = running;
    this.view.message = running && !this.current ? 'Checking the keyspace…' : '';
    if (this.current) this.changed.fire(undefined);
  }

  setReport(report: CheckReport): void {
    this.current = report;
    this.failure = undefined;
    const problems = report.findings.length;
    this.view.badge =
      problems > 0
        ? { value: problems, tooltip: `${problems} ${problems === 1 ? 'problem' : 'problems'} found by the checks` }
        : undefined;
    this.view.description = `checked ${report.checkedAt.toLocaleTimeString()}`;
    this.changed.fire(undefined);
  }

  /** The run failed as a whole (Redis unreachable, the walk failed): said in the first row, the last report stays below. */
  setFailure(message: string): void {
    this.failure = message;
    this.changed.fire(undefined);
  }

  getParent(row: ChecksRow): ChecksRow | undefined {
    if (row instanceof FindingRow) return new CheckRow(row.finding.check);
    if (row instanceof ExampleRow) return row.parent;
    return undefined;
  }

  getChildren(row?: ChecksRow): ChecksRow[] {
    const report = this.current;
    if (!row) {
      const rows: ChecksRow[] = [];
      if (this.failure) {
        rows.push(
          new StatusRow(
            'status:failed',
            'The checks could not run',
            this.failure,
            new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
            this.failure,
            { command: 'sharedRedis.checkNamespaces', title: 'Retry' },
          ),
        );
      }
      if (!report) return rows;
      const problems = report.findings.length;
      const failed = Object.keys(report.errors).length;
      const summary =
        problems === 0
          ? failed > 0
            ? 'No problems found by the checks that ran'
            : 'No problems found'
          : `${problems} ${problems === 1 ? 'problem' : 'problems'} found`;
      rows.push(
        new StatusRow(
          'status:summary',
          summary,
          this.running
            ? 'checking again…'
            : `${formatKeyCount(report.keys)} · ${report.checkedAt.toLocaleTimeString()}`,
          problems > 0
            ? severityIcon(report.findings.some((f) => f.severity === 'error') ? 'error' : 'warning')
            : PASS_ICON,
          `Checked ${formatKeyCount(report.keys)} at ${report.checkedAt.toLocaleString()}.${failed > 0 ? ` ${failed} ${failed === 1 ? 'check' : 'checks'} failed: see below.` : ''}`,
        ),
      );
      return [...rows, ...CHECKS.map((check) => new CheckRow(check))];
    }
    if (!report) return [];
    if (row instanceof CheckRow) return this.checkChildren(report, row.check);
    if (row instanceof FindingRow) {
      const children: ChecksRow[] = row.finding.examples.map((key) => new ExampleRow(row, key));
      const more = (row.finding.count ?? 0) - row.finding.examples.length;
      if (row.finding.examples.length > 0 && more > 0) {
        children.push(
          new InfoRow(
            `${row.finding.id}:more`,
            `… and ${groupThousands(more)} more`,
            '',
            'Open the keys to see them all.',
            'check.more',
            [],
            new vscode.ThemeIcon('ellipsis'),
          ),
        );
      }
      return children;
    }
    if (row instanceof InfoRow) return [...row.children];
    return [];
  }

  private checkChildren(report: CheckReport, check: CheckId): ChecksRow[] {
    const error = report.errors[check];
    if (error) {
      return [
        new StatusRow(
          `error:${check}`,
          'The check failed',
          error,
          new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
          error,
          { command: 'sharedRedis.checkNamespaces', title: 'Retry' },
        ),
      ];
    }
    const rows: ChecksRow[] = report.findings.filter((f) => f.check === check).map((f) => new FindingRow(f));
    if (check === 'undeclared' && report.undeclared?.skipped) {
      rows.push(
        new InfoRow(
          'info:undeclared:skipped',
          'Not checked',
          report.undeclared.skipped,
          report.undeclared.skipped,
          'check.info',
        ),
      );
    }
    if (check === 'cacheTtl') {
      const caches = report.cacheTtl ?? [];
      if (caches.length === 0) {
        rows.push(
          new InfoRow(
            'info:cacheTtl:none',
            'No namespace is declared as a cache',
            'setting sharedRedis.namespaces',
            'Add "cache": true to a namespace of the setting sharedRedis.namespaces to check that its keys expire.',
            'check.info',
          ),
        );
      }
      for (const ns of caches) {
        if (ns.withoutTtl > 0) continue;
        const name = displayBytes(ns.path);
        if (!ns.exact) {
          rows.push(
            new InfoRow(
              `info:cacheTtl:${rowKey(ns.path)}`,
              name,
              `all ${formatKeyCount(ns.keys)} looked at expire`,
              `${name} is declared as a cache. The check stopped after ${groupThousands(ns.scanCalls)} SCAN calls: every one of the ${formatKeyCount(ns.keys)} it looked at has a TTL, the rest were not looked at. Check Namespaces looks further.`,
              'check.info',
              [],
              INFO_ICON,
            ),
          );
          continue;
        }
        rows.push(
          new InfoRow(
            `info:cacheTtl:${rowKey(ns.path)}`,
            name,
            ns.keys === 0 ? 'empty' : `all ${formatKeyCount(ns.keys)} expire`,
            `${name} is declared as a cache; ${ns.keys === 0 ? 'it holds no keys' : `every one of its ${formatKeyCount(ns.keys)} has a TTL`}.`,
            'check.info',
            [],
            PASS_ICON,
          ),
        );
      }
    }
    if (check === 'memory' && report.memory) rows.push(...memoryRows(report));
    if (rows.length === 0) {
      rows.push(
        new InfoRow(`info:${check}:clean`, 'No problems found', '', 'Nothing to report.', 'check.info', [], PASS_ICON),
      );
    }
    return rows;
  }

  getTreeItem(row: ChecksRow): vscode.TreeItem {
    if (row instanceof StatusRow) {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
      item.id = row.id;
      item.description = row.description;
      item.iconPath = row.icon;
      item.tooltip = row.tooltip;
      item.contextValue = 'check.status';
      if (row.command) item.command = row.command;
      return item;
    }
    if (row instanceof CheckRow) {
      const report = this.current;
      const findings = report?.findings.filter((f) => f.check === row.check) ?? [];
      const error = report?.errors[row.check];
      const item = new vscode.TreeItem(
        CHECK_TITLES[row.check],
        findings.length > 0 || error
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = `check:${row.check}`;
      item.description = error
        ? 'failed'
        : findings.length === 0
          ? 'no problems'
          : describeFindings(row.check, findings);
      item.iconPath = error
        ? severityIcon('error')
        : findings.length > 0
          ? severityIcon(findings.some((f) => f.severity === 'error') ? 'error' : 'warning')
          : PASS_ICON;
      item.contextValue = `check.${row.check}`;
      item.tooltip = CHECK_TOOLTIPS[row.check];
      return item;
    }
    if (row instanceof FindingRow) {
      const f = row.finding;
      const item = new vscode.TreeItem(
        f.label,
        f.examples.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
      );
      item.id = `finding:${rowKey(f.id)}`;
      item.description = f.description;
      item.iconPath = severityIcon(f.severity);
      item.contextValue = `check.finding.${f.check}`;
      const tooltip = new vscode.MarkdownString();
      tooltip.appendMarkdown(
        `**${escapeMarkdown(f.label)}**: ${escapeMarkdown(f.description)}\n\n${escapeMarkdown(f.detail)}`,
      );
      if (f.examples.length > 0) {
        tooltip.appendMarkdown(
          `\n\nFor example: ${f.examples.map((key) => `\`${displayBytes(key, { maxLength: 80 }).replace(/`/g, "'")}\``).join(', ')}`,
        );
      }
      item.tooltip = tooltip;
      const command = FINDING_COMMANDS[f.check];
      if (command) item.command = command;
      return item;
    }
    if (row instanceof ExampleRow) {
      const item = new vscode.TreeItem(displayBytes(row.key, { maxLength: 120 }), vscode.TreeItemCollapsibleState.None);
      item.id = `example:${rowKey(row.parent.finding.id)}:${rowKey(row.key.toString('latin1'))}`;
      item.iconPath = new vscode.ThemeIcon('key');
      item.tooltip = `${displayBytes(row.key, { maxLength: 1000 })}\n\nClick to open the key.`;
      item.contextValue = 'check.example';
      item.command = { command: 'sharedRedis.inspectKey', title: 'Inspect Key', arguments: [row.key] };
      return item;
    }
    const item = new vscode.TreeItem(
      row.label,
      row.children.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = row.icon;
    item.contextValue = row.contextValue;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.view.dispose();
    this.changed.dispose();
  }
}

const CHECK_TOOLTIPS: Record<CheckId, string> = {
  undeclared:
    "Keys whose name starts with no namespace of the setting sharedRedis.namespaces, per first segment: a service may have forgotten its prefix. Counts from the Keys view's walk.",
  cacheTtl:
    'Namespaces declared as caches ("cache": true in sharedRedis.namespaces) whose keys have no TTL: they never expire. Found with SCAN MATCH on the namespace (or the names the walk kept) and PTTL.',
  memory:
    'Used memory against maxmemory (or the setting sharedRedis.memoryBudget when maxmemory is 0), the eviction policy, and the namespaces that hold the most memory, from sampled MEMORY USAGE.',
  slowLog:
    "Commands a service's user ran over the server's slowlog-log-slower-than (SLOWLOG GET, the newest 128): while one runs, every other service waits. Reset Slow Log clears them.",
  deniedAccesses:
    "Accesses the ACL refused (ACL LOG): a service that tried another namespace's key, a command it may not run, or a wrong password. The proof that namespaces are enforced, and the fastest way to find a service that forgot its prefix.",
  clusterSlots:
    "Keys of one id that differ only in their last segment (auth:42:session, auth:42:tokens) are one entity's data, used together; on a Redis Cluster they land in different hash slots and a multi-key command or transaction over them fails with CROSSSLOT. A hash tag (auth:{42}:session) keeps them in one slot. Found with a bounded SCAN of every key.",
};

function describeFindings(check: CheckId, findings: readonly Finding[]): string {
  if (check === 'memory') return findings[0]?.description ?? '';
  if (check === 'slowLog' || check === 'deniedAccesses') {
    const times = findings.reduce((sum, f) => sum + (f.count ?? 0), 0);
    const what =
      check === 'slowLog' ? (times === 1 ? 'slow command' : 'slow commands') : times === 1 ? 'refusal' : 'refusals';
    return `${findings.length} ${findings.length === 1 ? 'user' : 'users'} · ${groupThousands(times)} ${what}`;
  }
  const keys = findings.reduce((sum, f) => sum + (f.count ?? 0), 0);
  const inexact = findings.some((f) => f.countExact === false);
  return `${findings.length} ${findings.length === 1 ? 'namespace' : 'namespaces'} · ${inexact ? '≥ ' : ''}${formatKeyCount(keys)}`;
}

function memoryRows(report: CheckReport): InfoRow[] {
  const m = report.memory;
  if (!m) return [];
  const rows: InfoRow[] = [];
  const limit =
    m.limitSource === 'maxmemory'
      ? 'maxmemory'
      : m.limitSource === 'budget'
        ? 'budget (sharedRedis.memoryBudget)'
        : undefined;
  rows.push(
    new InfoRow(
      'info:memory:used',
      m.node === undefined ? 'Used memory' : `Used memory · ${m.node} (the fullest node)`,
      m.limitBytes !== undefined && m.share !== undefined
        ? `${formatBytes(m.usedBytes)} of ${formatBytes(m.limitBytes)} ${limit} (${percent(m.share)})`
        : `${formatBytes(m.usedBytes)} · no maxmemory, no budget`,
      limit
        ? `INFO memory used_memory against the ${limit}; a warning from ${percent(m.warnAt)} (setting sharedRedis.memoryWarningPercent).`
        : 'maxmemory is 0 and the setting sharedRedis.memoryBudget is empty: there is no limit to check against.',
      'check.memory',
    ),
  );
  rows.push(
    new InfoRow(
      'info:memory:policy',
      'Eviction policy',
      m.policy ?? 'unknown',
      m.policy === 'noeviction'
        ? 'noeviction: when memory is full, writes fail with an OOM error.'
        : `maxmemory-policy ${m.policy ?? 'unknown'}: ${m.policy?.startsWith('volatile') ? 'only keys with a TTL are evicted when memory is full.' : 'keys are evicted when memory is full.'}`,
      'check.memory',
    ),
  );
  if (m.evictedKeys !== undefined && m.evictedKeys > 0) {
    rows.push(
      new InfoRow(
        'info:memory:evicted',
        'Evicted keys',
        groupThousands(m.evictedKeys),
        'INFO stats evicted_keys: keys Redis removed to stay under maxmemory since it started.',
        'check.memory',
      ),
    );
  }
  if (m.topNamespaces.length > 0) {
    rows.push(
      new InfoRow(
        'info:memory:top',
        'Largest namespaces',
        'sampled',
        'The top-level namespaces holding the most memory, among the 20 with the most keys: MEMORY USAGE of up to 50 keys per namespace, sampled with a bounded SCAN MATCH (≈ marks an estimate).',
        'check.memory',
        m.topNamespaces.map(
          (ns) =>
            new InfoRow(
              `info:memory:top:${rowKey(ns.name)}`,
              ns.name,
              `${ns.exact ? '' : '≈ '}${formatBytes(ns.bytes)} · ${formatKeyCount(ns.keys)}`,
              `${ns.name}: ${ns.exact ? '' : 'about '}${formatBytes(ns.bytes)} in ${formatKeyCount(ns.keys)} (${groupThousands(ns.sampled)} sampled).`,
              'check.memory.namespace',
              [],
              new vscode.ThemeIcon('database'),
            ),
        ),
      ),
    );
  }
  return rows;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
