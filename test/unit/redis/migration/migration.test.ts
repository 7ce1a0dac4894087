import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type Redis from 'ioredis';
import { connectRedis, DEFAULT_TUNING } from '../../../../src/redis/connection';
import { RedisConnectionError } from '../../../../src/redis/errors';
import {
  CompiledMapping,
  MigrationResult,
  REASON_EXISTS,
  REASON_EXPIRED,
  compileMappings,
  checkMappings,
  describeMigration,
  migrateKeys,
  renderMigrationReport,
  sameDatabase,
  scanSourceSegments,
  serverIdentity,
} from '../../../../src/redis/migration';
import { eventually } from '../../../support/eventually';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf, endpointOf } from '../keyspace/support';
import {
  allKeys,
  assertCopied,
  BINARY_SEGMENT,
  SourceKey,
  sourceKeys,
  typeCounts,
  UNMAPPED,
  writeSource,
} from './fixture';

const TOTAL = 100_000;
const DECLARED = [
  { path: 'auth', owner: 'Auth Service' },
  { path: 'user', owner: 'User Service' },
  { path: 'shared', owner: 'Shared' },
];
const MAPPINGS = [
  { source: 'session', target: 'auth:session' },
  { source: 'profile', target: 'user:profile' },
  { source: 'cfg', target: 'shared:config' },
  { source: BINARY_SEGMENT, target: 'shared:legacy' },
];

/** Where the test expects a source key in the target. */
function targetOf(key: Buffer): Buffer {
  const text = key.toString('latin1');
  const cut = text.indexOf(':');
  const segment = text.slice(0, cut);
  const prefix = {
    session: 'auth:session',
    profile: 'user:profile',
    cfg: 'shared:config',
    [BINARY_SEGMENT.toString('latin1')]: 'shared:legacy',
  }[segment];
  assert.ok(prefix, text);
  return Buffer.concat([Buffer.from(prefix), key.subarray(cut)]);
}

