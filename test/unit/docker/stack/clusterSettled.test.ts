import * as assert from 'node:assert/strict';
import { clusterFormed, ClusterNodeView, parseClusterNodes } from '../../../../src/docker/stack/clusterHealth';

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
