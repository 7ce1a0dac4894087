import * as assert from 'node:assert/strict';
import { escapeGlob, fromBinary, toBinary } from '../../../../src/redis/keyspace/binary';
import { displayBytes, displaySegment } from '../../../../src/redis/keyspace/display';
import {
  describeKey,
  formatBytes,
  formatKeyCount,
  formatTtl,
  typeDisplayName,
} from '../../../../src/redis/keyspace/format';

describe('keyspace formatting', () => {
  describe('formatTtl', () => {
    const cases: [number, string][] = [
      [-1, 'no TTL'],
      [-2, 'gone'],
      [0, '<1s'],
      [499, '<1s'],
      [500, '1s'],
      [12_000, '12s'],
      [59_000, '59s'],
      [60_000, '1m 0s'],
      [(59 * 60 + 12) * 1000, '59m 12s'],
      [3_600_000, '1h 0m'],
      [3_599_600, '1h 0m'], // rounds like Redis's TTL
      [(23 * 3600 + 59 * 60 + 59) * 1000, '23h 59m'],
      [86_400_000, '1d 0h'],
      [(2 * 86_400 + 3 * 3600 + 59) * 1000, '2d 3h'],
      [400 * 86_400_000, '400d 0h'],
    ];
    for (const [ms, text] of cases) {
      it(`${ms} ms → ${text}`, () => assert.equal(formatTtl(ms), text));
    }
  });

  it('describes a key row, type and TTL', () => {
    assert.equal(describeKey('string', 3_552_000), 'string · 59m 12s');
    assert.equal(describeKey('hash', -1), 'hash · no TTL');
    assert.equal(describeKey('none', -2), 'gone');
    assert.equal(typeDisplayName('zset'), 'sorted set');
    assert.equal(typeDisplayName('stream'), 'stream');
    assert.equal(typeDisplayName('none'), 'gone');
    assert.equal(typeDisplayName('MBbloom--'), 'MBbloom--');
    assert.equal(typeDisplayName('constructor'), 'constructor');
  });

  it('counts keys with grouped thousands', () => {
    assert.equal(formatKeyCount(0), '0 keys');
    assert.equal(formatKeyCount(1), '1 key');
    assert.equal(formatKeyCount(999), '999 keys');
    assert.equal(formatKeyCount(12_345), '12,345 keys');
    assert.equal(formatKeyCount(270_000), '270,000 keys');
    assert.equal(formatKeyCount(1_000_000), '1,000,000 keys');
  });

  it('formats MEMORY USAGE', () => {
    assert.equal(formatBytes(312), '312 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(2 * 1024 * 1024), '2.0 MiB');
  });
});

describe('key display', () => {
  const show = (bytes: number[] | string): string =>
    displayBytes(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));

  it('shows printable ASCII, spaces and valid UTF-8 as they are', () => {
    assert.equal(show('auth:session:1001'), 'auth:session:1001');
    assert.equal(show('with  spaces '), 'with  spaces ');
    assert.equal(show('emoji 🚀 é ü 日本'), 'emoji 🚀 é ü 日本');
  });

  it('escapes control bytes, invalid UTF-8 and the backslash', () => {
    assert.equal(show('a\nb\tc\rd'), 'a\\nb\\tc\\rd');
    assert.equal(show([0x00, 0x1b, 0x7f]), '\\x00\\x1b\\x7f');
    assert.equal(show([0xff, 0xfe, 0x80, 0x41]), '\\xff\\xfe\\x80A');
    assert.equal(show([0xc3]), '\\xc3'); // a truncated sequence
    assert.equal(show([0xe0, 0x80, 0x80]), '\\xe0\\x80\\x80'); // an overlong encoding
    assert.equal(show([0xed, 0xa0, 0x80]), '\\xed\\xa0\\x80'); // a UTF-16 surrogate
    assert.equal(show('back\\slash'), 'back\\\\slash');
    assert.equal(show('zero\u200bwidth\u2028line'), 'zero\\u{200b}width\\u{2028}line');
    assert.equal(show([0xc2, 0x85]), '\\u{85}'); // C1 control NEL
  });

  it('never shows two different byte strings the same way', () => {
    const samples = [
      [0xff],
      [0x5c, 0x78, 0x66, 0x66],
      [0x0a],
      [0x5c, 0x6e],
      [0xe2, 0x80, 0x8b],
      [0x5c, 0x75, 0x7b, 0x32, 0x30, 0x30, 0x62, 0x7d],
      [0xc3, 0xa9],
      [0xe9],
      [],
    ].map((bytes) => Buffer.from(bytes));
    const shown = samples.map((b) => displayBytes(b));
    assert.equal(new Set(shown).size, samples.length, shown.join(' | '));
  });

  it('cuts long names for display', () => {
    const huge = Buffer.alloc(512 * 1024, 0x61);
    const text = displayBytes(huge);
    assert.equal(text.length, 200);
    assert.ok(text.endsWith('…'));
    assert.equal(displayBytes(huge, { maxLength: 10 }), 'aaaaaaaaa…');
  });

  it('shows an empty segment as ""', () => {
    assert.equal(displaySegment(Buffer.alloc(0)), '""');
    assert.equal(displaySegment(''), '""');
    assert.equal(displaySegment('x'), 'x');
  });

  it('converts binary strings and Buffers exactly both ways', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.deepEqual(fromBinary(toBinary(all)), all);
    assert.equal(toBinary(new Uint8Array([1, 255])), '\u0001\u00ff');
  });

  it('escapes glob characters of a prefix', () => {
    assert.equal(escapeGlob(Buffer.from('a*b?c[d]e\\f:')).toString('latin1'), 'a\\*b\\?c\\[d\\]e\\\\f:');
    assert.deepEqual(escapeGlob(Buffer.from([0xff, 0x2a])), Buffer.from([0xff, 0x5c, 0x2a]));
  });
});
