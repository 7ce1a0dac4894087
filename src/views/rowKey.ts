import { createHash } from 'node:crypto';

/** A short stable id for a tree row, from any name (a key of 512 KB too): short printable
 * names as they are, others as a digest of their UTF-8, which tells every two strings apart:
 * key names as binary strings, and names as shown, whose characters may be above U+00FF (as
 * latin1 those lost their high byte). */
export function rowKey(name: string): string {
  return name.length <= 64 && /^[\x20-\x7e]*$/.test(name)
    ? name
    : createHash('sha1').update(name, 'utf8').digest('hex');
}
