import * as vscode from 'vscode';
import type { RedisEndpoint, RedisTlsSettings } from './redis/endpoint';
import { requireDelimiter } from './redis/delimiter';
import { expandSettingPath } from './redis/tls';

export const SECTION = 'sharedRedis';

/** The Redis endpoint from settings. No password here: it is never a setting. */
export function readRedisEndpoint(config = vscode.workspace.getConfiguration(SECTION)): RedisEndpoint {
  const username = config.get<string>('username', '').trim();
  return {
    host: config.get<string>('host', '127.0.0.1').trim() || '127.0.0.1',
    port: config.get<number>('port', 6379),
    db: config.get<number>('db', 0),
    username: username || undefined,
    tls: config.get<boolean>('tls', false),
    tlsSettings: readTlsSettings(config),
  };
}

/**
 * The TLS settings: file paths with `${workspaceFolder}`, `${userHome}` and `~` expanded
 * (relative paths from the first workspace folder). The files are read when connecting.
 * Certificate checking is on unless `tlsVerifyCertificate` is explicitly false.
 */
export function readTlsSettings(config = vscode.workspace.getConfiguration(SECTION)): RedisTlsSettings {
  const places = { workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath };
  const path = (key: string): string | undefined => expandSettingPath(config.get<string>(key, ''), places);
  return {
    caFile: path('tlsCaFile'),
    certFile: path('tlsCertFile'),
    keyFile: path('tlsKeyFile'),
    serverName: config.get<string>('tlsServerName', '').trim() || undefined,
    verifyCertificate: config.get<boolean>('tlsVerifyCertificate', true) !== false,
  };
}

export function readDockerHost(config = vscode.workspace.getConfiguration(SECTION)): string | undefined {
  return config.get<string>('dockerHost', '').trim() || undefined;
}

/** The settings (under `sharedRedis.`) that decide which Redis we talk to and how. */
export const REDIS_CONNECTION_SETTINGS = ['host', 'port', 'db', 'username', 'tls', 'tlsCaFile', 'tlsCertFile', 'tlsKeyFile', 'tlsServerName', 'tlsVerifyCertificate'] as const;

/** True when a change touches any setting that decides which Redis we talk to. */
export function affectsRedisConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return REDIS_CONNECTION_SETTINGS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}

/**
 * `sharedRedis.delimiter`, by the one rule of {@link requireDelimiter}: the Keys tree, the
 * checks and users.acl see the same value, and a value none of them can use (empty, a
 * blank or control character) throws one message naming the setting.
 */
export function readDelimiter(config = vscode.workspace.getConfiguration(SECTION)): string {
  return requireDelimiter(config.get<unknown>('delimiter', ':'));
}
