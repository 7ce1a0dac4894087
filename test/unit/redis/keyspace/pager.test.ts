import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { toBinary } from '../../../../src/redis/keyspace/binary';
import { describeKeys, memoryUsage } from '../../../../src/redis/keyspace/keyInfo';
import { NamespaceModel } from '../../../../src/redis/keyspace/namespaceModel';
import { compareNatural } from '../../../../src/redis/keyspace/naturalOrder';
import { keyLabel, NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import { allPages, clientOf, endpointOf, oddKeys, stringKeys, writeKeys, WrittenKey } from './support';

const ids = (keys: { id: string }[]): string[] => keys.map((k) => k.id).sort();

describe('NamespaceKeyPager against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;
  let model: NamespaceModel;
  const big = Array.from({ length: 2500 }, (_, i) => `big:${i}`);
  const bigDeeper = Array.from({ length: 300 }, (_, i) => `big:child:${i}`);
  const small = Array.from({ length: 12 }, (_, i) => `small:${i}`);
  const odd = oddKeys();

  before(async () => {
    client = await server.connect();
    const keys: WrittenKey[] = [
      ...big.map((k, i): WrittenKey => ({ key: Buffer.from(k), type: i % 2 ? 'hash' : 'string', ttl: i % 3 === 0 })),
      ...bigDeeper.map((k): WrittenKey => ({ key: Buffer.from(k), type: 'string', ttl: false })),
      ...small.map((k, i): WrittenKey => ({ key: Buffer.from(k), type: i % 2 ? 'set' : 'zset', ttl: i < 6 })),
      ...Array.from({ length: 40 }, (_, i): WrittenKey => ({ key: Buffer.from(`top-${i}`), type: 'list', ttl: false })),
      ...odd.map((key): WrittenKey => ({ key, type: 'string', ttl: false })),
    ];
    await writeKeys(client, keys);
    model = await walkKeyspace({ client }, { keepNamesUpTo: 100 }).done;
  });

  it('pages a small namespace from the names the walk kept, with TYPE and PTTL, in natural order', async () => {
    const node = model.findNamespace('small');
    assert.ok(node?.hasAllDirectKeyNames);
    const pager = new NamespaceKeyPager(client, node, { pageSize: 5 });
    const { pages, keys } = await allPages(pager);
    assert.deepEqual(
      pages.map((p) => p.keys.length),
      [5, 5, 2],
    );
    assert.ok(pages.every((p) => p.scans === 0));
    assert.deepEqual(
      keys.map((k) => k.id),
      [...small].sort(compareNatural),
    );
    for (const key of keys) {
      const i = Number(key.id.split(':')[1]);
      assert.equal(key.type, i % 2 ? 'set' : 'zset');
      if (i < 6) assert.ok(key.pttlMs > 3_500_000 && key.pttlMs <= 3_600_000, String(key.pttlMs));
      else assert.equal(key.pttlMs, -1);
      assert.equal(key.gone, false);
      assert.equal(keyLabel(key), String(i));
    }
    assert.deepEqual(await pager.next(), { keys: [], more: false, scans: 0 });
  });

  it("pages a large namespace with SCAN MATCH: every direct key exactly once, none of its children's", async () => {
    const node = model.findNamespace('big');
    assert.ok(node && !node.hasAllDirectKeyNames);
    assert.equal(node.directCount, 2500);
    assert.equal(node.count, 2800);
    const pager = new NamespaceKeyPager(client, node, { pageSize: 200, count: 100 });
    const first = await pager.next();
    assert.equal(first.keys.length, 200);
    assert.ok(first.more);
    assert.ok(first.scans > 0);
    const rest = await allPages(pager);
    const keys = [...first.keys, ...rest.keys];
    assert.deepEqual(ids(keys), [...big].sort());
    assert.equal(new Set(keys.map((k) => k.id)).size, keys.length);
    assert.ok([first, ...rest.pages].slice(0, -1).every((p) => p.keys.length === 200));
    for (const key of keys) {
      const i = Number(key.id.split(':')[1]);
      assert.equal(key.type, i % 2 ? 'hash' : 'string');
      assert.equal(key.pttlMs > 0, i % 3 === 0);
    }
  });

  it('pages the root: top-level keys only', async () => {
    const { keys } = await allPages(new NamespaceKeyPager(client, model.root, { pageSize: 7 }));
    const expected = [...Array.from({ length: 40 }, (_, i) => `top-${i}`), ''];
    assert.deepEqual(ids(keys), expected.sort());
    const empty = keys.find((k) => k.id === '');
    assert.ok(empty);
    assert.equal(keyLabel(empty), '""');
    assert.equal(empty.type, 'string');
  });

  it('returns odd keys with their exact bytes and types, through held names and through SCAN', async () => {
    for (const keepNamesUpTo of [10_000, 0]) {
      const walked = await walkKeyspace({ client }, { keepNamesUpTo }).done;
      for (const key of odd) {
        const { path } = walked.split(key);
        const node = path === undefined ? walked.root : walked.findNamespace(path);
        assert.ok(node, `namespace of ${JSON.stringify(key.subarray(0, 30).toString('latin1'))}`);
        assert.equal(node.hasAllDirectKeyNames, keepNamesUpTo > 0);
        const { keys } = await allPages(new NamespaceKeyPager(client, node, { pageSize: 50 }));
        const found = keys.find((k) => k.key.equals(key));
        assert.ok(found, `key ${JSON.stringify(key.subarray(0, 30).toString('latin1'))} not paged`);
        assert.equal(found.type, 'string');
        assert.equal(found.id, toBinary(key));
        assert.deepEqual(Buffer.concat([node.prefix, Buffer.from(found.labelBytes, 'latin1')]), key);
      }
    }
  });

  it('never gives a key it was told was deleted, from held names or from SCAN', async () => {
    const smallNode = model.findNamespace('small');
    const bigNode = model.findNamespace('big');
    assert.ok(smallNode?.hasAllDirectKeyNames && bigNode && !bigNode.hasAllDirectKeyNames);
    for (const [node, pageSize] of [
      [smallNode, 5],
      [bigNode, 200],
    ] as const) {
      const pager = new NamespaceKeyPager(client, node, { pageSize });
      const first = await pager.next();
      const all: string[] = node === smallNode ? [...small].sort(compareNatural) : [...big];
      const later = all.filter((k: string) => !first.keys.some((f) => f.id === k));
      const forgotten = [later[0], later[later.length - 1]].filter((k): k is string => k !== undefined);
      for (const key of forgotten) pager.forget(toBinary(Buffer.from(key)));
      const rest = await allPages(pager);
      const given = [...first.keys, ...rest.keys].map((k) => k.id);
      assert.equal(given.length, all.length - forgotten.length);
      for (const key of forgotten) assert.ok(!given.includes(key), `${key} is not given`);
    }
    // Forgetting the last names not given yet ends the pages.
    const pager = new NamespaceKeyPager(client, smallNode, { pageSize: 10 });
    await pager.next();
    for (const key of [...small].sort(compareNatural).slice(10)) pager.forget(key);
    assert.equal(pager.done, true);
  });

  it('reports keys that vanished since the walk as gone, not as errors', async () => {
    await writeKeys(client, [
      { key: Buffer.from('vanish:a'), type: 'string', ttl: false },
      { key: Buffer.from('vanish:b'), type: 'hash', ttl: true },
    ]);
    const walked = await walkKeyspace({ client }).done;
    await client.del('vanish:a');
    const node = walked.findNamespace('vanish');
    assert.ok(node);
    const page = await new NamespaceKeyPager(client, node).next();
    assert.deepEqual(
      page.keys.map((k) => [k.id, k.type, k.gone]),
      [
        ['vanish:a', 'none', true],
        ['vanish:b', 'hash', false],
      ],
    );
    assert.equal(page.keys[0]?.pttlMs, -2);
    assert.ok((page.keys[1]?.pttlMs ?? 0) > 0);
    await client.del('vanish:b');
  });

  it("applies the walk's filters when it pages with SCAN (MATCH on the client, TYPE on the server)", async () => {
    const byType = await walkKeyspace({ client }, { type: 'hash', keepNamesUpTo: 0 }).done;
    const bigHashes = byType.findNamespace('big');
    assert.ok(bigHashes);
    assert.equal(bigHashes.directCount, 1250);
    const hashes = await allPages(new NamespaceKeyPager(client, bigHashes, { pageSize: 500 }));
    assert.equal(hashes.keys.length, 1250);
    assert.ok(hashes.keys.every((k) => k.type === 'hash'));

    const byMatch = await walkKeyspace({ client }, { match: 'big:1*', keepNamesUpTo: 0 }).done;
    const node = byMatch.findNamespace('big');
    assert.ok(node);
    const matched = await allPages(new NamespaceKeyPager(client, node, { pageSize: 500 }));
    assert.deepEqual(ids(matched.keys), big.filter((k) => k.startsWith('big:1')).sort());
    assert.equal(matched.keys.length, node.directCount);
  });

  it('gives each key once even when SCAN returns it again', async () => {
    // SCAN may repeat keys (when the table shrinks mid-scan); replay a reply twice to be sure.
    const node = model.findNamespace('big');
    assert.ok(node);
    let calls = 0;
    const repeating = new Proxy(client, {
      get(target, property, receiver) {
        if (property === 'callBuffer') {
          return async (...args: unknown[]) => {
            calls++;
            const reply = await (target.callBuffer as (...a: unknown[]) => Promise<[Buffer, Buffer[]]>)(...args);
            const [cursor, keys] = reply;
            return [cursor, [...keys, ...keys, ...keys.slice(0, 3)]];
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const { keys } = await allPages(new NamespaceKeyPager(repeating, node, { pageSize: 300 }));
    assert.ok(calls > 1);
    assert.equal(keys.length, 2500);
    assert.equal(new Set(keys.map((k) => k.id)).size, 2500);
  });

  it('keeps its place when a page fails or is cancelled, and serialises quick calls', async () => {
    const node = model.findNamespace('big');
    assert.ok(node);
    const pager = new NamespaceKeyPager(client, node, { pageSize: 100 });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(pager.next(controller.signal), { name: 'AbortError' });
    const [a, b] = await Promise.all([pager.next(), pager.next()]);
    assert.equal(a.keys.length, 100);
    assert.equal(b.keys.length, 100);
    assert.equal(new Set([...a.keys, ...b.keys].map((k) => k.id)).size, 200);
  });

  it('describes keys in one round trip and reads MEMORY USAGE', async () => {
    const entries = await describeKeys(client, [Buffer.from('small:0'), 'no-such-key', Buffer.from('big:3')]);
    assert.deepEqual(
      entries.map((e) => [e.id, e.type, e.gone]),
      [
        ['small:0', 'zset', false],
        ['no-such-key', 'none', true],
        ['big:3', 'hash', false],
      ],
    );
    assert.deepEqual(await describeKeys(client, []), []);
    const bytes = await memoryUsage(client, Buffer.from('big:3'));
    assert.ok(bytes !== undefined && bytes > 0);
    assert.equal(await memoryUsage(client, 'no-such-key'), undefined);
    const huge = odd.find((k) => k.length > 500_000);
    assert.ok(huge);
    assert.ok(((await memoryUsage(client, huge)) ?? 0) > 512 * 1024);
  });

  it('reports a dead connection as a RedisConnectionError', async () => {
    const doomed = await startRedisServer();
    const doomedClient = await clientOf(doomed);
    try {
      await writeKeys(
        doomedClient,
        stringKeys(500, (i) => `d:${i}`),
      );
      const walked = await walkKeyspace({ endpoint: endpointOf(doomed), credentials: {} }, { keepNamesUpTo: 10 }).done;
      const node = walked.findNamespace('d');
      assert.ok(node);
      await doomed.stop();
      await assert.rejects(new NamespaceKeyPager(doomedClient, node).next(), { name: 'RedisConnectionError' });
    } finally {
      doomedClient.disconnect();
      await doomed.stop();
    }
  });
});
