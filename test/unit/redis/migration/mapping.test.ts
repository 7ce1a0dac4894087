import * as assert from 'node:assert/strict';
import {
  checkMappings,
  compileMappings,
  guessTargetPrefix,
  KeyMapper,
  MappingError,
  ownerOf,
} from '../../../../src/redis/migration';
import { describeMigration, hintFor, renderMigrationReport } from '../../../../src/redis/migration/report';
import type { MigrationResult } from '../../../../src/redis/migration';

const DECLARED = [
  { path: 'auth', owner: 'Auth Service' },
  { path: 'user', owner: 'User Service' },
  { path: 'user:search', owner: 'Search Service' },
  { path: 'shared', owner: 'Shared' },
];
const messages = (issues: readonly { message: string }[]): string[] => issues.map((i) => i.message);

describe('migration mappings', () => {
  it('maps the first segment onto the target prefix, byte for byte, and leaves unmapped keys out', () => {
    const mapper = new KeyMapper(
      compileMappings([
        { source: 'session', target: 'auth:session' },
        { source: Buffer.from([0xff]), target: 'shared:bin' },
        { source: null, target: 'legacy' },
      ]),
    );
    assert.deepEqual(mapper.map('session:42')?.target, 'auth:session:42');
    assert.deepEqual(mapper.map('session:a:b')?.target, 'auth:session:a:b');
    assert.deepEqual(mapper.map('session:')?.target, 'auth:session:');
    assert.deepEqual(mapper.map('\xff:\x00')?.target, 'shared:bin:\x00');
    assert.deepEqual(mapper.map('counter')?.target, 'legacy:counter');
    assert.equal(mapper.map('sessions:1'), undefined);
    assert.equal(mapper.map('Session:1'), undefined);
    assert.equal(mapper.map(':session:1'), undefined);
  });

  it('uses the configured delimiter', () => {
    const mapper = new KeyMapper(
      compileMappings([{ source: 'session', target: 'auth/session' }], { delimiter: '/' }),
      '/',
    );
    assert.equal(mapper.map('session/1')?.target, 'auth/session/1');
    assert.equal(mapper.map('session:1'), undefined);
  });

  it('finds the owner of a path: the longest declared namespace at a segment boundary', () => {
    assert.equal(ownerOf('auth:session', DECLARED)?.owner, 'Auth Service');
    assert.equal(ownerOf('user:search:x', DECLARED)?.owner, 'Search Service');
    assert.equal(ownerOf('user:profile', DECLARED)?.owner, 'User Service');
    assert.equal(ownerOf('authx:1', DECLARED), undefined);
  });

  it('accepts a sensible mapping and warns about a target outside every declared namespace', () => {
    const check = checkMappings(
      [
        { source: 'session', target: 'auth:session' },
        { source: 'legacy', target: 'old:stuff' },
      ],
      { declared: DECLARED },
    );
    assert.deepEqual(check.errors, []);
    assert.deepEqual(messages(check.warnings), [
      'legacy -> old:stuff: old is not a declared namespace (setting sharedRedis.namespaces).',
    ]);
  });

  it('refuses empty targets, stray delimiters, a source mapped twice, colliding targets and an empty list', () => {
    assert.deepEqual(messages(checkMappings([]).errors), ['No segment is mapped: choose at least one to import.']);
    const check = checkMappings(
      [
        { source: 'a', target: '' },
        { source: 'b', target: 'auth:b:' },
        { source: 'c', target: ':auth' },
        { source: 'd', target: 'auth:x' },
        { source: 'd', target: 'auth:y' },
        { source: 'e', target: 'auth:x' },
        { source: 'f:g', target: 'auth:f' },
      ],
      { declared: DECLARED },
    );
    assert.deepEqual(messages(check.errors), [
      'a: the target prefix is empty; give a namespace such as auth:session.',
      'b -> auth:b:: leave out the leading or trailing delimiter (the delimiter between the prefix and the rest of the key is added).',
      'c -> :auth: leave out the leading or trailing delimiter (the delimiter between the prefix and the rest of the key is added).',
      'd is mapped twice.',
      'e and d both map to auth:x: their keys would collide.',
      'f:g is not a first segment: it contains the delimiter.',
    ]);
    assert.throws(
      () => compileMappings([{ source: 'a', target: '' }]),
      (error: unknown) => error instanceof MappingError && /target prefix is empty/.test(error.message),
    );
  });

  it("refuses mapping one service's segment into another's namespace unless confirmed explicitly", () => {
    const cross = [{ source: 'user', target: 'auth:user' }];
    assert.deepEqual(messages(checkMappings(cross, { declared: DECLARED }).errors), [
      "user belongs to User Service but auth:user to Auth Service: mapping into another service's namespace must be confirmed explicitly.",
    ]);
    assert.deepEqual(checkMappings([{ ...cross[0]!, crossOwner: true }], { declared: DECLARED }).errors, []);
    // The same owner, or a segment no service owns, needs no confirmation.
    assert.deepEqual(
      checkMappings(
        [
          { source: 'auth', target: 'auth' },
          { source: 'session', target: 'user:session' },
        ],
        { declared: DECLARED },
      ).errors,
      [],
    );
  });

  it('warns about nested targets (their keys may meet)', () => {
    const check = checkMappings(
      [
        { source: 'a', target: 'auth' },
        { source: 'b', target: 'auth:x' },
      ],
      { declared: DECLARED },
    );
    assert.deepEqual(check.errors, []);
    assert.match(messages(check.warnings).join(), /auth:x and auth are nested/);
  });
});

