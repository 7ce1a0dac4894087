import * as assert from 'node:assert/strict';
import { SeenKeys } from '../../../../src/redis/keyspace/seenKeys';

describe('SeenKeys', () => {
  it('knows every key it was given, and only those, as it grows past the size it was made for', () => {
    const seen = new SeenKeys(1000);
    const hashes: [number, number][] = [];
    for (let i = 1; i <= 5000; i++) hashes.push([Math.imul(i, 2654435761) >>> 0, Math.imul(i, 40503) >>> 0]);
    for (const [h1, h2] of hashes) assert.equal(seen.addHash(h1, h2), true, `new ${h1},${h2}`);
    assert.equal(seen.size, 5000);
    for (const [h1, h2] of hashes) assert.equal(seen.addHash(h1, h2), false, `again ${h1},${h2}`);
    assert.equal(seen.addHash(7, 7), true);
    assert.equal(seen.size, 5001);
  });

  it('keeps keys whose slot is the table’s last, and those pushed past its end', () => {
    // The same top bits land every one of these in the last slot: the rest wrap to the start.
    const seen = new SeenKeys(30);
    for (let low = 1; low <= 20; low++) assert.equal(seen.addHash(0xffffffff, low), true);
    for (let low = 1; low <= 20; low++) assert.equal(seen.addHash(0xffffffff, low), false);
    assert.equal(seen.addHash(0, 0), true, 'the hash (0, 0), which marks an empty slot inside');
    assert.equal(seen.addHash(0, 0), false);
    assert.equal(seen.size, 21);
  });

  it('tells two keys apart that differ only in one half of their hash', () => {
    const seen = new SeenKeys();
    assert.equal(seen.addHash(123, 456), true);
    assert.equal(seen.addHash(123, 457), true);
    assert.equal(seen.addHash(124, 456), true);
    assert.equal(seen.addHash(123, 456), false);
  });
});
