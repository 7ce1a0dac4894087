import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { filterPatternFor, toBinary } from '../../../../src/redis/keyspace/binary';
import { globMatches } from '../../../../src/redis/keyspace/glob';
import { NamespaceModel, NamespaceNode } from '../../../../src/redis/keyspace/namespaceModel';
import { NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { useRedisServer } from '../../../support/useRedisServer';
import { random } from './support';

function build(
  keys: (string | Buffer)[],
  options: ConstructorParameters<typeof NamespaceModel>[0] = {},
): NamespaceModel {
  const model = new NamespaceModel(options);
  for (const key of keys) model.add(typeof key === 'string' ? Buffer.from(key, 'latin1') : key);
  model.finish('complete');
  return model;
}

const segments = (node: NamespaceNode | undefined): string[] => (node?.childNamespaces() ?? []).map((n) => n.segment);

/** Listed + not listed = all: the identity a "not listed" row relies on. */
function assertAddsUp(node: NamespaceNode): void {
  const listed = node.childNamespaces().reduce((sum, child) => sum + child.count, 0);
  assert.equal(
    node.directCount + listed + node.untrackedCount,
    node.count,
    `${node.path || '(root)'}: direct + listed children + not listed = all keys`,
  );
  for (const child of node.childNamespaces()) assertAddsUp(child);
}

/** The distinct first segments below `prefix` of keys the model does not track, counted independently. */
function untrackedNamespacesOf(model: NamespaceModel, keys: string[], node: NamespaceNode): number {
  const found = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(node.id)) continue;
    const rest = key.slice(node.id.length);
    const cut = rest.indexOf(':');
    if (cut < 0) continue; // a direct key
    const child = node.id + rest.slice(0, cut);
    if (model.findNamespace(child) === undefined) found.add(child);
  }
  return found.size;
}

describe('wide namespaces: order and nothing left out silently', () => {
  it('orders child namespaces naturally: digit runs by value, the rest by bytes, ties by bytes', () => {
    const model = build(
      [
        '9',
        '10',
        '100',
        '99960',
        '9996',
        '9997',
        'user10',
        'user2',
        'user1',
        '007',
        '7',
        '',
        'B',
        'a',
        '\xff',
        '1a',
        '1',
      ].map((s) => `${s}:k`),
    );
    assert.deepEqual(segments(model.root), [
      '',
      '1',
      '1a',
      '007',
      '7',
      '9',
      '10',
      '100',
      '9996',
      '9997',
      '99960',
      'B',
      'a',
      'user1',
      'user2',
      'user10',
      '\xff',
    ]);
  });

  it('keeps the count order largest first, naturally among equal counts', () => {
    const model = build(['10:a', '9:a', '2:a', '2:b', 'x:a', 'x:b', 'x:c']);
    assert.deepEqual(
      model.root.childNamespaces('count').map((n) => n.segment),
      ['x', '2', '9', '10'],
    );
  });

  it('pages kept key names in natural order', () => {
    const model = build(['s:10', 's:9', 's:100', 's:1']);
    assert.deepEqual(
      model
        .findNamespace('s')
        ?.directKeyNames()
        ?.map((b) => b.toString()),
      ['s:1', 's:9', 's:10', 's:100'],
    );
  });

  it('counts the namespaces and keys it stops tracking past maxNamespaces, exactly, under each parent', () => {
    const keys: string[] = [];
    for (let id = 0; id < 60; id++) {
      keys.push(`user:${id}:profile`, `user:${id}:roles`);
      if (id % 3 === 0) keys.push(`user:${id}:sessions:a`, `user:${id}:sessions:b`);
    }
    keys.push('user:direct', 'top', 'other:1', 'late:1', 'late:2', 'user::profile', 'user::roles');
    const model = build(keys, { maxNamespaces: 25 });
    assert.equal(model.truncated, true);
    assertAddsUp(model.root);
    const user = model.findNamespace('user');
    assert.ok(user);
    assert.equal(user.count, 60 * 2 + 20 * 2 + 1 + 2);
    assert.ok(user.untrackedCount > 0);
    assert.equal(user.untrackedNamespaces, untrackedNamespacesOf(model, keys, user));
    assert.equal(model.root.untrackedNamespaces, untrackedNamespacesOf(model, keys, model.root));
    assert.equal(model.root.untrackedNamespaces, 2, 'other and late came after the limit');
    assert.equal(model.root.untrackedCount, 3);
    // Every namespace that has untracked keys below it says how many namespaces they are in.
    const visit = (node: NamespaceNode): void => {
      assert.equal(node.untrackedNamespaces > 0, node.untrackedCount > 0, node.path);
      assert.equal(node.untrackedNamespaces, untrackedNamespacesOf(model, keys, node), node.path);
      node.childNamespaces().forEach(visit);
    };
    visit(model.root);
  });

  it('stays exact when the user deletes keys of a namespace it does not track', () => {
    const keys = ['u:1:a', 'u:2:a', 'u:3:a', 'u:3:b', 'u:4:a'];
    const model = build(keys, { maxNamespaces: 2 }); // u and u:1
    const u = model.findNamespace('u');
    assert.ok(u);
    assert.equal(u.untrackedNamespaces, 3);
    assert.equal(u.untrackedCount, 4);
    assert.equal(model.removeKey('u:3:a'), true);
    assert.equal(u.untrackedNamespaces, 3, 'u:3 still has u:3:b');
    assert.equal(model.removeKey('u:3:b'), true);
    assert.equal(u.untrackedNamespaces, 2, 'u:3 is empty now');
    assert.equal(u.untrackedCount, 2);
    assertAddsUp(model.root);
  });

  it('never tracks a namespace again once it stopped (its keys are counted as not listed already)', () => {
    const model = build(['a:1', 'b:1', 'c:1'], { maxNamespaces: 2 });
    assert.equal(model.removeNamespace('a'), true);
    model.add(Buffer.from('c:2'));
    assert.equal(model.findNamespace('c'), undefined);
    assert.equal(model.root.untrackedNamespaces, 1);
    assert.equal(model.root.untrackedCount, 2);
    assertAddsUp(model.root);
  });

  it('counts untracked namespaces with a two-byte delimiter and empty segments', () => {
    const keys = ['a::1::x', 'a::2::x', 'a::::x', 'a::::y', 'a::3::x'];
    const model = build(keys, { delimiter: '::', maxNamespaces: 2 });
    const a = model.findNamespace('a');
    assert.ok(a);
    assert.equal(a.count, 5);
    assert.equal(a.childCount, 1);
    assert.equal(a.untrackedNamespaces, 3); // a::2, a::"" and a::3
    assert.equal(a.untrackedCount, 4);
    assertAddsUp(model.root);
  });
});

