import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { pagerFor } from '../../../../src/redis/cluster/clusterPager';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { NamespaceModel, toBinary } from '../../../../src/redis/keyspace';
import { clusterTopology, fillCluster, useRedisCluster } from '../../../support/redisCluster';

const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

describe('paging a namespace of a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster();
  let cluster: Cluster;
  let endpoint: RedisEndpoint;
  let model: NamespaceModel;

  before(async function () {
    this.timeout(60_000);
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    const keys: string[] = [];
    // Spread over every master.
    for (let i = 0; i < 3000; i++) keys.push(`spread:${i}`);
    // A hash-tagged namespace: every key in one slot, so on one master.
    for (let i = 0; i < 1000; i++) keys.push(`{tenant}:${i}`);
    await fillCluster(fixture.cluster, keys);
    cluster = await connectCluster(endpoint, { password: undefined }, FAST);
    // A walk that keeps no names: every namespace pages with SCAN on each master.
    model = await walkCluster(cluster, endpoint, { password: undefined }, { tuning: FAST, maxStoredNames: 0 }).done;
  });
  after(() => cluster?.disconnect());

  /** Every page's size until the pager is done; fails if a key comes twice or one is missing. */
  async function pageSizes(namespace: string, pageSize: number, expected: number): Promise<number[]> {
    const node = model.findNamespace(toBinary(Buffer.from(namespace)));
    assert.ok(node, namespace);
    assert.equal(node.hasAllDirectKeyNames, false, 'the walk kept no names: the pager scans every master');
    const pager = pagerFor(clusterTopology(cluster, endpoint), node, { pageSize, count: 100 });
    const sizes: number[] = [];
    const seen = new Set<string>();
    while (!pager.done) {
      const page = await pager.next();
      sizes.push(page.keys.length);
      for (const key of page.keys) {
        assert.ok(!seen.has(key.id), `${key.id} came twice`);
        seen.add(key.id);
      }
    }
    assert.equal(seen.size, expected);
    return sizes;
  }

  it('gives pages of exactly the page size across the masters, the rest on the last page', async () => {
    assert.deepEqual(await pageSizes('spread', 700, 3000), [700, 700, 700, 700, 200]);
  });

  it('fills a page from the one master that holds a hash-tagged namespace, not a third of it', async () => {
    assert.equal(new Set(Array.from({ length: 1000 }, (_, i) => keySlot(`{tenant}:${i}`))).size, 1);
    assert.deepEqual(await pageSizes('{tenant}', 300, 1000), [300, 300, 300, 100]);
  });
});
