import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { checkClusterSlots, clusterSlotFindings } from '../../../../src/redis/checks';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { fillCluster, useRedisCluster } from '../../../support/redisCluster';

const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

describe('Cluster advice on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster();
  let cluster: Cluster;
  let endpoint: RedisEndpoint;

  before(async function () {
    this.timeout(60_000);
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    const keys = ['user:42:profile', 'user:42:settings', 'user:42:cart', 'user:{7}:profile', 'user:{7}:settings'];
    for (let i = 0; i < 3000; i++) keys.push(`spread:${i}`);
    await fillCluster(fixture.cluster, keys);
    // The extension's own cluster client: it refuses SCAN without a node, which would walk one node only.
    cluster = await connectCluster(endpoint, { password: undefined }, FAST);
  });
  after(() => cluster?.disconnect());

  it("looks at every master's keys and finds one id's keys spread over their slots", async () => {
    const together = ['user:42:cart', 'user:42:profile', 'user:42:settings'];
    const masters = new Set(together.map((key) => cluster.slots[keySlot(key)]?.[0]));
    assert.ok(masters.size > 1, 'the keys are on different masters');
    // The checks get the shared connection as a Redis client, whatever it is.
    const result = await checkClusterSlots(cluster as unknown as Redis, Buffer.from(':'), { scanCount: 500, endpoint });
    assert.equal(result.looked, 3005, 'every key of every master, none twice (replicas are not asked)');
    assert.equal(result.exact, true);
    const findings = clusterSlotFindings(result);
    assert.deepEqual(
      findings.map((f) => [f.label, f.description, f.examples.map((k) => k.toString())]),
      [['user:<id>:…', '1 id whose keys span hash slots · 3 keys', together]],
    );
  });
});
