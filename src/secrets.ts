import * as vscode from 'vscode';
import { credentialKey, RedisEndpoint } from './redis/endpoint';

/** A user name (none: Redis's default user) and its password, as SecretStorage keeps them. */
export interface StoredCredentials {
  readonly username: string | undefined;
  readonly password: string;
}

/** Credentials live in SecretStorage, one entry per server (host and port), never in settings. */
export class RedisSecrets {
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly storage: vscode.SecretStorage) {
    this.onDidChange = storage.onDidChange;
  }

  async credentials(endpoint: RedisEndpoint): Promise<StoredCredentials | undefined> {
    const raw = await this.storage.get(RedisSecrets.key(endpoint));
    if (raw === undefined) return undefined;
    try {
      const parsed = JSON.parse(raw) as { username?: unknown; password?: unknown };
      if (typeof parsed.password !== 'string') return undefined;
      return {
        username: typeof parsed.username === 'string' && parsed.username ? parsed.username : undefined,
        password: parsed.password,
      };
    } catch {
      return undefined;
    }
  }

  async store(endpoint: RedisEndpoint, credentials: StoredCredentials): Promise<void> {
    await this.storage.store(
      RedisSecrets.key(endpoint),
      JSON.stringify({ username: credentials.username, password: credentials.password }),
    );
  }

  async forget(endpoint: RedisEndpoint): Promise<void> {
    await this.storage.delete(RedisSecrets.key(endpoint));
  }

  static key(endpoint: RedisEndpoint): string {
    return credentialKey(endpoint);
  }
}
