import * as assert from 'node:assert/strict';
import { connectCluster } from '../../../../src/redis/cluster/connection';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { useRedisServer } from '../../../support/useRedisServer';

describe('a cluster connection to a server that is not in cluster mode', function () {
  this.timeout(20_000);
  const server = useRedisServer();

  it('says the server is not a cluster and which setting asked for one', async () => {
    const endpoint = { host: server.host, port: server.port, db: 0, tls: false };
    await assert.rejects(
      connectCluster(endpoint, {}, { timeoutMs: 1500, maxReconnects: 1, connectionName: 'unit' }),
      (error: unknown) => {
        assert.ok(error instanceof RedisConnectionError, String(error));
        assert.match(error.message, new RegExp(`Redis at 127\\.0\\.0\\.1:${server.port} is not a Redis Cluster`));
        assert.match(error.message, /sharedRedis\.stackVariant/);
        return true;
      },
    );
  });
});
