import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { NamespaceModel } from '../../../../src/redis/keyspace';
import {
  copyKey,
  createKey,
  moveNamespaceKeys,
  planNamespaceDeletion,
  renameKey,
} from '../../../../src/redis/mutations';
import { useRedisServer } from '../../../support/useRedisServer';

describe('New, Rename, Copy and Move against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;
  let other: Redis;

  before(async () => {
    client = await server.connect();
    other = await server.connect();
  });
  beforeEach(() => client.flushdb()); // this suite's own server

  it('never overwrites a key another client creates between the check and the write', async () => {
    const key = Buffer.from('race:new');
    const outcome = await createKey(
      client,
      { type: 'string', key, value: Buffer.from('mine'), ttlSeconds: 60 },
      async () => {
        await other.set(key, 'theirs'); // the other service, right after our check
      },
    );
    assert.deepEqual(outcome, { kind: 'conflict' });
    assert.equal(await other.get(key), 'theirs');
    assert.equal(await other.ttl(key), -1);
  });

  it('renames onto a free name only, keeping the TTL, and refuses a target created meanwhile', async () => {
    await client.set('r:a', 'v', 'EX', 100);
    assert.equal((await renameKey(client, Buffer.from('r:a'), Buffer.from('r:b'))).kind, 'written');
    assert.ok((await client.ttl('r:b')) > 95);
    const raced = await renameKey(client, Buffer.from('r:b'), Buffer.from('r:c'), async () => {
      await other.set('r:c', 'theirs');
    });
    assert.deepEqual(raced, { kind: 'conflict' });
    assert.deepEqual(await client.mget('r:b', 'r:c'), ['v', 'theirs']);
    assert.deepEqual(await renameKey(client, Buffer.from('r:b'), Buffer.from('r:c')), {
      kind: 'refused',
      reason: 'exists',
    });
  });

  it('copies without REPLACE unless asked, with binary names', async () => {
    const from = Buffer.from([0x63, 0x3a, 0xff, 0x00]);
    const to = Buffer.from([0x63, 0x3a, 0xfe]);
    await client.set(from, 'v', 'EX', 100);
    await client.set(to, 'kept');
    assert.deepEqual(await copyKey(client, from, to, false), { kind: 'refused', reason: 'exists' });
    assert.equal(await client.get(to), 'kept');
    assert.equal((await copyKey(client, from, to, true)).kind, 'written');
    assert.equal(await client.get(to), 'v');
    assert.ok((await client.ttl(to)) > 95);
  });

  it('moves exactly the namespace with a multi-byte delimiter, skipping an existing target', async () => {
    for (const key of ['m::a::1', 'm::a::2', 'm::ax::1', 'm::a*::1', 'm::n::2']) await client.set(key, key);
    const plan = await planNamespaceDeletion(client, Buffer.from('m::a::'));
    assert.equal(plan.count, 2);
    const result = await moveNamespaceKeys(client, plan, Buffer.from('m::n::'));
    assert.equal(result.moved, 1);
    assert.deepEqual(result.skipped, [Buffer.from('m::a::2')]);
    assert.deepEqual(await client.mget('m::n::1', 'm::n::2', 'm::a::2', 'm::ax::1', 'm::a*::1'), [
      'm::a::1',
      'm::n::2',
      'm::a::2',
      'm::ax::1',
      'm::a*::1',
    ]);
  });

  it('counts a created key in a finished walk, making its namespace', () => {
    const model = new NamespaceModel({ delimiter: ':' });
    model.add('a:1');
    model.finish('complete');
    assert.equal(model.addKey('a:b:2'), true);
    assert.equal(model.addKey('a:1'), false, 'already listed');
    assert.equal(model.findNamespace('a')?.count, 2);
    assert.deepEqual(model.findNamespace('a:b')?.directKeyNames()?.map(String), ['a:b:2']);
  });
});
