import * as assert from 'node:assert/strict';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { useRedisServer } from '../../../support/useRedisServer';

const FAST = { timeoutMs: 3000, maxReconnects: 3, connectionName: 'shared-redis-unit' };

describe('connecting to a Redis Cluster that is not formed yet (a real cluster-mode redis-server without slots)', function () {
  // The bound of the test, not of the product: the connection gives up after its reconnects (a few seconds).
  this.timeout(20_000);
  // As the stack's nodes are between their start and the init's `redis-cli --cluster create`.
  const server = useRedisServer({ extraArgs: ['--cluster-enabled', 'yes'] });

  it('fails, saying the cluster state is not ok, instead of waiting forever', async () => {
    const endpoint = { host: server.host, port: server.port, db: 0, tls: false };
    await assert.rejects(connectCluster(endpoint, { password: undefined }, FAST), (error: unknown) => {
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.equal(error.endpoint, `127.0.0.1:${server.port}`);
      assert.match(error.reason, /cluster_state is not ok/);
      return true;
    });
  });
});
