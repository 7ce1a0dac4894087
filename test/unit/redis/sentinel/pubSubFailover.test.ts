import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { Subscription } from '../../../../src/redis/observe/subscription';
import { parseSentinelSettings } from '../../../../src/redis/sentinel/config';
import { eventually } from '../../../support/eventually';
import { SentinelSetup, startSentinelSetup } from '../../../support/redisSentinel';

describe('Pub/Sub through Sentinel (a real master, its replica and two Sentinels)', function () {
  this.timeout(120_000);
  let setup: SentinelSetup;
  before(async function () {
    this.timeout(60_000);
    setup = await startSentinelSetup(2, 'pubsub-master');
  });
  after(async () => setup?.stop());

  it('a subscription follows the new master after SENTINEL FAILOVER, and lives on once the old master is gone', async () => {
    const endpoint: RedisEndpoint = {
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      tls: false,
      sentinel: parseSentinelSettings(
        setup.sentinels.map(({ host, port }) => `${host}:${port}`),
        setup.masterName,
      ),
    };
    const received: string[] = [];
    let ended: string | undefined;
    const subscription = await Subscription.open(
      endpoint,
      { password: setup.password },
      'orders:events',
      (message) => received.push(message.message),
      (why) => (ended = why),
    );
    // Closed whatever fails from here: a subscription left open through Sentinel reconnects to the
    // stopped Sentinels for ever, and mocha's process never ended (CI, 2026-12-04).
    let publisher: Redis | undefined;
    try {
      const old = await setup.master();
      const fresh = await setup.failover();
      const connected = new Redis({ host: fresh.host, port: fresh.port, password: setup.password });
      publisher = connected;
      connected.on('error', () => undefined);
      const arrives = (text: string): Promise<boolean> =>
        eventually(
          `"${text}", published on the new master, to arrive`,
          async () => {
            // Again until it arrives: the subscriber may be reconnecting to the new master meanwhile,
            // and Sentinel closes the promoted server's clients (CLIENT KILL) as it reconfigures it.
            await connected.publish('orders:events', text).catch(() => 0);
            return (
              received.includes(text) || (ended === undefined ? false : assert.fail(`the subscription ended: ${ended}`))
            );
          },
          30_000,
        );
      await arrives('after the failover');
      // The demoted master goes away (it was failed over to be retired): the subscription is not on it.
      await old.stop();
      await arrives('after the old master stopped');
      assert.equal(subscription.open, true);
      assert.equal(ended, undefined);
    } finally {
      subscription.close();
      publisher?.disconnect();
    }
  });
});
