import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { affectsRedisConnection, readRedisEndpoint } from './config';
import type { Logger } from './logger';
import { connectRedis } from './redis/connection';
import { describeEndpoint, RedisEndpoint } from './redis/endpoint';
import { classifyRedisError } from './redis/errors';
import type { RedisSecrets } from './secrets';

/**
 * The one connection the extension shares, opened on first use and dropped whenever
 * the settings or the stored password change, so the next use reconnects with them.
 */
export class RedisSession implements vscode.Disposable {
  private client: Promise<Redis> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly secrets: RedisSecrets, private readonly log: Logger) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => { if (affectsRedisConnection(event)) this.reset('settings changed'); }),
      secrets.onDidChange(() => this.reset('stored password changed')),
    );
  }

  get endpoint(): RedisEndpoint {
    return readRedisEndpoint();
  }

  /** Runs `action` on a ready connection; a failure is a typed `RedisConnectionError`. */
  async use<T>(action: (client: Redis) => Promise<T>): Promise<T> {
    const endpoint = this.endpoint;
    const client = await this.connected(endpoint);
    try {
      return await action(client);
    } catch (error) {
      // A broken socket means the next use should start afresh rather than reuse it.
      if (client.status !== 'ready') this.reset('connection lost');
      throw classifyRedisError(error, endpoint);
    }
  }

  private connected(endpoint: RedisEndpoint): Promise<Redis> {
    if (!this.client) {
      const attempt = this.open(endpoint);
      this.client = attempt;
      attempt.catch(() => { if (this.client === attempt) this.client = undefined; });
    }
    return this.client;
  }

  private async open(endpoint: RedisEndpoint): Promise<Redis> {
    const where = describeEndpoint(endpoint);
    this.log.info(`Connecting to ${where}`);
    const password = await this.secrets.password(endpoint);
    try {
      const client = await connectRedis(endpoint, { password });
      client.on('error', (error: Error) => this.log.warn(`${where}: ${classifyRedisError(error, endpoint).reason}`));
      client.on('end', () => this.log.info(`Connection to ${where} closed`));
      this.log.info(`Connected to ${where}`);
      return client;
    } catch (error) {
      this.log.error(`Could not connect: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  reset(why: string): void {
    const previous = this.client;
    this.client = undefined;
    if (previous) {
      this.log.debug(`Dropping the connection: ${why}`);
      previous.then((client) => client.disconnect(), () => undefined);
    }
  }

  dispose(): void {
    this.reset('extension deactivated');
    this.subscriptions.forEach((s) => s.dispose());
  }
}
