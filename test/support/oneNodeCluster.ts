import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { RedisServer, startRedisServer } from './redisServer';

/** A one-node cluster of a real server owning every slot, filled with `keys` keys `user:N:profile`; stopped by the caller through `started`. */
export async function oneNodeCluster(
  binary: string | undefined,
  started: RedisServer[],
  keys: number,
  acl?: string,
): Promise<RedisServer> {
  const node = await startRedisServer({
    config: 'cluster-enabled yes\ncluster-announce-ip 127.0.0.1\n',
    ...(binary === undefined ? {} : { binary }),
    ...(acl === undefined ? {} : { acl }),
  });
  started.push(node);
  const admin = new Redis({ host: node.host, port: node.port, lazyConnect: true });
  await admin.connect();
  try {
    assert.equal(await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), 'OK');
    for (let tries = 0; !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))); tries++) {
      assert.ok(tries < 100, 'the one-node cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pipeline = admin.pipeline();
    for (let i = 0; i < keys; i++) pipeline.set(`user:${i}:profile`, 'p');
    await pipeline.exec();
    assert.equal(await admin.dbsize(), keys);
  } finally {
    admin.disconnect();
  }
  return node;
}

/** What the Keys view shows as a walk's share done only rises, as the walk goes on. */
export function assertShareRises(fractions: readonly number[]): void {
  const falls = fractions.filter((fraction, i) => i > 0 && fraction < (fractions[i - 1] ?? 0));
  assert.ok(fractions.length >= 5, `${fractions.length} progress events`);
  assert.deepEqual(
    falls,
    [],
    `the share walked went back: ${fractions
      .slice(0, 40)
      .map((f) => f.toFixed(3))
      .join(' ')}`,
  );
}
