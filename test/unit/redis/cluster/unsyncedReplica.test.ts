import * as assert from 'node:assert/strict';
import { readClusterServerSample } from '../../../../src/redis/cluster/clusterSample';
import { describeNodeInfos, readNodeInfos } from '../../../../src/redis/cluster/nodes';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { addUnsyncedReplica, ClusterNodeServer, slotMapPorts, useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'unsynced-replica-password-41be';

/**
 * A replica that has not finished its first sync (Redis 7.0 leaves it out of CLUSTER SLOTS,
 * and ioredis reads the slot map only when it connects or is redirected) still answers
 * clients: the INFO view gives it a card (and its charts count it), found through its
 * master's CLUSTER REPLICAS.
 */
describe('a replica the slot map leaves out (a real six-node cluster and a seventh node that cannot sync)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const topology = () => connection.topology();
  let unsynced: ClusterNodeServer | undefined;
  let unsyncedAddress = '';
  let masterAddress = '';

  before(async function () {
    this.timeout(60_000);
    // The other replicas in the client's slot map first: only the seventh node is left out.
    await eventually('the six nodes in the slot map', async () => {
      await new Promise<void>((resolve) => connection.cluster.refreshSlotsCache(() => resolve()));
      return (
        topology()
          .masters()
          .flatMap((m) => [m.address, ...m.replicas]).length === 6
      );
    });
    const [master] = topology().masters();
    assert.ok(master);
    masterAddress = master.address;
    unsynced = await addUnsyncedReplica(fixture.cluster, Number(master.address.split(':')[1]));
    unsyncedAddress = `${unsynced.host}:${unsynced.port}`;
    await new Promise<void>((resolve) => connection.cluster.refreshSlotsCache(() => resolve()));
  });
  after(async () => {
    await unsynced?.stop();
  });

  it('is left out of CLUSTER SLOTS and of the client slot map (the premise)', async () => {
    assert.ok(unsynced);
    const [first] = fixture.cluster.nodes;
    assert.ok(first);
    assert.equal((await slotMapPorts(fixture.cluster, first.port)).includes(unsynced.port), false);
    assert.equal(
      topology()
        .masters()
        .some((m) => m.replicas.includes(unsyncedAddress)),
      false,
    );
  });

  it('INFO: every node gets a card, the unsynced replica as a replica of its master', async () => {
    const nodes = await readNodeInfos(topology());
    assert.equal(nodes.length, 7, nodes.map((n) => `${n.address} ${n.role}`).join(', '));
    const card = nodes.find((n) => n.address === unsyncedAddress);
    assert.deepEqual([card?.role, card?.serves], ['replica', `replica of ${masterAddress}`]);
    const sections = describeNodeInfos(nodes);
    assert.ok(sections.some((s) => s.title === `${unsyncedAddress} · replica`));
    assert.equal(sections[0]?.fields[0]?.value, '3 masters, 4 replicas');
  });

  it("INFO charts: the sample sums every node's figures, the unsynced replica's too", async () => {
    const sample = await readClusterServerSample(topology(), () => undefined);
    assert.equal(sample.reading.runId?.split(',').length, 7);
  });

  it('INFO: a replica that stopped answering still gets a card, saying it could not be reached', async () => {
    assert.ok(unsynced);
    await unsynced.stop();
    const nodes = await readNodeInfos(topology());
    assert.equal(nodes.length, 7);
    const card = nodes.find((n) => n.address === unsyncedAddress);
    assert.equal(card?.summary, undefined);
    assert.match(card?.error ?? '', /\S/);
    const section = describeNodeInfos(nodes).find((s) => s.title.startsWith(`${unsyncedAddress} · replica`));
    assert.ok(section);
    assert.match(section.fields.map((f) => `${f.label}: ${f.value}`).join('\n'), /^Not reachable: /m);
  });
});
