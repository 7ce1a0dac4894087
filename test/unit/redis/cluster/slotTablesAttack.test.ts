import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import type { RedisEndpoint } from '../../../../src/redis/endpoint';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { assertShareRises, oneNodeCluster } from '../../../support/oneNodeCluster';
import { NEWER_SERVERS, RedisServer } from '../../../support/redisServer';

const KEYS = 20_000;

for (const [name, binary] of Object.entries(NEWER_SERVERS)) {
  describe(`the one-server walk of a ${name} cluster node (one table per slot; a real server)`, function () {
    this.timeout(60_000);
    const started: RedisServer[] = [];
    after(async () => {
      await Promise.all(started.map((server) => server.stop()));
    });

    it('reports a share walked that only rises (the cursor holds the slot in its low bits, not reversed table bits)', async () => {
      // The node reached without its cluster (CLUSTER refused, a proxy): walkKeyspace, one SCAN loop.
      const node = await oneNodeCluster(binary, started, KEYS);
      const endpoint: RedisEndpoint = { host: node.host, port: node.port, db: 0, tls: false };
      const fractions: number[] = [];
      const model = await walkKeyspace(
        { endpoint, credentials: {} },
        { progressIntervalMs: 0, onProgress: (progress) => fractions.push(progress.fraction) },
      ).done;
      assert.equal(model.totalKeys, KEYS);
      assertShareRises(fractions);
    });
  });
}

describe('the cluster walk of a master whose connections another client kills (a real one-node cluster)', function () {
  this.timeout(60_000);
  const started: RedisServer[] = [];
  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
  });

  it('says the master closed them and still answers, not that Redis is unreachable with a Start action', async () => {
    const node = await oneNodeCluster(undefined, started, 200_000);
    const endpoint: RedisEndpoint = { host: node.host, port: node.port, db: 0, tls: false };
    const cluster = await connectCluster(
      endpoint,
      { password: undefined },
      { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' },
    );
    const admin = new Redis({ host: node.host, port: node.port, lazyConnect: true });
    await admin.connect();
    try {
      let killed = false;
      const error = await walkCluster(
        cluster,
        endpoint,
        { password: undefined },
        {
          progressIntervalMs: 0,
          onProgress: () => {
            // A teammate's "kill all clients" in another tool, once the walk is under way.
            if (killed) return;
            killed = true;
            void admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
          },
        },
      ).done.then(
        () => assert.fail('the walk ended although its connections were killed'),
        (failure: unknown) => failure,
      );
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/, error.message);
      assert.equal(error.kind, 'connection-closed', error.message);
    } finally {
      admin.disconnect();
      cluster.disconnect();
    }
  });
});

describe('the cluster walk of a Redis 7.0 master by a user who may not run INFO (a real one-node cluster)', function () {
  this.timeout(60_000);
  const started: RedisServer[] = [];
  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
  });

  it("reports a share walked that only rises: its cursor is the table's alone, whatever INFO could not say", async () => {
    // Redis 7.0 keeps one table per database: its cursor holds no slot. The user may run
    // everything but INFO (an ACL a team gives its developers).
    const node = await oneNodeCluster(undefined, started, KEYS, 'user default on nopass ~* &* +@all -info\n');
    const endpoint: RedisEndpoint = { host: node.host, port: node.port, db: 0, tls: false };
    const cluster = await connectCluster(
      endpoint,
      { password: undefined },
      { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' },
    );
    try {
      const fractions: number[] = [];
      const model = await walkCluster(
        cluster,
        endpoint,
        { password: undefined },
        { progressIntervalMs: 0, onProgress: (progress) => fractions.push(progress.fraction) },
      ).done;
      assert.equal(model.totalKeys, KEYS);
      assertShareRises(fractions);
    } finally {
      cluster.disconnect();
    }
  });
});
