import * as assert from 'node:assert/strict';
import { LOST_NODE_REFRESH } from '../../../../src/redis/cluster/connection';
import { pingMasters } from '../../../../src/redis/cluster/nodes';
import { parseInfo } from '../../../../src/redis/info';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { RedisClusterFixture, useRedisCluster, withNode } from '../../../support/redisCluster';

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
    const first = await pingMasters(connection.topology());
    assert.equal(first.filter((ping) => 'result' in ping).length, 3, 'all three masters answer before');
    const victimPort = (await fixture.cluster.masterPorts())[0];
    const victim = fixture.cluster.nodes.find((node) => node.port === victimPort);
    assert.ok(victim);
    await victim.stop();
    const promoted = await eventually(
      'a replica to take the stopped master’s slots over',
      async () =>
        (await fixture.cluster.masterPorts()).find(
          (port) => port !== victimPort && !first.some((p) => p.master.address.endsWith(`:${port}`)),
        ),
      30_000,
    );

    const answered = await eventually(
      'PING answered by three masters, the promoted one among them',
      async () => {
        const pings = await pingMasters(connection.topology());
        const addresses = pings.filter((ping) => 'result' in ping).map((ping) => ping.master.address);
        return pings.length === 3 && addresses.length === 3 && addresses.some((a) => a.endsWith(`:${promoted}`))
          ? addresses
          : undefined;
      },
      20_000,
    );
    assert.ok(
      !answered.some((a) => a.endsWith(`:${victimPort}`)),
      `the stopped master is not asked: ${answered.join(', ')}`,
    );

    // Reading the map again is for a lost node only: once the new map is known it stops.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = await clusterSlotsCalls(fixture.cluster);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await clusterSlotsCalls(fixture.cluster), before, 'no CLUSTER SLOTS while the cluster stays as it is');
  });
});

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