describe('wide namespaces against a real redis-server', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let client: Redis;
  const IDS = 50_000;

  before(async () => {
    client = await server.connect();
    // user:{id}:profile and user:{id}:roles for 50,000 ids, plus a few more per tenth id: 250,000 keys.
    for (let from = 0; from < IDS; from += 5000) {
      const pipeline = client.pipeline();
      for (let id = from; id < from + 5000; id++) {
        pipeline.set(`user:${id}:profile`, 'p').set(`user:${id}:roles`, 'r');
        pipeline.set(`user:${id}:10`, '1').set(`user:${id}:9`, '1').set(`user:${id}:2`, '1');
      }
      await pipeline.exec();
    }
    await client.set('user:direct', 'd');
  });

  it('walks 250,001 keys over 50,000 ids with a small namespace limit: listed + not listed = all, exactly', async () => {
    const model = await walkKeyspace({ client }, { maxNamespaces: 20_000 }).done;
    assert.equal(model.totalKeys, IDS * 5 + 1);
    const user = model.findNamespace('user');
    assert.ok(user);
    assert.equal(user.count, IDS * 5 + 1);
    assert.equal(user.directCount, 1);
    assert.equal(user.childCount + user.untrackedNamespaces, IDS);
    const listedKeys = user.childNamespaces().reduce((sum, child) => sum + child.count, 0);
    assert.equal(listedKeys + user.untrackedCount + user.directCount, user.count);
    // Each tracked id holds its five keys; an id is tracked whole or not at all.
    assert.equal(user.untrackedCount, user.untrackedNamespaces * 5);
    assertAddsUp(model.root);
  });

  it('lists ids in natural order and pages keys naturally, from kept names and from SCAN', async () => {
    for (const keepNamesUpTo of [1000, 2]) {
      const model = await walkKeyspace(
        { client },
        { keepNamesUpTo, maxStoredNames: 1_000_000, nameBudgetBytes: Number.POSITIVE_INFINITY },
      ).done;
      const user = model.findNamespace('user');
      assert.ok(user);
      const first = user
        .childNamespaces()
        .slice(0, 12)
        .map((n) => n.segment);
      assert.deepEqual(first, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
      const nine = model.findNamespace('user:9');
      assert.ok(nine);
      assert.equal(nine.hasAllDirectKeyNames, keepNamesUpTo > 5);
      const page = await new NamespaceKeyPager(client, nine, { pageSize: 10 }).next();
      assert.deepEqual(
        page.keys.map((k) => k.key.toString()),
        ['user:9:2', 'user:9:9', 'user:9:10', 'user:9:profile', 'user:9:roles'],
        `keepNamesUpTo ${keepNamesUpTo}`,
      );
    }
  });
});

describe('the filter pattern offered for what is not listed', () => {
  it('matches every key under the prefix, escaped, on one line, never fewer keys', () => {
    assert.equal(filterPatternFor(Buffer.from('user:')), 'user:*');
    assert.equal(filterPatternFor(Buffer.from('a*b?[c]\\:')), 'a\\*b\\?\\[c\\]\\\\:*');
    assert.equal(filterPatternFor(Buffer.from('')), '*');
    assert.equal(filterPatternFor(Buffer.from('é:')), 'é:*');
    assert.equal(filterPatternFor(Buffer.from([0x61, 0xff, 0x0a, 0x3a])), 'a??:*');
    for (const prefix of [Buffer.from([0x61, 0xff, 0x0a, 0x3a]), Buffer.from('x*y:')]) {
      const key = Buffer.concat([prefix, Buffer.from('1:2')]);
      assert.equal(globMatches(toBinary(Buffer.from(filterPatternFor(prefix), 'utf8')), toBinary(key)), true);
    }
  });
});

describe('the first page of a wide namespace', () => {
  it('is the same while the walk runs (picked in one pass) as once it is complete (sorted once)', () => {
    const next = random(7);
    const model = new NamespaceModel();
    const ids = Array.from({ length: 5000 }, () => Math.floor(next() * 1e6));
    for (const id of ids) model.add(Buffer.from(`user:${id}:profile`));
    const user = model.findNamespace('user');
    assert.ok(user);
    const walking = user.firstChildNamespaces(200).map((n) => n.segment);
    const expected = [...new Set(ids)]
      .sort((a, b) => a - b)
      .slice(0, 200)
      .map(String);
    assert.deepEqual(walking, expected);
    model.finish('complete');
    assert.deepEqual(
      user.firstChildNamespaces(200).map((n) => n.segment),
      expected,
    );
    assert.equal(user.firstChildNamespaces(10_000).length, new Set(ids).size);
  });
});
