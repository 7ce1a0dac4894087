import type Redis from 'ioredis';
import { clientOf } from './redisClient';
import { RedisServer, RedisServerOptions, startRedisServer } from './redisServer';

/** Something a suite opened on its server and that must be closed before the server stops. */
interface Closable {
  disconnect(): void;
}

/** The suite's redis-server, usable inside its tests and hooks (not while mocha collects them). */
export interface UsedRedisServer extends RedisServer {
  /** A new plain client on database `db`, disconnected when the suite ends. */
  connect(db?: number): Promise<Redis>;
  /** Disconnects `client` when the suite ends, before the server stops; returns it. */
  keep<T extends Closable>(client: T): T;
}

/**
 * Starts a real `redis-server` on a free port in a `before` hook of the calling suite and
 * stops it in an `after` hook, closing the suite's clients first. `options` may be a
 * function: it is called when the server starts (to write an ACL file first, say).
 */
export function useRedisServer(options: RedisServerOptions | (() => RedisServerOptions) = {}): UsedRedisServer {
  let server: RedisServer | undefined;
  const clients: Closable[] = [];
  const started = (): RedisServer => {
    if (!server) throw new Error("useRedisServer: the server runs only inside the suite's tests and hooks");
    return server;
  };
  const keep = <T extends Closable>(client: T): T => {
    clients.push(client);
    return client;
  };

  before(async function () {
    server = await startRedisServer(typeof options === 'function' ? options() : options);
  });
  after(async function () {
    for (const client of clients.splice(0)) client.disconnect();
    await server?.stop();
    server = undefined;
  });

  return {
    get host() {
      return started().host;
    },
    get port() {
      return started().port;
    },
    get pid() {
      return started().pid;
    },
    get password() {
      return started().password;
    },
    pause: () => started().pause(),
    resume: () => started().resume(),
    stop: () => started().stop(),
    connect: async (db = 0) => keep(await clientOf(started(), db)),
    keep,
  };
}
