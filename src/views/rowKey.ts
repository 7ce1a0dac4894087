import { createHash } from 'node:crypto';

/** Longest name kept as it is; a digest form is longer, so the two never meet. */
const SHORT = 64;

/** A short stable id for a tree row, from any name (a key of 512 KB too): short printable
 * names as they are, others as `#` and a SHA-256 of their UTF-8 (65 characters, longer than
 * any name kept as it is). UTF-8 tells every two strings apart: key names as binary strings,
 * and names as shown, whose characters may be above U+00FF (as latin1 those lost their high
 * byte). */
export function rowKey(name: string): string {
  return name.length <= SHORT && /^[\x20-\x7e]*$/.test(name)
    ? name
    : `#${createHash('sha256').update(name, 'utf8').digest('hex')}`;
}
