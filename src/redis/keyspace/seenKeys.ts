/**
 * The set of keys a walk has counted, so that a key SCAN returns twice (it may, when the
 * table shrinks during the walk) is counted once. It holds a 64-bit hash per key in one
 * typed array (open addressing, linear probing, load at most 3/4): outside the JavaScript
 * heap (8 bytes a slot, 1⅓ to 2⅔ slots a key: 128 MB for 10M keys, where a load of at most
 * 1/2 took 256 MB), and released with the walk. Two different keys share a 64-bit
 * hash with a probability of about n²/2⁶⁵ (3·10⁻⁸ for a million keys); such a pair would
 * be counted once.
 */
export class SeenKeys {
  /** Slot i holds its two halves at 2i and 2i + 1: one cache line per probe. */
  private slots: Int32Array;
  private mask: number;
  private used = 0;

  /** `expectedKeys` (DBSIZE when the walk starts) sizes the table once, sparing the
   * rehashes of growing from small. */
  constructor(expectedKeys = 1 << 15) {
    let capacity = 1 << 4;
    while (capacity * 3 < expectedKeys * 4) capacity *= 2;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used;
  }

  /** Adds a key's 64-bit hash (two 32-bit halves, see keyHash); false when it was there already. */
  addHash(h1: number, h2: number): boolean {
    h1 |= 0;
    h2 |= 0;
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    return this.insert(h1, h2);
  }

  private insert(h1: number, h2: number): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let slot = (h1 ^ (h2 >>> 7)) & mask;
    for (;;) {
      const a = slots[2 * slot] as number;
      const b = slots[2 * slot + 1] as number;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      slot = (slot + 1) & mask;
    }
    slots[2 * slot] = h1;
    slots[2 * slot + 1] = h2;
    this.used++;
    if (this.used * 4 > (mask + 1) * 3) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    this.used = 0;
    for (let i = 0; i < old.length; i += 2) {
      const a = old[i] as number;
      const b = old[i + 1] as number;
      if (a !== 0 || b !== 0) this.insert(a, b);
    }
  }
}
