import { ReplyError } from 'ioredis';
import type { Command } from 'ioredis';
import { describeEndpoint, RedisEndpoint } from './endpoint';
import { withoutEchoedArguments } from './replyText';

export type RedisFailureKind =
  | 'unreachable'
  | 'auth-failed'
  | 'timeout'
  | 'protected-mode'
  | 'settings-invalid'
  /** The server serves its maxclients: it answers a new connection so, then closes it. */
  | 'server-full'
  /** The server closed a connection that was working (CLIENT KILL, an output buffer limit) and still answers a new one. */
  | 'connection-closed'
  | TlsFailureKind
  | SentinelFailureKind;

/**
 * Sentinel failures: its settings cannot be used; no Sentinel answered; they answered but
 * monitor no master of that name; one asked for a password (we send none to Sentinels).
 */
export type SentinelFailureKind =
  'sentinel-config' | 'sentinel-unreachable' | 'sentinel-unknown-master' | 'sentinel-auth';

/**
 * TLS failures, each with its own fix: the server's certificate expired, is signed by a CA
 * we do not trust, names another host; the server does not speak TLS on that port, or speaks
 * only TLS there while TLS is off; it wants a client certificate (or refused ours); the TLS
 * settings point at a file that cannot be used.
 */
export type TlsFailureKind =
  | 'tls-expired'
  | 'tls-untrusted'
  | 'tls-name-mismatch'
  | 'tls-not-tls'
  | 'tls-required'
  | 'tls-client-certificate'
  | 'tls-config';

/** Failures that another attempt cannot fix (a wrong password, a bad certificate): never reconnect on them. */
export function isPermanentFailure(kind: RedisFailureKind): boolean {
  return (
    kind === 'auth-failed' ||
    kind === 'protected-mode' ||
    kind === 'settings-invalid' ||
    kind.startsWith('tls-') ||
    kind === 'sentinel-config' ||
    kind === 'sentinel-unknown-master' ||
    kind === 'sentinel-auth'
  );
}

/** A connection failure a person can act on: what failed, where, and what to do. */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';

  constructor(
    readonly kind: RedisFailureKind,
    readonly endpoint: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    // Invalid settings are refused before any server is chosen: naming one would send the user to it.
    super(
      kind === 'settings-invalid' ? `No Redis was connected to. ${hint}` : `Redis at ${endpoint} ${reason}. ${hint}`,
    );
  }
}

