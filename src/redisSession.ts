import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { affectsRedisConnection, readRedisEndpoint, SECTION } from './config';
import type { StackRedis } from './docker/stack/stackController';
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
  private connection: Promise<Redis> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  private stackRedis: StackRedis | undefined;

  constructor(private readonly secrets: RedisSecrets, private readonly log: Logger, stackChanges?: vscode.Event<{ redis: StackRedis | undefined }>) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((event) => { if (affectsRedisConnection(event)) this.reset('settings changed'); }),
      secrets.onDidChange(() => this.reset('stored password changed')),
    );
    if (stackChanges) {
      this.subscriptions.push(stackChanges(({ redis }) => {
        const before = this.stackRedis;
        this.stackRedis = redis;
        if (before?.port !== redis?.port || before?.host !== redis?.host || before?.password !== redis?.password) {
          this.reset(redis ? `the stack's Redis is ready at ${redis.host}:${redis.port}` : 'the stack\'s Redis is not running');
          this.changed.fire();
        }
      }));
    }
  }

  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the endpoint or its password may have changed. */
  readonly onDidChangeEndpoint = this.changed.event;

  /**
   * The settings' endpoint; while the stack's Redis is healthy and the host and port
   * were not set to something else, the stack's published port.
   */
  get endpoint(): RedisEndpoint {
    const configured = readRedisEndpoint();
    const redis = this.stackRedis;
    if (!redis) return configured;
    const config = vscode.workspace.getConfiguration(SECTION);
    const explicit = (key: string): boolean => {
      const inspected = config.inspect(key);
      return inspected?.globalValue !== undefined || inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
    };
    if ((explicit('host') && configured.host !== redis.host) || (explicit('port') && configured.port !== redis.port)) return configured;
    return { ...configured, host: redis.host, port: redis.port };
  }

  /** The endpoint and its password, for work that opens connections of its own (a keyspace walk). */
  async target(): Promise<{ endpoint: RedisEndpoint; credentials: { password: string | undefined } }> {
    const endpoint = this.endpoint;
    return { endpoint, credentials: { password: await this.password(endpoint) } };
  }

  /** SecretStorage first, then the stack's `.env` when we talk to the stack's Redis. */
  private async password(endpoint: RedisEndpoint): Promise<string | undefined> {
    const stored = await this.secrets.password(endpoint);
    if (stored !== undefined) return stored;
    const redis = this.stackRedis;
    return redis && redis.host === endpoint.host && redis.port === endpoint.port && !endpoint.username ? redis.password : undefined;
  }

  /** The shared connection, opened if needed; a failure is a `RedisConnectionError`. */
  client(): Promise<Redis> {
    return this.connected(this.endpoint);
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
    if (!this.connection) {
      const attempt = this.open(endpoint);
      this.connection = attempt;
      attempt.catch(() => { if (this.connection === attempt) this.connection = undefined; });
    }
    return this.connection;
  }

  private async open(endpoint: RedisEndpoint): Promise<Redis> {
    const where = describeEndpoint(endpoint);
    this.log.info(`Connecting to ${where}`);
    const password = await this.password(endpoint);
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
    const previous = this.connection;
    this.connection = undefined;
    if (previous) {
      this.log.debug(`Dropping the connection: ${why}`);
      previous.then((client) => client.disconnect(), () => undefined);
    }
  }

  dispose(): void {
    this.reset('extension deactivated');
    this.changed.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
