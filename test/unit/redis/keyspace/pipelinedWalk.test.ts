import * as assert from 'node:assert/strict';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf, stringKeys, writeKeys } from './support';

const FAST = { timeoutMs: 2000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

describe('pipelined keyspace walk (RespScanSource.scanParts) against a real redis-server', function () {
  this.timeout(60_000);

  it('walks a server whose client-output-buffer-limit for normal clients holds two SCAN replies but not four', async () => {
    // A shared server may cap what it keeps queued for a client (the normal class), and closes a
    // client over the cap. ~250 keys of ~420 bytes a reply: ~105 KB each, under the 300 KB cap twice.
    const server = await startRedisServer({ config: 'client-output-buffer-limit normal 300kb 0 0\n' });
    try {
      const admin = await clientOf(server);
      await writeKeys(
        admin,
        stringKeys(20_000, (i) => `long:${i % 2}:${'k'.repeat(400)}:${i}`),
      );
      const model = await walkKeyspace({ endpoint: endpointOf(server), credentials: {}, tuning: FAST }).done;
      assert.equal(model.totalKeys, 20_000);
      admin.disconnect();
    } finally {
      await server.stop();
    }
  });
});
