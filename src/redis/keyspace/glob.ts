import { BinaryString } from './binary';

/**
 * Redis's own glob matching (`stringmatchlen` in util.c of Redis 7), byte for byte, so
 * that a pattern filters keys on the client exactly as `SCAN ... MATCH` does on the
 * server. Used when a page of one namespace is collected with `MATCH <prefix>*` and the
 * user's filter pattern must apply too (SCAN takes one MATCH only).
 *
 * `pattern` and `key` are binary strings (one character per byte).
 */
export function globMatches(pattern: BinaryString, key: BinaryString): boolean {
  // SCAN does not match at all for the pattern `*` (so even the empty key name passes).
  if (pattern === '*') return true;
  return match(pattern, 0, key, 0, { skipLonger: false }, 0);
}

/** `pattern[i]`, or 0 past the end, like the NUL after an sds string in C. */
const at = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0);
/** Range bounds compare as C `char`, which is signed on the platforms Redis ships for. */
const signed = (b: number): number => (b >= 128 ? b - 256 : b);

const STAR = 0x2a,
  QUESTION = 0x3f,
  OPEN = 0x5b,
  CLOSE = 0x5d,
  BACKSLASH = 0x5c,
  CARET = 0x5e,
  DASH = 0x2d;

/** `patternLen` and `keyLen` of the C code are `pattern.length - p` and `key.length - k`. */
function match(
  pattern: string,
  p: number,
  key: string,
  k: number,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  // Newer Redis releases stop at a nesting of 1000 (a pattern of many stars) and report no match.
  if (nesting > 1000) return false;
  let patternLen = pattern.length - p;
  let keyLen = key.length - k;
  while (patternLen > 0 && keyLen > 0) {
    const c = at(pattern, p);
    if (c === STAR) {
      while (patternLen > 0 && at(pattern, p + 1) === STAR) {
        p++;
        patternLen--;
      }
      if (patternLen === 1) return true;
      while (keyLen > 0) {
        if (match(pattern, p + 1, key, k, state, nesting + 1)) return true;
        if (state.skipLonger) return false;
        k++;
        keyLen--;
      }
      state.skipLonger = true;
      return false;
    } else if (c === QUESTION) {
      k++;
      keyLen--;
    } else if (c === OPEN) {
      p++;
      patternLen--;
      const not = at(pattern, p) === CARET;
      if (not) {
        p++;
        patternLen--;
      }
      let matched = false;
      const kc = at(key, k);
      for (;;) {
        if (at(pattern, p) === BACKSLASH && patternLen >= 2) {
          p++;
          patternLen--;
          if (at(pattern, p) === kc) matched = true;
        } else if (at(pattern, p) === CLOSE) {
          break;
        } else if (patternLen === 0) {
          p--;
          patternLen++;
          break;
        } else if (patternLen >= 3 && at(pattern, p + 1) === DASH) {
          let start = signed(at(pattern, p));
          let end = signed(at(pattern, p + 2));
          const sc = signed(kc);
          if (start > end) [start, end] = [end, start];
          p += 2;
          patternLen -= 2;
          if (sc >= start && sc <= end) matched = true;
        } else if (at(pattern, p) === kc) {
          matched = true;
        }
        p++;
        patternLen--;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      k++;
      keyLen--;
    } else {
      if (c === BACKSLASH && patternLen >= 2) {
        p++;
        patternLen--;
      }
      if (at(pattern, p) !== at(key, k)) return false;
      k++;
      keyLen--;
    }
    p++;
    patternLen--;
    if (keyLen === 0) {
      while (at(pattern, p) === STAR && patternLen > 0) {
        p++;
        patternLen--;
      }
      break;
    }
  }
  return patternLen === 0 && keyLen === 0;
}
