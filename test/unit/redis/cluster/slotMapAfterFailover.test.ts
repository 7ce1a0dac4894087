import * as assert from 'node:assert/strict';
import { LOST_NODE_REFRESH } from '../../../../src/redis/cluster/connection';
import { MasterPing, pingMasters } from '../../../../src/redis/cluster/nodes';
import { parseInfo } from '../../../../src/redis/info';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import type { Topology } from '../../../../src/redis/cluster/topology';
import {
  ClusterNodeServer,
  masterPortsOf,
  RedisClusterFixture,
  useRedisCluster,
  withNode,
} from '../../../support/redisCluster';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

const PASSWORD = 'slot-map-failover-password-91d2';

/**
 * Server Info, the checks, TTL and Namespace Statistics of a cluster ask every master of the
 * client's slot map. ioredis reads that map again only on a MOVED reply, which commands sent
 * to one node (PING, INFO, SCAN) never get: after a failover they went on asking the stopped
 * master until a key command happened to be redirected.
 */
describe('the cluster slot map after a failover (a real six-node cluster)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);

  it('a master whose connection was closed (CLIENT KILL, an idle timeout) answers PING again, with no key command', async () => {
    const first = await pingMasters(connection.topology());
    assert.equal(first.filter((ping) => 'result' in ping).length, 3, 'all three masters answer before');
    const master = first[0]?.master;
    assert.ok(master);
    const [host, port] = master.address.split(':');
    await withNode({ host: host ?? '', port: Number(port) }, PASSWORD, async (client) => {
      const list = String(await client.call('CLIENT', 'LIST'));
      const ours = list.split('\n').filter((line) => / name=shared-redis-unit /.test(line));
      assert.ok(ours.length > 0, 'the cluster connection is on that master');
      for (const line of ours) await client.call('CLIENT', 'KILL', 'ID', String(/\bid=(\d+)/.exec(line)?.[1]));
    });
    await eventually(
      'PING answered by all three masters again',
      async () => {
        const pings = await pingMasters(connection.topology());
        return pings.length === 3 && pings.every((ping) => 'result' in ping);
      },
      10_000,
    );
  });

  it('PING of every master reaches the promoted replica, with no key command, and the map is then left alone', async () => {
    const { victim, first } = await aMaster(fixture.cluster, connection.topology());
    await victim.stop();
    const answered = await promotedReached(fixture.cluster, connection.topology(), victim, first);
    assert.ok(
      !answered.some((a) => a.endsWith(`:${victim.port}`)),
      `the stopped master is not asked: ${answered.join(', ')}`,
    );

    // Reading the map again is for a lost node only: once the new map is known it stops.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = await clusterSlotsCalls(fixture.cluster);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await clusterSlotsCalls(fixture.cluster), before, 'no CLUSTER SLOTS while the cluster stays as it is');
  });
});

describe('the cluster slot map after a master hangs (a real six-node cluster)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);

  it('PING of every master reaches the replica that took over from a paused master (its connection stays open)', async () => {
    const { victim, first } = await aMaster(fixture.cluster, connection.topology());
    victim.pause(); // SIGSTOP: the kernel keeps its connections open, Redis answers nothing
    try {
      await promotedReached(fixture.cluster, connection.topology(), victim, first);
    } finally {
      victim.resume(); // it rejoins as a replica; the suite's cluster is stopped after it
    }
  });
});

/** The first master, once all three answered PING (their connections are open). */
async function aMaster(
  cluster: RedisClusterFixture,
  topology: ClusterTopology,
): Promise<{ victim: ClusterNodeServer; first: MasterPing[] }> {
  const first = await pingMasters(topology);
  assert.equal(first.filter((ping) => 'result' in ping).length, 3, 'all three masters answer before');
  const victimPort = (await cluster.masterPorts())[0];
  const victim = cluster.nodes.find((node) => node.port === victimPort);
  assert.ok(victim);
  return { victim, first };
}

/**
 * Waits for a replica to take `victim`'s slots over, then for PING of every master (with no
 * key command) to be answered by three masters, the promoted one among them; their addresses.
 */
async function promotedReached(
  cluster: RedisClusterFixture,
  topology: ClusterTopology,
  victim: ClusterNodeServer,
  first: readonly MasterPing[],
): Promise<string[]> {
  const others = cluster.nodes.filter((node) => node !== victim);
  const promoted = await eventually(
    'a replica to take the slots over',
    async () =>
      (await masterPortsOf(others, cluster.password)).find(
        (port) => !first.some((p) => p.master.address.endsWith(`:${port}`)),
      ),
    30_000,
  );
  return eventually(
    'PING answered by three masters, the promoted one among them',
    async () => {
      const pings = await pingMasters(topology);
      const addresses = pings.filter((ping) => 'result' in ping).map((ping) => ping.master.address);
      return pings.length === 3 && addresses.length === 3 && addresses.some((a) => a.endsWith(`:${promoted}`))
        ? addresses
        : undefined;
    },
    30_000,
  );
}

describe('the cluster slot map after a master stopped for good (a real cluster, no replicas)', function () {
  this.timeout(90_000);
  const saved = { ...LOST_NODE_REFRESH };
  // Shortened for the test: read every 200 ms, give up after 1.5 s (a second and a minute in use).
  before(() => Object.assign(LOST_NODE_REFRESH, { everyMs: 200, forMs: 1500 }));
  after(() => Object.assign(LOST_NODE_REFRESH, saved));
  const fixture = useRedisCluster({ password: PASSWORD, replicasPerMaster: 0 });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);

  it('stops reading the map once it gave up on the master, although views keep asking it', async () => {
    await pingMasters(connection.topology());
    const victim = fixture.cluster.nodes[0];
    assert.ok(victim);
    await victim.stop();
    // A view polling PING (Server Info, the Clients view) while the master stays down.
    const poll = async (ms: number): Promise<void> => {
      for (const end = Date.now() + ms; Date.now() < end;) {
        await pingMasters(connection.topology());
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    await poll(3000);
    const before = await clusterSlotsCalls(fixture.cluster);
    await poll(2000);
    assert.equal(await clusterSlotsCalls(fixture.cluster), before, 'no CLUSTER SLOTS after giving up');
  });
});

/** CLUSTER SLOTS calls the running nodes have served so far (INFO commandstats). */
async function clusterSlotsCalls(cluster: RedisClusterFixture): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes) {
    const info = await withNode(node, cluster.password, async (client) =>
      String(await client.info('commandstats')),
    ).catch(() => undefined);
    if (info === undefined) continue; // the stopped node
    const stat = parseInfo(info).get('commandstats')?.['cmdstat_cluster|slots'] ?? '';
    total += Number(/calls=(\d+)/.exec(stat)?.[1] ?? 0);
  }
  return total;
}
