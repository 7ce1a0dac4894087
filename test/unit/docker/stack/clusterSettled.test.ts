import * as assert from 'node:assert/strict';
import {
  clusterFormed,
  ClusterNodeView,
  parseClusterNodes,
  replicaSynced,
  slotsListAll,
} from '../../../../src/docker/stack/clusterHealth';

// CLUSTER NODES as a node prints it right after `redis-cli --cluster create`: the cluster is
// ok, but node 4 has not yet been told to replicate, so it still reads as a master without slots.
const JUST_CREATED = `
a1 10.0.0.2:6379@16379,redis-node-1 myself,master - 0 0 1 connected 0-5460
a2 10.0.0.3:6379@16379,redis-node-2 master - 0 0 2 connected 5461-10922
a3 10.0.0.4:6379@16379,redis-node-3 master - 0 0 3 connected 10923-16383
a4 10.0.0.5:6379@16379,redis-node-4 master - 0 0 0 connected
a5 10.0.0.6:6379@16379,redis-node-5 slave a1 0 0 1 connected
a6 10.0.0.7:6379@16379,redis-node-6 slave a2 0 0 2 connected
`;

function views(text: string): ClusterNodeView[] {
  const nodes = parseClusterNodes(text);
  return nodes.map((_, i) => ({ service: `redis-node-${i + 1}`, state: 'ok', nodes, error: undefined }));
}

describe('when a cluster stack counts as formed', () => {
  it('not while a node still reads as a master without slots (its replica role not yet known)', () => {
    assert.equal(clusterFormed(views(JUST_CREATED)), false);
  });

  it('once every master owns slots and the others replicate', () => {
    assert.equal(clusterFormed(views(JUST_CREATED.replace('redis-node-4 master - 0 0 0', 'redis-node-4 slave a3 0 0 3'))), true);
  });
});

// CLUSTER SLOTS as redis-cli prints it (one value a line) right after a restore: the replica of
// 0-5460 has synced, the one of 5461-10922 has not, so Redis leaves it out.
const SLOTS_WHILE_SYNCING = ['0', '5460', 'redis-node-1', '6379', 'a1', 'ip', '10.0.0.2', 'redis-node-5', '6379', 'a5', 'ip', '10.0.0.6', '5461', '10922', 'redis-node-2', '6379', 'a2', 'ip', '10.0.0.3'].join('\n');

describe('when a replica counts as synced after a restore', () => {
  it('once its link to the master is up and no full sync is running', () => {
    assert.equal(replicaSynced('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\n'), true);
    assert.equal(replicaSynced('# Replication\r\nrole:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\n'), false);
    assert.equal(replicaSynced('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:1\r\n'), false);
  });

  it('once CLUSTER SLOTS lists it (Redis leaves a replica out until it has synced)', () => {
    assert.equal(slotsListAll(SLOTS_WHILE_SYNCING, ['a5']), true);
    assert.equal(slotsListAll(SLOTS_WHILE_SYNCING, ['a5', 'a6']), false);
  });
});
