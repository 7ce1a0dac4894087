import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { connectCluster } from '../../src/redis/cluster/connection';
import { clusterMasters, Topology } from '../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../src/redis/endpoint';
import { RedisClusterFixture } from './redisCluster';

const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

/**
 * Mocha: the extension's cluster connection (connectCluster from the first node) to a suite's
 * test cluster, opened in `before` and closed in `after`, and the topology the session would give.
 */
export function useClusterTopology(
  fixture: () => RedisClusterFixture,
  password: string,
): { readonly cluster: Cluster; readonly endpoint: RedisEndpoint; topology(): ClusterTopology } {
  let cluster: Cluster | undefined;
  let endpoint: RedisEndpoint | undefined;
  before(async () => {
    const seed = fixture().nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, { password }, FAST);
  });
  after(() => cluster?.disconnect());
  const opened = (): { cluster: Cluster; endpoint: RedisEndpoint } => {
    if (!cluster || !endpoint) throw new Error('useClusterTopology: the connection is open only inside the suite');
    return { cluster, endpoint };
  };
  return {
    get cluster() {
      return opened().cluster;
    },
    get endpoint() {
      return opened().endpoint;
    },
    topology: () => {
      const { cluster: client, endpoint: at } = opened();
      return { kind: 'cluster', cluster: client, endpoint: at, masters: () => clusterMasters(client, at) };
    },
  };
}
