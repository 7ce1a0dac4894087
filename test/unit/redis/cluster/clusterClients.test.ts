import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { killClientOn, listClientsOn, serverUsersOn } from '../../../../src/redis/cluster/clusterClients';
import { eventually } from '../../../support/eventually';
import { useClusterTopology } from '../../../support/clusterTopology';
import { nodeClient } from '../../../support/redisClient';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-clients-password-93fe';

describe('the Clients view on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const opened: Redis[] = [];

  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const topology = () => connection.topology();
  afterEach(() => opened.splice(0).forEach((client) => client.disconnect()));

  /** A service's connection straight to one master, named so that the test finds it. */
  async function connectTo(address: string, name: string): Promise<Redis> {
    // A killed connection stays closed (nodeClient does not reconnect, which would hide the kill).
    const client = await nodeClient(address, { password: PASSWORD, name });
    opened.push(client);
    return client;
  }

  it('lists the connections of every master, each naming its node, and the users the nodes know', async () => {
    const masters = topology()
      .masters()
      .map((master) => master.address);
    assert.equal(masters.length, 3);
    for (const [i, address] of masters.entries()) await connectTo(address, `orders-service-${i}`);
    const clients = await listClientsOn(topology());
    for (const [i, address] of masters.entries()) {
      const found = clients.filter((c) => c.name === `orders-service-${i}`);
      assert.deepEqual(
        found.map((c) => c.node),
        [address],
      );
    }
    assert.ok((await serverUsersOn(topology()))?.includes('default'));
  });

  it('lists the connections of every replica too (READONLY readers), each naming its node and role, and kills one there', async () => {
    const masters = await fixture.cluster.masterPorts();
    const replicas = fixture.cluster.nodes.filter((n) => !masters.includes(n.port)).map((n) => `${n.host}:${n.port}`);
    assert.equal(replicas.length, 3);
    const readers: Redis[] = [];
    for (const [i, address] of replicas.entries()) {
      const reader = await connectTo(address, `reader-service-${i}`);
      await reader.call('READONLY');
      readers.push(reader);
    }
    const clients = await listClientsOn(topology());
    for (const [i, address] of replicas.entries()) {
      assert.deepEqual(
        clients.filter((c) => c.name === `reader-service-${i}`).map((c) => [c.node, c.role]),
        [[address, 'replica']],
      );
    }
    assert.ok(clients.filter((c) => c.role === 'master').length > 0);
    const listed = clients.find((c) => c.name === 'reader-service-1');
    assert.ok(listed);
    assert.equal(await killClientOn(topology(), listed), true);
    await eventually('the killed reader closed', () => readers[1]?.status !== 'ready');
  });

  it('Kill Client closes the connection on the node it is listed on', async () => {
    const [, second] = topology()
      .masters()
      .map((master) => master.address);
    assert.ok(second);
    const victim = await connectTo(second, 'doomed-service');
    const listed = (await listClientsOn(topology())).find((c) => c.name === 'doomed-service');
    assert.ok(listed);
    assert.equal(await killClientOn(topology(), listed), true);
    await eventually('the killed connection closed', () => victim.status !== 'ready');
    assert.equal(
      (await listClientsOn(topology())).some((c) => c.name === 'doomed-service'),
      false,
    );
  });
});