const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i;
const AUTH_HINT = 'Set the password with "Shared Redis: Set Password", or check REDIS_PASSWORD in the stack\'s .env.';
/** AUTH's reply when a password is given to a server that asks for none (Redis 5; Redis 6 and later). */
const NO_PASSWORD_NEEDED = /no password is set|without any password configured for the default user/;
const TIMEOUT = /timed out|ETIMEDOUT/i;
/** True for a command or connection that got no answer in time (a server that hangs, not one that refused). */
export function isNoAnswer(error: unknown): boolean {
  if (error instanceof RedisConnectionError) return error.kind === 'timeout';
  const message = error instanceof Error ? error.message : String(error);
  return TIMEOUT.test(message) || (error as { code?: unknown } | undefined)?.code === 'ETIMEDOUT';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Turns whatever ioredis reported into a typed error. `cause` is the last error the
 * client emitted (ioredis rejects `connect()` with a bland "Connection is closed").
 * Messages from Node never contain the password, nor do the server's once what it repeats of
 * a command is dropped (withoutEchoedArguments), and none of the texts built here include it.
 */

/**
 * The reply of a server at its maxclients, which it sends on accept and then closes: a Redis Cluster
 * node says "max number of clients + cluster connections reached" (its cluster bus links count too).
 */
export const SERVER_FULL = /^ERR max number of clients (\+ cluster connections )?reached/i;
export function classifyRedisError(cause: unknown, endpoint: RedisEndpoint): RedisConnectionError {
  if (cause instanceof RedisConnectionError) return cause;
  const where = describeEndpoint(endpoint);
  const message = withoutEchoedArguments(cause instanceof Error ? cause.message : String(cause));
  const code = (cause as { code?: unknown } | undefined)?.code;

  if (AUTH_REPLY.test(message)) {
    const what = message.startsWith('NOAUTH')
      ? 'requires a password and none was given'
      : endpoint.username
        ? `rejected the username "${endpoint.username}" or its password`
        : 'rejected the password';
    return new RedisConnectionError('auth-failed', where, what, AUTH_HINT);
  }
  if (/^DENIED\b/.test(message)) {
    return new RedisConnectionError(
      'protected-mode',
      where,
      'refuses clients from other addresses: it runs in protected mode, with no password set',
      'Give that server\'s default user a password (requirepass; a password of another ACL user does not lift protected mode) and give it to "Shared Redis: Set Password", or set protected-mode no there. A Redis in a container sees a connection through a published port as coming from another address.',
    );
  }
  if (SERVER_FULL.test(message)) {
    return new RedisConnectionError(
      'server-full',
      where,
      'refused the connection: it already serves its maximum number of clients (maxclients)',
      'Close connections that are no longer needed (the Clients view shows who holds them), or raise maxclients; then try again.',
    );
  }
  const tlsFailure = classifyTlsFailure(code, message, cause, endpoint, where);
  if (tlsFailure) return tlsFailure;
  if (TIMEOUT.test(message) || code === 'ETIMEDOUT') {
    return new RedisConnectionError(
      'timeout',
      where,
      'did not answer in time',
      'The server may be overloaded, paused or behind a firewall; check that it is running and try again.',
    );
  }
  const reason =
    typeof code === 'string' && UNREACHABLE_CODES.has(code)
      ? `is unreachable (${code})`
      : `is unreachable (${message})`;
  return new RedisConnectionError(
    'unreachable',
    where,
    reason,
    'Start the shared Redis stack, or check the sharedRedis.host and sharedRedis.port settings.',
  );
}

/**
 * True for a bug of ours (a TypeError, a RangeError, a ReferenceError, a SyntaxError), which no
 * server or connection causes: to show as what it is, not read as "Redis is unreachable".
 */
export function isProgrammingError(error: unknown): error is Error {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  );
}

/** True when AUTH was refused only because the server asks for no password: ioredis carries on, so may we. */
export function isNoPasswordNeeded(authReply: string): boolean {
  return NO_PASSWORD_NEEDED.test(authReply);
}

/** A refused AUTH, whatever its reply: an authentication failure, never an unreachable server. */
export function authRefusal(authReply: string, endpoint: RedisEndpoint): RedisConnectionError {
  const classified = classifyRedisError(new Error(authReply), endpoint);
  if (classified.kind === 'auth-failed') return classified;
  const reason = `refused the login (${withoutEchoedArguments(authReply)})`;
  return new RedisConnectionError('auth-failed', describeEndpoint(endpoint), reason, AUTH_HINT);
}

/**
 * The TCP connection opened but the TLS handshake never finished: what a Redis without TLS
 * does with a TLS hello (it waits for the end of a command line that never comes).
 */
export function tlsHandshakeTimeout(endpoint: RedisEndpoint): RedisConnectionError {
  return new RedisConnectionError(
    'tls-not-tls',
    describeEndpoint(endpoint),
    'accepted the connection but did not answer the TLS handshake',
    "It looks like a Redis without TLS on that port: use the server's tls-port in sharedRedis.port, or turn sharedRedis.tls off.",
  );
}

/** A plain client's command on a TLS port ends in a hang-up: the port said nothing else. */
export function tlsRequired(endpoint: RedisEndpoint): RedisConnectionError {
  return new RedisConnectionError(
    'tls-required',
    describeEndpoint(endpoint),
    'closed the connection without an answer: it speaks TLS on that port',
    "Turn sharedRedis.tls on (with sharedRedis.tlsCaFile if the server's certificate is not from a CA this machine trusts), or use the server's plain port.",
  );
}

const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
/** The server refused our client certificate, or asked for one we did not send. */
const CLIENT_CERTIFICATE =
  /ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE|certificate required|bad certificate|tlsv1 alert unknown ca/i;
/** What OpenSSL says when the other side answers with something that is not TLS (a plain Redis's error reply). */
const NOT_TLS =
  /wrong version number|packet length too long|unknown protocol|record layer failure|ERR_SSL_WRONG_VERSION_NUMBER|http request/i;

