import * as vscode from 'vscode';
import type { RedisEndpoint } from './redis/endpoint';

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
  };
}

export function readDockerHost(config = vscode.workspace.getConfiguration(SECTION)): string | undefined {
  return config.get<string>('dockerHost', '').trim() || undefined;
}

/** True when a change touches any setting that decides which Redis we talk to. */
export function affectsRedisConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return ['host', 'port', 'db', 'username', 'tls'].some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}
