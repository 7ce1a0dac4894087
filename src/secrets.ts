import * as vscode from 'vscode';
import { describeEndpoint, RedisEndpoint } from './redis/endpoint';

/** Passwords live in SecretStorage, one per endpoint (host, port and user), never in settings. */
export class RedisSecrets {
  readonly onDidChange: vscode.Event<vscode.SecretStorageChangeEvent>;

  constructor(private readonly storage: vscode.SecretStorage) {
    this.onDidChange = storage.onDidChange;
  }

  password(endpoint: RedisEndpoint): Thenable<string | undefined> {
    return this.storage.get(RedisSecrets.key(endpoint));
  }

  async storePassword(endpoint: RedisEndpoint, password: string): Promise<void> {
    await this.storage.store(RedisSecrets.key(endpoint), password);
  }

  async forgetPassword(endpoint: RedisEndpoint): Promise<void> {
    await this.storage.delete(RedisSecrets.key(endpoint));
  }

  static key(endpoint: RedisEndpoint): string {
    return `sharedRedis.password/${describeEndpoint({ ...endpoint, db: 0, tls: false })}`;
  }
}
