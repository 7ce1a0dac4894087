import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';

/**
 * The endpoint of the server a Sentinel connection reached (the current master), for work that
 * opens connections of its own by host and port (the keyspace walk, MONITOR, redis-cli): they
 * must reach the master the Sentinels named, not `sharedRedis.host`. Other endpoints as they are.
 */
export function reachedServer(endpoint: RedisEndpoint, client: Redis): RedisEndpoint {
  if (endpoint.sentinel?.kind !== 'sentinel') return endpoint;
  const host = client.stream?.remoteAddress;
  const port = client.stream?.remotePort;
  if (host === undefined || port === undefined) return endpoint;
  return { ...endpoint, host: host.replace(/^::ffff:/, ''), port, sentinel: undefined };
}