function classifyTlsFailure(
  code: unknown,
  message: string,
  cause: unknown,
  endpoint: RedisEndpoint,
  where: string,
): RedisConnectionError | undefined {
  const name = endpoint.tlsSettings?.serverName;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const what = code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet';
    return new RedisConnectionError(
      'tls-expired',
      where,
      `presented a TLS certificate that ${what}`,
      code === 'CERT_HAS_EXPIRED'
        ? "Renew the server's certificate (redis.conf tls-cert-file) and restart Redis; certificate checking stays on."
        : "Check the clock of this machine and of the server, or the certificate's start date.",
    );
  }
  if (typeof code === 'string' && UNTRUSTED_CODES.has(code)) {
    const what =
      code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
        ? 'presented a self-signed TLS certificate'
        : 'presented a TLS certificate signed by an unknown certificate authority';
    const ca = endpoint.tlsSettings?.caFile;
    return new RedisConnectionError(
      'tls-untrusted',
      where,
      `${what} (${code})`,
      ca
        ? `The CA in sharedRedis.tlsCaFile (${ca}) did not sign it: point sharedRedis.tlsCaFile at the CA certificate (PEM) that did.`
        : code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
          ? 'Set sharedRedis.tlsCaFile to that certificate itself (PEM file) to trust it, or give the server one signed by a CA.'
          : "Set sharedRedis.tlsCaFile to the CA certificate (PEM file) that signed the server's certificate.",
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const detail = (cause as { reason?: unknown }).reason;
    const expected = name ?? endpoint.host;
    return new RedisConnectionError(
      'tls-name-mismatch',
      where,
      `presented a TLS certificate that is not for "${expected}"${typeof detail === 'string' ? ` (${detail.replace(/\.$/, '')})` : ''}`,
      'Set sharedRedis.tlsServerName to a name the certificate carries, or connect by that name in sharedRedis.host.',
    );
  }
  if (CLIENT_CERTIFICATE.test(message) || (typeof code === 'string' && CLIENT_CERTIFICATE.test(code))) {
    const given = endpoint.tlsSettings?.certFile !== undefined;
    return new RedisConnectionError(
      'tls-client-certificate',
      where,
      given ? 'refused the TLS client certificate' : 'requires a TLS client certificate and none was given',
      given
        ? 'Check that sharedRedis.tlsCertFile and sharedRedis.tlsKeyFile hold a certificate signed by the CA the server trusts (tls-ca-cert-file).'
        : 'Set sharedRedis.tlsCertFile and sharedRedis.tlsKeyFile to the client certificate and its key (PEM files).',
    );
  }
  if (endpoint.tls && (NOT_TLS.test(message) || (typeof code === 'string' && NOT_TLS.test(code)))) {
    return new RedisConnectionError(
      'tls-not-tls',
      where,
      'did not answer with TLS',
      "It looks like a Redis without TLS on that port: use the server's tls-port in sharedRedis.port, or turn sharedRedis.tls off.",
    );
  }
  return undefined;
}

/**
 * True for an error reply of the server (WRONGTYPE, NOPERM, BUSYKEY …): a refusal of one
 * command, not a failed connection. By class, not by name: a bundler may rename classes.
 */
export function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

/**
 * Every error reply `client` hands to its callers, without what the server repeated of the
 * command (withoutEchoedArguments: `ACL SETUSER … >password` to a server without ACL), and
 * without the command's arguments ioredis attaches to it (`err.command.args`: a refused
 * AUTH's password), which a logger printing the whole error would show.
 */
export function redactCommandErrors(client: {
  sendCommand(command: Command, ...rest: never[]): unknown;
  duplicate?: (...rest: never[]) => unknown;
}): void {
  // A copy (a connection of its own for a transaction, an import's writer) logs in again.
  const duplicate = client.duplicate?.bind(client);
  if (duplicate) {
    client.duplicate = (...rest: never[]): unknown => {
      const copy = duplicate(...rest) as Parameters<typeof redactCommandErrors>[0];
      redactCommandErrors(copy);
      return copy;
    };
  }
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command: Command, ...rest: never[]): unknown => {
    const reject = command.reject;
    command.reject = (error: Error): void => {
      if (error instanceof Error) {
        error.message = withoutEchoedArguments(error.message);
        const attached = (error as { command?: { name?: unknown; args?: unknown } }).command;
        if (attached && typeof attached === 'object') attached.args = [];
      }
      reject(error);
    };
    return send(command, ...rest);
  };
}
