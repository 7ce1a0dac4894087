import Redis, { RedisOptions } from 'ioredis';
import { RedisCredentials, RedisEndpoint } from './endpoint';
import { classifyRedisError } from './errors';

export interface ConnectionTuning {
  /** TCP connect and each command's deadline, in milliseconds. */
  readonly timeoutMs: number;
  /** Reconnect attempts after a drop before the client gives up until asked again. */
  readonly maxReconnects: number;
  readonly connectionName: string;
}

export const DEFAULT_TUNING: ConnectionTuning = { timeoutMs: 5000, maxReconnects: 5, connectionName: 'shared-redis-vscode' };

/** Backoff of 100, 200, 400 ... ms capped at 2 s, then stop: a dead server costs a handful of attempts, not a storm. */
export function reconnectDelay(attempt: number, maxReconnects: number): number | null {
  return attempt > maxReconnects ? null : Math.min(100 * 2 ** (attempt - 1), 2000);
}

export function redisOptions(endpoint: RedisEndpoint, credentials: RedisCredentials, tuning: ConnectionTuning): RedisOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    username: endpoint.username,
    password: credentials.password,
    tls: endpoint.tls ? { servername: endpoint.host } : undefined,
    connectionName: tuning.connectionName,
    lazyConnect: true,
    connectTimeout: tuning.timeoutMs,
    commandTimeout: tuning.timeoutMs,
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected instead of queueing commands behind a dead socket.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => reconnectDelay(attempt, tuning.maxReconnects),
    reconnectOnError: () => false,
  };
}

/**
 * Opens a connection and resolves once the server is ready (authenticated, db
 * selected). Any failure is a `RedisConnectionError`, and the half-open client is
 * closed so that no reconnect loop outlives the failed attempt.
 */
export async function connectRedis(endpoint: RedisEndpoint, credentials: RedisCredentials, tuning: ConnectionTuning = DEFAULT_TUNING): Promise<Redis> {
  const client = new Redis(redisOptions(endpoint, credentials, tuning));
  let lastError: unknown;
  const remember = (error: unknown): void => { lastError = error; };
  client.on('error', remember);
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw classifyRedisError(lastError ?? error, endpoint);
  } finally {
    client.off('error', remember);
  }
}
