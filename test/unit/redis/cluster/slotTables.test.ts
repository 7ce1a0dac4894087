import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import type { RedisEndpoint } from '../../../../src/redis/endpoint';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { assertShareRises, oneNodeCluster } from '../../../support/oneNodeCluster';
import { NEWER_SERVERS, RedisServer, startRedisServer } from '../../../support/redisServer';

const KEYS = 20_000;
const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

/** Debian 12's Redis 7.0 (one table per database) and the servers that keep a cluster node's keys
 * in one table per slot, SCAN's cursor then carrying the slot in its low 14 bits (kvstore.c). */
const SERVERS: Record<string, string | undefined> = { 'Redis 7.0': undefined, ...NEWER_SERVERS };

async function fill(port: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  await client.connect();
  try {
    const pipeline = client.pipeline();
    for (let i = 0; i < KEYS; i++) pipeline.set(`user:${i}:profile`, 'p');
    await pipeline.exec();
    assert.equal(await client.dbsize(), KEYS);
  } finally {
    client.disconnect();
  }
}

for (const [name, binary] of Object.entries(SERVERS)) {
  describe(`walking ${name} (a real server: one-node cluster, and standalone)`, function () {
    this.timeout(60_000);
    const started: RedisServer[] = [];
    const start = async (config: string): Promise<RedisServer> => {
      const server = await startRedisServer({ config, ...(binary === undefined ? {} : { binary }) });
      started.push(server);
      return server;
    };
    after(async () => {
      await Promise.all(started.map((server) => server.stop()));
    });

    it('counts every key of a cluster master, whose SCAN cursor holds the slot on Redis 8 and Valkey 8', async () => {
      // One node owning every slot: the master's walk is the whole of it.
      const node = await oneNodeCluster(binary, started, KEYS);
      const endpoint: RedisEndpoint = { host: node.host, port: node.port, db: 0, tls: false };
      const cluster = await connectCluster(endpoint, { password: undefined }, FAST);
      try {
        const fractions: number[] = [];
        const model = await walkCluster(
          cluster,
          endpoint,
          { password: undefined },
          { progressIntervalMs: 0, onProgress: (progress) => fractions.push(progress.fraction) },
        ).done;
        assertShareRises(fractions);
        assert.equal(
          model.totalKeys,
          KEYS,
          `the walk counted ${model.totalKeys} of ${KEYS} keys and said it was complete`,
        );
        assert.equal(model.root.childNamespaces('count')[0]?.count, KEYS);
      } finally {
        cluster.disconnect();
      }
      // The walker of one server, as used when a node is reached without its cluster (CLUSTER refused).
      const single = await walkKeyspace({ endpoint, credentials: {} }).done;
      assert.equal(single.totalKeys, KEYS, `the one-server walk counted ${single.totalKeys} of ${KEYS} keys`);
    });

    it('counts every key of a standalone server in its eight parts', async () => {
      const server = await start('');
      await fill(server.port);
      const model = await walkKeyspace({
        endpoint: { host: server.host, port: server.port, db: 0, tls: false },
        credentials: {},
      }).done;
      assert.equal(model.totalKeys, KEYS);
    });
  });
}
