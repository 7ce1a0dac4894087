import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { applyUndo, changedSinceWritten, planUndo, snapshotKeys } from '../../../../src/redis/mutations';
import { clientOf } from '../../../support/redisClient';
import { useRedisServer } from '../../../support/useRedisServer';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('undo journal (DUMP + PTTL, RESTORE … REPLACE) against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer({
    // A user who may do everything but DUMP, as some teams' service users are set up.
    // And one who may not count what a key holds (Undo then compares DUMPs alone).
    acl:
      'user default on nopass ~* &* +@all\nuser nodump on >nodump-pw ~* &* +@all -dump\n' +
      'user nocount on >nocount-pw ~* &* +@all -strlen -hlen -llen -scard -zcard -xlen -exists\n',
  });
  let client: Redis;
  const binaryKey = Buffer.from([0x75, 0x6e, 0x64, 0x6f, 0x3a, 0xff, 0x00, 0x2a]); // undo:\xff\0*
  const binaryValue = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80, 0x41]);

  before(async () => {
    client = await server.connect();
  });
  beforeEach(() => client.flushdb()); // this suite's own server

  it('restores a deleted binary key byte-exact with the TTL that remains now', async () => {
    await client.set(binaryKey, binaryValue, 'EX', 100);
    const snapshots = await snapshotKeys(client, [binaryKey]);
    assert.equal(snapshots[0]?.state, 'value');
    await client.unlink(binaryKey);
    await sleep(1100);
    const result = await applyUndo(client, planUndo(snapshots));
    assert.deepEqual(result.restored, [binaryKey]);
    assert.deepEqual(await client.getBuffer(binaryKey), binaryValue);
    const pttl = await client.pttl(binaryKey);
    // Counted down from the snapshot: not the full 100 s again, not gone.
    assert.ok(pttl <= 99_000 && pttl > 90_000, String(pttl));
  });

  it('puts back every type after a change, and a key without TTL keeps none', async () => {
    await client.hset('undo:hash', 'f', 'v', 'g', Buffer.from([0xff]));
    await client.rpush('undo:list', 'a', 'b', 'c');
    await client.sadd('undo:set', 'x', 'y');
    await client.zadd('undo:zset', 1.5, 'm', -2, 'n');
    await client.xadd('undo:stream', '1-1', 'f', 'v');
    await client.set('undo:ttl', 'v', 'EX', 500);
    const keys = ['undo:hash', 'undo:list', 'undo:set', 'undo:zset', 'undo:stream', 'undo:ttl'].map((k) =>
      Buffer.from(k),
    );
    // The values as a client reads them (DUMP bytes of a restored stream or list may differ in encoding details).
    const values = (): Promise<unknown[]> =>
      Promise.all([
        client.hgetallBuffer('undo:hash'),
        client.lrange('undo:list', 0, -1),
        client.smembers('undo:set').then((m) => m.sort()),
        client.zrange('undo:zset', 0, -1, 'WITHSCORES'),
        client.xrange('undo:stream', '-', '+'),
        client.get('undo:ttl'),
      ]);
    const before = await values();
    const snapshots = await snapshotKeys(client, keys);
    await client.hset('undo:hash', 'f', 'changed');
    await client.lset('undo:list', 1, 'B');
    await client.srem('undo:set', 'x');
    await client.zadd('undo:zset', 9, 'm');
    await client.xadd('undo:stream', '2-1', 'g', 'w');
    await client.persist('undo:ttl');
    await applyUndo(client, planUndo(snapshots));
    assert.deepEqual(await values(), before);
    for (const key of keys.slice(0, 5)) assert.equal(await client.pttl(key), -1, key.toString());
    const ttl = await client.ttl('undo:ttl');
    assert.ok(ttl > 490 && ttl <= 500, String(ttl));
  });

  it('deletes on undo a key that did not exist before the change', async () => {
    const snapshots = await snapshotKeys(client, [Buffer.from('undo:new')]);
    assert.deepEqual(snapshots, [{ key: Buffer.from('undo:new'), state: 'absent' }]);
    await client.set('undo:new', 'created');
    const result = await applyUndo(client, planUndo(snapshots));
    assert.deepEqual(result.deleted, [Buffer.from('undo:new')]);
    assert.equal(await client.exists('undo:new'), 0);
  });

  it('says a key whose TTL has run out by now is not restored, and leaves it as it is', async () => {
    // A TTL long enough that the snapshot sees it on a busy machine; then wait until it has run out.
    await client.set('undo:short', 'old', 'PX', 1500);
    const snapshots = await snapshotKeys(client, [Buffer.from('undo:short')]);
    assert.equal(snapshots[0]?.state, 'value', 'the snapshot kept the value and its TTL');
    await client.set('undo:short', 'new'); // the change: no TTL any more
    const snapshot = snapshots[0] as { pttl: number; takenAt: number };
    await sleep(Math.max(0, snapshot.takenAt + snapshot.pttl - performance.now()) + 100);
    const steps = planUndo(snapshots);
    assert.deepEqual(steps, [{ key: Buffer.from('undo:short'), action: 'expired' }]);
    const result = await applyUndo(client, steps);
    assert.deepEqual(result.expired, [Buffer.from('undo:short')]);
    assert.equal(await client.get('undo:short'), 'new');
  });

  it('keeps no value over the size limit and says why, without transferring a far larger one', async () => {
    // Random bytes: DUMP compresses, so a run of one letter would fit under any limit.
    await client.set('undo:big', randomBytes(5000));
    await client.set('undo:huge', randomBytes(200_000));
    await client.set('undo:small', 'ok');
    const snapshots = await snapshotKeys(
      client,
      ['undo:big', 'undo:huge', 'undo:small'].map((k) => Buffer.from(k)),
      {
        limitBytes: 4096,
      },
    );
    assert.deepEqual(
      snapshots.map((s) => s.state),
      ['notKept', 'notKept', 'value'],
    );
    assert.match((snapshots[0] as { reason: string }).reason, /over the undo limit of 4\.0 KiB/);
    assert.match((snapshots[1] as { reason: string }).reason, /about .* over the undo limit/);
  });

  it('after a rename whose value was not kept, deletes nothing: the new name holds the only copy', async () => {
    const from = Buffer.from('undo:report');
    const to = Buffer.from('undo:report-2025');
    await client.set(from, randomBytes(5000));
    const snapshots = await snapshotKeys(client, [from, to], { limitBytes: 4096 });
    await client.rename(from, to);
    const steps = planUndo(snapshots);
    assert.deepEqual(
      steps.map((s) => s.action),
      ['notKept', 'notKept'],
    );
    assert.match((steps[1] as { reason: string }).reason, /^it may hold the value of undo:report, which was not kept/);
    const result = await applyUndo(client, steps);
    assert.deepEqual(result.deleted, []);
    assert.equal(await client.exists(to), 1, 'the value is still under its new name');
  });

  it('after a write Redis answered too late to know, deletes no key: another client may have written it instead', async () => {
    const key = Buffer.from('undo:created');
    const snapshots = await snapshotKeys(client, [key]);
    // Our New Key's EXEC was aborted (the key changed after its check); the user service wrote it.
    await client.set(key, 'the user service wrote this');
    const steps = planUndo(snapshots, undefined, { unanswered: true });
    assert.deepEqual(
      steps.map((s) => s.action),
      ['notKept'],
    );
    assert.match((steps[0] as { reason: string }).reason, /Redis answered too late/);
    await applyUndo(client, steps);
    assert.equal(await client.get(key), 'the user service wrote this');
  });

  it('notes a key as not kept when the user may not DUMP, and changes nothing', async () => {
    await client.set('undo:guarded', 'v');
    const limited = server.keep(await clientOf({ host: server.host, port: server.port }));
    await limited.call('AUTH', 'nodump', 'nodump-pw');
    const snapshots = await snapshotKeys(limited, [Buffer.from('undo:guarded')]);
    assert.equal(snapshots[0]?.state, 'notKept');
    assert.match((snapshots[0] as { reason: string }).reason, /^Redis refused DUMP \(NOPERM/);
    assert.equal(await client.get('undo:guarded'), 'v');
  });

  it('checks what a change wrote by its DUMP alone when the user may not count what a key holds', async () => {
    const key = Buffer.from('undo:counted');
    const limited = server.keep(await clientOf({ host: server.host, port: server.port }));
    await limited.call('AUTH', 'nocount', 'nocount-pw');
    const change = async (): Promise<ReturnType<typeof planUndo>> => {
      await client.set(key, 'before');
      const snapshots = await snapshotKeys(limited, [key]);
      const exec = (await limited.multi().set(key, 'after').dumpBuffer(key).exec()) ?? [];
      const written = [{ key, payload: exec[1]?.[1] as Buffer }];
      return planUndo(snapshots, undefined, { written });
    };
    const unchanged = await applyUndo(limited, await change());
    assert.deepEqual(unchanged.restored, [key], 'nobody wrote the key since: it is put back');
    assert.equal(await client.get(key), 'before');
    const steps = await change();
    await client.set(key, 'x'.repeat(10_000)); // another client's write, far larger
    const changed = await applyUndo(limited, steps);
    assert.deepEqual(changed.changedSince, [key]);
    assert.equal(await client.strlen(key), 10_000);
  });

  it('checks before Undo, read-only, what applyUndo checks: the keys that no longer hold what the change wrote', async () => {
    const [kept, overwritten] = [Buffer.from('undo:first:kept'), Buffer.from('undo:first:overwritten')];
    await client.mset(kept, 'before', overwritten, 'before');
    const snapshots = await snapshotKeys(client, [kept, overwritten]);
    const exec =
      (await client
        .multi()
        .mset(kept, 'after', overwritten, 'after')
        .dumpBuffer(kept)
        .dumpBuffer(overwritten)
        .exec()) ?? [];
    const written = [kept, overwritten].map((key, i) => ({ key, payload: exec[i + 1]?.[1] as Buffer }));
    const steps = planUndo(snapshots, undefined, { written });
    assert.deepEqual(await changedSinceWritten(client, steps), [], 'nobody wrote the keys since');
    await client.set(overwritten, 'x'.repeat(10_000)); // another client's write, far larger
    await client.config('RESETSTAT');
    assert.deepEqual(await changedSinceWritten(client, steps), [overwritten]);
    const stats = await client.info('commandstats');
    assert.match(stats, /cmdstat_dump:calls=1,/, 'only the key that may still hold what was written is dumped');
    assert.doesNotMatch(stats, /cmdstat_(watch|multi|exec|restore|unlink):/, 'nothing watched or written');
    assert.deepEqual(await client.mget(kept, overwritten), ['after', 'x'.repeat(10_000)]);
    assert.deepEqual((await applyUndo(client, steps)).changedSince, [overwritten], 'applyUndo says the same');
  });

  it('leaves a WATCH in place: a conditional write still fails when another client wrote meanwhile', async () => {
    await client.set('undo:watched', 'v1');
    const writer = await server.connect();
    const other = await server.connect();
    await writer.watch('undo:watched');
    await snapshotKeys(writer, [Buffer.from('undo:watched')]);
    await other.set('undo:watched', 'theirs');
    const exec = await writer.multi().set('undo:watched', 'mine').exec();
    assert.equal(exec, null);
    assert.equal(await client.get('undo:watched'), 'theirs');
  });
});
