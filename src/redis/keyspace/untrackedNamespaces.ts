/**
 * The namespaces a model stopped tracking (past `maxNamespaces`), each as the 64-bit hash
 * of its path with the number of its keys counted, so that a "not listed" row can say
 * exactly how many namespaces are left out and stay exact when the user deletes one of
 * their keys. Open addressing in one typed array (three int32 a slot: the two hash
 * halves and the key count, load at most 1/2): about 24 bytes per untracked namespace,
 * outside the JavaScript heap, instead of a node each. A namespace whose keys are all
 * gone keeps its slot with a count of 0. Two paths sharing a 64-bit hash would count as
 * one namespace (about n²/2⁶⁵: 6·10⁻¹⁰ for 250,000 namespaces).
 */
export class UntrackedNamespaces {
  private slots = new Int32Array(16 * 3);
  private mask = 15;
  private used = 0;

  /** Counts one key of the namespace with this path hash; true when it had no key before. */
  addKey(h1: number, h2: number): boolean {
    const at = this.find(h1 | 0, h2 | 0, true) * 3 + 2;
    const count = (this.slots[at] as number) + 1;
    this.slots[at] = count;
    return count === 1;
  }

  /** Takes one key of that namespace away; true when it has none left. False for an unknown one. */
  removeKey(h1: number, h2: number): boolean {
    const slot = this.find(h1 | 0, h2 | 0, false);
    if (slot < 0) return false;
    const count = this.slots[slot * 3 + 2] as number;
    if (count === 0) return false;
    this.slots[slot * 3 + 2] = count - 1;
    return count === 1;
  }

  /** The slot of this hash; with `insert`, a new one when absent, else -1. */
  private find(h1: number, h2: number, insert: boolean): number {
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    let slot = (h1 ^ (h2 >>> 7)) & this.mask;
    for (;;) {
      const a = this.slots[slot * 3] as number;
      const b = this.slots[slot * 3 + 1] as number;
      if (a === h1 && b === h2) return slot;
      if (a === 0 && b === 0) break;
      slot = (slot + 1) & this.mask;
    }
    if (!insert) return -1;
    if ((this.used + 1) * 2 > this.mask) {
      this.grow();
      return this.find(h1, h2, true);
    }
    this.slots[slot * 3] = h1;
    this.slots[slot * 3 + 1] = h2;
    this.used++;
    return slot;
  }

  private grow(): void {
    const old = this.slots;
    this.mask = this.mask * 2 + 1;
    this.slots = new Int32Array((this.mask + 1) * 3);
    for (let i = 0; i < old.length; i += 3) {
      const a = old[i] as number;
      const b = old[i + 1] as number;
      if (a === 0 && b === 0) continue;
      let slot = (a ^ (b >>> 7)) & this.mask;
      while ((this.slots[slot * 3] as number) !== 0 || (this.slots[slot * 3 + 1] as number) !== 0) {
        slot = (slot + 1) & this.mask;
      }
      this.slots[slot * 3] = a;
      this.slots[slot * 3 + 1] = b;
      this.slots[slot * 3 + 2] = old[i + 2] as number;
    }
  }
}
