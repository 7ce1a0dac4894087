import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { ClusterRoutingError, connectCluster } from '../../../../src/redis/cluster/connection';
import {
  clusterMasters,
  formatSlotRanges,
  isClusterEnabled,
  keySlot,
  nodeForSlot,
  SLOT_COUNT,
  slotOfKey,
} from '../../../../src/redis/cluster/topology';
import { connectRedis } from '../../../../src/redis/connection';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { fillCluster, useRedisCluster } from '../../../support/redisCluster';
import {
  describeNodeInfos,
  formatMasterPings,
  pingMasters,
  rawNodeInfos,
  readNodeInfos,
} from '../../../../src/redis/cluster/nodes';

const PASSWORD = 'cluster-test-password-51c2';
const FAST = { timeoutMs: 1500, maxReconnects: 2, connectionName: 'shared-redis-unit' };

describe('a Redis Cluster connection (a real six-node cluster)', function () {
  this.timeout(30_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const open: Cluster[] = [];
  afterEach(() => {
    for (const cluster of open.splice(0)) cluster.disconnect();
  });
  const seedOf = (index = 0): RedisEndpoint => {
    const node = fixture.cluster.nodes[index];
    assert.ok(node);
    return { host: node.host, port: node.port, db: 0, tls: false };
  };
  const connect = async (endpoint: RedisEndpoint, password: string | null = PASSWORD): Promise<Cluster> => {
    const cluster = await connectCluster(endpoint, { password: password ?? undefined }, FAST);
    open.push(cluster);
    return cluster;
  };

  it('reads back keys written to every master, routed by slot', async () => {
    const cluster = await connect(seedOf(4));
    const keys = Array.from({ length: 60 }, (_, i) => `auth:session:${i}`);
    for (const key of keys) await cluster.set(key, key);
    assert.deepEqual(await Promise.all(keys.map((key) => cluster.get(key))), keys);
    const masters = clusterMasters(cluster, seedOf(4));
    assert.equal(masters.length, 3);
    const held = await Promise.all(masters.map((master) => master.client?.dbsize()));
    assert.ok(
      held.every((n) => (n ?? 0) > 0),
      `every master holds some of the 60 keys: ${held.join(', ')}`,
    );
    await cluster.del(...keys.slice(0, 1));
  });

  it('lists the masters with their slot ranges covering all 16384 slots', async () => {
    const cluster = await connect(seedOf());
    const masters = clusterMasters(cluster, seedOf());
    const ports = new Set(await fixture.cluster.masterPorts());
    assert.deepEqual(new Set(masters.map((m) => m.endpoint.port)), ports);
    const covered = masters.flatMap((m) => m.slots).reduce((sum, [from, to]) => sum + (to - from + 1), 0);
    assert.equal(covered, SLOT_COUNT);
    assert.match(formatSlotRanges(masters[0]?.slots ?? []), /^0-\d+$/);
  });

  it('computes the slot of a key as the server does, hash tags included', async () => {
    const cluster = await connect(seedOf());
    for (const key of ['auth:{42}:session', 'user:profile:7', '{42}', Buffer.from([0xff, 0x3a, 0x00])]) {
      assert.equal(keySlot(key), Number(await cluster.cluster('KEYSLOT', key as string)));
    }
    assert.equal(keySlot('auth:{42}:session'), keySlot('user:{42}:profile'));
    const owner = nodeForSlot(cluster, keySlot('auth:{42}:session'));
    assert.ok(owner);
    const port = Number(owner.master.split(':')[1]);
    const direct = clusterMasters(cluster, seedOf()).find((m) => m.endpoint.port === port);
    assert.ok(direct);
    await cluster.set('auth:{42}:session', 'x');
    assert.equal(await direct.client?.exists('auth:{42}:session'), 1);
    // What the key tooltip shows: the slot, and the master that holds the key.
    const shown = slotOfKey(cluster, Buffer.from('auth:{42}:session'));
    assert.equal(shown.slot, keySlot('42'));
    assert.match(shown.node, new RegExp(`^127\\.0\\.0\\.1:${port} \\(master`));
  });

  it('refuses a node-local command instead of sending it to a random node, naming it', async () => {
    const cluster = await connect(seedOf());
    await assert.rejects(cluster.dbsize(), (error: unknown) => {
      assert.ok(error instanceof ClusterRoutingError);
      assert.match(error.message, /DBSIZE answers for one node only/);
      return true;
    });
    await assert.rejects(cluster.scan('0'), ClusterRoutingError);
    await assert.rejects(cluster.info('memory'), ClusterRoutingError);
    // Keyed and cluster-wide commands still go through.
    assert.equal(await cluster.ping(), 'PONG');
    await cluster.set('shared:config:app', '1');
    assert.ok(Number(await cluster.call('MEMORY', 'USAGE', 'shared:config:app')) > 0);
  });

  it('says a wrong password is a wrong password, like a single connection does', async () => {
    await assert.rejects(connect(seedOf(), 'not-the-password'), (error: unknown) => {
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.equal(error.kind, 'auth-failed');
      assert.ok(!error.message.includes('not-the-password'));
      return true;
    });
    await assert.rejects(connect(seedOf(), null), (error: unknown) => {
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.equal(error.kind, 'auth-failed');
      assert.match(error.message, /requires a password/);
      return true;
    });
  });

  it('refuses a database other than 0, saying why', async () => {
    await assert.rejects(connect({ ...seedOf(), db: 3 }), /only database 0.*Set sharedRedis\.db to 0/);
  });

  it('reaches the nodes through the natMap when they announce addresses this machine cannot dial', async () => {
    // The nodes announce 127.0.0.1:<port>; map made-up announced names to them and seed with a name that only the map knows.
    const nodes = fixture.cluster.nodes;
    const natMap: Record<string, { host: string; port: number }> = {};
    for (const node of nodes) natMap[`127.0.0.1:${node.port}`] = { host: 'localhost', port: node.port };
    const endpoint: RedisEndpoint = {
      ...seedOf(),
      cluster: { seeds: [{ host: 'localhost', port: nodes[0]?.port ?? 0 }], natMap },
    };
    const cluster = await connect(endpoint);
    await cluster.set('user:profile:1', 'a');
    assert.equal(await cluster.get('user:profile:1'), 'a');
    assert.ok(clusterMasters(cluster, endpoint).every((m) => m.endpoint.host === 'localhost'));
  });

  it('tells a cluster node from a single server (INFO cluster)', async () => {
    const client = await connectRedis(seedOf(), { password: PASSWORD }, FAST);
    try {
      assert.equal(await isClusterEnabled(client), true);
    } finally {
      client.disconnect();
    }
  });

  it('reads INFO of every node: one card per node and totals that count each key once', async () => {
    const cluster = await connect(seedOf());
    await fillCluster(
      fixture.cluster,
      Array.from({ length: 3000 }, (_, i) => `info:key:${i}`),
    );
    const topology = {
      kind: 'cluster' as const,
      cluster,
      endpoint: seedOf(),
      masters: () => clusterMasters(cluster, seedOf()),
    };
    const nodes = await readNodeInfos(topology);
    const masters = nodes.filter((node) => node.role === 'master');
    assert.equal(masters.length, 3);
    const cards = describeNodeInfos(nodes);
    assert.equal(cards[0]?.title, 'Cluster totals');
    const total = (label: string): string | undefined => cards[0]?.fields.find((f) => f.label === label)?.value;
    const held = await Promise.all(
      masters.map((m) =>
        clusterMasters(cluster, seedOf())
          .find((x) => x.address === m.address)
          ?.client?.dbsize(),
      ),
    );
    assert.equal(total('Keys (masters)'), held.reduce<number>((a, b) => a + (b ?? 0), 0).toLocaleString('en-US'));
    assert.equal(cards.length, 1 + nodes.length);
    for (const node of masters) {
      const card = cards.find((c) => c.title === `${node.address} · master`);
      assert.ok(card, `a card for ${node.address}`);
      assert.match(card.fields[0]?.value ?? '', /^\d+-\d+/);
    }
    assert.match(rawNodeInfos(nodes), /### 127\.0\.0\.1:\d+ \(master, slots 0-/);
  });

  it('pings every master, and names a master that does not answer', async () => {
    const cluster = await connect(seedOf());
    const topology = {
      kind: 'cluster' as const,
      cluster,
      endpoint: seedOf(),
      masters: () => clusterMasters(cluster, seedOf()),
    };
    const text = formatMasterPings(await pingMasters(topology));
    assert.match(text, /^PONG from 3 of 3 masters · Redis \d/);
    for (const master of topology.masters()) {
      assert.ok(text.includes(master.address), `${text} names ${master.address}`);
    }
    // Last in this suite: it stops a master for good.
    const victim = topology.masters()[2];
    assert.ok(victim);
    await fixture.cluster.nodes.find((node) => node.port === victim.endpoint.port)?.stop();
    const pings = await pingMasters(topology);
    assert.throws(
      () => formatMasterPings(pings),
      new RegExp(
        `1 of 3 cluster masters did not answer PING: 127\\.0\\.0\\.1:${victim.endpoint.port} \\(cluster master, slots \\d+-16383\\): Redis at`,
      ),
    );
  });
});
