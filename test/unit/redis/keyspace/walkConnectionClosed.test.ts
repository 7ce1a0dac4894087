import * as assert from 'node:assert/strict';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf, stringKeys, writeKeys } from './support';

const FAST = { timeoutMs: 2000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

describe('a walk whose connection the server closes (a real redis-server)', function () {
  this.timeout(60_000);

  it('says the server closed it and still answers, not that Redis is unreachable, when another client kills it', async () => {
    const server = await startRedisServer();
    try {
      const admin = await clientOf(server);
      await writeKeys(
        admin,
        stringKeys(200_000, (i) => `user:${i}:profile`),
      );
      let killed = 0;
      const walk = walkKeyspace(
        { endpoint: endpointOf(server), credentials: {}, tuning: FAST },
        {
          progressIntervalMs: 0,
          onProgress: () => {
            // What a teammate's "kill all clients" in another tool does, once the walk is under way.
            if (killed++ === 0) void admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
          },
        },
      );
      const error = await walk.done.then(
        () => assert.fail('the walk ended although its connections were killed'),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/, error.message);
      assert.match(error.message, /closed the connection of the walk/);
      assert.match(error.message, /CLIENT KILL/);
      assert.match(error.message, /Refresh/);
      admin.disconnect();
    } finally {
      await server.stop();
    }
  });

  it('still says Redis is unreachable when the server itself went away mid-walk', async () => {
    const server = await startRedisServer();
    const admin = await clientOf(server);
    await writeKeys(
      admin,
      stringKeys(200_000, (i) => `user:${i}:profile`),
    );
    admin.disconnect();
    let stopped = false;
    const walk = walkKeyspace(
      { endpoint: endpointOf(server), credentials: {}, tuning: FAST },
      {
        progressIntervalMs: 0,
        onProgress: () => {
          if (!stopped) {
            stopped = true;
            process.kill(server.pid, 'SIGKILL');
          }
        },
      },
    );
    const error = await walk.done.then(
      () => assert.fail('the walk ended although its server was killed'),
      (failure: unknown) => failure,
    );
    await server.stop();
    assert.ok(error instanceof RedisConnectionError, String(error));
    assert.equal(error.kind, 'unreachable', error.message);
  });
});
