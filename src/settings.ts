import * as vscode from 'vscode';
import type { RedisEndpoint, RedisTlsSettings } from './redis/endpoint';
import { parseSentinelSettings } from './redis/sentinel/config';
import { expandSettingPath } from './redis/settingPath';
import {
  changedSettings,
  readSettings,
  REDIS_CONNECTION_SETTINGS,
  SettingKey,
  SettingProblem,
  SettingValues,
} from './settingsModel';

/** The settings' section: `sharedRedis.*`. */
export const SECTION = 'sharedRedis';

/** What changed: the keys whose effective value differs, and the values before and after. */
export interface SettingsChange {
  readonly keys: ReadonlySet<SettingKey>;
  readonly before: SettingValues;
  readonly after: SettingValues;
  affects(...keys: SettingKey[]): boolean;
  /** Any setting that decides which Redis we talk to and how. */
  readonly affectsRedisConnection: boolean;
}

/** The one reader of VS Code's configuration (the lint forbids `getConfiguration` elsewhere). */
function readNow(): ReturnType<typeof readSettings> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return readSettings(
    (key) => config.get<unknown>(key),
    (key) => {
      const inspected = config.inspect<unknown>(key);
      return [
        { scope: 'folder', value: inspected?.workspaceFolderValue },
        { scope: 'workspace', value: inspected?.workspaceValue },
        { scope: 'user', value: inspected?.globalValue },
      ] as const;
    },
  );
}

/**
 * Why nothing may connect now (a host, port or db invalid in the most specific scope that sets
 * it: any other value could be another server or database), or undefined.
 */
export function connectionBlocked(): string | undefined {
  return readNow().blocked?.message;
}

/**
 * The settings now, validated and defaulted. Read at each call (cheap), so a value
 * updated a moment ago is what the next command uses.
 */
export function settings(): SettingValues {
  return readNow().values;
}

/**
 * The value as typed when it breaks its rule (and so was replaced by its default), else
 * undefined: for writers that must refuse rather than use the default (users.acl).
 */
export function refusedSetting(key: SettingKey): unknown {
  const read = readNow();
  return read.problems.some((p) => p.key === key)
    ? vscode.workspace.getConfiguration(SECTION).get<unknown>(key)
    : undefined;
}

/** True when the user set `key` somewhere (user, workspace or folder settings), not left at its default. */
export function explicitlySet(key: SettingKey): boolean {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect(key);
  return (
    inspected?.globalValue !== undefined ||
    inspected?.workspaceValue !== undefined ||
    inspected?.workspaceFolderValue !== undefined
  );
}

/** The settings' namespace delimiter as bytes (never empty). */
export function delimiterBytes(): Buffer {
  return Buffer.from(settings().delimiter, 'utf8');
}

/** The Redis endpoint from settings. No password here: it is never a setting. */
export function readRedisEndpoint(values = settings()): RedisEndpoint {
  return {
    host: values.host,
    port: values.port,
    db: values.db,
    username: values.username || undefined,
    tls: values.tls,
    tlsSettings: readTlsSettings(values),
    sentinel: parseSentinelSettings(values.sentinels, values.sentinelMasterName),
  };
}

/**
 * The TLS settings: file paths with `${workspaceFolder}`, `${userHome}` and `~` expanded
 * (relative paths from the first workspace folder). The files are read when connecting.
 * Certificate checking is on unless `tlsVerifyCertificate` is explicitly false.
 */
export function readTlsSettings(values = settings()): RedisTlsSettings {
  const places = { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath };
  const path = (value: string): string | undefined => expandSettingPath(value, places);
  return {
    caFile: path(values.tlsCaFile),
    certFile: path(values.tlsCertFile),
    keyFile: path(values.tlsKeyFile),
    serverName: values.tlsServerName || undefined,
    verifyCertificate: values.tlsVerifyCertificate,
  };
}

/**
 * Watches the settings for the extension's lifetime: one change event with what changed,
 * and one message per invalid value (naming the setting, with a button to open it).
 */
export class SettingsWatcher implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SettingsChange>();
  readonly onDidChange = this.changed.event;
  private current: SettingValues;
  private blocked: SettingProblem | undefined;
  private shown = new Set<string>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly warn: (message: string) => void) {
    const { values, problems, blocked } = readNow();
    this.current = values;
    this.blocked = blocked;
    this.report(problems);
    this.publishContext();
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SECTION)) this.reread();
    });
  }

  get values(): SettingValues {
    return this.current;
  }

  private reread(): void {
    const { values, problems, blocked } = readNow();
    const before = this.current;
    this.current = values;
    this.report(problems);
    const keys = changedSettings(before, values);
    // Fixing a blocking value to the default changes no value, but lets the extension connect.
    if (blocked?.message !== this.blocked?.message) keys.add(this.blocked?.key ?? blocked?.key ?? 'db');
    this.blocked = blocked;
    if (keys.size === 0) return;
    if (keys.has('readOnly')) this.publishContext();
    this.changed.fire({
      keys,
      before,
      after: values,
      affects: (...which) => which.some((key) => keys.has(key)),
      affectsRedisConnection: REDIS_CONNECTION_SETTINGS.some((key) => keys.has(key)),
    });
  }

  /** The context key `sharedRedis.readOnly` (the menus' `when` clauses) follows the setting. */
  private publishContext(): void {
    void vscode.commands.executeCommand('setContext', 'sharedRedis.readOnly', this.current.readOnly);
  }

  /** Each problem once, until the setting is fixed (then it may be said again if broken again). */
  private report(problems: readonly SettingProblem[]): void {
    const now = new Set(problems.map((p) => p.message));
    for (const problem of problems) {
      if (this.shown.has(problem.message)) continue;
      this.warn(problem.message);
      void vscode.window.showWarningMessage(problem.message, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${problem.key}`);
      });
    }
    this.shown = now;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
