import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { ExpireResult, expireKeysWithoutTtl, planTtlForKeysWithoutOne } from '../../../../src/redis/checks/cacheTtl';
import { useRedisServer } from '../../../support/useRedisServer';

/**
 * The bulk key operations against a real redis-server, where what they did differs from
 * what they say they did.
 */
describe('bulk key operations: what they say they did', function () {
  this.timeout(60_000);
  // `writer` may read every key but write only cache:own:* (a service user of its own namespace).
  const server = useRedisServer({
    acl: 'user default on nopass ~* &* +@all\nuser writer on >writer-pw %R~* %W~cache:own:* &* +@all\n',
  });
  let client: Redis;

  before(async () => {
    client = await server.connect();
  });
  beforeEach(() => client.flushdb()); // this suite's own server

  it('Set TTL on Keys Without One refused for one key of a batch reports the TTLs the rest of that batch got', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 40; i++) pipeline.set(`cache:own:${i}`, 'v');
    pipeline.set('cache:other:1', 'v');
    await pipeline.exec();
    const writer = server.keep(await server.connect());
    await writer.call('AUTH', 'writer', 'writer-pw');
    const plan = await planTtlForKeysWithoutOne(writer, Buffer.from('cache:'));
    assert.equal(plan.count, 41);
    let partial: ExpireResult | undefined;
    await assert.rejects(
      expireKeysWithoutTtl(writer, plan, 3600, { batchSize: 1000 }),
      (error: Error & { partial?: ExpireResult }) => {
        partial = error.partial;
        return /NOPERM/.test(error.message);
      },
    );
    // The other keys of the batch were sent in the same pipeline and got the TTL.
    let withTtl = 0;
    for (let i = 0; i < 40; i++) if ((await client.ttl(`cache:own:${i}`)) > 0) withTtl++;
    assert.equal(withTtl, 40);
    assert.equal(partial?.expired, withTtl, 'the failure says how many keys got the TTL');
  });
});
