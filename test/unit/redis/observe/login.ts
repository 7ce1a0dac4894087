import Redis, { RedisOptions } from 'ioredis';
import type { UsedRedisServer } from '../../../support/useRedisServer';

/**
 * A client of the suite's server logged in as `options` (user, password, name, db),
 * failing fast, closed when the suite ends. No ready check: users without INFO connect too.
 */
export async function login(server: UsedRedisServer, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    ...options,
  });
  client.on('error', () => undefined);
  server.keep(client);
  await client.connect();
  return client;
}
