import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rowKey } from '../../../src/views/rowKey';
import { toBinary } from '../../../src/redis/keyspace/binary';

describe('tree row ids (src/views/rowKey.ts)', () => {
  it('keeps a short printable name as it is, and gives any longer or other name a digest', () => {
    assert.equal(rowKey('auth:session'), 'auth:session');
    assert.match(rowKey('a'.repeat(65)), /^#[0-9a-f]{64}$/);
    assert.match(rowKey('caf\u00e9'), /^#[0-9a-f]{64}$/);
  });

  it('gives names that differ only above U+00FF different ids (the Checks view lists namespaces by their shown names)', () => {
    // As latin1, both lost their high byte: 'ő' (U+0151) and 'Q' (U+0051), 'ɑ' (U+0251)...
    const shown = ['\u0151', '\u0251', '\u4f1a\u8bdd', '\u4f1b\u8bdd', 'Q'];
    const ids = shown.map(rowKey);
    assert.equal(new Set(ids).size, shown.length, JSON.stringify(ids));
  });

  it('gives different key names different ids, bytes that are not text included', () => {
    const names = [Buffer.from([0xc3, 0xa9]), Buffer.from('é', 'utf8'), Buffer.from([0xe9]), Buffer.from([0xff, 0x00])];
    const ids = names.map((name) => rowKey(toBinary(name)));
    // 'é' in UTF-8 is the same two bytes as the first: one name, one id.
    assert.equal(ids[0], ids[1]);
    assert.equal(new Set(ids).size, 3, JSON.stringify(ids));
  });

  it('never gives a short name the id of a long one, also a name that is a digest (anyone who writes keys can choose one)', () => {
    const long = `auth:${'x'.repeat(80)}`;
    for (const algorithm of ['sha1', 'sha256']) {
      const digest = createHash(algorithm).update(long, 'utf8').digest('hex');
      assert.notEqual(rowKey(digest), rowKey(long), algorithm);
    }
  });
});
