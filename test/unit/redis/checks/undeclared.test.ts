import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { checkUndeclaredKeys } from '../../../../src/redis/checks';
import { useRedisServer } from '../../../support/useRedisServer';
import { DEFAULT_DECLARED, names, put, range, walk } from './support';

describe('checks: keys outside every declared namespace', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let clean: Redis;
  let broken: Redis;

  before(async () => {
    clean = await server.connect(0);
    broken = await server.connect(1);
    // Clean: every key under a declared namespace, at several depths.
    for (const client of [clean, broken]) {
      await put(
        client,
        range(20, (i) => `auth:session:${i}`),
        3600,
      );
      await put(
        client,
        range(5, (i) => `user:profile:${i}`),
        600,
      );
      await put(client, ['user:roles:1', 'shared:config:app', 'shared:cache:pages:home'], 60);
    }
    // Broken: services that forgot their prefix.
    await put(
      broken,
      range(7, (i) => `orders:${i}`),
    );
    await put(
      broken,
      range(1200, (i) => `billing:invoice:${i}`),
    );
    await put(broken, ['session:42', 'orphan', 'authx:1', 'auth']);
  });

  it('finds nothing when every key is in a declared namespace', async () => {
    const result = await checkUndeclaredKeys(await walk(clean), DEFAULT_DECLARED, { client: clean });
    assert.deepEqual(result.groups, []);
    assert.equal(result.total, 0);
    assert.equal(result.keys, 28);
  });

  it('counts the keys outside per first segment, largest first, with examples', async () => {
    const result = await checkUndeclaredKeys(await walk(broken), DEFAULT_DECLARED, { client: broken });
    assert.equal(result.total, 7 + 1200 + 1 + 1 + 2);
    assert.deepEqual(
      result.groups.map((g) => [g.segment, g.count]),
      [
        ['billing', 1200],
        ['orders', 7],
        [undefined, 2], // `orphan` and `auth`: no delimiter, so in no namespace
        ['authx', 1], // shares the letters of auth, not its namespace
        ['session', 1],
      ],
    );
    const byName = new Map(result.groups.map((g) => [g.segment ?? '', names(g.examples)]));
    assert.deepEqual(byName.get('orders'), ['orders:0', 'orders:1', 'orders:2']);
    assert.deepEqual(byName.get(''), ['auth', 'orphan']);
    assert.deepEqual(byName.get('authx'), ['authx:1']);
    // billing:invoice has more names than the walk keeps: its examples come from a bounded SCAN.
    const billing = byName.get('billing') ?? [];
    assert.equal(billing.length, 3);
    for (const key of billing) assert.match(key, /^billing:invoice:\d+$/);
  });

  it('takes examples from a bounded SCAN when the walk kept no names', async () => {
    const result = await checkUndeclaredKeys(await walk(broken, 0), DEFAULT_DECLARED, { client: broken, examples: 2 });
    for (const group of result.groups) {
      assert.equal(group.examples.length, Math.min(2, group.count), String(group.segment));
      for (const key of names(group.examples)) {
        if (group.segment === undefined) assert.doesNotMatch(key, /:/);
        else assert.ok(key.startsWith(`${group.segment}:`), key);
      }
    }
  });

  it('counts keys beside a nested declared namespace as outside it', async () => {
    // Only user:profile declared: user:roles:1 is outside, the profiles are not.
    const result = await checkUndeclaredKeys(
      await walk(clean),
      [{ path: 'auth' }, { path: 'shared' }, { path: 'user:profile', cache: true }],
      { client: clean },
    );
    assert.deepEqual(
      result.groups.map((g) => [g.segment, g.count, names(g.examples)]),
      [['user', 1, ['user:roles:1']]],
    );
  });

  it('judges nothing when no namespace is declared, and refuses a filtered walk', async () => {
    const result = await checkUndeclaredKeys(await walk(broken), []);
    assert.equal(result.total, 0);
    assert.match(result.skipped ?? '', /No namespace is declared/);
    const { walkKeyspace } = await import('../../../../src/redis/keyspace');
    const filtered = await walkKeyspace({ client: broken }, { match: 'orders:*' }).done;
    await assert.rejects(checkUndeclaredKeys(filtered, DEFAULT_DECLARED), /unfiltered/);
  });
});
