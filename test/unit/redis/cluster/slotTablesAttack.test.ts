import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { RedisEndpoint } from '../../../../src/redis/endpoint';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { NEWER_SERVERS, RedisServer, startRedisServer } from '../../../support/redisServer';

const KEYS = 20_000;

/** A one-node cluster owning every slot, filled with KEYS keys. */
async function oneNodeCluster(binary: string, started: RedisServer[]): Promise<RedisServer> {
  const node = await startRedisServer({ config: 'cluster-enabled yes\ncluster-announce-ip 127.0.0.1\n', binary });
  started.push(node);
  const admin = new Redis({ host: node.host, port: node.port, lazyConnect: true });
  await admin.connect();
  try {
    assert.equal(await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), 'OK');
    for (let tries = 0; !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))); tries++) {
      assert.ok(tries < 100, 'the one-node cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pipeline = admin.pipeline();
    for (let i = 0; i < KEYS; i++) pipeline.set(`user:${i}:profile`, 'p');
    await pipeline.exec();
    assert.equal(await admin.dbsize(), KEYS);
  } finally {
    admin.disconnect();
  }
  return node;
}

for (const [name, binary] of Object.entries(NEWER_SERVERS)) {
  describe(`the one-server walk of a ${name} cluster node (one table per slot; a real server)`, function () {
    this.timeout(60_000);
    const started: RedisServer[] = [];
    after(async () => {
      await Promise.all(started.map((server) => server.stop()));
    });

    it('reports a share walked that only rises (the cursor holds the slot in its low bits, not reversed table bits)', async () => {
      // The node reached without its cluster (CLUSTER refused, a proxy): walkKeyspace, one SCAN loop.
      const node = await oneNodeCluster(binary, started);
      const endpoint: RedisEndpoint = { host: node.host, port: node.port, db: 0, tls: false };
      const fractions: number[] = [];
      const model = await walkKeyspace(
        { endpoint, credentials: {} },
        { progressIntervalMs: 0, onProgress: (progress) => fractions.push(progress.fraction) },
      ).done;
      assert.equal(model.totalKeys, KEYS);
      const falls = fractions.filter((fraction, i) => i > 0 && fraction < (fractions[i - 1] ?? 0));
      assert.ok(fractions.length >= 5, `${fractions.length} progress events`);
      assert.deepEqual(
        falls,
        [],
        `the share walked went back: ${fractions
          .slice(0, 40)
          .map((f) => f.toFixed(3))
          .join(' ')}`,
      );
    });
  });
}
