/**
 * Key names are bytes. Inside the keyspace core they travel as "binary strings":
 * JavaScript strings in which every character is one byte (code unit 0-255, what
 * Node calls the 'latin1' encoding). The conversion is exact in both directions,
 * one-byte strings are compact in V8, they hash and compare (byte order) natively,
 * and they can be Map keys. Every public API hands exact bytes out as `Buffer`.
 */
export type BinaryString = string;

/** Exact bytes of a key or prefix, as a Buffer or a binary string. */
export type KeyBytes = Buffer | BinaryString;

export function toBinary(bytes: Buffer | Uint8Array): BinaryString {
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString(
    'latin1',
  );
}

export function fromBinary(binary: BinaryString): Buffer {
  return Buffer.from(binary, 'latin1');
}

/** A Buffer stays as it is; a JavaScript string is taken as UTF-8 text (what a user types). */
export function bytesOf(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** Glob characters of SCAN MATCH (`* ? [ ] \`), each escaped with a backslash, so that
 * `escapeGlob(prefix) + '*'` matches exactly the keys that start with `prefix`. */
export function escapeGlob(bytes: KeyBytes): Buffer {
  const binary = typeof bytes === 'string' ? bytes : toBinary(bytes);
  return fromBinary(binary.replace(/[*?[\]\\]/g, '\\$&'));
}

/**
 * The key filter's pattern (one line of text) for every key under `prefix`:
 * `escapeGlob(prefix) + '*'`. A byte that is not part of UTF-8 text, and a line break,
 * becomes `?` (one byte in SCAN MATCH): the pattern then matches a little more, never less.
 */
export function filterPatternFor(prefix: KeyBytes): string {
  const escaped = escapeGlob(prefix);
  const text = escaped.toString('utf8');
  const readable = Buffer.from(text, 'utf8').equals(escaped) ? text : toBinary(escaped).replace(/[\x80-\xff]/g, '?');
  return `${readable.replace(/[\r\n]/g, '?')}*`;
}
