import Redis, { RedisOptions } from 'ioredis';
import { RedisCredentials, RedisEndpoint } from './endpoint';
import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describeEndpoint } from './endpoint';
import {
  SERVER_FULL,
  classifyRedisError,
  isPermanentFailure,
  RedisConnectionError,
  tlsRequired,
  redactCommandErrors,
  tlsHandshakeTimeout,
} from './errors';
import type { SentinelTarget } from './sentinel/config';
import { explainSentinelFailure } from './sentinel/diagnose';
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
  const tls = tlsConnectionOptions(endpoint);
  const sentinel = endpoint.sentinel?.kind === 'sentinel' ? sentinelOptions(endpoint.sentinel, tls) : {};
  return {
    host: endpoint.host,
    port: endpoint.port,
    db: endpoint.db,
    username: endpoint.username,
    password: credentials.password,
    tls,
    connectionName: tuning.connectionName,
    lazyConnect: true,
    connectTimeout: tuning.timeoutMs,
    commandTimeout: tuning.timeoutMs,
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected instead of queueing commands behind a dead socket.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => (permanentFailure() ? null : reconnectDelay(attempt, tuning.maxReconnects)),
    reconnectOnError: () => false,
    ...sentinel,
  };
}

/**
 * The master found through Sentinel: the master's user and password are the endpoint's (from
 * SecretStorage, as for any server); the Sentinels are asked without a password. A switch of
 * master (`+switch-master`, which the failover detector hears on every Sentinel, or Sentinel
 * killing the demoted master's clients) drops the connection: the session replaces a connection
 * that is not ready, and the new one asks the Sentinels, so the next command reaches the new master.
 */
function sentinelOptions(target: SentinelTarget, tls: RedisOptions['tls']): RedisOptions {
  return {
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.masterName,
    role: 'master',
    // One pass over the Sentinels per attempt: the retry strategy below decides about the next.
    sentinelRetryStrategy: () => null,
    failoverDetector: true,
    // READONLY: the server we talk to was demoted and kept our connection. The command did not
    // run: reconnect (the Sentinels name the new master) rather than stay 'ready' on a replica.
    reconnectOnError: (error) => (/^READONLY\b/.test(error.message) ? 2 : false),
    enableTLSForSentinelMode: tls !== undefined,
    sentinelTLS: tls,
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
  if (endpoint.sentinel?.kind === 'invalid') {
    throw new RedisConnectionError(
      'sentinel-config',
      describeEndpoint(endpoint),
      'is not used until its settings are fixed',
      endpoint.sentinel.problem,
    );
  }
  let permanent = false;
  const client = new Redis(redisOptions(endpoint, credentials, tuning, () => permanent));
  redactCommandErrors(client);
  // Stays for the client's life: errors come before the close that asks the retry strategy.
  client.on('error', (error: unknown) => {
    permanent = isPermanentFailure(classifyRedisError(error, endpoint).kind);
  });
  return connectExplained(client, endpoint, tuning);
}

/**
 * A connection of its own made from `shared` (ioredis's duplicate: same server, database and
 * credentials), for work that needs one (WATCH belongs to a connection). Ready when it resolves;
 * a failure is explained as connectRedis explains it (a server at its maxclients, protected
 * mode), not ioredis's bare "Connection is closed.", and the duplicate is closed.
 */
export async function connectDuplicate(
  shared: Redis,
  endpoint: RedisEndpoint,
  tuning: ConnectionTuning = DEFAULT_TUNING,
): Promise<Redis> {
  const own = shared.duplicate();
  own.on('error', () => undefined); // a failure reaches the caller, as a RedisConnectionError
  if (own.status !== 'wait') return own;
  return connectExplained(own, endpoint, tuning);
}

/** Connects `client` (made with lazyConnect); a failure is a `RedisConnectionError` saying what the server said, and the client is closed. */
async function connectExplained(client: Redis, endpoint: RedisEndpoint, tuning: ConnectionTuning): Promise<Redis> {
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
    let failure = classifyRedisError(lastError ?? error, endpoint);
    // The server let us in and hung up (EPIPE, ECONNRESET, or a close with no error at all,
    // depending on whose bytes came first), as protected mode and a full server (maxclients) do
    // right after their refusal line.
    const code = (lastError as { code?: unknown } | undefined)?.code;
    const hungUp = typeof code !== 'string' || code === 'EPIPE' || code === 'ECONNRESET';
    if (failure.kind === 'unreachable' && hungUp && !endpoint.tls && endpoint.sentinel === undefined) {
      // The line comes at once on accept, unless the server is starved of CPU: a short wait
      // (a TLS port, which also resets a plain client, sends nothing and costs this wait).
      const refusal = await refusalGreeting(endpoint, Math.min(tuning.timeoutMs, 2000));
      if (refusal) failure = classifyRedisError(new Error(refusal), endpoint);
      else if (await speaksTls(endpoint, Math.min(tuning.timeoutMs, 2000))) failure = tlsRequired(endpoint);
    }
    if (endpoint.sentinel?.kind === 'sentinel' && failure.kind !== 'auth-failed' && !failure.kind.startsWith('tls-')) {
      throw (
        (await explainSentinelFailure({ ...endpoint, sentinel: endpoint.sentinel }, tuning.timeoutMs, failure)) ??
        failure
      );
    }
    throw failure.kind === 'timeout' && tcpConnected ? tlsHandshakeTimeout(endpoint) : failure;
  } finally {
    client.off('error', remember);
  }
}

/**
 * True when the port completes a TLS handshake. Certificates are not checked: this only asks
 * what the port speaks, and nothing is sent over it.
 */
function speaksTls(endpoint: RedisEndpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false });
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    // A TLS alert from the server (it wants a client certificate, say) is TLS spoken too.
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(/^ERR_SSL_(SSLV3|TLSV1)_ALERT_/.test(error.code ?? '')),
    );
    socket.once('close', () => done(false));
  });
}

/** The first line of a server that refuses a client before any command: protected mode, maxclients. */
function isRefusal(line: string): boolean {
  return line.startsWith('-DENIED ') || (line.startsWith('-') && SERVER_FULL.test(line.slice(1)));
}

/**
 * Protected mode greets a client from another address with `-DENIED …` and closes, and a server
 * at its maxclients greets with `-ERR max number of clients reached` and closes. ioredis hands
 * that line to CLIENT SETNAME, whose failure it ignores, and reports only the closed socket
 * (EPIPE, "unreachable"): so after such a failure, a plain socket reads what the server says first.
 */
function refusalGreeting(endpoint: RedisEndpoint, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: endpoint.host, port: endpoint.port });
    let received = Buffer.alloc(0);
    const done = (): void => {
      socket.destroy();
      const line = received.toString('utf8').split('\r\n')[0] ?? '';
      resolve(isRefusal(line) ? line.slice(1) : undefined);
    };
    socket.setTimeout(timeoutMs, done);
    socket.once('error', done);
    socket.once('close', done);
    // The line may come in more than one chunk: read up to its end (or the close).
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.includes('\r\n') || received.length > 4096) done();
    });
  });
}
