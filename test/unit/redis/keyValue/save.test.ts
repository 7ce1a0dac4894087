import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { EditFormatError, parseEdited, renderEditable } from '../../../../src/redis/keyValue/editFormat';
import { KeyValue, readKeyValue } from '../../../../src/redis/keyValue/read';
import { saveKeyValue } from '../../../../src/redis/keyValue/save';
import { useRedisServer } from '../../../support/useRedisServer';

describe('saving an edited key document against a real redis-server', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let client: Redis;
  let other: Redis;
  before(async () => {
    client = await server.connect();
    other = await server.connect();
  });

  const read = (key: string): Promise<KeyValue> => readKeyValue(client, Buffer.from(key));

  async function save(
    key: string,
    edit: (text: string) => string,
    between?: () => Promise<unknown>,
  ): Promise<Awaited<ReturnType<typeof saveKeyValue>>> {
    const value = await read(key);
    const edited = parseEdited(value, edit(renderEditable(value).text));
    await between?.();
    return saveKeyValue(client, Buffer.from(key), value, edited, { pages: 1 });
  }

  it('keeps the TTL of every type, a list rewrite included', async () => {
    await client.set('ttl:string', 'a', 'EX', 1000);
    await client.hset('ttl:hash', 'f', '1');
    await client.rpush('ttl:list', 'a', 'b', 'c');
    await client.sadd('ttl:set', 'a');
    await client.zadd('ttl:zset', 1, 'a');
    await client.xadd('ttl:stream', '*', 'f', '1');
    for (const key of ['ttl:hash', 'ttl:list', 'ttl:set', 'ttl:zset', 'ttl:stream']) await client.expire(key, 1000);
    const edits: Record<string, (text: string) => string> = {
      'ttl:string': (t) => t.replace(/a$/, 'b'),
      'ttl:hash': (t) => t.replace('"f": "1"', '"f": "2"'),
      'ttl:list': (t) => t.replace('"a"\n', ''),
      'ttl:set': (t) => `${t}"b"\n`,
      'ttl:zset': (t) => t.replace('"a": 1', '"a": 5'),
      'ttl:stream': (t) => `${t}*  "f": "2"\n`,
    };
    for (const [key, edit] of Object.entries(edits)) {
      assert.equal((await save(key, edit)).kind, 'saved', key);
      const ttl = await client.ttl(key);
      assert.ok(ttl > 990 && ttl <= 1000, `${key} TTL ${ttl}`);
    }
    assert.equal(await client.get('ttl:string'), 'b');
    assert.deepEqual(await client.lrange('ttl:list', 0, -1), ['b', 'c']);
    assert.equal(await client.zscore('ttl:zset', 'a'), '5');
    assert.equal(await client.xlen('ttl:stream'), 2);
  });

  it('refuses a score Redis cannot keep before writing anything, so no member is lost; keeps the tiny ones it can', async () => {
    await client.zadd('range:zset', 1, 'a', 2, 'keep');
    for (const score of ['1e400', '-1.8e308', '1e-400']) {
      // Renaming `a` to `b` with that score: ZADD b and ZREM a in one MULTI, and Redis refuses
      // such a ZADD only at EXEC, after which the ZREM has run.
      await assert.rejects(
        save('range:zset', (t) => t.replace('"a": 1', `"b": ${score}`)),
        (error: unknown) =>
          error instanceof EditFormatError &&
          error.reason.startsWith(`the score of "b" is ${score}, which Redis cannot keep`),
        score,
      );
      assert.deepEqual(await client.zrange('range:zset', 0, -1, 'WITHSCORES'), ['a', '1', 'keep', '2'], score);
    }
    assert.equal((await save('range:zset', (t) => t.replace('"a": 1', '"b": 5e-324'))).kind, 'saved');
    // The smallest double, however the server writes it (Redis 7.0: 4.9406564584124654e-324, 8.0: 5e-324).
    const [first, score, ...rest] = await client.zrange('range:zset', 0, -1, 'WITHSCORES');
    assert.deepEqual([first, Number(score), ...rest], ['b', 5e-324, 'keep', '2']);
  });

  it('a save Redis answers only after the command timeout says it may still be applied, and keeps the before-state for Undo', async () => {
    // The extension's own timeout, shortened (its connections wait 5 s).
    const timed = server.keep(new Redis({ host: server.host, port: server.port, commandTimeout: 500 }));
    await client.set('paused:string', 'before');
    const value = await readKeyValue(timed, Buffer.from('paused:string'));
    const edited = parseEdited(value, renderEditable(value).text.replace('before', 'after'));
    const undo: string[] = [];
    await client.call('CLIENT', 'PAUSE', '1500', 'WRITE'); // writes wait, reads go on
    const failure = await saveKeyValue(timed, Buffer.from('paused:string'), value, edited, {
      pages: 1,
      beforeWrite: async () => ({ commit: () => undo.push('commit'), discard: () => undo.push('discard') }),
    }).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.match(failure?.message ?? 'saved', /did not answer in time.*may still be applied/);
    assert.deepEqual(undo, ['commit'], 'the before-state is kept: the write may land');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await client.get('paused:string'), 'after', 'Redis applied it once the pause ended');
  });

  it('a list rewrite that waits for the undo question keeps the TTL left when it writes, not the one before the question', async () => {
    await client.rpush('ttl:asked', 'a', 'b', 'c');
    await client.pexpire('ttl:asked', 10_000);
    const value = await read('ttl:asked');
    const edited = parseEdited(value, renderEditable(value).text.replace('"b"\n', '')); // a rewrite
    const outcome = await saveKeyValue(client, Buffer.from('ttl:asked'), value, edited, {
      pages: 1,
      // The person reads "this change cannot be undone. Go on?" for 2 s before answering.
      beforeWrite: async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return { commit: () => undefined, discard: () => undefined };
      },
    });
    assert.equal(outcome.kind, 'saved');
    assert.deepEqual(await client.lrange('ttl:asked', 0, -1), ['a', 'c']);
    const pttl = await client.pttl('ttl:asked');
    assert.ok(pttl > 0 && pttl <= 8_100, `the TTL was not extended by the question (${pttl} ms left)`);
  });

  it('writes nothing when another client changed the key after the read, and says what it is now', async () => {
    await client.hset('conflict:hash', 'f', '1', 'g', '1');
    const outcome = await save(
      'conflict:hash',
      (t) => t.replace('"f": "1"', '"f": "mine"'),
      () => other.hset('conflict:hash', 'g', '2'),
    );
    assert.equal(outcome.kind, 'conflict');
    assert.deepEqual(await client.hgetall('conflict:hash'), { f: '1', g: '2' });
  });

  it('writes nothing when the key was deleted or changed type meanwhile', async () => {
    await client.set('conflict:gone', 'a');
    const gone = await save(
      'conflict:gone',
      (t) => t.replace(/a$/, 'b'),
      () => other.del('conflict:gone'),
    );
    assert.equal(gone.kind === 'conflict' && gone.current.kind, 'gone');
    assert.equal(await client.exists('conflict:gone'), 0);
    await client.sadd('conflict:type', 'a');
    const typed = await save(
      'conflict:type',
      (t) => `${t}"b"\n`,
      async () => (await other.del('conflict:type'), other.rpush('conflict:type', 'x')),
    );
    assert.equal(typed.kind === 'conflict' && typed.current.kind, 'list');
    assert.deepEqual(await client.lrange('conflict:type', 0, -1), ['x']);
  });

  it('is unchanged (and sends no write) when the document says what the key holds', async () => {
    await client.hset('same:hash', 'f', '1');
    assert.equal((await save('same:hash', (t) => t)).kind, 'unchanged');
  });
});
