import type { BinaryString } from './binary';

const ZERO = 0x30;
const NINE = 0x39;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/**
 * Natural order of names (binary strings), as people read ids: runs of ASCII digits
 * compare by value (`9` < `10` < `100`, `user2` < `user10`), every other byte by its
 * value (so non-UTF-8 bytes sort after ASCII, as in byte order). Names equal by that
 * rule (`007` and `7`) fall back to byte order, so the order is total and the same on
 * every run. No allocation: it runs for every comparison of a sort of 250,000 ids.
 */
export function compareNatural(a: BinaryString, b: BinaryString): number {
  const aLength = a.length;
  const bLength = b.length;
  let i = 0;
  let j = 0;
  while (i < aLength && j < bLength) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let aStart = i;
      while (aStart < aLength && a.charCodeAt(aStart) === ZERO) aStart++;
      let bStart = j;
      while (bStart < bLength && b.charCodeAt(bStart) === ZERO) bStart++;
      let aEnd = aStart;
      while (aEnd < aLength && isDigit(a.charCodeAt(aEnd))) aEnd++;
      let bEnd = bStart;
      while (bEnd < bLength && isDigit(b.charCodeAt(bEnd))) bEnd++;
      // Without leading zeros, the longer run is the larger number; equal lengths compare digit by digit.
      const digits = aEnd - aStart;
      if (digits !== bEnd - bStart) return digits - (bEnd - bStart);
      for (let k = 0; k < digits; k++) {
        const d = a.charCodeAt(aStart + k) - b.charCodeAt(bStart + k);
        if (d !== 0) return d;
      }
      i = aEnd;
      j = bEnd;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  if (i < aLength) return 1;
  if (j < bLength) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
