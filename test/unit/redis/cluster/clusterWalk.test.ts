import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { pagerFor } from '../../../../src/redis/cluster/clusterPager';
import { ClusterSlotsChangedError, walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { clusterMasters, keySlot, SLOT_COUNT, Topology } from '../../../../src/redis/cluster/topology';
import { connectRedis } from '../../../../src/redis/connection';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { toBinary } from '../../../../src/redis/keyspace';
import { clusterTopology, fillCluster, useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-walk-password-0b7e';
const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

/** One hash tag per slot: `{t123}` style tags found by trying, so that a key lands in every slot. */
function tagPerSlot(): string[] {
  const tags: string[] = [];
  let found = 0;
  for (let i = 0; found < SLOT_COUNT; i++) {
    const tag = `t${i}`;
    const slot = keySlot(tag);
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      found++;
    }
  }
  return tags;
}

/** 100,000 keys: one in each of the 16,384 slots, and nested namespaces of known sizes. */
function keySet(): string[] {
  const keys = tagPerSlot().map((tag) => `shared:slot:{${tag}}`);
  for (let i = 0; i < 50_000; i++) keys.push(`auth:session:${i}`);
  for (let i = 0; i < 20_000; i++) keys.push(`user:profile:${i % 100}:${i}`);
  while (keys.length < 100_000) keys.push(`orders:${keys.length}`);
  return keys;
}

describe('walking a Redis Cluster (a real six-node cluster, 100,000 keys)', function () {
  this.timeout(120_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  let cluster: Cluster;
  let endpoint: RedisEndpoint;
  let keys: string[];

  before(async function () {
    this.timeout(120_000);
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    keys = keySet();
    await fillCluster(fixture.cluster, keys);
    cluster = await connectCluster(endpoint, { password: PASSWORD }, FAST);
  });
  after(() => cluster?.disconnect());

  const topology = (): Topology => clusterTopology(cluster, endpoint);

  it('counts every key of every master exactly once, at every depth', async () => {
    const walk = walkCluster(cluster, endpoint, { password: PASSWORD }, { count: 1000, tuning: FAST });
    const model = await walk.done;
    assert.equal(model.complete, true);
    assert.equal(model.totalKeys, 100_000);
    const count = (path: string): number | undefined => model.findNamespace(toBinary(Buffer.from(path)))?.count;
    assert.equal(count('auth'), 50_000);
    assert.equal(count('auth:session'), 50_000);
    assert.equal(count('user'), 20_000);
    assert.equal(count('user:profile'), 20_000);
    assert.equal(count('user:profile:7'), 200);
    assert.equal(count('shared:slot'), SLOT_COUNT);
    assert.equal(count('orders'), 100_000 - 50_000 - 20_000 - SLOT_COUNT);
    // Replicas hold the same keys: had they been walked, SCAN would have returned 200,000 (the model drops repeats, so ask the servers).
    const held = await Promise.all(clusterMasters(cluster, endpoint).map((m) => m.client?.dbsize()));
    assert.equal(
      held.reduce<number>((a, b) => a + (b ?? 0), 0),
      100_000,
    );
  });

  it('reports progress while the masters walk, and ends at the whole keyspace', async () => {
    const fractions: number[] = [];
    const walk = walkCluster(
      cluster,
      endpoint,
      { password: PASSWORD },
      { count: 500, tuning: FAST, progressIntervalMs: 0, onProgress: (p) => fractions.push(p.fraction) },
    );
    await walk.done;
    assert.ok(fractions.length > 3, `progress reported ${fractions.length} times`);
    assert.ok(
      fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= (fractions[i - 1] ?? 0) - 1e-9)),
      'progress only grows, between 0 and 1',
    );
    assert.equal(fractions[fractions.length - 1], 1);
    assert.ok(
      fractions.some((f) => f > 0.1 && f < 0.9),
      `progress passes through the middle: ${fractions.slice(0, 20).join(', ')}`,
    );
  });

  it('pages a large namespace across the masters: every key once, in pages of the page size', async () => {
    const walk = walkCluster(cluster, endpoint, { password: PASSWORD }, { count: 1000, tuning: FAST });
    const model = await walk.done;
    const node = model.findNamespace(toBinary(Buffer.from('auth:session')));
    assert.ok(node);
    assert.equal(node.hasAllDirectKeyNames, false, 'a namespace this large pages with SCAN');
    const pager = pagerFor(topology(), node, { pageSize: 2000, count: 1000 });
    const seen = new Set<string>();
    let pages = 0;
    while (!pager.done) {
      const page = await pager.next();
      pages++;
      assert.ok(page.keys.length <= 2001, `a page holds about the page size, not ${page.keys.length}`);
      for (const key of page.keys) {
        assert.ok(!seen.has(key.id), `${key.id} came twice`);
        seen.add(key.id);
        assert.equal(key.type, 'string');
      }
    }
    assert.equal(seen.size, 50_000);
    assert.ok(pages >= 25, `${pages} pages`);
  });

  it('pages a small namespace from the names the walk kept, reading TYPE/PTTL from each key’s master', async () => {
    const walk = walkCluster(cluster, endpoint, { password: PASSWORD }, { tuning: FAST, match: 'user:profile:3:*' });
    const model = await walk.done;
    const node = model.findNamespace(toBinary(Buffer.from('user:profile:3')));
    assert.ok(node?.hasAllDirectKeyNames);
    const pager = pagerFor(topology(), node, { pageSize: 50 });
    const ids: string[] = [];
    while (!pager.done) ids.push(...(await pager.next()).keys.map((k) => (assert.equal(k.gone, false), k.id)));
    assert.equal(ids.length, 200);
    assert.equal(new Set(ids).size, 200);
    const slots = new Set(ids.map((id) => keySlot(Buffer.from(id, 'latin1'))));
    assert.ok(slots.size > 100, 'the keys are spread over many slots (and masters)');
  });

  it('refuses counts taken while a failover changed the slot map, and says to walk again', async () => {
    const masters = clusterMasters(cluster, endpoint);
    const old = masters[0];
    assert.ok(old);
    const oldServer = fixture.cluster.nodes.find((node) => node.port === old.endpoint.port);
    const replicaPort = Number(old.replicas[0]?.split(':')[1]);
    assert.ok(oldServer && replicaPort > 0, 'the first master has a listed replica');
    let failover: Promise<void> | undefined;
    const walk = walkCluster(
      cluster,
      endpoint,
      { password: PASSWORD },
      {
        count: 10,
        tuning: { ...FAST, timeoutMs: 15_000 },
        progressIntervalMs: 0,
        onProgress: () => {
          // The master is frozen while its replica takes its slots over, then thaws as a replica.
          failover ??= (async () => {
            oldServer.pause();
            try {
              await takeOver(replicaPort);
            } finally {
              oldServer.resume();
            }
          })();
        },
      },
    );
    await assert.rejects(walk.done, (error: unknown) => {
      assert.ok(error instanceof ClusterSlotsChangedError, String(error));
      assert.match(error.message, /slot map changed while the keys were walked.*Refresh to walk the cluster again/);
      assert.ok(error.message.includes(`127.0.0.1:${replicaPort}=0-`), error.message);
      return true;
    });
    await failover;
    assert.equal(walk.model.complete, false);
  });

  /** CLUSTER FAILOVER TAKEOVER on a replica (no agreement from its frozen master needed), until it serves slot 0. */
  async function takeOver(port: number): Promise<void> {
    const replica = await connectRedis({ ...endpoint, port }, { password: PASSWORD }, FAST);
    try {
      await replica.cluster('FAILOVER', 'TAKEOVER');
      for (let i = 0; i < 100 && !/role:master/.test(await replica.info('replication')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      replica.disconnect();
    }
  }

  it('names the master that stopped mid-walk, and what happened', async () => {
    await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
    const masters = clusterMasters(cluster, endpoint);
    const victim = masters[1];
    assert.ok(victim);
    const server = fixture.cluster.nodes.find((node) => node.port === victim.endpoint.port);
    assert.ok(server);
    let stopped: Promise<void> | undefined;
    const walk = walkCluster(
      cluster,
      endpoint,
      { password: PASSWORD },
      {
        count: 10,
        tuning: FAST,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.keysCounted > 1000) stopped ??= server.stop();
        },
      },
    );
    await assert.rejects(walk.done, (error: unknown) => {
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${victim.endpoint.port} \\(cluster master, slots `));
      assert.match(error.message, /unreachable|closed|ECONNRESET/);
      return true;
    });
    await stopped;
    assert.equal(walk.model.complete, false);
  });
});
