/**
 * The set of keys a walk has counted, so that a key SCAN returns twice (it may, when the
 * table shrinks during the walk) is counted once. It holds a 64-bit hash per key in two
 * typed arrays (open addressing, load at most 1/2): 16 bytes per key at worst, outside
 * the JavaScript heap, and released with the walk. Two different keys share a 64-bit
 * hash with a probability of about n²/2⁶⁵ (3·10⁻⁸ for a million keys); such a pair would
 * be counted once.
 */
export class SeenKeys {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used;
  }

  /** Adds a key's 64-bit hash (two 32-bit halves, see keyHash); false when it was there already. */
  addHash(h1: number, h2: number): boolean {
    h1 >>>= 0;
    h2 >>>= 0;
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    return this.insert(h1, h2);
  }

  private insert(h1: number, h2: number): boolean {
    const { hi, lo, mask } = this;
    let slot = (h1 ^ (h2 >>> 7)) & mask;
    for (;;) {
      const a = hi[slot] as number;
      const b = lo[slot] as number;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      slot = (slot + 1) & mask;
    }
    hi[slot] = h1;
    lo[slot] = h2;
    this.used++;
    if (this.used * 2 > mask) this.grow();
    return true;
  }

  private grow(): void {
    const { hi, lo } = this;
    const capacity = (this.mask + 1) * 2;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.used = 0;
    for (let i = 0; i < hi.length; i++) {
      const a = hi[i] as number;
      const b = lo[i] as number;
      if (a !== 0 || b !== 0) this.insert(a, b);
    }
  }
}
