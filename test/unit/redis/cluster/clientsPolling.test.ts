import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { listClientsOn } from '../../../../src/redis/cluster/clusterClients';
import { ReplicaCache } from '../../../../src/redis/cluster/replicaCache';
import { parseInfo } from '../../../../src/redis/info';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { nodeClient } from '../../../support/redisClient';
import {
  addUnsyncedReplica,
  ClusterNodeServer,
  RedisClusterFixture,
  useRedisCluster,
  withNode,
} from '../../../support/redisCluster';

const PASSWORD = 'clients-polling-password-7c1d';
const POLLS = 5;

/**
 * The Clients view polls every 2 s. On a cluster each poll needs every master's replicas
 * (CLUSTER REPLICAS: the slot map leaves out a replica that has not synced yet); they change
 * only when the cluster does, so a poll asks for them only then, and still sees a replica
 * that joins or stops.
 */
describe('polling the clients of a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const topology = () => connection.topology();
  const opened: Redis[] = [];
  let added: ClusterNodeServer | undefined;
  afterEach(() => opened.splice(0).forEach((client) => client.disconnect()));
  after(async () => {
    await added?.stop();
  });

  it(`asks the masters for their replicas once over ${POLLS} polls of an unchanged cluster, not on every poll`, async () => {
    const cache = new ReplicaCache();
    const before = await replicasCalls(fixture.cluster);
    for (let i = 0; i < POLLS; i++) {
      const clients = await listClientsOn(topology(), undefined, cache);
      assert.ok(
        clients.some((c) => c.role === 'replica'),
        'the replicas are listed',
      );
    }
    const after = await replicasCalls(fixture.cluster);
    assert.equal(after - before, topology().masters().length, 'one CLUSTER REPLICAS per master, for the first poll');
  });

  it('a replica that joins is listed at the next poll, and one that stops is left out, said, and read again', async () => {
    const cache = new ReplicaCache();
    await listClientsOn(topology(), undefined, cache);
    const [master] = topology().masters();
    assert.ok(master);
    added = await addUnsyncedReplica(fixture.cluster, Number(master.address.split(':')[1]));
    const address = `${added.host}:${added.port}`;
    const reader = await nodeClient(address, { password: PASSWORD, name: 'joined-reader' });
    opened.push(reader);
    await reader.call('READONLY');
    const listed = await listClientsOn(topology(), undefined, cache);
    assert.deepEqual(
      listed.filter((c) => c.name === 'joined-reader').map((c) => [c.node, c.role]),
      [[address, 'replica']],
    );

    await added.stop();
    const leftOut: string[] = [];
    const clients = await listClientsOn(topology(), (node) => leftOut.push(node), cache);
    assert.ok(
      leftOut.some((node) => node.startsWith(address)),
      leftOut.join(', '),
    );
    assert.ok(
      clients.some((c) => c.role === 'master'),
      "the masters' clients are still listed",
    );
    // Once the cluster flags it failed, polls ask again and leave it out without trying it.
    const before = await replicasCalls(fixture.cluster);
    await eventually('the stopped replica no longer tried', async () => {
      const silent: string[] = [];
      await listClientsOn(topology(), (node) => silent.push(node), cache);
      return silent.length === 0;
    });
    assert.ok((await replicasCalls(fixture.cluster)) > before, 'the replica lists were read again');
  });

  it('a failover: the promoted replica is listed once, as a master, by the polls that follow', async () => {
    const cache = new ReplicaCache();
    await listClientsOn(topology(), undefined, cache);
    const victimPort = (await fixture.cluster.masterPorts())[0];
    const victim = fixture.cluster.nodes.find((n) => n.port === victimPort);
    assert.ok(victim);
    const replicaPorts = await withNode(victim, PASSWORD, async (client) => {
      const id = String(await client.call('CLUSTER', 'MYID'));
      return ((await client.call('CLUSTER', 'REPLICAS', id)) as unknown[]).map((line) =>
        Number(/:(\d+)@/.exec(String(line))?.[1]),
      );
    });
    const [promotedPort] = replicaPorts;
    assert.ok(promotedPort !== undefined);
    const promoted = `${victim.host}:${promotedPort}`;
    const reader = await nodeClient(promoted, { password: PASSWORD, name: 'promoted-reader' });
    opened.push(reader);
    await victim.stop();
    await eventually(
      'the replica to take over',
      async () => (await fixture.cluster.masterPorts()).includes(promotedPort),
      30_000,
    );
    // Nothing here reads the slot map again (ioredis does only on a MOVED reply, which CLIENT LIST
    // never gets): the polls must find the new master themselves.
    await eventually('the promoted node listed as a master, once', async () => {
      // While the nodes settle, a poll may still ask the stopped master: it fails (the Clients
      // view says so) and the next poll asks again.
      const listed = await listClientsOn(topology(), undefined, cache).catch(() => undefined);
      if (!listed) return undefined;
      const found = listed.filter((c) => c.name === 'promoted-reader');
      return found.length === 1 && found[0]?.node === promoted && found[0].role === 'master';
    });
  });
});

/** CLUSTER REPLICAS calls the six nodes have served so far (INFO commandstats: `cmdstat_cluster|replicas`). */
async function replicasCalls(cluster: RedisClusterFixture): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes) {
    const info = parseInfo(
      await withNode(node, cluster.password, async (client) => String(await client.info('commandstats'))),
    );
    const stat = info.get('commandstats')?.['cmdstat_cluster|replicas'] ?? '';
    total += Number(/calls=(\d+)/.exec(stat)?.[1] ?? 0);
  }
  return total;
}
