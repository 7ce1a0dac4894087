import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { killClientOn, listClientsOn } from '../../../../src/redis/cluster/clusterClients';
import { RunningProfile, startProfile } from '../../../../src/redis/cluster/clusterProfiler';
import { readClusterServerSample } from '../../../../src/redis/cluster/clusterSample';
import { describeNodeInfos, readNodeInfos } from '../../../../src/redis/cluster/nodes';
import { listClients } from '../../../../src/redis/observe/clientList';
import type { ProfiledCommand } from '../../../../src/redis/observe/profiler';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { nodeClient } from '../../../support/redisClient';
import { addUnsyncedReplica, ClusterNodeServer, slotMapPorts, useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'unsynced-replica-password-41be';

/**
 * A replica that has not finished its first sync (Redis 7.0 leaves it out of CLUSTER SLOTS,
 * and ioredis reads the slot map only when it connects or is redirected) still answers
 * clients: the INFO view gives it a card, the Clients view lists its connections and the
 * Profiler watches it, each naming it as a replica, found through its master's CLUSTER REPLICAS.
 */
describe('a replica the slot map leaves out (a real six-node cluster and a seventh node that cannot sync)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const topology = () => connection.topology();
  const opened: Redis[] = [];
  const running: RunningProfile[] = [];
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
  afterEach(() => {
    running.splice(0).forEach((profile) => profile.stop());
    opened.splice(0).forEach((client) => client.disconnect());
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

  it('Clients: a READONLY reader on the unsynced replica is listed naming that node and its role, and Kill Client closes it', async () => {
    const reader = await nodeClient(unsyncedAddress, { password: PASSWORD, name: 'late-reader' });
    opened.push(reader);
    await reader.call('READONLY');
    const clients = await listClientsOn(topology());
    const found = clients.filter((c) => c.name === 'late-reader');
    assert.deepEqual(
      found.map((c) => [c.node, c.role]),
      [[unsyncedAddress, 'replica']],
    );
    assert.ok(found[0]);
    assert.equal(await killClientOn(topology(), found[0]), true);
    await eventually('the killed reader closed', () => reader.status !== 'ready');
  });

  it('Profiler: a read on the unsynced replica is profiled naming that node as a replica', async () => {
    const commands: ProfiledCommand[] = [];
    const profile = await startProfile(
      topology(),
      connection.endpoint,
      { password: PASSWORD },
      {
        maxSeconds: 60,
        maxLines: 10_000,
        delimiter: ':',
        listClientsOn: (client: Redis) => listClients(client),
        onCommand: (command) => commands.push(command),
        onEnd: () => undefined,
      },
    );
    running.push(profile);
    assert.ok(profile.nodes.includes(unsyncedAddress), profile.nodes.join(', '));
    const reader = await nodeClient(unsyncedAddress, { password: PASSWORD });
    opened.push(reader);
    await reader.call('ECHO', 'late-replica-marker');
    const seen = await eventually('the ECHO profiled', () =>
      commands.find((c) => c.command === 'ECHO' && c.args.includes('late-replica-marker')),
    );
    assert.deepEqual([seen.node, seen.role], [unsyncedAddress, 'replica']);
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
