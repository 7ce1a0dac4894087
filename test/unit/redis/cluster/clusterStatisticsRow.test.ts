import * as assert from 'node:assert/strict';
import {
  describeClusterNamespaceStats,
  type ClusterNamespaceStats,
} from '../../../../src/redis/cluster/clusterStatistics';

describe("a cluster namespace's row in the per-namespace table", () => {
  const stats = (keysExact: boolean, movingSlots: number[]): ClusterNamespaceStats => ({
    name: 'user',
    keys: 1200,
    keysExact,
    shareOfAll: 0.5,
    sampled: 100,
    sampledWithTtl: 50,
    ttlShare: 0.5,
    sampledBytes: 6400,
    estimatedBytes: 76800,
    exact: false,
    scanCalls: 3,
    masters: [
      { address: '127.0.0.1:7001', keys: 600, keysExact: keysExact && movingSlots.length === 0 },
      { address: '127.0.0.1:7002', keys: 600, keysExact: keysExact && movingSlots.length === 0 },
    ],
    movingSlots,
  });

  it('says "≈", not "≥", of a count a resharding moved keys under, whether or not it was a bound', () => {
    assert.equal(describeClusterNamespaceStats(stats(false, [42])).keys, '≈ 1,200 keys');
    assert.equal(describeClusterNamespaceStats(stats(true, [42])).keys, '≈ 1,200 keys');
  });

  it('keeps "≥" of a bounded count and nothing of an exact one when no slot moved', () => {
    assert.equal(describeClusterNamespaceStats(stats(false, [])).keys, '≥ 1,200 keys');
    assert.equal(describeClusterNamespaceStats(stats(true, [])).keys, '1,200 keys');
  });
});
