import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { NamespaceModel } from '../../../../src/redis/keyspace';
import {
  copyKey,
  createKey,
  describeMove,
  moveNamespaceKeys,
  MoveResult,
  planNamespaceDeletion,
  renameKey,
} from '../../../../src/redis/mutations';
import { parseEdited, renderEditable } from '../../../../src/redis/keyValue/editFormat';
import { readKeyValue } from '../../../../src/redis/keyValue/read';
import { saveKeyValue } from '../../../../src/redis/keyValue/save';
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

  it('reads back in its own MULTI what a rename leaves in both names, for Undo to check against', async () => {
    await client.set('rb:from', 'v');
    const outcome = await renameKey(client, Buffer.from('rb:from'), Buffer.from('rb:to'), async () => ({
      readBack: [Buffer.from('rb:from'), Buffer.from('rb:to')],
    }));
    assert.ok(outcome.kind === 'written');
    assert.deepEqual(outcome.replies, [1], "the write's own replies only");
    assert.deepEqual(
      outcome.written?.map((w) => [w.key.toString(), w.payload]),
      [
        ['rb:from', null],
        ['rb:to', await client.dumpBuffer('rb:to')],
      ],
    );
  });

  it('does not read back (DUMP) a copy larger than the undo limit: a huge value is never dumped on the shared server nor kept', async () => {
    const from = Buffer.from('big:from');
    const to = Buffer.from('big:to');
    await client.set(from, randomBytes(8 * 1024 * 1024)); // 8 MiB that do not compress, far over the 1 MiB undo limit
    await client.config('RESETSTAT');
    const outcome = await copyKey(client, from, to, false, async () => ({ readBack: [to] }));
    assert.ok(outcome.kind === 'written');
    assert.equal(await client.strlen(to), 8 * 1024 * 1024, 'the copy is made');
    const largest = Math.max(0, ...(outcome.written ?? []).map((w) => w.payload?.length ?? 0));
    assert.ok(largest <= 1024 * 1024, `no read-back over the undo limit is kept (${largest} bytes)`);
    assert.doesNotMatch(await client.info('commandstats'), /cmdstat_dump:/, 'DUMP was not run on the copy');
  });

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

  it('counts keys deleted or expired after the count as gone, not as failed', async () => {
    for (const key of ['g:a:1', 'g:a:2', 'g:a:3']) await client.set(key, key);
    const plan = await planNamespaceDeletion(client, Buffer.from('g:a:'));
    await other.del('g:a:2'); // redis-cli, or a TTL, while the confirmation is open
    const result = await moveNamespaceKeys(client, plan, Buffer.from('g:b:'));
    assert.equal(result.moved, 2);
    assert.deepEqual(result.failed, []);
    assert.equal(result.gone, 1);
    assert.equal(describeMove(result, 'g:a:', 'g:b:'), 'Moved 2 of 3 keys from g:a: to g:b: (1 key had already gone)');
  });

  it('a namespace move Redis answers only after the command timeout says it may still be applied', async () => {
    for (const key of ['late:a:1', 'late:a:2', 'late:a:3']) await client.set(key, key);
    const plan = await planNamespaceDeletion(client, Buffer.from('late:a:'));
    // The extension's own timeout, shortened (its connections wait 5 s).
    const timed = server.keep(new Redis({ host: server.host, port: server.port, commandTimeout: 300 }));
    await other.call('CLIENT', 'PAUSE', '1000', 'WRITE'); // writes wait, reads go on
    const failure = await moveNamespaceKeys(timed, plan, Buffer.from('late:b:')).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.match(failure?.message ?? 'moved', /did not answer in time.*may still be applied/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.deepEqual(await client.mget('late:b:1', 'late:b:2', 'late:b:3'), ['late:a:1', 'late:a:2', 'late:a:3']);
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

describe('New, Rename, Copy and Save refused by the server name its reason and what to do', function () {
  this.timeout(30_000);
  const server = useRedisServer({
    acl: 'user default on nopass ~* &* +@all\nuser norename on >norename-pw ~* &* +@all -renamenx -copy -set\n',
  });
  let client: Redis;

  before(async () => {
    client = await server.connect();
  });
  beforeEach(async () => {
    await client.flushdb(); // this suite's own server
    await client.set('refused:a', 'v');
    await client.hset('refused:h', 'f', 'v');
  });
  afterEach(() => client.config('SET', 'maxmemory', '0'));

  /** Each write, run as `as`; what each threw (or "written"), and the keys afterwards. */
  async function attempt(as: Redis): Promise<{ messages: string[]; keys: string[] }> {
    const messages: string[] = [];
    const tryIt = async (write: () => Promise<unknown>): Promise<void> => {
      try {
        await write();
        messages.push('written');
      } catch (error) {
        messages.push((error as Error).message);
      }
    };
    const key = (name: string): Buffer => Buffer.from(name);
    await tryIt(() => createKey(as, { type: 'string', key: key('refused:new'), value: key('v') }));
    await tryIt(() => renameKey(as, key('refused:a'), key('refused:b')));
    await tryIt(() => copyKey(as, key('refused:a'), key('refused:c'), false));
    const value = await readKeyValue(as, key('refused:h'));
    const edited = parseEdited(value, renderEditable(value).text.replace('"v"', '"w"'));
    await tryIt(() => saveKeyValue(as, key('refused:h'), value, edited, { pages: 1 }));
    return { messages, keys: (await client.keys('refused:*')).sort() };
  }

  const unchanged = ['refused:a', 'refused:h'];

  it('on a full server (maxmemory reached, noeviction): OOM and maxmemory, not EXECABORT', async () => {
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1');
    const { messages, keys } = await attempt(client);
    await client.config('SET', 'maxmemory', '0');
    assert.equal(messages.length, 4);
    for (const message of messages) {
      assert.doesNotMatch(message, /EXECABORT/);
      assert.match(message, /^Redis refused .*: OOM .*raise maxmemory/);
    }
    assert.deepEqual(keys, unchanged);
    assert.equal(await client.hget('refused:h', 'f'), 'v');
  });

  it('for a user whose ACL lacks the command: NOPERM and the ACL, not EXECABORT', async () => {
    const limited = server.keep(await server.connect());
    await limited.call('AUTH', 'norename', 'norename-pw');
    const { messages, keys } = await attempt(limited);
    for (const message of messages.slice(0, 3)) {
      assert.doesNotMatch(message, /EXECABORT/);
      assert.match(message, /^Redis refused .*: NOPERM .*ACL/);
    }
    assert.deepEqual(keys, unchanged);
  });
});

describe('New, Rename, Copy and Save on a read-only replica name its reason and what to do', function () {
  this.timeout(30_000);
  // A replica of a master that is not there: still read-only, and its reads still answered.
  const server = useRedisServer({ extraArgs: ['--replicaof', '127.0.0.1', '1'] });

  it('Move to Namespace stops at the first READONLY, with what was done so far, instead of sending every batch', async () => {
    const client = await server.connect();
    const keys = Array.from({ length: 30 }, (_, i) => `ro:a:${i}`);
    // Counted on the master a moment ago; the server has become a replica since (a failover).
    const plan = { prefix: Buffer.from('ro:a:'), keys, count: keys.length };
    const before = await renamenxCalls(client);
    const failure = await moveNamespaceKeys(client, plan, Buffer.from('ro:b:'), { batchSize: 10 }).then(
      () => undefined,
      (error: Error & { partial?: MoveResult }) => error,
    );
    assert.ok(failure, 'the move fails');
    assert.match(failure.message, /READONLY .*connect to its master/);
    assert.equal(failure.partial?.moved, 0);
    assert.equal(failure.partial?.remaining, 20, 'the batches after the first are not sent');
    assert.equal((await renamenxCalls(client)) - before, 10);
  });

  it('READONLY and the master, not EXECABORT, and nothing is written', async () => {
    const client = await server.connect();
    const key = (name: string): Buffer => Buffer.from(name);
    const messages: string[] = [];
    for (const write of [
      () => createKey(client, { type: 'string', key: key('replica:new'), value: key('v') }),
      () => renameKey(client, key('replica:a'), key('replica:b')),
    ]) {
      messages.push(
        await write().then(
          (outcome) => `not refused: ${outcome.kind}`,
          (error: Error) => error.message,
        ),
      );
    }
    assert.match(messages[0] ?? '', /^Redis refused .*: READONLY .*connect to its master/);
    assert.doesNotMatch(messages[0] ?? '', /EXECABORT/);
    assert.equal(messages[1], 'not refused: refused', 'a key that is not there is refused before any write');
    assert.deepEqual(await client.keys('replica:*'), []);
  });
});

/** RENAMENX calls the server has seen, refused ones included (INFO commandstats). */
async function renamenxCalls(client: Redis): Promise<number> {
  const line = /cmdstat_renamenx:calls=(\d+),.*rejected_calls=(\d+)/.exec(await client.info('commandstats'));
  return line ? Number(line[1]) + Number(line[2]) : 0;
}