describe('migration from another Redis (two real redis-servers, 100,000 keys)', function () {
  this.timeout(300_000);
  const sourceServer = useRedisServer();
  const targetServer = useRedisServer({ password: 'target-secret' });
  let source: Redis;
  let target: Redis;
  let keys: SourceKey[];
  let pairs: { source: SourceKey; target: Buffer }[];
  let mappings: CompiledMapping[];
  const conflict = Buffer.from('auth:session:6');

  before(async () => {
    source = await sourceServer.connect();
    target = await targetServer.connect();
    keys = sourceKeys(TOTAL);
    pairs = keys.map((key) => ({ source: key, target: targetOf(key.key) }));
    await writeSource(source, keys);
    mappings = compileMappings(MAPPINGS, { declared: DECLARED });
  });

  /** The target as the tests start it: empty but for one key the target's own service wrote. */
  async function resetTarget(): Promise<void> {
    await target.flushdb(); // this test's own server
    await target.set(conflict, 'written by the auth service');
  }

  it('counts the source keys per first segment (binary segments and keys without a delimiter too)', async () => {
    const scan = await scanSourceSegments({ endpoint: endpointOf(sourceServer), credentials: {} }, { count: 1000 });
    assert.equal(scan.totalKeys, TOTAL + UNMAPPED.length);
    const counts = new Map(
      scan.segments.map((s) => [s.segment === null ? null : s.segment.toString('latin1'), s.count]),
    );
    const expected = (segment: string): number =>
      keys.filter((k) => k.key.toString('latin1').startsWith(`${segment}:`)).length;
    assert.equal(counts.get('session'), expected('session'));
    assert.equal(counts.get('profile'), expected('profile'));
    assert.equal(counts.get('cfg'), expected('cfg'));
    assert.equal(counts.get(BINARY_SEGMENT.toString('latin1')), 5);
    assert.equal(counts.get('other'), 1000);
    assert.equal(counts.get('sessionx'), 1);
    assert.equal(counts.get('Session'), 1);
    assert.equal(counts.get(null), 2); // toplevel, counter
    assert.equal(scan.segments[0]?.segment?.toString(), 'session'); // largest first
    assert.equal(scan.segments.at(-1)?.segment, null);
  });

  it('dry run (the default) reports what would be copied and skipped, and writes nothing', async () => {
    await resetTarget();
    const result = await migrateKeys(source, target, mappings);
    assert.equal(result.mode, 'dry-run');
    assert.equal(result.cancelled, false);
    assert.equal(result.scanned, TOTAL + UNMAPPED.length);
    assert.equal(result.processed, TOTAL);
    assert.equal(result.copied, TOTAL - 1);
    assert.equal(result.skippedExisting, 1);
    assert.equal(result.failed, 0);
    assert.deepEqual(
      result.reasons.map((r) => [
        r.kind,
        r.reason,
        r.count,
        r.examples.map((e) => [e.source.toString(), e.target.toString()]),
      ]),
      [['skipped', REASON_EXISTS, 1, [['session:6', 'auth:session:6']]]],
    );
    assert.deepEqual([...(await allKeys(target))], ['auth:session:6']);
    assert.equal(await target.get(conflict), 'written by the auth service');
    assert.match(
      describeMigration(result),
      /^Dry run: 99,999 keys would be copied, 1 would be skipped \(1 exist in the target\), 0 failed; nothing was written\.$/,
    );
  });

  it('copies 100,000 keys of every type under their new prefixes with values and TTLs, skips and reports the conflict', async () => {
    await resetTarget();
    const progress: number[] = [];
    const result = await migrateKeys(source, target, mappings, {
      mode: 'copy',
      batchSize: 500,
      expected: TOTAL,
      onProgress: (p) => progress.push(p.processed),
    });
    assert.equal(result.copied, TOTAL - 1);
    assert.equal(result.skippedExisting, 1);
    assert.equal(result.skippedExpired, 0);
    assert.equal(result.failed, 0);
    assert.equal(result.cancelled, false);
    assert.equal(progress.length, TOTAL / 500);
    assert.equal(progress.at(-1), TOTAL);
    assert.equal(
      await target.get(conflict),
      'written by the auth service',
      'an existing key is never overwritten by Copy',
    );
    assert.equal(await target.dbsize(), TOTAL);
    // Types: the source's, per type, as the summary counts them; the target also holds its own string.
    const copiedTypes: Record<string, number> = {};
    for (const key of keys) {
      if (key.key.toString() !== 'session:6') copiedTypes[key.type] = (copiedTypes[key.type] ?? 0) + 1;
    }
    const sorted = (record: Readonly<Record<string, number>>): [string, number][] => Object.entries(record).sort();
    assert.deepEqual(sorted(result.byType), sorted(copiedTypes));
    assert.deepEqual(
      sorted(await typeCounts(target)),
      sorted({ ...copiedTypes, string: (copiedTypes['string'] ?? 0) + 1 }),
    );
    assert.deepEqual(Object.keys(copiedTypes).sort(), ['hash', 'list', 'set', 'stream', 'string', 'zset']);
    const targetNames = await allKeys(target);
    for (const key of UNMAPPED) assert.equal(targetNames.has(key.toString('latin1')), false);
    // Every copied key: value, type and TTL (within a second), binary names exact.
    await assertCopied(
      source,
      target,
      pairs.filter((p) => !p.target.equals(conflict)),
    );
    const withTtl = pairs.filter((p) => p.source.ttlMs !== undefined).length;
    assert.ok(withTtl > 20_000);
    const perMapping = result.perMapping.map((m) => [m.mapping.target, m.processed, m.copied, m.skipped]);
    assert.deepEqual(
      perMapping.map(([t]) => t),
      ['auth:session', 'user:profile', 'shared:config', 'shared:legacy'],
    );
    assert.equal(perMapping[0]?.[3], 1);
    assert.equal(perMapping[3]?.[2], 5);
    const report = renderMigrationReport(result, { source: '127.0.0.1:1', target: '127.0.0.1:2', expected: TOTAL });
    assert.match(report, /\| Copied \| 99,999 \|/);
    assert.match(report, /### Skipped: exists in the target \(1 key\)/);
    assert.match(report, /- `session:6` → `auth:session:6`/);
    assert.match(report, /\| `\\xffb` \| `shared:legacy` \| 5 \| 5 \| 0 \| 0 \|/);
  });

  it('a cancel half-way leaves every key complete or absent; running again finishes, skipping what was copied', async () => {
    await resetTarget();
    const abort = new AbortController();
    const first = await migrateKeys(source, target, mappings, {
      mode: 'copy',
      signal: abort.signal,
      onProgress: (p) => {
        if (p.processed >= TOTAL / 2) abort.abort();
      },
    });
    assert.equal(first.cancelled, true);
    assert.equal(first.processed, TOTAL / 2);
    assert.ok(first.copied >= TOTAL / 2 - 1 && first.copied <= TOTAL / 2);
    const present = await allKeys(target);
    assert.equal(present.size, first.copied + 1);
    // Consistent: each key either there whole (value and TTL) or not there at all.
    const copiedPairs = pairs.filter((p) => present.has(p.target.toString('latin1')) && !p.target.equals(conflict));
    assert.equal(copiedPairs.length, first.copied);
    await assertCopied(source, target, copiedPairs);
    assert.match(describeMigration(first), /^Cancelled after 50,000 keys: copied /);

    const second = await migrateKeys(source, target, mappings, { mode: 'copy' });
    assert.equal(second.cancelled, false);
    assert.equal(second.skippedExisting, first.copied + 1);
    assert.equal(second.copied, TOTAL - 1 - first.copied);
    assert.equal(await target.dbsize(), TOTAL);
    await assertCopied(
      source,
      target,
      pairs.filter((p) => !p.target.equals(conflict)),
    );
  });

  it('Copy and replace overwrites existing keys when asked, and says how many', async () => {
    await resetTarget();
    const cfgOnly = compileMappings([{ source: 'cfg', target: 'shared:config' }], { declared: DECLARED });
    await migrateKeys(source, target, cfgOnly, { mode: 'copy' });
    // The shared config's owner changed one copied key since.
    await target.set('shared:config:2', 'changed in the target');
    const cfgKeys = keys.filter((k) => k.key.toString().startsWith('cfg:'));
    const result = await migrateKeys(source, target, cfgOnly, { mode: 'replace' });
    assert.equal(result.copied, cfgKeys.length);
    assert.equal(result.replaced, cfgKeys.length);
    assert.equal(result.skippedExisting, 0);
    const changed = keys.find((k) => k.key.toString() === 'cfg:2');
    assert.ok(changed);
    await assertCopied(source, target, [{ source: changed, target: Buffer.from('shared:config:2') }]);
    assert.match(describeMigration(result), /replaced existing keys/);
    // Replacing the conflict key too, when asked.
    const sessionOnly = compileMappings([{ source: 'session', target: 'auth:session' }], { declared: DECLARED });
    await migrateKeys(source, target, sessionOnly, { mode: 'replace' });
    const conflictSource = keys.find((k) => k.key.toString() === 'session:6');
    assert.ok(conflictSource);
    await assertCopied(source, target, [{ source: conflictSource, target: conflict }]);
  });
});

describe('migration: failures, expired keys, the same server, connection loss', function () {
  this.timeout(60_000);
  const sourceServer = useRedisServer();
  const targetServer = useRedisServer();
  let source: Redis;
  let target: Redis;

  before(async () => {
    source = await sourceServer.connect();
    target = await targetServer.connect();
  });

  async function seedSmall(): Promise<void> {
    await source.flushdb();
    await target.flushdb();
    const pipeline = source.pipeline();
    for (let i = 0; i < 10; i++) pipeline.set(`session:${i}`, `s${i}`);
    for (let i = 0; i < 10; i++) pipeline.hset(`profile:${i}`, 'n', String(i));
    await pipeline.exec();
  }

  /** The source's 20 keys mapped into auth: and user:, and a target user that may only touch auth:*. */
  async function asAuthOnlyUser(action: (limited: Redis, mappings: CompiledMapping[]) => Promise<void>): Promise<void> {
    await seedSmall();
    await target.call('ACL', 'SETUSER', 'authonly', 'on', '>pw', '~auth:*', '+@all');
    const limited = await clientOf(targetServer);
    await limited.call('AUTH', 'authonly', 'pw');
    try {
      const mappings = compileMappings([
        { source: 'session', target: 'auth:session' },
        { source: 'profile', target: 'user:profile' },
      ]);
      await action(limited, mappings);
    } finally {
      limited.disconnect();
      await target.call('ACL', 'DELUSER', 'authonly');
    }
  }

  it("records the server's refusal per key with its reason (an ACL user that may write only auth:*), and copies the rest", async () => {
    await asAuthOnlyUser(async (limited, mappings) => {
      const result = await migrateKeys(source, limited, mappings, { mode: 'copy' });
      assert.equal(result.copied, 10);
      assert.equal(result.failed, 10);
      const failure = result.reasons.find((r) => r.kind === 'failed');
      assert.ok(failure);
      assert.match(failure.reason, /^NOPERM/);
      assert.equal(failure.count, 10);
      assert.equal(failure.examples.length, 5);
      assert.match(failure.examples[0]?.target.toString() ?? '', /^user:profile:\d$/);
      const report = renderMigrationReport(result, { source: 'a', target: 'b' });
      assert.match(report, /### Failed: NOPERM[^\n]*\(10 keys\)\n\nThe target's user may not write these keys \(ACL\)/);
      assert.match(report, /- … and 5 keys more|… and 5 more/);
      assert.equal(await target.exists('user:profile:1'), 0);
      assert.equal(await target.get('auth:session:3'), 's3');
    });
  });

  it('a dry run whose existence check the target refuses reports those keys as failed, not as keys that would be copied', async () => {
    await asAuthOnlyUser(async (limited, mappings) => {
      const result = await migrateKeys(source, limited, mappings, { mode: 'dry-run' });
      assert.deepEqual([result.copied, result.skippedExisting, result.failed], [10, 0, 10]);
      assert.match(result.reasons.find((r) => r.kind === 'failed')?.reason ?? '', /^NOPERM/);
    });
  });

  it('a key deleted in the source after SCAN found it is skipped as expired, not failed', async () => {
    await seedSmall();
    const mappings = compileMappings([
      { source: 'session', target: 'auth:session' },
      { source: 'profile', target: 'user:profile' },
    ]);
    // All 20 keys come in the first SCAN reply; after the first batch of one, the last two in
    // SCAN order vanish (the copier reads one batch ahead, so those are not read yet).
    const [, order] = await source.scan('0', 'COUNT', 1000);
    const last = order.slice(-2);
    assert.equal(order.length, 20);
    let deleted = false;
    const result = await migrateKeys(source, target, mappings, {
      mode: 'copy',
      batchSize: 1,
      onProgress: () => {
        if (!deleted) {
          deleted = true;
          void source.unlink(...last);
        }
      },
    });
    assert.equal(result.processed, 20);
    assert.equal(result.skippedExpired, 2);
    assert.equal(result.copied, 18);
    assert.deepEqual(
      result.reasons.map((r) => [r.kind, r.reason, r.count]),
      [['skipped', REASON_EXPIRED, 2]],
    );
    assert.equal(await target.dbsize(), 18);
  });

  it('takes fewer keys a batch after a batch of large values, and copies them all', async () => {
    await source.flushdb();
    await target.flushdb();
    const big = randomBytes(1024 * 1024); // random: DUMP compresses repetitive strings
    const pipeline = source.pipeline();
    for (let i = 0; i < 40; i++) pipeline.set(`blob:${i}`, Buffer.concat([Buffer.from(String(i)), big]));
    await pipeline.exec();
    const batches: number[] = [];
    const result = await migrateKeys(source, target, compileMappings([{ source: 'blob', target: 'shared:blob' }]), {
      mode: 'copy',
      batchSize: 10,
      maxBatchBytes: 3 * 1024 * 1024,
      onProgress: (p) => batches.push(p.processed),
    });
    assert.equal(result.copied, 40);
    // No batch reads more than the 3 MiB, the first neither: 2 keys a batch from the start.
    assert.deepEqual(batches.slice(0, 3), [2, 4, 6]);
    assert.equal(batches.at(-1), 40);
    assert.equal((await target.getBuffer('shared:blob:39'))?.equals(Buffer.concat([Buffer.from('39'), big])), true);
  });

  it('no read of the source takes much more than maxBatchBytes, the first one neither (40 keys of 1 MiB, a 4 MiB cap)', async () => {
    await source.flushdb();
    await target.flushdb();
    const written = source.pipeline();
    for (let i = 0; i < 40; i++) written.set(`blob:${i}`, randomBytes(1024 * 1024)); // random: DUMP does not compress it
    await written.exec();
    // What each source pipeline brought back (the DUMP payloads), measured on the real replies.
    const reads: number[] = [];
    const pipeline = source.pipeline.bind(source);
    source.pipeline = ((...args: Parameters<Redis['pipeline']>) => {
      const read = pipeline(...args);
      const exec = read.exec.bind(read);
      read.exec = async (...execArgs: Parameters<typeof exec>) => {
        const replies = await exec(...execArgs);
        let bytes = 0;
        for (const [, value] of replies ?? []) if (Buffer.isBuffer(value)) bytes += value.length;
        reads.push(bytes);
        return replies;
      };
      return read;
    }) as Redis['pipeline'];
    let result: MigrationResult;
    try {
      result = await migrateKeys(source, target, compileMappings([{ source: 'blob', target: 'shared:blob' }]), {
        mode: 'copy',
        maxBatchBytes: 4 * 1024 * 1024,
      });
    } finally {
      source.pipeline = pipeline;
    }
    assert.equal(result.copied, 40);
    const mib = reads.map((bytes) => (bytes / 2 ** 20).toFixed(1));
    assert.ok(
      reads.every((bytes) => bytes <= 2 * 4 * 1024 * 1024),
      `MiB read per source pipeline: ${mib.join(', ')}`,
    );
    assert.equal(await target.dbsize(), 40);
  });

  it('keys without a delimiter can be mapped under a prefix; unmapped segments stay out', async () => {
    await seedSmall();
    await source.set('counter', '41');
    await source.set('other:1', 'x');
    const result = await migrateKeys(source, target, compileMappings([{ source: null, target: 'legacy' }]), {
      mode: 'copy',
    });
    assert.equal(result.copied, 1);
    assert.deepEqual([...(await allKeys(target))], ['legacy:counter']);
  });

  it('copies two keys whose names were made to share a 64-bit hash (a key name anyone may choose), skipping neither', async () => {
    await seedSmall();
    // Found by searching names for one hash collision under the hash's former fixed seeds.
    await source.set('acct:zmolei!', 'balance 100');
    await source.set('acct:rufxui|', 'balance 999');
    const result = await migrateKeys(source, target, compileMappings([{ source: 'acct', target: 'acct' }]), {
      mode: 'copy',
    });
    assert.equal(result.copied, 2);
    assert.deepEqual(await target.mget('acct:zmolei!', 'acct:rufxui|'), ['balance 100', 'balance 999']);
  });

  it('Copy and replace never lets two source keys of nested mappings replace each other: the second is skipped and reported', async () => {
    await seedSmall();
    await source.set('legacy:legacy:k', 'from legacy:legacy:k');
    await source.set('k', 'from k');
    // legacy:legacy:k -> app:legacy:k, and k (no delimiter) -> app:legacy:k.
    const mappings = compileMappings([
      { source: 'legacy', target: 'app' },
      { source: null, target: 'app:legacy' },
    ]);
    for (const mode of ['dry-run', 'replace'] as const) {
      const result = await migrateKeys(source, target, mappings, { mode });
      assert.equal(result.copied, 1, mode);
      assert.equal(result.skippedSameTarget, 1, mode);
      assert.equal(result.skippedExisting, 0, mode);
      assert.match(describeMigration(result), /1 sent to a name another key of this migration took/, mode);
      const skipped = result.reasons.find((r) => r.kind === 'skipped');
      assert.match(skipped?.reason ?? '', /another key of this migration/, mode);
      assert.equal(skipped?.examples[0]?.target.toString(), 'app:legacy:k', mode);
      if (mode !== 'replace') continue;
      // The one copied is the one whose value is there; the skipped one replaced nothing.
      const kept = skipped?.examples[0]?.source.toString() === 'k' ? 'from legacy:legacy:k' : 'from k';
      assert.equal(await target.get('app:legacy:k'), kept);
    }
  });

  it('nested targets onto a name the target already has: both keys are skipped as existing, not one as taken by the other, in one batch or two', async () => {
    await seedSmall();
    await source.set('legacy:legacy:k', 'from legacy:legacy:k');
    await source.set('k', 'from k');
    await target.set('app:legacy:k', "the target's own");
    const mappings = compileMappings([
      { source: 'legacy', target: 'app' },
      { source: null, target: 'app:legacy' },
    ]);
    for (const batchSize of [100, 1]) {
      for (const mode of ['dry-run', 'copy'] as const) {
        const result = await migrateKeys(source, target, mappings, { mode, batchSize });
        const what = `${mode}, batches of ${batchSize}`;
        assert.equal(result.copied, 0, what);
        assert.equal(result.skippedExisting, 2, what);
        assert.equal(result.skippedSameTarget, 0, what);
        assert.doesNotMatch(describeMigration(result), /another key of this migration/, what);
      }
    }
    assert.equal(await target.get('app:legacy:k'), "the target's own");
  });

  it('nested targets: a payload the target cannot read fails alone, and the other key sent to that name is still copied', async () => {
    await seedSmall();
    // Eight names, each the target of three keys: one plain, two whose payload the target refuses.
    const rounds = 8;
    for (let r = 0; r < rounds; r++) {
      // a:y:z:k0 -> x + :y:z:k0, b:z:k0 -> x:y + :z:k0, c:k0 -> x:y:z + :k0: all x:y:z:k0.
      await source.set(`a:y:z:k${r}`, 'plain');
      await source.set(`b:z:k${r}`, 'unreadable-by-target');
      await source.set(`c:k${r}`, 'unreadable-by-target');
    }
    const mappings = compileMappings([
      { source: 'a', target: 'x' },
      { source: 'b', target: 'x:y' },
      { source: 'c', target: 'x:y:z' },
    ]);
    // A payload from a newer Redis gets "DUMP payload version or checksum are wrong" from this one. Both
    // servers here run one version, so the proxy damages those payloads on the wire: the refusal is
    // the real server's, for bytes that are really wrong.
    const proxy = await damagingProxy(targetServer.port, Buffer.from('unreadable-by-target'));
    const damaged = await clientOf({ host: '127.0.0.1', port: proxy.port });
    try {
      for (const batchSize of [100, 1]) {
        await target.flushdb();
        const result = await migrateKeys(source, damaged, mappings, { mode: 'copy', batchSize });
        const what = `batches of ${batchSize}`;
        assert.equal(result.copied, rounds, what);
        assert.equal(result.failed + result.skippedSameTarget, 2 * rounds, what);
        for (let r = 0; r < rounds; r++) assert.equal(await target.get(`x:y:z:k${r}`), 'plain', what);
      }
    } finally {
      damaged.disconnect();
      proxy.close();
    }
  });

  it('nested targets onto a name the target refuses (ACL): both keys fail with the refusal, neither is said to be taken by the other', async () => {
    await seedSmall();
    await source.set('legacy:legacy:k', 'from legacy:legacy:k');
    await source.set('k', 'from k');
    await target.call('ACL', 'SETUSER', 'noapp', 'on', '>pw', '~other:*', '+@all');
    const limited = await clientOf(targetServer);
    await limited.call('AUTH', 'noapp', 'pw');
    try {
      const mappings = compileMappings([
        { source: 'legacy', target: 'app' },
        { source: null, target: 'app:legacy' },
      ]);
      for (const batchSize of [100, 1]) {
        const result = await migrateKeys(source, limited, mappings, { mode: 'replace', batchSize });
        const what = `batches of ${batchSize}`;
        assert.equal(result.copied, 0, what);
        assert.equal(result.failed, 2, what);
        assert.equal(result.skippedSameTarget, 0, what);
        assert.match(result.reasons.find((r) => r.kind === 'failed')?.reason ?? '', /^NOPERM/, what);
      }
    } finally {
      limited.disconnect();
      await target.call('ACL', 'DELUSER', 'noapp');
    }
  });

  it('with a delimiter of two bytes, targets that meet inside one (app and app:) are nested too: neither key replaces the other', async () => {
    await seedSmall();
    await source.set('x:::k', 'from x');
    await source.set('legacy::k', 'from legacy');
    // With "::", x:::k -> app + "::" + ":k" and legacy::k -> "app:" + "::" + "k": both app:::k.
    const options = { delimiter: '::' };
    const check = checkMappings(
      [
        { source: 'x', target: 'app' },
        { source: 'legacy', target: 'app:' },
      ],
      options,
    );
    assert.equal(check.warnings.length, 1, JSON.stringify(check));
    const mappings = compileMappings(
      [
        { source: 'x', target: 'app' },
        { source: 'legacy', target: 'app:' },
      ],
      options,
    );
    const result = await migrateKeys(source, target, mappings, { mode: 'replace', delimiter: '::' });
    assert.equal(result.copied, 1);
    assert.equal(result.skippedSameTarget, 1);
    assert.equal(result.replaced, 0);
  });

  it('tells the same server and database apart from another, however it is addressed', async () => {
    const again = await clientOf(sourceServer);
    const db1 = await clientOf(sourceServer, 1);
    try {
      const a = await serverIdentity(source, endpointOf(sourceServer));
      assert.match(a.version, /^\d+\.\d+\.\d+$/);
      assert.equal(
        sameDatabase(a, await serverIdentity(again, { ...endpointOf(sourceServer), host: 'localhost' })),
        true,
      );
      assert.equal(sameDatabase(a, await serverIdentity(db1, endpointOf(sourceServer, 1))), false);
      assert.equal(sameDatabase(a, await serverIdentity(target, endpointOf(targetServer))), false);
    } finally {
      again.disconnect();
      db1.disconnect();
    }
  });

  it('a target that does not answer a write in time: the error says how many keys of the batch in flight may be written too, and to look first', async () => {
    await source.flushdb();
    await target.flushdb();
    const written = source.pipeline();
    for (let i = 0; i < 2000; i++) written.set(`session:${i}`, 'v');
    await written.exec();
    // The import's own client gives up after 1 s; the target pauses writes for 3 s after the second batch.
    const quiet = await connectRedis(endpointOf(targetServer), {}, { ...DEFAULT_TUNING, timeoutMs: 1000 });
    let batches = 0;
    const error = await migrateKeys(source, quiet, compileMappings([{ source: 'session', target: 'auth:session' }]), {
      mode: 'copy',
      batchSize: 500,
      scanCount: 500,
      onProgress: () => {
        if (++batches === 2) void target.call('CLIENT', 'PAUSE', '3000', 'WRITE');
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Its connection stays open until the end: a client that leaves drops what the paused server has not run yet.
    try {
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.equal(error.kind, 'timeout');
      const partial = (error as unknown as { partial: MigrationResult }).partial;
      assert.match(error.message, /500 more keys .*may have been written/, error.message);
      assert.match(error.message, /[Ll]ook at the target's keys before running the import again/);
      // The paused batch lands when the pause ends: the count plus the 500 the message named.
      const landed = await eventually(
        'the paused writes to land',
        async () => ((await target.dbsize()) === partial.copied + 500 ? partial.copied + 500 : undefined),
        { timeoutMs: 10_000, detail: async () => `copied ${partial.copied}, target holds ${await target.dbsize()}` },
      );
      assert.equal(landed, partial.copied + 500);
    } finally {
      quiet.disconnect();
    }
  });

  it('the target connection dropping mid-way rejects with a connection error that says what was done', async () => {
    await seedSmall();
    const mappings = compileMappings([
      { source: 'session', target: 'auth:session' },
      { source: 'profile', target: 'user:profile' },
    ]);
    const client = await clientOf(targetServer);
    const error = await migrateKeys(source, client, mappings, {
      mode: 'copy',
      batchSize: 5,
      // The connection closes right after the first batch (no reconnect: retryStrategy off).
      onProgress: (p) => {
        if (p.processed === 5) client.disconnect();
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RedisConnectionError, String(error));
    assert.equal(error.kind, 'unreachable');
    const partial = (error as unknown as { partial: MigrationResult }).partial;
    assert.equal(partial.copied, 5);
    assert.equal(partial.processed, 5);
    assert.equal(await target.dbsize(), 5);
  });
});

/**
 * A TCP proxy to a real server that changes one byte of every `marker` sent to it (commands
 * only): a payload holding the marker then fails the server's checksum. A marker split
 * between two reads is found too (the tail of each read is held back).
 */
async function damagingProxy(port: number, marker: Buffer): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let held = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      const data = Buffer.concat([held, chunk]);
      for (let at = data.indexOf(marker); at >= 0; at = data.indexOf(marker, at + 1)) data[at] = 0x55; // 'U'
      const keep = Math.min(marker.length - 1, data.length);
      held = Buffer.from(data.subarray(data.length - keep));
      upstream.write(data.subarray(0, data.length - keep));
      // Flush what is held once the client pauses: a command never waits for the next one.
      setImmediate(() => {
        if (held.length > 0 && client.readableLength === 0) {
          upstream.write(held);
          held = Buffer.alloc(0);
        }
      });
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
