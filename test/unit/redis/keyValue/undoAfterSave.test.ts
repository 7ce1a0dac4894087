import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { parseEdited, renderEditable } from '../../../../src/redis/keyValue/editFormat';
import { readKeyValue } from '../../../../src/redis/keyValue/read';
import { saveKeyValue } from '../../../../src/redis/keyValue/save';
import { applyUndo, changedSinceWritten, KeySnapshot, planUndo, snapshotKeys } from '../../../../src/redis/mutations';
import { useRedisServer } from '../../../support/useRedisServer';

/** What a change left in a key (its DUMP right after the write; null: no key), as the save reports it on commit. */
type Written = readonly { readonly key: Buffer; readonly payload: Buffer | null }[];

describe('Undo after a key document save, when another client wrote the key in between (real redis-server)', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let editor: Redis;
  let service: Redis;
  before(async () => {
    editor = await server.connect();
    service = await server.connect();
  });
  beforeEach(() => editor.flushdb()); // this suite's own server

  /** Saves `edit` over the key as the key editor does, keeping the before-state and what the save wrote. */
  async function saveAsEditor(
    key: Buffer,
    edit: (text: string) => string,
    pages = 1,
  ): Promise<{ snapshots: KeySnapshot[]; written: Written | undefined }> {
    const value = await readKeyValue(editor, key, { pages });
    const edited = parseEdited(value, edit(renderEditable(value).text));
    let snapshots: KeySnapshot[] = [];
    let written: Written | undefined;
    const outcome = await saveKeyValue(editor, key, value, edited, {
      pages,
      beforeWrite: async (writer) => {
        snapshots = await snapshotKeys(writer, [key]);
        return { commit: (after?: Written) => void (written = after), discard: () => undefined };
      },
    });
    assert.equal(outcome.kind, 'saved');
    return { snapshots, written };
  }

  /** The DUMP calls Redis counted since its last CONFIG RESETSTAT. */
  async function dumpCalls(): Promise<number> {
    return Number(/cmdstat_dump:calls=(\d+)/.exec(await editor.info('commandstats'))?.[1] ?? 0);
  }

  it('does not read back (DUMP) a saved value far over the undo limit, nor keep it; Undo then warns it replaces newer writes, as after a large copy', async () => {
    const key = Buffer.from('shared:config:blob');
    await editor.set(key, 'old');
    // About 2.8 MB of base64 text (random, so the DUMP cannot compress it), pasted into the document.
    const huge = randomBytes(2 * 1024 * 1024).toString('base64');
    await editor.config('RESETSTAT');
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace(/old$/, huge));
    assert.equal(await editor.strlen(key), huge.length, 'the value is saved');
    assert.equal(await dumpCalls(), 1, "only the before-state's DUMP: the saved value is not transferred back");
    assert.equal(
      written?.find((w) => w.key.equals(key)),
      undefined,
      'nothing is known of what the save left: Undo does not check the key',
    );
    const steps = planUndo(snapshots, undefined, { unanswered: false, written });
    assert.deepEqual(
      steps.map((s) => [s.action, 'written' in s ? s.written : undefined]),
      [['restore', undefined]],
      'Undo asks as it does after a copy over the limit: whatever was written since is replaced',
    );
    const result = await applyUndo(editor, steps);
    assert.deepEqual(result.restored, [key]);
    assert.equal(await editor.get(key), 'old');
  });

  it('keeps no read-back over the undo limit of a saved value just over it', async () => {
    const key = Buffer.from('shared:config:blob2');
    await editor.set(key, 'old');
    // About 1.4 MB: over the 1 MiB limit, under twice it (estimated small enough to be read back).
    const large = randomBytes(1024 * 1024).toString('base64');
    const { written } = await saveAsEditor(key, (t) => t.replace(/old$/, large));
    assert.equal(await editor.strlen(key), large.length, 'the value is saved');
    const kept = Math.max(0, ...(written ?? []).map((w) => w.payload?.length ?? 0));
    assert.ok(kept <= 1024 * 1024, `no read-back over the undo limit is kept (${kept} bytes)`);
  });

  it('reads back a value saved over a large string (SET replaces it: its old size does not count), so Undo still never replaces a newer write', async () => {
    const key = Buffer.from('shared:config:template');
    // 1 MB (as large as the editor edits a string) that compresses well: a small DUMP, kept for Undo.
    await editor.set(key, 'a'.repeat(1_000_000));
    // Replaced by 1.1 MB that compresses as well (a DUMP of 13 kB, under the undo limit); 1 MB now + 1.1 MB sent is over twice it.
    const replace = (text: string): string => text.slice(0, text.length - 1_000_000) + 'b'.repeat(1_100_000);
    const { snapshots, written } = await saveAsEditor(key, replace, 2);
    assert.equal(await editor.strlen(key), 1_100_000, 'the value is saved');
    assert.equal(snapshots[0]?.state, 'value', 'the value before the save is kept for Undo');
    await service.set(key, 'newer-from-service');
    const result = await applyUndo(editor, planUndo(snapshots, undefined, { unanswered: false, written }));
    assert.deepEqual(result.restored, [], 'nothing was restored');
    assert.equal(await editor.get(key), 'newer-from-service', "the other client's write is still there");
  });

  it('does not put the old value back over a value another client wrote after the save: it names the key and changes nothing', async () => {
    const key = Buffer.from('auth:config:limits');
    await editor.set(key, 'old');
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace(/old$/, 'saved'));
    assert.equal(await editor.get(key), 'saved');
    // A service (or redis-cli) writes the key after the save and before the Undo.
    await service.set(key, 'newer-from-service', 'EX', 500);
    const options = { unanswered: false, written };
    const result = await applyUndo(editor, planUndo(snapshots, undefined, options));
    assert.deepEqual(result.restored, [], 'nothing was restored');
    assert.equal(await editor.get(key), 'newer-from-service', "the other client's write is still there");
    const ttl = await editor.ttl(key);
    assert.ok(ttl > 490 && ttl <= 500, `its TTL too (${ttl})`);
    assert.deepEqual(
      (result as { changedSince?: unknown }).changedSince,
      [key],
      'the key that changed since the save is named',
    );
  });

  it('does not put the old value and TTL back over a TTL another client set or removed after the save (EXPIRE, PERSIST): it names the key and changes nothing', async () => {
    const lasting = Buffer.from('auth:session:lasting');
    await editor.set(lasting, 'old');
    const savedLasting = await saveAsEditor(lasting, (t) => t.replace(/old$/, 'saved'));
    const expiring = Buffer.from('auth:session:expiring');
    await editor.set(expiring, 'old', 'EX', 900);
    const savedExpiring = await saveAsEditor(expiring, (t) => t.replace(/old$/, 'saved'));
    const untouched = Buffer.from('auth:session:untouched');
    await editor.set(untouched, 'old', 'EX', 900);
    const savedUntouched = await saveAsEditor(untouched, (t) => t.replace(/old$/, 'saved'));
    // A service then gives the first key a TTL and makes the second one last (each a write of the key).
    await service.expire(lasting, 500);
    await service.persist(expiring);
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the third one's TTL only runs down
    const steps = [savedLasting, savedExpiring, savedUntouched].flatMap(({ snapshots, written }) =>
      planUndo(snapshots, undefined, { unanswered: false, written }),
    );
    assert.deepEqual(
      await changedSinceWritten(editor, steps),
      [lasting, expiring],
      'the keys whose TTL another client set are named',
    );
    const result = await applyUndo(editor, steps);
    assert.deepEqual(result.changedSince, [lasting, expiring]);
    assert.deepEqual(result.restored, [], 'nothing was restored');
    assert.deepEqual(await editor.mget(lasting, expiring, untouched), ['saved', 'saved', 'saved']);
    const ttl = await editor.ttl(lasting);
    assert.ok(ttl > 490 && ttl <= 500, `the TTL the service set is kept (${ttl})`);
    assert.equal(await editor.ttl(expiring), -1, 'the key the service made last still lasts');
  });

  /** A field of INFO `section` (a number), as Redis reports it since its last CONFIG RESETSTAT. */
  async function infoNumber(section: string, pattern: RegExp): Promise<number> {
    return Number(pattern.exec(await editor.info(section))?.[1] ?? 0);
  }

  it('refuses Undo without reading back (DUMP) a value another client made far larger after the save: a 64 MB string, a hash of 500,000 fields', async () => {
    const blob = Buffer.from('shared:config:flags');
    await editor.set(blob, 'old');
    const savedBlob = await saveAsEditor(blob, (t) => t.replace(/old$/, 'saved'));
    // Another client then writes 64 MB (random: a DUMP could not compress it) into the key.
    const huge = randomBytes(64 * 1024 * 1024);
    await service.set(blob, huge);

    const profile = Buffer.from('user:profile:3');
    await editor.hset(profile, 'name', 'Ann');
    const savedProfile = await saveAsEditor(profile, (t) => t.replace('"Ann"', '"Bea"'));
    // And another fills the hash with 500,000 fields.
    await service.eval(
      "for i = 1, 500000 do redis.call('HSET', KEYS[1], 'field:' .. i, 'value:' .. i) end",
      1,
      profile,
    );

    for (const [key, saved] of [
      [blob, savedBlob],
      [profile, savedProfile],
    ] as const) {
      await editor.config('RESETSTAT');
      const result = await applyUndo(
        editor,
        planUndo(saved.snapshots, undefined, { unanswered: false, written: saved.written }),
      );
      const dumps = await infoNumber('commandstats', /cmdstat_dump:calls=(\d+)/);
      const sent = await infoNumber('stats', /total_net_output_bytes:(\d+)/);
      assert.deepEqual(result.restored, [], `nothing was restored (${key.toString()})`);
      assert.deepEqual(result.changedSince, [key], 'the key that changed since the save is named');
      assert.equal(dumps, 0, `Undo did not DUMP ${key.toString()}, which cannot hold the few bytes the save wrote`);
      assert.ok(sent < 64 * 1024, `Redis sent ${sent} bytes for the Undo: the value was not transferred`);
    }
    assert.ok((await editor.getBuffer(blob))?.equals(huge), "the other client's 64 MB are still there");
    assert.equal(await editor.hlen(profile), 500_001, "the other client's fields are still there");
    assert.equal(await editor.hget(profile, 'name'), 'Bea');
  });

  it('still puts the old value back over the unchanged value a save wrote, however far DUMP compresses it (1.5 MB of one letter, 88 times)', async () => {
    const key = Buffer.from('shared:config:padding');
    await editor.set(key, 'old');
    const padding = 'a'.repeat(1_500_000); // under the size whose read-back a save keeps
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace(/old$/, padding));
    const kept = written?.find((w) => w.key.equals(key))?.payload;
    assert.ok(kept && kept.length * 80 < padding.length, `the save kept its ${kept?.length} byte read-back`);
    const result = await applyUndo(editor, planUndo(snapshots, undefined, { unanswered: false, written }));
    assert.deepEqual(result.changedSince, [], 'nobody wrote the key since the save: Undo is not refused');
    assert.equal(await editor.get(key), 'old');
  });

  it('does not bring back a key another client deleted after the save', async () => {
    const key = Buffer.from('user:profile:7');
    await editor.hset(key, 'name', 'Ann');
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace('"Ann"', '"Bea"'));
    await service.unlink(key);
    const options = { unanswered: false, written };
    const result = await applyUndo(editor, planUndo(snapshots, undefined, options));
    assert.deepEqual(result.restored, []);
    assert.equal(await editor.exists(key), 0, 'the key another client deleted stays deleted');
  });

  it('still puts the old value back when the key holds exactly what the save wrote, its TTL only running down', async () => {
    const key = Buffer.from('shared:config:app');
    await editor.set(key, 'old', 'EX', 900);
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace(/old$/, 'saved'));
    // Nobody wrote the key: its value is the one the save wrote, its TTL runs down (another client's EXPIRE would be a write).
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const options = { unanswered: false, written };
    const result = await applyUndo(editor, planUndo(snapshots, undefined, options));
    assert.deepEqual(result.restored, [key]);
    assert.equal(await editor.get(key), 'old');
  });

  it('refuses when another client writes the key between its check and its write (WATCH)', async () => {
    const key = Buffer.from('auth:session:9');
    await editor.set(key, 'old');
    const { snapshots, written } = await saveAsEditor(key, (t) => t.replace(/old$/, 'saved'));
    // The other client writes right after Undo's check (its DUMP) and before its EXEC.
    const original = editor.multi.bind(editor);
    editor.multi = ((...args: Parameters<Redis['multi']>) => {
      const multi = original(...args);
      const exec = multi.exec.bind(multi);
      multi.exec = (async () => {
        await service.set(key, 'raced-in');
        return exec();
      }) as typeof multi.exec;
      return multi;
    }) as Redis['multi'];
    try {
      const options = { unanswered: false, written };
      const result = await applyUndo(editor, planUndo(snapshots, undefined, options));
      assert.deepEqual(result.restored, []);
    } finally {
      editor.multi = original as Redis['multi'];
    }
    assert.equal(await editor.get(key), 'raced-in');
  });
  it('after a change that set only a TTL, puts back a key that expired by it, but never over another value', async () => {
    const key = Buffer.from('shared:config:ttl');
    await editor.set(key, 'value');
    const snapshots = await snapshotKeys(editor, [key]);
    const payload = snapshots[0]?.state === 'value' ? snapshots[0].payload : Buffer.alloc(0);
    const ttlOnly = { unanswered: false, written: [{ key, payload, mayExpire: true }] };
    await editor.pexpire(key, 50); // the change: a TTL set by mistake, and the key expired by it
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.deepEqual((await applyUndo(editor, planUndo(snapshots, undefined, ttlOnly))).restored, [key]);
    assert.equal(await editor.get(key), 'value');
    assert.equal(await editor.pttl(key), -1);
    // Another client wrote a newer value after the TTL change: left.
    await service.set(key, 'newer');
    const result = await applyUndo(editor, planUndo(snapshots, undefined, ttlOnly));
    assert.deepEqual(result.restored, []);
    assert.deepEqual(result.changedSince, [key]);
    assert.equal(await editor.get(key), 'newer');
  });

  it('still puts the old value back when only reads came after the save, even while a large hash or set is being rehashed (its DUMP lists the same fields in another order)', async () => {
    // A save that adds one field to a hash of 1024 (a hashtable) makes Redis grow its table, a rehash
    // done a step per lookup: the DUMP in the save's MULTI lists the fields half-moved, and a DUMP
    // after other clients' HGETs (reads, no write) lists them in another order.
    const hash = Buffer.from('user:profile:big');
    await editor.hset(hash, Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`f${i}`, `v${i}`])));
    assert.equal(await editor.object('ENCODING', hash), 'hashtable');
    const value = await readKeyValue(editor, hash, { pages: 100 });
    assert.equal(value.kind, 'hash');
    // The value with one field more, as the key editor would parse it (more than a page: built here).
    const edited = {
      kind: 'hash' as const,
      entries: [...(value.kind === 'hash' ? value.entries : []), [Buffer.from('added'), Buffer.from('x')] as const],
    };
    let snapshots: KeySnapshot[] = [];
    let written: Written | undefined;
    const outcome = await saveKeyValue(editor, hash, value, edited, {
      pages: 100,
      beforeWrite: async (writer) => {
        snapshots = await snapshotKeys(writer, [hash]);
        return { commit: (after?: Written) => void (written = after), discard: () => undefined };
      },
    });
    assert.equal(outcome.kind, 'saved');
    assert.equal(await editor.hget(hash, 'added'), 'x');
    const reads = service.pipeline();
    for (let i = 0; i < 3000; i++) reads.hget(hash, `f${i % 1024}`);
    await reads.exec();
    const result = await applyUndo(editor, planUndo(snapshots, undefined, { unanswered: false, written }));
    assert.deepEqual(result.changedSince, [], 'nobody wrote the hash: Undo is not refused');
    assert.deepEqual(result.restored, [hash]);
    assert.equal(await editor.hexists(hash, 'added'), 0);
    assert.equal(await editor.hlen(hash), 1024);

    // A set of 1024 members, one added, then only SISMEMBER reads: the same.
    const set = Buffer.from('user:tags:big');
    await editor.sadd(set, ...Array.from({ length: 1024 }, (_, i) => `m${i}`));
    const setSnapshots = await snapshotKeys(editor, [set]);
    const [, [, setWritten]] = ((await editor.multi().sadd(set, 'added').dumpBuffer(set).exec()) ?? []) as [
      unknown,
      [unknown, Buffer],
    ];
    const lookups = service.pipeline();
    for (let i = 0; i < 3000; i++) lookups.sismember(set, `m${i % 1024}`);
    await lookups.exec();
    const setResult = await applyUndo(
      editor,
      planUndo(setSnapshots, undefined, { unanswered: false, written: [{ key: set, payload: setWritten }] }),
    );
    assert.deepEqual(setResult.changedSince, []);
    assert.equal(await editor.sismember(set, 'added'), 0);
  });

  it('still refuses when another client changed one field of a large hash, even with the table rehashed since', async () => {
    const hash = Buffer.from('user:profile:big2');
    const long = 'x'.repeat(300); // compressed in the DUMP
    await editor.hset(hash, Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`f${i}`, `${long}${i}`])));
    const snapshots = await snapshotKeys(editor, [hash]);
    const [, [, written]] = ((await editor.multi().hset(hash, 'added', 'x').dumpBuffer(hash).exec()) ?? []) as [
      unknown,
      [unknown, Buffer],
    ];
    const reads = service.pipeline();
    for (let i = 0; i < 3000; i++) reads.hget(hash, `f${i % 1024}`);
    await reads.exec();
    await service.hset(hash, 'f5', `${long}changed`);
    const result = await applyUndo(
      editor,
      planUndo(snapshots, undefined, { unanswered: false, written: [{ key: hash, payload: written }] }),
    );
    assert.deepEqual(result.changedSince, [hash]);
    assert.equal(await editor.hget(hash, 'f5'), `${long}changed`);
    assert.equal(await editor.hget(hash, 'added'), 'x');
  });
});
