import Redis from 'ioredis';

/** Where a test's redis-server listens, and its password if it has one. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly password?: string | undefined;
}

/**
 * A plain ioredis client on a test's own server, connected: it fails fast instead of
 * queueing or reconnecting, so a test that breaks the server sees the error at once.
 */
export async function clientOf(server: RedisAddress, db = 0): Promise<Redis> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    db,
    password: server.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * A connection straight to one node (`host:port`), as a service or redis-cli would open it:
 * it stays closed once the server closes it (a killed client is not hidden by a reconnect).
 */
export async function nodeClient(
  address: string,
  login: { readonly username?: string; readonly password?: string; readonly name?: string } = {},
): Promise<Redis> {
  const [host, port] = address.split(':');
  const client = new Redis({
    host,
    port: Number(port),
    username: login.username,
    password: login.password,
    connectionName: login.name,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
