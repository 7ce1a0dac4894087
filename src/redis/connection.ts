import Redis, { RedisOptions } from 'ioredis';
import { RedisCredentials, RedisEndpoint } from './endpoint';
import type { Socket } from 'node:net';
import { classifyRedisError, isPermanentFailure, tlsHandshakeTimeout } from './errors';
import { tlsConnectionOptions } from './tls';

export interface ConnectionTuning {
  /** TCP connect and each command's deadline, in milliseconds. */
  readonly timeoutMs: number;
  /** Reconnect attempts after a drop before the client gives up until asked again. */
  readonly maxReconnects: number;
  readonly connectionName: string;
}

export const DEFAULT_TUNING: ConnectionTuning = {
  timeoutMs: 5000,
  maxReconnects: 5,
  connectionName: 'shared-redis-vscode',
};

/** Backoff of 100, 200, 400 ... ms capped at 2 s, then stop: a dead server costs a handful of attempts, not a storm. */
export function reconnectDelay(attempt: number, maxReconnects: number): number | null {
  return attempt > maxReconnects ? null : Math.min(100 * 2 ** (attempt - 1), 2000);
}

/**
 * ioredis options for an endpoint. Reads the TLS files (a `tls-config` RedisConnectionError
 * when one cannot be used). `permanentFailure` tells the retry strategy that the last error
 * was one no reconnect can fix (a wrong password, a certificate): then it does not reconnect.
 */
export function redisOptions(
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  tuning: ConnectionTuning,
  permanentFailure: () => boolean = () => false,
): RedisOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    username: endpoint.username,
    password: credentials.password,
    tls: tlsConnectionOptions(endpoint),
    connectionName: tuning.connectionName,
    lazyConnect: true,
    connectTimeout: tuning.timeoutMs,
    commandTimeout: tuning.timeoutMs,
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected instead of queueing commands behind a dead socket.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => (permanentFailure() ? null : reconnectDelay(attempt, tuning.maxReconnects)),
    reconnectOnError: () => false,
  };
}

/**
 * Opens a connection and resolves once the server is ready (authenticated, db
 * selected). Any failure is a `RedisConnectionError`, and the half-open client is
 * closed so that no reconnect loop outlives the failed attempt. Later, after a drop,
 * the client reconnects a bounded number of times, and not at all once the server
 * refused the password or the TLS handshake failed: another attempt would fail the same way.
 */
export async function connectRedis(
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  tuning: ConnectionTuning = DEFAULT_TUNING,
): Promise<Redis> {
  let permanent = false;
  const client = new Redis(redisOptions(endpoint, credentials, tuning, () => permanent));
  // Stays for the client's life: errors come before the close that asks the retry strategy.
  client.on('error', (error: unknown) => {
    permanent = isPermanentFailure(classifyRedisError(error, endpoint).kind);
  });
  let lastError: unknown;
  const remember = (error: unknown): void => {
    lastError = error;
  };
  client.on('error', remember);
  // With TLS, a handshake that never ends after the TCP connection opened is a server without TLS, not a slow one.
  let tcpConnected = false;
  const connecting = client.connect();
  if (endpoint.tls) {
    // The stream exists once ioredis's connector has run (next tick), before any I/O: watch its TCP connect.
    setImmediate(() => {
      const stream = client.stream as Socket | undefined;
      if (stream?.connecting) {
        stream.once('connect', () => {
          tcpConnected = true;
        });
      } else if (stream && !stream.destroyed) tcpConnected = true;
    });
  }
  try {
    await connecting;
    return client;
  } catch (error) {
    client.disconnect();
    const failure = classifyRedisError(lastError ?? error, endpoint);
    throw failure.kind === 'timeout' && tcpConnected ? tlsHandshakeTimeout(endpoint) : failure;
  } finally {
    client.off('error', remember);
  }
}
