import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { listClientsOn } from '../../../../src/redis/cluster/clusterClients';
import { RunningProfile, startProfile } from '../../../../src/redis/cluster/clusterProfiler';
import { describeNodeInfos, readNodeInfos } from '../../../../src/redis/cluster/nodes';
import { listClients } from '../../../../src/redis/observe/clientList';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { nodeClient } from '../../../support/redisClient';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'attack-replicas-password-0c3d';

/** Every node of the client's slot map, after reading it again until it lists the three replicas. */
async function sixNodesInSlotMap(connection: ReturnType<typeof useClusterTopology>): Promise<void> {
  await eventually('the six nodes in the slot map', async () => {
    await new Promise<void>((resolve) => connection.cluster.refreshSlotsCache(() => resolve()));
    return (
      connection
        .topology()
        .masters()
        .flatMap((m) => [m.address, ...m.replicas]).length === 6
    );
  });
}

/*
 * Attacks on the replicas' part of INFO, Clients and Profiler (everyNode.ts): a replica that
 * stopped (the cluster has not flagged it `fail` yet) and an operator who may not run
 * CLUSTER REPLICAS.
 */
describe('attack: a stopped replica, on INFO, the Clients view and the Profiler (a real six-node cluster)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const opened: Redis[] = [];
  const running: RunningProfile[] = [];
  after(() => {
    running.splice(0).forEach((profile) => profile.stop());
    opened.splice(0).forEach((client) => client.disconnect());
  });

  it("a replica that stopped answering leaves the masters' clients listed and the profile running on the other nodes, each saying which node was left out", async () => {
    await sixNodesInSlotMap(connection);
    const masters = await fixture.cluster.masterPorts();
    const replica = fixture.cluster.nodes.find((n) => !masters.includes(n.port));
    assert.ok(replica);
    const address = `${replica.host}:${replica.port}`;
    const [master] = connection.topology().masters();
    assert.ok(master);
    opened.push(await nodeClient(master.address, { password: PASSWORD, name: 'still-here-service' }));
    await replica.stop();

    const left: string[] = [];
    const clients = await listClientsOn(connection.topology(), (node, reason) => left.push(`${node}: ${reason}`));
    assert.deepEqual(
      clients.filter((c) => c.name === 'still-here-service').map((c) => c.node),
      [master.address],
    );
    assert.equal(left.length, 1, left.join('\n'));
    assert.ok(left[0]?.startsWith(`${address} (cluster replica of `), left[0]);

    const profile = await startProfile(
      connection.topology(),
      connection.endpoint,
      { password: PASSWORD },
      {
        maxSeconds: 60,
        maxLines: 1000,
        delimiter: ':',
        listClientsOn: (client: Redis) => listClients(client),
        onCommand: () => undefined,
        onEnd: () => undefined,
      },
    );
    running.push(profile);
    assert.equal(profile.nodes.includes(address), false);
    assert.equal(profile.nodes.length, 5);
    assert.deepEqual(
      profile.notWatched?.map((n) => n.node),
      [address],
    );

    const cards = describeNodeInfos(await readNodeInfos(connection.topology()));
    assert.ok(
      cards.some((s) => s.title === `${address} · replica · not reachable`),
      cards.map((s) => s.title).join('\n'),
    );
  });
});

describe('attack: an operator who may not run CLUSTER REPLICAS (a real six-node cluster)', function () {
  this.timeout(90_000);
  // The default user, which every node and the replicas' masterauth use, keeps +@all but CLUSTER REPLICAS.
  const fixture = useRedisCluster({
    password: PASSWORD,
    acl: `user default on >${PASSWORD} ~* &* +@all -cluster|replicas\n`,
  });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);

  it("INFO and the Clients view fall back to the slot map's replicas instead of failing", async () => {
    await sixNodesInSlotMap(connection);
    const nodes = await readNodeInfos(connection.topology());
    assert.deepEqual(nodes.map((n) => n.role).sort(), ['master', 'master', 'master', 'replica', 'replica', 'replica']);
    assert.ok(nodes.every((n) => n.summary !== undefined));
    const clients = await listClientsOn(connection.topology());
    assert.equal(new Set(clients.map((c) => c.node)).size, 6);
  });
});
