import { randomBytes } from 'node:crypto';

/**
 * The hashes of the walk's hot path (NamespaceModel.addBytes inlines the same loop, so
 * that one pass over a key's bytes finds its last delimiter, the hash of the bytes
 * before it, and the key's 64-bit hash, without allocating anything).
 *
 * Two multiplicative lanes over the bytes (the lanes of cyrb53), then a final mix of
 * each with the other and the length. `laneA` after the bytes of a namespace path is
 * that path's lookup hash.
 */
export const SEED_A = 0xdeadbeef;
/** Chosen anew by each process: with a seed known to all, names that share the 64-bit hash
 * can be searched for in minutes (the one lane a seed keeps fixed, SEED_A's, is the
 * namespace lookup, which compares the bytes too), and a key of such a pair was left out of
 * the counts and of a migration's copy as "seen". */
export const SEED_B = randomBytes(4).readInt32LE(0);
export const MUL_A = 2654435761;
export const MUL_B = 1597334677;

/** Lookup hash of a namespace path's bytes (what laneA is after them), as a small integer. */
export function pathHash(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let a = SEED_A;
  for (let i = start; i < end; i++) a = Math.imul(a ^ (bytes[i] as number), MUL_A);
  return a & 0x3fffffff;
}

/** pathHash of a path held as a binary string (one char per byte), without copying it into a Buffer. */
export function pathHashOfBinary(path: string): number {
  let a = SEED_A;
  for (let i = 0; i < path.length; i++) a = Math.imul(a ^ path.charCodeAt(i), MUL_A);
  return a & 0x3fffffff;
}

/** The 64-bit hash of a key as two unsigned 32-bit halves. */
export function keyHash(bytes: Uint8Array, start = 0, end = bytes.length): [number, number] {
  let a = SEED_A;
  let b = SEED_B;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    a = Math.imul(a ^ c, MUL_A);
    b = Math.imul(b ^ c, MUL_B);
  }
  return finishHash(a, b, end - start);
}

export function finishHash(a: number, b: number, length: number): [number, number] {
  b ^= length;
  const h1 = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  const h2 = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}
