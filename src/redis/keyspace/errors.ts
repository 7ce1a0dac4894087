import { ClusterRoutingError } from '../cluster/connection';
import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { withoutEchoedArguments } from '../replyText';
import { classifyRedisError, isProgrammingError, isReplyError, RedisConnectionError } from '../errors';

/** A walk or a page stopped because its AbortSignal fired (a refresh, a new filter). */
export class KeyspaceCancelledError extends Error {
  override readonly name = 'AbortError';

  constructor() {
    super('The keyspace walk was cancelled.');
  }
}

/** The server refused a command for a reason that is not the connection's (a TYPE name it
 * does not know, a Redis too old for SCAN TYPE, a busy script): its own message. */
export class KeyspaceCommandError extends Error {
  override readonly name = 'KeyspaceCommandError';

  constructor(
    readonly command: string,
    readonly reply: string,
  ) {
    const hint = whatToDo(reply);
    super(`Redis refused ${command}: ${reply}${hint ? ` ${hint}` : ''}`);
  }
}

/** The step that helps, for the refusals that say what is wrong but not what to do. */
function whatToDo(reply: string): string | undefined {
  if (/^READONLY\b/.test(reply)) return '(This server is a read-only replica: connect to its master to write.)';
  if (/^OOM\b/.test(reply)) {
    return '(The server is at its maxmemory: free memory or raise maxmemory, then try again.)';
  }
  if (/^NOPERM\b/.test(reply)) {
    return "(This user's ACL does not allow it: connect as a user that may, or change the ACL.)";
  }
  return undefined;
}

/**
 * What the server refused inside a MULTI: a command refused while queued (READONLY, OOM,
 * NOPERM) makes EXEC answer only EXECABORT; ioredis keeps the refusal in `previousErrors`.
 */
export function queuedRefusal(error: unknown): unknown {
  const previous = (error as { previousErrors?: unknown[] } | undefined)?.previousErrors?.[0];
  return isReplyError(error) && /^EXECABORT\b/.test(error.message) && previous instanceof Error ? previous : error;
}

const AUTH_OR_CONNECTION_REPLY = /^(WRONGPASS|NOAUTH)\b|invalid password|invalid username-password/i;

/**
 * Turns a failure of a keyspace command into a typed error: a server reply about
 * authentication and every transport failure become a RedisConnectionError (through
 * classifyRedisError, one wording for the whole extension); any other server reply a
 * KeyspaceCommandError; a cancellation stays one.
 */
export function keyspaceError(cause: unknown, endpoint: RedisEndpoint, command: string): Error {
  if (
    cause instanceof RedisConnectionError ||
    cause instanceof KeyspaceCommandError ||
    cause instanceof KeyspaceCancelledError
  ) {
    return cause;
  }
  // A bug is a bug, not a connection problem: let it show as what it is. So is a node-local
  // command the cluster client refused: its message says why, the server is not unreachable.
  if (cause instanceof ClusterRoutingError || isProgrammingError(cause)) return cause;
  const refusal = queuedRefusal(cause);
  const isReply = isReplyError(refusal) || refusal instanceof ServerReplyError;
  if (isReply && !AUTH_OR_CONNECTION_REPLY.test(refusal.message)) {
    return new KeyspaceCommandError(command, refusal.message);
  }
  return classifyRedisError(refusal, endpoint);
}

/**
 * keyspaceError for a write that was sent: no answer in time does not mean it was not
 * done (a server paused for writes applies it when the pause ends), so the message says so.
 */
export function writeError(cause: unknown, endpoint: RedisEndpoint, command: string): Error {
  const error = keyspaceError(cause, endpoint, command);
  if (!(error instanceof RedisConnectionError) || error.kind !== 'timeout') return error;
  return new RedisConnectionError(
    'timeout',
    error.endpoint,
    error.reason,
    'The change may still be applied when it answers: refresh, and look at the keys before trying again.',
  );
}

/** An error reply read by our own RESP reader (ioredis uses ReplyError for the same). */
export class ServerReplyError extends Error {
  override readonly name = 'ServerReplyError';

  constructor(message: string) {
    super(withoutEchoedArguments(message));
  }
}

/** Where an ioredis client points, to name it in errors. */
export function endpointOfClient(client: Redis): RedisEndpoint {
  const options = client.options;
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 6379,
    db: options.db ?? 0,
    username: options.username,
    tls: options.tls !== undefined,
  };
}
