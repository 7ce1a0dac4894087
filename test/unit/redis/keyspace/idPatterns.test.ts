import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { isIdLike, MAX_PATTERN_ENTRIES, mostlyIds } from '../../../../src/redis/keyspace/idPatterns';
import { NamespaceModel, NamespaceNode } from '../../../../src/redis/keyspace/namespaceModel';
import { NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { patternSelection } from '../../../../src/redis/keyspace/patternPaging';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { useRedisServer } from '../../../support/useRedisServer';
import { allPages } from './support';

function build(keys: string[], options: ConstructorParameters<typeof NamespaceModel>[0] = {}): NamespaceModel {
  const model = new NamespaceModel(options);
  for (const key of keys) model.add(key);
  model.finish('complete');
  return model;
}

/** What the `{id}` row and its children say. */
function shape(node: NamespaceNode | undefined): unknown {
  const group = node?.idGroup;
  if (!group) return undefined;
  return {
    namespaces: group.instances,
    keys: group.keys,
    children: Object.fromEntries(group.entries().map((e) => [e.segment, e.keys])),
  };
}

/** user:{id}:profile for every id, roles for every other, sessions:<n> for every third (two each). */
function userKeys(ids: number, id: (i: number) => string = String): string[] {
  // The named namespace first, so that it is tracked under any namespace limit.
  const keys: string[] = ['user:index:by-name'];
  for (let i = 0; i < ids; i++) {
    keys.push(`user:${id(i)}:profile`);
    if (i % 2 === 0) keys.push(`user:${id(i)}:roles`);
    if (i % 3 === 0) keys.push(`user:${id(i)}:sessions:a`, `user:${id(i)}:sessions:b`);
  }
  keys.push('user:direct');
  return keys;
}

describe('id-like segments and the {id} pattern', () => {
  it('classifies decimal numbers, UUIDs, hex digests of 8+ digits in one case and ULIDs as ids, words as names', () => {
    for (const id of [
      '0',
      '42',
      '2024',
      '9f86d081',
      'DEADBEEF01',
      '507f1f77bcf86cd799439011',
      '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      '3F2504E04F8911D39A0C0305E82C3301',
      '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    ]) {
      assert.equal(isIdLike(id), true, id);
    }
    for (const name of ['', 'profile', 'cafe', 'deadBeef', 'user-42', '42a', 'a42', '3f2504e0-4f89', '12 ', '\xff']) {
      assert.equal(isIdLike(name), false, JSON.stringify(name));
    }
    assert.equal(mostlyIds(49, 49), false, 'too few to group');
    assert.equal(mostlyIds(90, 100), true);
    assert.equal(mostlyIds(89, 100), false);
  });

  it('counts every id and every key below them exactly, also past the namespace limit', () => {
    const keys = userKeys(600);
    const all = build(keys);
    const limited = build(keys, { maxNamespaces: 150 });
    const expected = {
      namespaces: 600,
      keys: 600 + 300 + 400,
      children: { profile: 600, roles: 300, sessions: 400 },
    };
    assert.deepEqual(shape(all.findNamespace('user')), expected);
    assert.deepEqual(shape(limited.findNamespace('user')), expected);
    const user = limited.findNamespace('user');
    assert.ok(user?.idGroup);
    // The ids past the limit are the "not listed" ones: none of them is a named namespace here.
    assert.equal(user.idGroup.untrackedInstances, user.untrackedNamespaces);
    assert.equal(user.idGroup.untrackedKeys, user.untrackedCount);
    assert.equal(user.idGroup.instances - user.idGroup.untrackedInstances, user.childCount - 1, 'tracked ids + index');
    // Below sessions, the labels a and b.
    const sessions = user.idGroup.entries().find((e) => e.segment === 'sessions')?.node;
    assert.deepEqual(
      sessions?.entries().map((e) => [e.segment, e.keys]),
      [
        ['a', 200],
        ['b', 200],
      ],
    );
    // Nested ids collapse too: `{id}` below `sessions` when the labels are ids.
    const nested = build(['org:1:user:10:x', 'org:1:user:11:x', 'org:2:user:10:x']);
    const org = nested.findNamespace('org')?.idGroup;
    assert.deepEqual(
      org?.entries().map((e) => [e.segment, e.keys]),
      [['user', 3]],
    );
    assert.deepEqual(shape(nested.findNamespace('org:1:user')), { namespaces: 2, keys: 2, children: { x: 2 } });
  });

  it('keeps the counts exact when keys are deleted or added after the walk, as a fresh walk counts them', () => {
    const keys = userKeys(300);
    for (const maxNamespaces of [100_000, 120]) {
      const model = build(keys, { maxNamespaces });
      const gone = keys.filter((_, i) => i % 4 === 1);
      for (const key of gone) assert.equal(model.removeKey(key), true, key);
      assert.equal(model.addKey('user:1000:profile'), true);
      const left = [...keys.filter((_, i) => i % 4 !== 1), 'user:1000:profile'];
      // A fresh model with every namespace tracked: the counts do not depend on the limit.
      assert.deepEqual(
        shape(model.findNamespace('user')),
        shape(build(left).findNamespace('user')),
        `${maxNamespaces}`,
      );
    }
    const model = build(keys);
    assert.equal(model.patternsStale, false);
    model.removeNamespace('user:3');
    assert.equal(model.patternsStale, true, 'which labels the keys had is unknown: stale until the next walk');
  });

  it('bounds the pattern entries and still counts every key', () => {
    const keys = Array.from({ length: MAX_PATTERN_ENTRIES + 500 }, (_, i) => `mail:${i}:user${i}@example.com`);
    const model = build(keys);
    const group = model.findNamespace('mail')?.idGroup;
    assert.ok(group);
    assert.equal(group.keys, keys.length);
    const listed = group.entries().reduce((sum, e) => sum + e.keys, 0);
    assert.ok(listed < keys.length);
    assert.equal(listed + group.unitemized, keys.length);
  });
});

describe('paging the keys of a pattern (user:{id}:profile) against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;

  it('gives every key of the pattern exactly once, byte-exact, never a key where * would cross a delimiter', async () => {
    client = await server.connect();
    const keys = userKeys(700, (i) => (i % 2 ? String(i) : `${(i * 7919).toString(16).padStart(8, '0')}`));
    // Look-alikes the SCAN MATCH glob user:*:profile also returns.
    const decoys = [
      'user:1:sessions:x:profile',
      'user:name:profile',
      'user:1:profile:old',
      'user::profile',
      'x:user:1:profile',
    ];
    const pipeline = client.pipeline();
    for (const key of [...keys, ...decoys]) pipeline.set(key, 'v');
    await pipeline.exec();
    const model = await walkKeyspace({ client }, { count: 200 }).done;
    const user = model.findNamespace('user');
    assert.ok(user?.idGroup);
    const profile = user.idGroup.entries().find((e) => e.segment === 'profile');
    // 700 keys labelled profile, and user:1:profile:old below a `profile` namespace.
    assert.equal(profile?.keys, 701);
    const pager = new NamespaceKeyPager(client, user, {
      pageSize: 150,
      pattern: patternSelection(user, ['{id}', 'profile'], profile.keys),
    });
    const { keys: paged } = await allPages(pager);
    const expected = keys.filter((k) => k.endsWith(':profile')).sort();
    assert.deepEqual(paged.map((k) => k.id).sort(), expected);
    assert.equal(new Set(paged.map((k) => k.id)).size, paged.length, 'each once');
    assert.ok(paged.every((k) => k.type === 'string' && k.labelBytes === k.id.slice('user:'.length)));
  });

  it('lists a name that reads {id} (a template written as it was) apart from the ids it is not, each row with its own keys', async () => {
    client ??= await server.connect();
    await client.flushdb();
    const literal = ['user:5:{id}', 'user:7:{id}'];
    const ids = ['user:9:123', 'user:11:456'];
    const pipeline = client.pipeline();
    for (const key of [...userKeys(100), ...literal, ...ids]) pipeline.set(key, 'v');
    await pipeline.exec();
    const model = await walkKeyspace({ client }, { count: 200 }).done;
    const user = model.findNamespace('user');
    assert.ok(user?.idGroup);
    const entries = user.idGroup.entries().filter((e) => !['profile', 'roles', 'sessions'].includes(e.segment));
    const listed: string[][] = [];
    for (const entry of entries) {
      const pager = new NamespaceKeyPager(client, user, {
        pageSize: 150,
        pattern: patternSelection(user, ['{id}', entry.segment], entry.keys),
      });
      const { keys } = await allPages(pager);
      assert.equal(keys.length, entry.keys, `the row says ${entry.keys} keys and lists ${keys.length}`);
      listed.push(keys.map((k) => k.id).sort());
    }
    assert.deepEqual(listed.sort(), [ids.sort(), literal.sort()].sort());
  });
});
