import { BinaryString, KeyBytes, toBinary } from './binary';

export interface DisplayOptions {
  /** Longest output, in characters, before it is cut with `…` (default 200). A 512 KB key
   * name does not belong in a tree row; its exact bytes stay available for actions. */
  readonly maxLength?: number;
}

const HEX = '0123456789abcdef';
const hex2 = (byte: number): string => `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;

/** Characters that decode fine but would break a one-line label, shown as `\u{…}`. */
function invisible(codePoint: number): boolean {
  return (
    (codePoint >= 0x80 && codePoint <= 0x9f) || // C1 controls
    codePoint === 0x2028 ||
    codePoint === 0x2029 || // line and paragraph separators
    (codePoint >= 0x200b && codePoint <= 0x200f) || // zero-width characters and marks
    codePoint === 0xfeff
  );
}

/** Length of the valid UTF-8 sequence starting at `i` and its code point, or undefined. */
function utf8At(s: BinaryString, i: number): [number, number] | undefined {
  const b0 = s.charCodeAt(i);
  let length: number;
  let codePoint: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
    codePoint = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    codePoint = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    codePoint = b0 & 0x07;
    min = 0x10000;
  } else return undefined;
  if (i + length > s.length) return undefined;
  for (let k = 1; k < length; k++) {
    const b = s.charCodeAt(i + k);
    if ((b & 0xc0) !== 0x80) return undefined;
    codePoint = (codePoint << 6) | (b & 0x3f);
  }
  if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return undefined;
  return [length, codePoint];
}

/**
 * A readable, one-line rendering of exact key bytes. Printable ASCII and valid UTF-8
 * (accents, emoji) show as themselves; `\` shows as `\\`; newline, tab and carriage
 * return as `\n`, `\t`, `\r`; every other control byte and every byte that is not
 * part of valid UTF-8 as `\xNN`; invisible Unicode (C1 controls, zero-width
 * characters, line separators) as `\u{NNNN}`. The rendering is unambiguous: two
 * different byte strings never display the same (before truncation). It is for
 * display only: actions use the bytes.
 */
export function displayBytes(bytes: KeyBytes, options: DisplayOptions = {}): string {
  const s = typeof bytes === 'string' ? bytes : toBinary(bytes);
  const maxLength = options.maxLength ?? 200;
  let out = '';
  for (let i = 0; i < s.length;) {
    if (out.length >= maxLength) return `${out.slice(0, Math.max(0, maxLength - 1))}…`;
    const b = s.charCodeAt(i);
    if (b >= 0x20 && b < 0x7f) {
      out += b === 0x5c ? '\\\\' : s[i];
      i++;
    } else if (b === 0x0a) {
      out += '\\n';
      i++;
    } else if (b === 0x09) {
      out += '\\t';
      i++;
    } else if (b === 0x0d) {
      out += '\\r';
      i++;
    } else if (b < 0x80) {
      out += hex2(b);
      i++;
    } else {
      const decoded = utf8At(s, i);
      if (decoded === undefined) {
        out += hex2(b);
        i++;
        continue;
      }
      const [length, codePoint] = decoded;
      out += invisible(codePoint) ? `\\u{${codePoint.toString(16)}}` : String.fromCodePoint(codePoint);
      i += length;
    }
  }
  return out.length > maxLength ? `${out.slice(0, Math.max(0, maxLength - 1))}…` : out;
}

/** A namespace segment or key label; the empty one (from `a::b`, `:a`, `a:`) shows as `""`. */
export function displaySegment(bytes: KeyBytes, options: DisplayOptions = {}): string {
  const length = typeof bytes === 'string' ? bytes.length : bytes.length;
  return length === 0 ? '""' : displayBytes(bytes, options);
}