describe('migration target guesses', () => {
  const declared = [...DECLARED, { path: 'user:profile', owner: 'User Service' }];

  it('prefers a declared namespace of that name, then the one declared namespace it ends, then what the target has, then the host', () => {
    assert.equal(guessTargetPrefix('auth', { declared }), 'auth');
    assert.equal(guessTargetPrefix('profile', { declared }), 'user:profile');
    assert.equal(
      guessTargetPrefix('session', { declared, targetHas: (path) => path === 'auth:session' }),
      'auth:session',
    );
    assert.equal(
      guessTargetPrefix('session', { declared, targetHas: (path) => path.endsWith(':session') }),
      'session',
      'two candidates: no guess',
    );
    assert.equal(guessTargetPrefix('session', { declared, sourceHost: 'auth-redis' }), 'auth:session');
    assert.equal(guessTargetPrefix('session', { declared, sourceHost: 'authentication.local' }), 'session');
    assert.equal(guessTargetPrefix(null, { declared, sourceHost: 'user-redis.internal' }), 'user:legacy');
    assert.equal(guessTargetPrefix(null, { declared }), 'legacy');
    assert.equal(guessTargetPrefix(Buffer.from([0xff]), { declared }), '\xff');
  });
});

describe('migration summary text', () => {
  const base: MigrationResult = {
    mode: 'copy',
    cancelled: false,
    scanned: 10,
    processed: 8,
    copied: 5,
    replaced: 0,
    skippedExisting: 1,
    skippedExpired: 1,
    skippedSameTarget: 0,
    failed: 1,
    reasons: [
      {
        kind: 'failed',
        reason: 'ERR DUMP payload version or checksum are wrong',
        count: 1,
        examples: [{ source: Buffer.from('session:`x`'), target: Buffer.from('auth:session:`x`') }],
      },
    ],
    perMapping: [],
    byType: { string: 5 },
    elapsedMs: 1200,
  };

  it('says what was copied, skipped and failed in one sentence', () => {
    assert.equal(describeMigration(base), 'Copied 5 keys, skipped 2 (1 existed in the target, 1 expired), failed 1.');
    assert.equal(
      describeMigration({ ...base, mode: 'dry-run', skippedExpired: 0, failed: 0 }),
      'Dry run: 5 keys would be copied, 1 would be skipped (1 exist in the target), 0 failed; nothing was written.',
    );
    assert.match(
      describeMigration({ ...base, cancelled: true }),
      /^Cancelled after 8 keys: copied 5 keys, .*run it again to finish/,
    );
  });

  it('explains a payload the target cannot read, and keeps odd key names readable', () => {
    assert.match(hintFor('ERR DUMP payload version or checksum are wrong') ?? '', /older than the source/);
    const report = renderMigrationReport(base, {
      source: '127.0.0.1:6380',
      target: '127.0.0.1:6379',
      sourceVersion: '7.2.4',
      targetVersion: '7.0.15',
      warnings: ['The source runs a newer Redis'],
    });
    assert.match(report, /^# Import from Redis: Copy\n/);
    assert.match(report, /- From: `127.0.0.1:6380` \(Redis 7.2.4\)/);
    assert.match(
      report,
      /### Failed: ERR DUMP payload version or checksum are wrong \(1 key\)\n\nThe target Redis cannot read/,
    );
    assert.match(report, /- `` session:`x` `` → `` auth:session:`x` ``/);
    assert.match(report, /> ⚠ The source runs a newer Redis/);
  });
});
