import * as assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { keySlot, Topology } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { clusterTopology, RedisClusterFixture, useRedisCluster } from '../../../support/redisCluster';

export const FAST = { timeoutMs: 3000, maxReconnects: 1, connectionName: 'shared-redis-unit' };

/** A hash tag whose keys land in `slot`. */
export function tagFor(slot: number): string {
  for (let i = 0; ; i++) if (keySlot(`t${i}`) === slot) return `t${i}`;
}

/** The attack suites' cluster (six real nodes, a password) and the extension's cluster client to it. */
export interface AttackCluster {
  readonly fixture: RedisClusterFixture;
  readonly cluster: Cluster;
  readonly endpoint: RedisEndpoint;
  topology(): Topology;
}

/** Mocha: starts the cluster and connects the extension's client in `before`, disconnects in `after`. */
export function useAttackCluster(password: string): AttackCluster {
  const started = useRedisCluster({ password });
  let cluster: Cluster | undefined;
  let endpoint: RedisEndpoint | undefined;
  before(async () => {
    const seed = started.cluster.nodes[0];
    assert.ok(seed);
    endpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    cluster = await connectCluster(endpoint, { password }, FAST);
  });
  after(() => cluster?.disconnect());
  const connected = (): { cluster: Cluster; endpoint: RedisEndpoint } => {
    if (!cluster || !endpoint) throw new Error('useAttackCluster: connected only inside the suite');
    return { cluster, endpoint };
  };
  return {
    get fixture() {
      return started.cluster;
    },
    get cluster() {
      return connected().cluster;
    },
    get endpoint() {
      return connected().endpoint;
    },
    topology: () => clusterTopology(connected().cluster, connected().endpoint),
  };
}
