import { describeEndpoint, RedisEndpoint } from './endpoint';

export type RedisFailureKind = 'unreachable' | 'auth-failed' | 'timeout';

/** A connection failure a person can act on: what failed, where, and what to do. */
export class RedisConnectionError extends Error {
  override readonly name = 'RedisConnectionError';

  constructor(
    readonly kind: RedisFailureKind,
    readonly endpoint: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`Redis at ${endpoint} ${reason}. ${hint}`);
  }
}

const AUTH_REPLY = /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i;
const TIMEOUT = /timed out|ETIMEDOUT/i;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/**
 * Turns whatever ioredis reported into a typed error. `cause` is the last error the
 * client emitted (ioredis rejects `connect()` with a bland "Connection is closed").
 * Messages from the server and from Node never contain the password, and none of
 * the texts built here include it either.
 */
export function classifyRedisError(cause: unknown, endpoint: RedisEndpoint): RedisConnectionError {
  if (cause instanceof RedisConnectionError) return cause;
  const where = describeEndpoint(endpoint);
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | undefined)?.code;

  if (AUTH_REPLY.test(message)) {
    const what = message.startsWith('NOAUTH') ? 'requires a password and none was given'
      : endpoint.username ? `rejected the username "${endpoint.username}" or its password`
      : 'rejected the password';
    return new RedisConnectionError('auth-failed', where, what,
      'Set the password with "Shared Redis: Set Password", or check REDIS_PASSWORD in the stack\'s .env.');
  }
  if (TIMEOUT.test(message) || code === 'ETIMEDOUT') {
    return new RedisConnectionError('timeout', where, 'did not answer in time',
      'The server may be overloaded, paused or behind a firewall; check that it is running and try again.');
  }
  const reason = typeof code === 'string' && UNREACHABLE_CODES.has(code)
    ? `is unreachable (${code})`
    : `is unreachable (${message})`;
  return new RedisConnectionError('unreachable', where, reason,
    'Start the shared Redis stack, or check the sharedRedis.host and sharedRedis.port settings.');
}
