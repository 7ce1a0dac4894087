import * as assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { connectRedis, reconnectDelay } from '../../../src/redis/connection';
import { RedisEndpoint } from '../../../src/redis/endpoint';
import { freePort, startRedisServer } from '../../support/redisServer';
import { useRedisServer } from '../../support/useRedisServer';
import { connectionFailure as failure } from '../../support/connectionFailure';

const PASSWORD = 'unit-test-password-7f3a9c';
const FAST = { timeoutMs: 800, maxReconnects: 2, connectionName: 'shared-redis-unit' };

function endpointOf(server: { host: string; port: number }, extra: Partial<RedisEndpoint> = {}): RedisEndpoint {
  return { host: server.host, port: server.port, db: 0, tls: false, ...extra };
}

describe('connectRedis against a real redis-server', function () {
  this.timeout(15_000);
  const open = useRedisServer();
  const guarded = useRedisServer({ password: PASSWORD });

  it('connects, and the connection answers commands', async () => {
    const client = await connectRedis(endpointOf(open), {}, FAST);
    try {
      assert.equal(client.status, 'ready');
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('selects the configured database', async () => {
    const client = await connectRedis(endpointOf(open, { db: 3 }), {}, FAST);
    try {
      await client.set('unit:db-check', 'in db 3');
      const keyspace = await client.info('keyspace');
      assert.match(keyspace, /^db3:keys=1,/m);
      assert.doesNotMatch(keyspace, /^db0:/m);
    } finally {
      await client.del('unit:db-check');
      client.disconnect();
    }
  });

  it('authenticates with the right password', async () => {
    const client = await connectRedis(endpointOf(guarded), { password: PASSWORD }, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('reports a wrong password as auth-failed, naming the endpoint but never the password', async () => {
    const error = await failure(connectRedis(endpointOf(guarded), { password: 'not-the-password' }, FAST));
    assert.equal(error.kind, 'auth-failed');
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${guarded.port} rejected the password`));
    assert.match(error.message, /Set Password/);
    assert.ok(!error.message.includes('not-the-password'));
    assert.ok(!error.message.includes(PASSWORD));
  });

  it('reports a missing password as auth-failed', async () => {
    const error = await failure(connectRedis(endpointOf(guarded), {}, FAST));
    assert.equal(error.kind, 'auth-failed');
    assert.match(error.message, /requires a password and none was given/);
  });

  it('reports an unknown ACL user as auth-failed, naming the user', async () => {
    const error = await failure(
      connectRedis(endpointOf(guarded, { username: 'billing-service' }), { password: PASSWORD }, FAST),
    );
    assert.equal(error.kind, 'auth-failed');
    assert.match(error.message, /rejected the username "billing-service" or its password/);
  });

  it('reports a closed port as unreachable, with what to do', async () => {
    const port = await freePort();
    const error = await failure(connectRedis({ host: '127.0.0.1', port, db: 0, tls: false }, {}, FAST));
    assert.equal(error.kind, 'unreachable');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${port} is unreachable (ECONNREFUSED). Start the shared Redis stack, or check the sharedRedis.host and sharedRedis.port settings.`,
    );
  });

  it('reports a server that accepts but never answers as a timeout, within the deadline', async () => {
    const paused = await startRedisServer();
    paused.pause();
    try {
      const started = Date.now();
      const error = await failure(connectRedis(endpointOf(paused), {}, FAST));
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /did not answer in time/);
      // The bounded retry gives up: no attempt outlives a few deadlines.
      assert.ok(Date.now() - started < 8 * FAST.timeoutMs, `gave up after ${Date.now() - started} ms`);
    } finally {
      await paused.stop();
    }
  });

  it('reports a server in protected mode as refusing this address, with what to do, not as unreachable', async () => {
    // Protected mode (no password set) answers only loopback clients: reach it on another address of this machine.
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    assert.ok(address, 'this machine has an IPv4 address besides loopback (the Docker bridge has one)');
    const server = await startRedisServer({ extraArgs: ['--bind', '127.0.0.1', address, '--protected-mode', 'yes'] });
    try {
      // The extension's own wait (5 s): on a loaded machine the server's greeting may come late.
      const tuning = { ...FAST, timeoutMs: 5000 };
      const error = await failure(connectRedis({ host: address, port: server.port, db: 0, tls: false }, {}, tuning));
      assert.equal(error.kind, 'protected-mode');
      assert.match(
        error.message,
        new RegExp(`^Redis at ${address.replace(/\./g, '\\.')}:${server.port} refuses clients`),
      );
      assert.match(error.message, /protected mode/);
      assert.match(error.message, /default user a password \(requirepass/);
      assert.match(error.message, /protected-mode no/);
      assert.doesNotMatch(error.message, /Start the shared Redis stack/);
    } finally {
      await server.stop();
    }
  });

  it('reports a Redis Cluster node at its client limit as full, not unreachable (its refusal line names cluster connections too)', async () => {
    // maxclients 1 on a real cluster-enabled node: it greets with "-ERR max number of clients + cluster connections reached".
    const server = await startRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--maxclients', '1'] });
    const endpoint = endpointOf(server);
    let holder: Awaited<ReturnType<typeof connectRedis>> | undefined;
    try {
      // The port probe of the server's start may hold the place a moment longer.
      for (let attempt = 0; attempt < 50 && !holder; attempt++) {
        holder = await connectRedis(endpoint, {}, FAST).catch(() => undefined);
        if (!holder) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(holder, 'the one place taken');
      assert.equal(await holder.ping(), 'PONG');
      const error = await failure(connectRedis(endpoint, {}, { ...FAST, timeoutMs: 5000 }));
      assert.equal(error.kind, 'server-full', error.message);
      assert.match(error.message, /maximum number of clients \(maxclients\)/);
      assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/);
    } finally {
      holder?.disconnect();
      await server.stop();
    }
  });

  it('stops reconnecting after a bounded number of attempts with growing delays', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => reconnectDelay(attempt, 5));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, null, null]);
    assert.equal(reconnectDelay(12, 20), 2000);
  });
});
