import { RedisConnectionError } from './redis/errors';
import type { RedisEndpoint } from './redis/endpoint';
import type { StackSnapshot } from './stackService';

/**
 * The error to show for a Redis failure, knowing what the Stack view knows. src/redis's
 * classifier cannot see the stack, so an unreachable (or silent) Redis gets its generic
 * hint "Start the shared Redis stack…", which misleads when the stack IS started and its
 * Redis just does not answer yet (a restart, a slow AOF load). Then the reason and the hint
 * say so instead; a stopped stack, another endpoint or any other failure keep the
 * classifier's message. Same kind and endpoint: only the words change.
 */
export function explainWithStack(error: unknown, snapshot: StackSnapshot, endpoint: RedisEndpoint): unknown {
  if (!(error instanceof RedisConnectionError) || (error.kind !== 'unreachable' && error.kind !== 'timeout')) {
    return error;
  }
  const starting = snapshot.redisStarting;
  if (!starting || !isStackEndpoint(endpoint, starting)) return error;
  return new RedisConnectionError(
    error.kind,
    error.endpoint,
    'is not answering yet: the shared Redis stack is starting (healthcheck: starting)',
    'Try again in a few seconds.',
  );
}

/**
 * The session talks to the stack's Redis: its host and port, not through Sentinel. (Sentinel
 * settings leave host and port at their defaults, which are the stack's defaults too.)
 */
function isStackEndpoint(endpoint: RedisEndpoint, stack: { readonly host: string; readonly port: number }): boolean {
  return endpoint.sentinel === undefined && endpoint.host === stack.host && endpoint.port === stack.port;
}
