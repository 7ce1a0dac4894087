/**
 * The set of keys a walk has counted, so that a key SCAN returns twice (it may, when the
 * table shrinks during the walk) is counted once. It holds a 64-bit hash per key in one
 * typed array (open addressing, linear probing, load at most 7/8): outside the JavaScript
 * heap (8 bytes a slot, about 1.47 slots a key when DBSIZE sized it: 112 MiB for 10M keys,
 * where a power of two took 128 MiB and a load of at most 1/2 256 MiB), and released with
 * the walk. Two different keys share a 64-bit hash with a probability of about n²/2⁶⁵
 * (3·10⁻⁸ for a million keys); such a pair would be counted once.
 */
/** Without DBSIZE (or with a size that is no count): room for a small keyspace, grown as keys come. */
const DEFAULT_EXPECTED_KEYS = 1 << 15;

export class SeenKeys {
  /** Slot i holds its two halves at 2i and 2i + 1: one cache line per probe. */
  private slots: Int32Array;
  private capacity: number;
  private used = 0;

  /** `expectedKeys` (DBSIZE when the walk starts) sizes the table once, sparing the
   * rehashes of growing from small: 3/4 full at a tenth more keys than that (keys written while
   * it walks), and it grows only past 7/8 full, so a walk that finds 28% more keys than DBSIZE
   * never doubles it. Not rounded up to a power of two, which left it 3/8 to 3/4 full: up to
   * twice the memory. Why: a walk touches every page of the table within its first few
   * thousand keys, each fresh page a fault (11.5 µs on the benchmark's VM): the first walk
   * of 1M keys in a fresh process made 9,200 faults with a power of two, 8,100 with this
   * (keyspaceScale.bench, docs/benchmarks.md). */
  constructor(expectedKeys = DEFAULT_EXPECTED_KEYS) {
    const keys = Number.isFinite(expectedKeys) && expectedKeys > 0 ? expectedKeys : DEFAULT_EXPECTED_KEYS;
    this.capacity = Math.max(16, Math.ceil((keys * 1.1 * 4) / 3));
    this.slots = new Int32Array(this.capacity * 2);
  }

  get size(): number {
    return this.used;
  }

  /** The table's own memory. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds a key's 64-bit hash (two 32-bit halves, see keyHash); false when it was there already. */
  addHash(h1: number, h2: number): boolean {
    h1 |= 0;
    h2 |= 0;
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    return this.insert(h1, h2);
  }

  /** True when the hash was added before. Its own probe loop: insert's stays as it is, the
   * walk's hot path (a shared probe function measured 10–15% slower over 2M hashes, as V8
   * then inlined one call less into the walk's loop). */
  hasHash(h1: number, h2: number): boolean {
    h1 |= 0;
    h2 |= 0;
    if (h1 === 0 && h2 === 0) h2 = 1;
    const slots = this.slots;
    const capacity = this.capacity;
    for (let slot = scaledSlot((h1 ^ (h2 >>> 7)) >>> 0, capacity); ; slot = slot + 1 === capacity ? 0 : slot + 1) {
      const a = slots[2 * slot] as number;
      const b = slots[2 * slot + 1] as number;
      if (a === h1 && b === h2) return true;
      if (a === 0 && b === 0) return false;
    }
  }

  private insert(h1: number, h2: number): boolean {
    const slots = this.slots;
    const capacity = this.capacity;
    let slot = scaledSlot((h1 ^ (h2 >>> 7)) >>> 0, capacity);
    for (;;) {
      const a = slots[2 * slot] as number;
      const b = slots[2 * slot + 1] as number;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
    slots[2 * slot] = h1;
    slots[2 * slot + 1] = h2;
    this.used++;
    if (this.used * 8 > capacity * 7) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    this.slots = new Int32Array(this.capacity * 2);
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i] as number;
      const b = old[i + 1] as number;
      if (a !== 0 || b !== 0) this.insert(a, b);
    }
  }
}

/** ⌊h · n / 2³²⌋ for 32-bit h and n: a slot in [0, n) from the hash's high bits (a table
 * whose size is not a power of two); every step stays below 2⁴⁸, exact in doubles. */
export function scaledSlot(h: number, n: number): number {
  return (((h >>> 16) * n + ((((h & 0xffff) * n) / 65536) >>> 0)) / 65536) >>> 0;
}
