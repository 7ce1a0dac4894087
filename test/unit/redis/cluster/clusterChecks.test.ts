import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';
import { aclLine, serviceRules } from '../../../../src/redis/acl/rules';
import { runChecks } from '../../../../src/redis/checks';
import { clusterCheckNodes } from '../../../../src/redis/cluster/clusterChecks';
import { clusterNamespaceStats } from '../../../../src/redis/cluster/clusterStatistics';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { clusterMasters, keySlot, Topology } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { fillCluster, slotOwners, useRedisCluster } from '../../../support/redisCluster';

const AUTH_PASSWORD = randomBytes(16).toString('hex');
const ACL = [
  'user default on nopass ~* &* +@all',
  aclLine({ username: 'auth-service', password: AUTH_PASSWORD, rules: serviceRules('auth', ':') }),
].join('\n');

const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

const DECLARED = [
  { path: 'auth', owner: 'Auth Service' },
  { path: 'user', owner: 'User Service' },
  { path: 'user:search', owner: 'User Service', cache: true },
  { path: 'shared', owner: 'Shared' },
];

/** The checks on a real six-node cluster: keys of every master, and each node's own slow log. */
describe('the checks on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ acl: `${ACL}\n` });
  let cluster: Cluster;
  let endpoint: RedisEndpoint;
  const opened: Redis[] = [];
  const node = (port: number, username?: string, password?: string): Redis => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      username,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    opened.push(client);
    return client;
  };

  before(async () => {
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, { password: undefined }, FAST);
  });
  after(() => {
    cluster?.disconnect();
    for (const client of opened.splice(0)) client.disconnect();
  });

  const topology = (): Extract<Topology, { kind: 'cluster' }> => ({
    kind: 'cluster',
    cluster,
    endpoint,
    masters: () => clusterMasters(cluster, endpoint),
  });

  it("sums every master's keys, and a slow command on the second master is a finding naming that node", async () => {
    const search = Array.from({ length: 30 }, (_, i) => `user:search:q${i}`);
    const legacy = Array.from({ length: 12 }, (_, i) => `legacy:${i}`);
    await fillCluster(fixture.cluster, [...search, ...legacy, 'auth:42:session', 'auth:42:tokens']);
    const owners = await slotOwners(fixture.cluster);
    const masters = await fixture.cluster.masterPorts();
    for (const port of masters) {
      assert.ok(
        search.some((k) => owners[keySlot(k)] === port),
        `${port} holds some`,
      );
    }
    assert.notEqual(
      owners[keySlot('auth:42:session')],
      owners[keySlot('auth:42:tokens')],
      'the two keys on two masters',
    );

    // The second master logs every command; auth-service sends one there and stays connected (its user is found by CLIENT LIST).
    const second = masters[1] as number;
    const operator = node(second);
    await operator.config('SET', 'slowlog-log-slower-than', '0');
    const service = node(second, 'auth-service', AUTH_PASSWORD);
    try {
      await service.call('PING');
      await operator.config('SET', 'slowlog-log-slower-than', '10000');
      const model = await walkCluster(cluster, endpoint, { password: undefined }).done;
      assert.equal(model.totalKeys, 44);
      const report = await runChecks(cluster as unknown as Redis, model, DECLARED, {
        cluster: clusterCheckNodes(topology()),
      });
      assert.deepEqual(report.errors, {});

      const cache = report.cacheTtl?.find((ns) => ns.path === 'user:search');
      assert.deepEqual(
        { keys: cache?.keys, withoutTtl: cache?.withoutTtl, exact: cache?.exact },
        { keys: 30, withoutTtl: 30, exact: true },
      );
      assert.deepEqual(
        report.undeclared?.groups.map((g) => [g.segment, g.count, g.examples.length]),
        [['legacy', 12, 3]],
      );
      assert.deepEqual(
        report.clusterSlots?.shapes.map((s) => [s.namespace.toString(), s.ids, s.keys]),
        [['auth:', 1, 2]],
      );
      assert.equal(report.clusterSlots?.exact, true);
      const advice = report.findings.find((f) => f.check === 'clusterSlots');
      assert.match(advice?.detail ?? '', /This Redis is a cluster: such a command fails now\./);

      const slow = report.findings.filter((f) => f.check === 'slowLog');
      assert.deepEqual(
        slow.map((f) => f.label),
        [`auth-service · 127.0.0.1:${second}`],
      );
      assert.match(
        slow[0]?.detail ?? '',
        new RegExp(
          `^On 127\\.0\\.0\\.1:${second} \\(cluster master, slots [\\d, -]+\\): Auth Service \\(user auth-service\\) ran`,
        ),
      );
      // Every node the slot map lists was read: the three masters and the replicas it lists.
      const listed = clusterCheckNodes(topology()).nodes.map((n) => n.address);
      for (const port of masters) assert.ok(listed.includes(`127.0.0.1:${port}`));
      assert.deepEqual(
        report.slowLogNodes?.map((n) => n.node),
        listed,
      );
      assert.deepEqual(
        report.memoryNodes?.map((n) => n.node),
        listed,
      );
    } finally {
      await operator.config('SET', 'slowlog-log-slower-than', '10000');
      await operator.call('SLOWLOG', 'RESET');
    }
  });

  it('Namespace Statistics on a cluster whose masters refuse MEMORY USAGE gives no memory figure and says why', async () => {
    const ports = await fixture.cluster.masterPorts();
    for (const port of ports) await node(port).call('ACL', 'SETUSER', 'default', '-memory');
    try {
      const stats = await clusterNamespaceStats(
        clusterMasters(cluster, endpoint),
        { name: 'user', prefix: Buffer.from('user:') },
        { totalKeys: 44 },
      );
      assert.ok(stats.sampled > 0);
      assert.equal(stats.estimatedBytes, undefined);
      assert.match(stats.memoryRefused ?? '', /^NOPERM/);
    } finally {
      for (const port of ports) await node(port).call('ACL', 'SETUSER', 'default', '+memory');
    }
  });

  it('names the master that stopped: Namespace Statistics fails naming it, each check says so as its one result', async () => {
    await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
    const model = await walkCluster(cluster, endpoint, { password: undefined }).done;
    const masters = clusterMasters(cluster, endpoint);
    const victim = masters[2];
    assert.ok(victim);
    const server = fixture.cluster.nodes.find((n) => n.port === victim.endpoint.port);
    assert.ok(server);
    await server.stop();
    const named = new RegExp(`127\\.0\\.0\\.1:${victim.endpoint.port} \\(cluster master, slots `);
    await assert.rejects(
      clusterNamespaceStats(masters, { name: 'user', prefix: Buffer.from('user:') }, { totalKeys: 44 }),
      (error: unknown) => {
        assert.match(String(error), named);
        return true;
      },
    );
    const report = await runChecks(cluster as unknown as Redis, model, DECLARED, {
      cluster: clusterCheckNodes(topology()),
    });
    for (const check of ['cacheTtl', 'memory', 'slowLog', 'deniedAccesses', 'clusterSlots'] as const) {
      assert.match(report.errors[check] ?? '', named, check);
    }
  });
});
