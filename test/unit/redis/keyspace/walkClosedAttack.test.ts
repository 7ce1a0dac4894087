import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { RedisServer, startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf, stringKeys, writeKeys } from './support';

const FAST = { timeoutMs: 2000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

/**
 * Walks `server` (200,000 keys) and, once the walk is under way, runs `meanwhile` on the admin
 * connection (which closes the walk's connections); resolves to the walk's failure.
 */
async function walkClosedBy(
  server: RedisServer,
  admin: Redis,
  password: string | undefined,
  meanwhile: () => Promise<unknown>,
): Promise<unknown> {
  await writeKeys(
    admin,
    stringKeys(200_000, (i) => `user:${i}:profile`),
  );
  let started = false;
  let done: Promise<unknown> = Promise.resolve();
  const walk = walkKeyspace(
    { endpoint: endpointOf(server), credentials: { password }, tuning: FAST },
    {
      progressIntervalMs: 0,
      onProgress: () => {
        if (started) return;
        started = true;
        done = meanwhile();
      },
    },
  );
  const error = await walk.done.then(
    () => assert.fail('the walk ended although its connections were closed'),
    (failure: unknown) => failure,
  );
  await done;
  return error;
}

describe('a walk whose connections another client kills while SCANs are in flight (a real redis-server)', function () {
  this.timeout(120_000);

  it('says the server closed them and still answers, each of five times, also when the kill reaches the walk as a reset (ECONNRESET)', async () => {
    const server = await startRedisServer();
    const admin = await clientOf(server);
    try {
      const messages: string[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        await admin.flushall();
        // A server that closes a connection whose SCANs it has not read yet resets it (RST):
        // the walk then sees ECONNRESET, not a plain close.
        const error = await walkClosedBy(server, admin, undefined, () =>
          admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'),
        );
        assert.ok(error instanceof RedisConnectionError, String(error));
        messages.push(`${error.kind}: ${error.message}`);
      }
      assert.deepEqual(
        messages.filter((message) => /unreachable|Start the shared Redis stack/.test(message)),
        [],
        messages.join('\n'),
      );
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});

describe('a walk whose connection the server closes, and the server answers the probe with a refusal (real redis-servers)', function () {
  this.timeout(60_000);

  it('whose password was changed meanwhile (its connections closed): says the password is refused, not that Redis is unreachable with a Start action', async () => {
    const server = await startRedisServer({ password: 'old-secret' });
    const admin = await clientOf(server);
    try {
      const error = await walkClosedBy(server, admin, 'old-secret', async () => {
        // The team rotates the password and closes the connections that logged in with the old one.
        await admin.call('CONFIG', 'SET', 'requirepass', 'new-secret');
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      });
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/, error.message);
      assert.equal(error.kind, 'auth-failed', error.message);
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('at its maxclients once the walk is closed: says the server is full, not that Redis is unreachable with a Start action', async () => {
    const server = await startRedisServer();
    const admin = await clientOf(server);
    try {
      const error = await walkClosedBy(server, admin, undefined, async () => {
        // A shared server whose client slots are all taken (here: maxclients lowered to the
        // connections that stay) when the walk's connections are closed: a new one is refused.
        const multi = admin.multi();
        multi.call('CONFIG', 'SET', 'maxclients', '1');
        multi.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        await multi.exec();
      });
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/, error.message);
      assert.equal(error.kind, 'server-full', error.message);
      // The server still answers the client it kept.
      assert.equal(await admin.ping(), 'PONG');
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});
