import * as assert from 'node:assert/strict';
import { fromBinary, toBinary } from '../../../../src/redis/keyspace/binary';
import { NamespaceModel, NamespaceNode } from '../../../../src/redis/keyspace/namespaceModel';
import { compareNatural } from '../../../../src/redis/keyspace/naturalOrder';
import { oddKeys, random, referenceCounts, modelCounts } from './support';

function build(
  keys: (string | Buffer)[],
  options: ConstructorParameters<typeof NamespaceModel>[0] = {},
): NamespaceModel {
  const model = new NamespaceModel(options);
  for (const key of keys) model.add(typeof key === 'string' ? Buffer.from(key) : key);
  model.finish('complete');
  return model;
}

const names = (node: NamespaceNode | undefined): string[] =>
  (node?.directKeyNames() ?? []).map((b) => b.toString('latin1'));

describe('NamespaceModel', () => {
  it('counts every namespace at every depth: a:b:c is in a and a:b, the direct key c of a:b', () => {
    const model = build(['a:b:c', 'a:b:d', 'a:x', 'a:b:e:f', 'top', 'b:1']);
    assert.equal(model.totalKeys, 6);
    assert.equal(model.root.directCount, 1);
    assert.deepEqual(names(model.root), ['top']);
    const a = model.findNamespace('a');
    assert.ok(a);
    assert.equal(a.count, 4);
    assert.equal(a.directCount, 1);
    assert.deepEqual(names(a), ['a:x']);
    const ab = a.child('b');
    assert.ok(ab);
    assert.equal(ab, model.findNamespace(Buffer.from('a:b')));
    assert.equal(ab.count, 3);
    assert.equal(ab.directCount, 2);
    assert.deepEqual(names(ab), ['a:b:c', 'a:b:d']);
    assert.deepEqual(
      ab.directKeyNames()?.map((k) => ab.keyLabel(k)),
      ['c', 'd'],
    );
    assert.equal(ab.child('e')?.count, 1);
    assert.equal(ab.depth, 2);
    assert.equal(ab.parent, a);
    assert.equal(ab.id, 'a:b:');
    assert.deepEqual(ab.prefix, Buffer.from('a:b:'));
    assert.equal(ab.displayPath(), 'a:b');
    assert.deepEqual(
      model.root.childNamespaces().map((n) => n.label()),
      ['a', 'b'],
    );
    assert.equal(model.namespaceCount, 4);
  });

  it('sorts children by bytes or by count', () => {
    const model = build(['b:1', 'a:1', 'a:2', 'c:1', 'c:2', 'c:3', 'B:1']);
    assert.deepEqual(
      model.root.childNamespaces().map((n) => n.segment),
      ['B', 'a', 'b', 'c'],
    );
    assert.deepEqual(
      model.root.childNamespaces('count').map((n) => n.segment),
      ['c', 'a', 'B', 'b'],
    );
  });

  it('keeps empty segments, leading and trailing delimiters and the lone delimiter exact', () => {
    const model = build(['a::b', ':a', 'a:', ':', '::', 'x']);
    const a = model.findNamespace('a');
    assert.ok(a);
    assert.equal(a.count, 2); // a::b and a:
    assert.deepEqual(names(a), ['a:']);
    assert.deepEqual(
      a.directKeyNames()?.map((k) => a.keyLabel(k)),
      [''],
    );
    const aEmpty = a.child('');
    assert.ok(aEmpty);
    assert.equal(aEmpty.path, 'a:');
    assert.equal(aEmpty.id, 'a::');
    assert.equal(aEmpty.label(), '""');
    assert.deepEqual(names(aEmpty), ['a::b']);
    const empty = model.root.child('');
    assert.ok(empty);
    assert.notEqual(empty, model.root);
    assert.equal(empty.id, ':');
    assert.equal(model.root.id, '');
    assert.equal(empty.count, 3); // :a, : and ::
    assert.deepEqual(names(empty), [':', ':a']);
    assert.deepEqual(names(empty.child('')), ['::']);
    assert.deepEqual(names(model.root), ['x']);
  });

  it('represents every odd key with its exact bytes', () => {
    const keys = oddKeys();
    const model = build(keys);
    const held: Buffer[] = [];
    const visit = (node: NamespaceNode): void => {
      held.push(...(node.directKeyNames() ?? []));
      for (const child of node.childNamespaces()) visit(child);
    };
    visit(model.root);
    assert.equal(held.length, keys.length);
    const sortBytes = (list: Buffer[]): Buffer[] => [...list].sort(Buffer.compare);
    assert.deepEqual(sortBytes(held), sortBytes(keys));
    const binary = model.findNamespace(Buffer.from([0x6f, 0x64, 0x64, 0x3a, 0xff, 0xfe, 0x00, 0x80]));
    assert.ok(binary);
    assert.equal(binary.label(), '\\xff\\xfe\\x00\\x80');
    assert.equal(model.findNamespace('odd:huge')?.directKeyNames()?.[0]?.length, 512 * 1024 + 9);
    assert.equal(model.findNamespace(Buffer.from('odd:emoji 🚀'))?.label(), 'emoji 🚀');
  });

  it('matches a reference over random keys at every depth, with a one-byte and a multi-byte delimiter', () => {
    const next = random(42);
    const segments = ['auth', 'user', 'shared', 'session', 'token', '', 'x', 'é', '\u00ff'];
    const keys: Buffer[] = [];
    const seen = new Set<string>();
    while (keys.length < 5000) {
      const depth = Math.floor(next() * 5);
      const parts = Array.from({ length: depth }, () => segments[Math.floor(next() * segments.length)] as string);
      parts.push(String(Math.floor(next() * 100_000)));
      const key = Buffer.from(parts.join(':'), 'latin1');
      if (seen.has(key.toString('latin1'))) continue;
      seen.add(key.toString('latin1'));
      keys.push(key);
    }
    const model = build(keys);
    const reference = referenceCounts(keys);
    assert.deepEqual(modelCounts(model.root), reference.counts);
    assert.equal(model.totalKeys, keys.length);
    assert.equal(model.root.directCount, reference.direct.get(null)?.length ?? 0);

    // The same keys joined with '::' instead: a multi-byte delimiter splits left to right.
    const doubled = keys.map((k) => Buffer.from(k.toString('latin1').split(':').join('::'), 'latin1'));
    const viaDouble = build(doubled, { delimiter: '::' });
    const mapped = new Map([...reference.counts].map(([path, count]) => [path.split(':').join('::'), count]));
    assert.deepEqual(modelCounts(viaDouble.root), mapped);
  });

  it('splits a multi-byte delimiter left to right, like String.prototype.split', () => {
    const model = build(['a:::b', 'a::::b'], { delimiter: '::' });
    // 'a:::b' → ['a', ':b'] ; 'a::::b' → ['a', '', 'b']
    assert.deepEqual(names(model.findNamespace('a')), ['a:::b']);
    assert.deepEqual(names(model.findNamespace('a::')), ['a::::b']);
    assert.deepEqual(model.split('a:::b'), { path: 'a', label: ':b' });
  });

  it('counts a key SCAN returns twice once', () => {
    const model = new NamespaceModel();
    for (const key of ['a:1', 'a:2', 'a:1', 'b', 'b']) model.add(key);
    assert.equal(model.keysSeen, 5);
    assert.equal(model.duplicates, 2);
    assert.equal(model.totalKeys, 3);
    const noDedupe = new NamespaceModel({ dedupe: false });
    for (const key of ['a:1', 'a:1']) noDedupe.add(key);
    assert.equal(noDedupe.totalKeys, 2);
  });

  for (const expected of [6000, 1 << 20]) {
    it(`counts each key once when SCAN replies repeat keys, within a reply and across replies, exact after every reply (DBSIZE ${expected})`, () => {
      // The walk feeds each reply's keys to addBytes inside one buffer and ends the batch after it.
      const next = random(7);
      const namespaces = ['dense:a', 'dense:b', 'small', 'x:y:z', 'ids:1', 'ids:2', 'ids:3', 'ids:4'];
      const universe = Array.from({ length: 6000 }, (_, i) => {
        const namespace = namespaces[Math.floor(next() * namespaces.length)] as string;
        return namespace === 'small' && i % 10 !== 0 ? `top${i}` : `${namespace}:${i}`;
      });
      const model = new NamespaceModel({ keepNamesUpTo: 100, maxNamespaces: 8 });
      // DBSIZE sizes the table of seen keys once.
      model.expectKeys(expected);
      const counted: Buffer[] = [];
      const distinct = new Set<string>();
      let replies = 0;
      // `small` comes first, so it is among the namespaces tracked (others are past maxNamespaces).
      universe.push('small:first');
      while (distinct.size < universe.length) {
        // Replies of 1 to 6,000 keys (past the 1,024 keys the model holds back), a fifth of them repeats.
        const size = 1 + Math.floor(next() * (next() < 0.1 ? 6000 : 300));
        const reply = Array.from({ length: replies === 0 ? 1 : size }, () => {
          if (replies === 0) return 'small:first';
          const pool = next() < 0.2 && counted.length > 0 ? counted : universe;
          const key =
            pool === counted
              ? (counted[Math.floor(next() * counted.length)] as Buffer).toString('latin1')
              : (universe[Math.floor(next() * universe.length)] as string);
          return key;
        });
        const joined = Buffer.from(reply.join('\n'), 'latin1');
        let at = 0;
        for (const key of reply) {
          model.addBytes(joined, at, at + key.length);
          at += key.length + 1;
        }
        model.settle();
        replies++;
        for (const key of reply) {
          if (!distinct.has(key)) counted.push(Buffer.from(key, 'latin1'));
          distinct.add(key);
        }
        // Past maxNamespaces a namespace is not listed: its keys count in its listed ancestors.
        const reference = referenceCounts(counted).counts;
        for (const [path, count] of modelCounts(model.root)) {
          assert.equal(count, reference.get(path), `${path} after reply ${replies}`);
        }
        assert.equal(model.totalKeys, distinct.size, `after reply ${replies}`);
      }
      model.finish('complete');
      assert.equal(model.duplicates, model.keysSeen - universe.length);
      assert.ok(model.duplicates > 1000, `${model.duplicates} repeats`);
      assert.ok(model.truncated, 'some namespaces are past maxNamespaces');
      // A namespace small enough to keep its names holds each name once.
      const reference = referenceCounts(counted);
      const small = reference.direct.get('small') ?? [];
      assert.ok(small.length > 20 && small.length <= 100, `${small.length} keys in small`);
      assert.deepEqual(names(model.findNamespace('small')).sort(), [...small].sort());
    });
  }

  it('counts two keys whose names were made to share a 64-bit hash (a key name anyone may choose), the walk way and one by one', () => {
    // Found by searching names for one hash collision under the hash's former fixed seeds.
    const pair = ['acct:zmolei!', 'acct:rufxui|'];
    const walked = new NamespaceModel({ keepNamesUpTo: 0 });
    walked.expectKeys(2);
    const joined = Buffer.from(pair.join('\n'), 'latin1');
    walked.addBytes(joined, 0, 12);
    walked.addBytes(joined, 13, 25);
    walked.finish('complete');
    assert.equal(walked.findNamespace('acct')?.count, 2);
    const added = build(pair);
    assert.equal(added.findNamespace('acct')?.count, 2);
    assert.deepEqual(names(added.findNamespace('acct')).sort(), [...pair].sort());
  });

  it('counts the keys of a reply that did not end before the walk finished', () => {
    const model = new NamespaceModel({ keepNamesUpTo: 0 });
    const keys = Buffer.from('a:1\na:2\na:1\nb:c:3', 'latin1');
    for (const [start, end] of [
      [0, 3],
      [4, 7],
      [8, 11],
      [12, 17],
    ] as const) {
      model.addBytes(keys, start, end);
    }
    model.finish('complete');
    assert.deepEqual(
      modelCounts(model.root),
      new Map([
        ['a', 2],
        ['b', 1],
        ['b:c', 1],
      ]),
    );
    assert.equal(model.totalKeys, 3);
    assert.equal(model.duplicates, 1);
  });

  it('keeps names only for small namespaces, within an overall budget', () => {
    const keys = [
      ...Array.from({ length: 10 }, (_, i) => `small:${i}`),
      ...Array.from({ length: 51 }, (_, i) => `large:${i}`),
      ...Array.from({ length: 50 }, (_, i) => `edge:${i}`),
    ];
    const model = build(keys, { keepNamesUpTo: 50 });
    assert.equal(model.findNamespace('small')?.directKeyNames()?.length, 10);
    assert.equal(model.findNamespace('edge')?.directKeyNames()?.length, 50);
    assert.equal(model.findNamespace('large')?.directKeyNames(), undefined);
    assert.equal(model.findNamespace('large')?.hasAllDirectKeyNames, false);
    assert.equal(model.findNamespace('large')?.count, 51);
    assert.equal(model.storedNames, 60);

    const budget = build(keys, { keepNamesUpTo: 50, maxStoredNames: 30 });
    assert.equal(budget.storedNames <= 30, true);
    assert.equal(budget.findNamespace('large')?.count, 51);
    assert.equal(budget.findNamespace('edge')?.count, 50);
    // Counts never depend on what is held.
    assert.deepEqual(modelCounts(budget.root), modelCounts(model.root));
  });

  it('holds names as final only when the walk completed', () => {
    const model = new NamespaceModel();
    model.add('a:1');
    assert.equal(model.complete, false);
    assert.equal(model.findNamespace('a')?.directKeyNames(), undefined);
    model.finish('failed', new Error('x'));
    assert.equal(model.complete, false);
    assert.equal(model.findNamespace('a')?.hasAllDirectKeyNames, false);
  });

  it('stops tracking new namespaces past maxNamespaces and still counts their keys in every tracked ancestor', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `user:profile:${i}:name`);
    const model = build([...keys, 'user:x'], { maxNamespaces: 12 });
    assert.equal(model.truncated, true);
    assert.equal(model.namespaceCount, 12);
    const profile = model.findNamespace('user:profile');
    assert.ok(profile);
    assert.equal(profile.count, 100);
    assert.equal(profile.childCount, 10);
    assert.equal(profile.untrackedCount, 90);
    assert.equal(model.findNamespace('user')?.count, 101);
    assert.equal(model.totalKeys, 101);
  });

  it('converts ids back to exact bytes', () => {
    const key = Buffer.from([0x61, 0x3a, 0xff, 0x0a]);
    const model = build([key]);
    const node = model.findNamespace('a');
    assert.ok(node);
    assert.deepEqual(fromBinary(node.id), Buffer.from('a:'));
    assert.deepEqual(node.directKeyNames(), [key]);
    assert.equal(toBinary(key), node.names?.[0]);
  });

  it('finds a known namespace by the hash of its path bytes (the fast path) for every key after its first', () => {
    const model = new NamespaceModel();
    const keys = ['a:b:1', 'a:2', 'x', 'a:b:3', 'a:4', 'c::d:5', 'c::d:6', '\u00ff:7', '\u00ff:8'];
    for (const key of keys) model.add(key);
    // One miss for each namespace path first seen as a key's own: a:b (creating a too), c::d, \xff.
    assert.equal(model.lookupMisses, 3);
  });

  it('after keys and namespaces are deleted, counts and namespaces equal a fresh walk of what is left', () => {
    const next = random(7);
    const segments = ['auth', 'user', 'shared', 'session', 'x', '', 'é'];
    const keys = new Map<string, Buffer>();
    while (keys.size < 3000) {
      const parts = Array.from(
        { length: Math.floor(next() * 4) },
        () => segments[Math.floor(next() * segments.length)] as string,
      );
      parts.push(String(Math.floor(next() * 50_000)));
      const key = Buffer.from(parts.join(':'), 'latin1');
      keys.set(key.toString('latin1'), key);
    }
    // Small budgets, so some namespaces keep names and some only counts.
    const options = { keepNamesUpTo: 40, maxStoredNames: 1500 };
    const model = build([...keys.values()], options);
    const left = new Map(keys);
    for (const [id, key] of [...keys].filter(() => next() < 0.3)) {
      assert.equal(model.removeKey(key), true, `removes ${id}`);
      left.delete(id);
    }
    for (const path of ['user:session', 'x', 'auth::']) {
      const node = model.findNamespace(path);
      if (!node) continue;
      assert.equal(model.removeNamespace(path), true);
      for (const id of [...left.keys()]) if (id.startsWith(`${path}:`)) left.delete(id);
    }
    const fresh = build([...left.values()], options);
    assert.deepEqual(modelCounts(model.root), modelCounts(fresh.root));
    assert.equal(model.totalKeys, left.size);
    assert.equal(model.root.directCount, fresh.root.directCount);
    assert.equal(model.namespaceCount, fresh.namespaceCount, 'namespaces left empty are gone');
    assert.equal(model.findNamespace('user:session'), undefined);
    // Names still held are exactly the keys left in those namespaces.
    for (const node of [
      model.root,
      ...[...left.keys()].map((id) => model.findNamespace(model.split(id).path ?? '')).filter((n) => n !== undefined),
    ]) {
      const held = node?.directKeyNames();
      if (held) {
        assert.deepEqual(
          held.map((b) => b.toString('latin1')),
          [...left.keys()]
            .filter((id) => model.split(id).path === (node?.isRoot ? undefined : node?.path))
            .sort(compareNatural),
        );
      }
    }
  });

  it('deleting the last key of a namespace removes it and its emptied parents, not a parent with other keys', () => {
    const model = build(['a:b:c:1', 'a:2', 'z:1']);
    assert.equal(model.removeKey('a:b:c:1'), true);
    assert.equal(model.findNamespace('a:b:c'), undefined);
    assert.equal(model.findNamespace('a:b'), undefined);
    assert.equal(model.findNamespace('a')?.count, 1);
    assert.equal(model.removeKey('a:2'), true);
    assert.equal(model.findNamespace('a'), undefined);
    assert.deepEqual(
      model.root.childNamespaces().map((n) => n.path),
      ['z'],
    );
    assert.equal(model.totalKeys, 1);
  });

  it('refuses to patch what it cannot know, and changes nothing then', () => {
    const walking = new NamespaceModel();
    walking.add('a:1');
    assert.equal(walking.removeKey('a:1'), false, 'still walking');
    const filtered = build(['a:1', 'b:1'], { match: 'a:*' });
    assert.equal(filtered.removeKey('a:1'), false, 'a filtered walk may not have counted the key');
    assert.equal(filtered.removeNamespace('a'), false);
    const model = build(['a:1', 'a:2']);
    assert.equal(model.removeKey('a:3'), false, 'a name the namespace does not hold');
    assert.equal(model.removeKey('q:1'), false, 'a namespace it does not track');
    assert.equal(model.removeNamespace('q'), false);
    assert.equal(model.findNamespace('a')?.count, 2);
    assert.equal(model.totalKeys, 2);
  });

  it('takes a deleted key of an untracked namespace (past maxNamespaces) from its deepest tracked ancestor', () => {
    const keys = Array.from({ length: 30 }, (_, i) => `user:profile:${i}:name`);
    const model = build(keys, { maxNamespaces: 5 });
    const profile = model.findNamespace('user:profile');
    assert.ok(profile && profile.untrackedCount > 0);
    const untracked = keys.find((k) => model.findNamespace(k.slice(0, k.lastIndexOf(':'))) === undefined);
    assert.ok(untracked);
    const before = profile.untrackedCount;
    assert.equal(model.removeKey(untracked), true);
    assert.equal(profile.untrackedCount, before - 1);
    assert.equal(profile.count, 29);
    assert.equal(model.totalKeys, 29);
  });

  it('refuses an empty delimiter', () => {
    assert.throws(() => new NamespaceModel({ delimiter: '' }), RangeError);
  });
});
