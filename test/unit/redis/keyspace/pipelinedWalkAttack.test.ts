import * as assert from 'node:assert/strict';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf, stringKeys, writeKeys } from './support';

const FAST = { timeoutMs: 2000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

describe('pipelined keyspace walk under attack (RespScanSource.scanParts) against a real redis-server', function () {
  this.timeout(60_000);

  it('keeps to the reply budget when the first SCAN reply it reads is empty (a region of deleted keys)', async () => {
    // As in pipelinedWalk.test.ts: a shared server closes a client whose queued replies pass its
    // client-output-buffer-limit; one SCAN reply of ~250 keys of ~420 bytes (~105 KB) fits under
    // the 300 KB cap, four do not. Here the keys at the start of the cursor order (where the
    // first part's first `SCAN 0 COUNT 250` looks) were deleted, as an application that expires
    // or deletes keys leaves them: that first reply holds no keys, and it must not be taken as
    // the size of the replies to come.
    const server = await startRedisServer({ config: 'client-output-buffer-limit normal 300kb 0 0\n' });
    try {
      const admin = await clientOf(server);
      await writeKeys(
        admin,
        stringKeys(20_000, (i) => `long:${i % 2}:${'k'.repeat(400)}:${i}`),
      );
      // Delete what the walk's first SCAN (part 0 of 8: cursor 0, COUNT 250) would return, until it returns nothing.
      for (let round = 0; round < 100; round++) {
        const [, keys] = await admin.scanBuffer('0', 'COUNT', 250);
        if (keys.length === 0) break;
        await admin.del(...keys);
      }
      const [, first] = await admin.scanBuffer('0', 'COUNT', 250);
      assert.equal(first.length, 0, 'the first SCAN reply is empty');
      const expected = await admin.dbsize();
      assert.ok(expected > 15_000, `${expected} keys left`);

      const walk = walkKeyspace({ endpoint: endpointOf(server), credentials: {}, tuning: FAST });
      const outcome = await walk.done.then(
        (model) => model.totalKeys,
        (error: unknown) => error,
      );
      assert.equal(outcome, expected);
      admin.disconnect();
    } finally {
      await server.stop();
    }
  });
});
