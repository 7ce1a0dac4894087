import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { connectRedis } from '../../../src/redis/connection';
import { RedisConnectionError } from '../../../src/redis/errors';
import { readKeyValue } from '../../../src/redis/keyValue/read';
import { NamespaceKeyPager } from '../../../src/redis/keyspace/pager';
import { RespScanSource } from '../../../src/redis/keyspace/respScanSource';
import { walkKeyspace } from '../../../src/redis/keyspace/walker';
import { pingServer } from '../../../src/redis/ping';
import { RedisServer, startRedisServer } from '../../support/redisServer';
import { clientOf, endpointOf, writeKeys } from './keyspace/support';
import { settled as settledWithin } from '../../support/settled';

const TIMEOUT_MS = 300;
const TUNING = { timeoutMs: TIMEOUT_MS, maxReconnects: 0, connectionName: 'shared-redis-unit' };

/** A hang shows as 'did not settle' (see support/settled.ts). */
const settled = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  settledWithin(promise, 20 * TIMEOUT_MS);

/** The one message a user sees: names the endpoint, says what happened and what to do. */
function assertTimeout(outcome: { value?: unknown; error?: unknown }, server: RedisServer): void {
  const error = outcome.error;
  assert.ok(
    error instanceof RedisConnectionError,
    `expected a RedisConnectionError, got ${outcome.error === undefined ? 'a value' : String(error)}`,
  );
  assert.equal(error.kind, 'timeout');
  assert.equal(
    error.message,
    `Redis at 127.0.0.1:${server.port} did not answer in time. The server may be overloaded, paused or behind a firewall; check that it is running and try again.`,
  );
}

describe('a Redis that stops answering (SIGSTOP) against a real redis-server', function () {
  this.timeout(30_000);
  let server: RedisServer;

  beforeEach(async () => {
    server = await startRedisServer();
    const admin = await clientOf(server);
    await writeKeys(
      admin,
      Array.from({ length: 3000 }, (_, i) => ({ key: Buffer.from(`ns:${i}`), type: 'string' as const, ttl: false })),
    );
    await admin.hset('ns:hash', 'f', 'v');
    admin.disconnect();
  });
  afterEach(async () => {
    server.resume();
    await server.stop();
  });

  for (const parts of [1, 2] as const) {
    it(`fails a walk in ${parts} part(s) on connections of its own when the server is paused before it starts`, async () => {
      server.pause();
      const walk = walkKeyspace({ endpoint: endpointOf(server), credentials: {}, tuning: TUNING }, { parts });
      assertTimeout(await settled(walk.done), server);
      assert.equal(walk.model.state, 'failed');
    });

    it(`fails a walk in ${parts} part(s) on connections of its own when the server is paused mid-walk`, async () => {
      const walk = walkKeyspace(
        { endpoint: endpointOf(server), credentials: {}, tuning: TUNING },
        {
          parts,
          count: 10,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.batches === 3) server.pause();
          },
        },
      );
      assertTimeout(await settled(walk.done), server);
    });
  }

  it('fails a walk of its own connection that sat idle longer than the timeout, then met a paused server', async () => {
    const source = await RespScanSource.open(endpointOf(server), {}, TUNING);
    try {
      // Idle for longer than the deadline: nothing is owed, so nothing has failed.
      await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_MS));
      const size = await settled(source.dbsize());
      assert.equal(size.value, 3001, `DBSIZE after an idle spell: ${String(size.error)}`);
      server.pause();
      assertTimeout(await settled(source.dbsize()), server);
    } finally {
      source.close();
    }
  });

  describe('through the shared ioredis connection', () => {
    let client: Redis;
    beforeEach(async () => {
      client = await connectRedis(endpointOf(server), {}, TUNING);
    });
    afterEach(() => client.disconnect());

    it('fails a walk', async () => {
      const walk = walkKeyspace(
        { client },
        {
          count: 10,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.batches === 3) server.pause();
          },
        },
      );
      assertTimeout(await settled(walk.done), server);
    });

    it('fails Ping', async () => {
      server.pause();
      assertTimeout(await settled(pingServer(client)), server);
    });

    it('fails a key read', async () => {
      server.pause();
      assertTimeout(await settled(readKeyValue(client, Buffer.from('ns:hash'))), server);
    });

    it("fails the pager's first page", async () => {
      const model = await walkKeyspace({ client }).done;
      const namespace = model.findNamespace('ns');
      assert.ok(namespace);
      server.pause();
      assertTimeout(
        await settled(new NamespaceKeyPager(client, namespace, { pageSize: 50, count: 10 }).next()),
        server,
      );
    });
  });
});
