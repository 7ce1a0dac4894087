import { createHash } from 'node:crypto';

/** A short stable id for a tree row, from any name (a key of 512 KB too): short printable
 * names as they are, others as a digest. */
export function rowKey(name: string): string {
  return name.length <= 64 && /^[\x20-\x7e]*$/.test(name)
    ? name
    : createHash('sha1').update(name, 'latin1').digest('hex');
}
