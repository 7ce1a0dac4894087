import * as assert from 'node:assert/strict';
import { scaledSlot, SeenKeys } from '../../../../src/redis/keyspace/seenKeys';

describe('SeenKeys', () => {
  it('knows every key it was given, and only those, as it grows past the size it was made for', () => {
    const seen = new SeenKeys(1000);
    const hashes: [number, number][] = [];
    for (let i = 1; i <= 5000; i++) hashes.push([Math.imul(i, 2654435761) >>> 0, Math.imul(i, 40503) >>> 0]);
    for (const [h1, h2] of hashes) assert.equal(seen.addHash(h1, h2), true, `new ${h1},${h2}`);
    assert.equal(seen.size, 5000);
    for (const [h1, h2] of hashes) assert.equal(seen.hasHash(h1, h2), true, `has ${h1},${h2}`);
    for (const [h1, h2] of hashes) assert.equal(seen.addHash(h1, h2), false, `again ${h1},${h2}`);
    assert.equal(seen.hasHash(7, 7), false, 'a hash never given');
    assert.equal(seen.size, 5000, 'asking adds nothing');
    assert.equal(seen.addHash(7, 7), true);
    assert.equal(seen.size, 5001);
  });

  it('keeps keys whose slot is the table’s last, and those pushed past its end', () => {
    const seen = new SeenKeys(30);
    // Every one of these has the last slot as its home (checked below): the rest wrap to the start.
    const slots = seen.bytes / 8;
    assert.equal(scaledSlot(0xffffffff, slots), slots - 1);
    for (let low = 1; low <= 20; low++) assert.equal(seen.addHash(0xffffffff, low), true);
    for (let low = 1; low <= 20; low++) assert.equal(seen.addHash(0xffffffff, low), false);
    assert.equal(seen.hasHash(0, 0), false);
    assert.equal(seen.addHash(0, 0), true, 'the hash (0, 0), which marks an empty slot inside');
    assert.equal(seen.hasHash(0, 0), true);
    assert.equal(seen.hasHash(0xffffffff, 21), false, 'past the wrapped run');
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

  it('holds a tenth more keys than the walk expected without growing (keys added while it walks)', () => {
    const seen = new SeenKeys(100_000);
    const made = seen.bytes;
    for (let i = 1; i <= 110_000; i++) seen.addHash(Math.imul(i, 2654435761), Math.imul(i, 40503));
    assert.equal(seen.size, 110_000);
    assert.equal(seen.bytes, made);
    assert.ok(made < 100_000 * 8 * 2, `${made} bytes: less than a power of two would take`);
  });

  it('works when the expected count is unknown (NaN) or zero', () => {
    for (const expected of [Number.NaN, 0, -1]) {
      const seen = new SeenKeys(expected);
      assert.equal(seen.addHash(1, 2), true);
      assert.equal(seen.addHash(1, 2), false);
    }
  });

  describe('scaledSlot, a slot in [0, n) from the hash’s high bits', () => {
    const reference = (h: number, n: number): number => Number((BigInt(h) * BigInt(n)) >> 32n);
    it('is ⌊h · n / 2³²⌋ exactly, at the edges and for tables of up to 2³² slots', () => {
      const hashes = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xffff0000, 0xfffffffe, 0xffffffff];
      const sizes = [16, 17, 41, 2 ** 26 - 1, 2 ** 26 + 1, 13_333_335, 2 ** 31 + 1, 2 ** 32 - 1];
      for (const n of sizes) {
        for (const h of hashes) {
          const slot = scaledSlot(h, n);
          assert.equal(slot, reference(h, n), `h ${h}, n ${n}`);
          assert.ok(slot >= 0 && slot < n);
        }
      }
    });
    it('spreads evenly spaced hashes over every slot', () => {
      const n = 1000;
      const used = new Set<number>();
      for (let i = 0; i < n; i++) used.add(scaledSlot(Math.floor(((i + 0.5) * 2 ** 32) / n), n));
      assert.equal(used.size, n);
    });
  });
});
