import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import {
  cacheNamespaces,
  checkCacheTtl,
  expireKeysWithoutTtl,
  findingsOf,
  planTtlForKeysWithoutOne,
} from '../../../../src/redis/checks';
import { useRedisServer } from '../../../support/useRedisServer';
import { DEFAULT_DECLARED, names, put, range, walk } from './support';

describe('checks: cache namespaces holding keys without a TTL', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let clean: Redis;
  let broken: Redis;
  const caches = cacheNamespaces(DEFAULT_DECLARED);

  before(async () => {
    clean = await server.connect(0);
    broken = await server.connect(1);
    for (const client of [clean, broken]) {
      await put(
        client,
        range(10, (i) => `user:search:q${i}`),
        300,
      );
      await put(
        client,
        range(1500, (i) => `shared:cache:pages:${i}`),
        900,
      );
      await put(
        client,
        range(30, (i) => `auth:session:${i}`),
      ); // not a cache: no TTL is fine
    }
    // Broken: searches and pages cached forever, a neighbour that only shares letters.
    await put(broken, ['user:search:q100', 'user:search:q101', 'user:search:deep:q102', 'user:searches:1']);
    await put(
      broken,
      range(450, (i) => `shared:cache:pages:${2000 + i}`),
    );
  });

  it('reads the cache flag of the declared namespaces', () => {
    assert.deepEqual(
      caches.map((c) => c.path),
      ['user:search', 'user:profile', 'shared:cache'],
    );
  });

  it('finds nothing when every cache key expires', async () => {
    const results = await checkCacheTtl(clean, caches, { model: await walk(clean), scanCount: 100 });
    assert.deepEqual(
      results.map((r) => [r.path, r.keys, r.withoutTtl, r.exact]),
      [
        ['user:search', 10, 0, true],
        ['user:profile', 0, 0, true],
        ['shared:cache', 1500, 0, true],
      ],
    );
  });

  it('counts the keys without a TTL exactly, at every depth, with examples', async () => {
    const results = await checkCacheTtl(broken, caches, { model: await walk(broken), scanCount: 100 });
    const [search, profile, cache] = results;
    assert.ok(search && profile && cache);
    assert.deepEqual([search.keys, search.withoutTtl, search.exact, search.source], [13, 3, true, 'walk']);
    assert.deepEqual(names(search.examples), ['user:search:deep:q102', 'user:search:q100', 'user:search:q101']);
    // The empty namespace costs no SCAN at all.
    assert.deepEqual([profile.keys, profile.withoutTtl, profile.scanCalls], [0, 0, 0]);
    // Too many names for the walk to keep: SCAN MATCH shared:cache:* and pipelined PTTL.
    assert.deepEqual([cache.keys, cache.withoutTtl, cache.exact, cache.source], [1950, 450, true, 'scan']);
    assert.equal(cache.examples.length, 3);
    for (const key of names(cache.examples)) assert.ok(Number(key.split(':')[3]) >= 2000, key);
  });

  it('gives the same counts without a walk, and a lower bound when the SCAN bound stops it', async () => {
    const results = await checkCacheTtl(broken, caches, { scanCount: 100 });
    assert.deepEqual(
      results.map((r) => [r.path, r.keys, r.withoutTtl, r.exact, r.source]),
      [
        ['user:search', 13, 3, true, 'scan'],
        ['user:profile', 0, 0, true, 'scan'],
        ['shared:cache', 1950, 450, true, 'scan'],
      ],
    );
    const model = await walk(broken);
    const bounded = await checkCacheTtl(broken, caches.slice(2), { model, scanCount: 10, maxScanCalls: 5 });
    const first = bounded[0];
    assert.ok(first);
    assert.equal(first.exact, false);
    assert.equal(first.scanCalls, 5);
    assert.equal(first.total, 1950);
    assert.ok(first.keys < 1950);
    const [finding] = findingsOf({
      checkedAt: new Date(),
      keys: model.totalKeys,
      delimiter: model.delimiter,
      undeclared: undefined,
      cacheTtl: bounded,
      memory: undefined,
      errors: {},
    });
    // About 50 keys looked at, a quarter of them without a TTL: some are among them.
    assert.ok(first.withoutTtl > 0);
    assert.equal(
      finding?.description,
      `at least ${first.withoutTtl} of 1,950 keys without a TTL (${first.keys} looked at)`,
    );
    assert.equal(finding?.countExact, false);
  });

  it('sets a TTL on exactly the keys without one, in batches, keeping TTLs set meanwhile', async () => {
    const plan = await planTtlForKeysWithoutOne(broken, Buffer.from('user:search:'), { scanCount: 100 });
    assert.deepEqual(plan.keys.slice().sort(), ['user:search:deep:q102', 'user:search:q100', 'user:search:q101']);
    assert.equal(plan.scanned, 13);
    await broken.expire('user:search:q101', 5000); // someone else set a TTL after the count
    const result = await expireKeysWithoutTtl(broken, plan, 120, { batchSize: 2 });
    assert.deepEqual(
      { ...result, prefix: undefined },
      { prefix: undefined, total: 3, expired: 2, processed: 3, skipped: 1, remaining: 0, cancelled: false },
    );
    for (const key of ['user:search:q100', 'user:search:deep:q102']) {
      const ttl = await broken.ttl(key);
      assert.ok(ttl > 110 && ttl <= 120, `${key} ${ttl}`);
    }
    assert.ok((await broken.ttl('user:search:q101')) > 4900);
    const other = await broken.ttl('user:search:q1');
    assert.ok(other > 200 && other <= 300, 'a key that had a TTL keeps it');
    assert.equal(await broken.ttl('user:searches:1'), -1, 'a neighbour sharing the letters is untouched');
    const after = await checkCacheTtl(broken, caches.slice(0, 1), { model: await walk(broken) });
    assert.equal(after[0]?.withoutTtl, 0);
  });

  it('stops between batches when cancelled and says what remains', async () => {
    const plan = await planTtlForKeysWithoutOne(broken, Buffer.from('shared:cache:'), { scanCount: 100 });
    assert.equal(plan.count, 450);
    const abort = new AbortController();
    const result = await expireKeysWithoutTtl(broken, plan, 60, {
      batchSize: 100,
      signal: abort.signal,
      onProgress: ({ processed }) => {
        if (processed >= 200) abort.abort();
      },
    });
    assert.deepEqual([result.cancelled, result.expired, result.processed, result.remaining], [true, 200, 200, 250]);
    const left = await planTtlForKeysWithoutOne(broken, Buffer.from('shared:cache:'));
    assert.equal(left.count, 250);
    await assert.rejects(planTtlForKeysWithoutOne(broken, Buffer.alloc(0)), /every key/);
  });
});
