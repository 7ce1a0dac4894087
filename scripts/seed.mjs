// Seeds a Redis with the namespaces of the design, for the demo and the screenshots:
// auth:session:*, auth:token:*, user:profile:*, user:roles:*, shared:config:app, some
// with TTLs. It only writes keys under those namespaces.
// Usage: node scripts/seed.mjs [port] [host]  (user and password, if any, from REDIS_USERNAME and REDIS_PASSWORD)
import Redis from 'ioredis';

const port = Number(process.argv[2] ?? 6379);
const host = process.argv[3] ?? '127.0.0.1';
const redis = new Redis({
  host,
  port,
  username: process.env.REDIS_USERNAME || undefined,
  password: process.env.REDIS_PASSWORD || undefined,
  lazyConnect: true,
});
await redis.connect();

const users = ['1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008'];
const pipeline = redis.pipeline();
users.forEach((id, i) => {
  pipeline.hset(`auth:session:${id}`, {
    userId: id,
    device: i % 2 ? 'ios' : 'web',
    createdAt: new Date(Date.UTC(2026, 10, 27, 8, i)).toISOString(),
  });
  pipeline.expire(`auth:session:${id}`, 3600 - i * 300);
  pipeline.set(`auth:token:${id}`, `tok_${((0x9e3779b9 * (i + 1)) >>> 0).toString(16)}`, 'EX', 900 + i * 60);
  pipeline.set(
    `user:profile:${id}`,
    JSON.stringify({
      id,
      name: ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis', 'Radia'][i],
      plan: i % 3 ? 'free' : 'pro',
      tags: ['beta'],
    }),
  );
  pipeline.sadd(`user:roles:${id}`, 'reader', ...(i % 2 ? [] : ['editor']), ...(i === 0 ? ['admin'] : []));
});
pipeline.hset('shared:config:app', {
  featureFlags: JSON.stringify({ newCheckout: true, darkMode: false }),
  maintenance: 'false',
  version: '2.4.1',
});
pipeline.set('shared:config:rate-limits', JSON.stringify({ login: { perMinute: 10 }, api: { perMinute: 600 } }));
pipeline.zadd('shared:leaderboard:weekly', 420, '1001', 385, '1004', 310, '1002');
pipeline.rpush('shared:queue:emails', 'welcome:1007', 'reset:1003');
pipeline.xadd('shared:events:audit', '*', 'type', 'login', 'userId', '1001');
await pipeline.exec();
const keys = await redis.dbsize();
console.log(`seeded ${host}:${port}: ${keys} keys in auth:, user: and shared:`);
redis.disconnect();
