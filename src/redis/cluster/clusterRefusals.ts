import type { Cluster } from 'ioredis';
import { displayBytes } from '../keyspace/display';
import { keySlot, nodeForSlot } from './topology';

/**
 * Why one key cannot be renamed or copied to `to` on a cluster, or undefined when both names
 * hash to the same slot. RENAMENX and COPY act inside one slot only (Redis refuses others with
 * CROSSSLOT), and a copy plus a delete across two masters would not be one atomic change.
 */
export function crossSlotRefusal(
  cluster: Cluster,
  action: 'Rename Key' | 'Copy Key' | 'Move to Namespace',
  from: Buffer,
  to: Buffer,
): string | undefined {
  const [fromSlot, toSlot] = [keySlot(from), keySlot(to)];
  if (fromSlot === toSlot) return undefined;
  const where = (slot: number): string => {
    const master = nodeForSlot(cluster, slot)?.master;
    return master ? `slot ${slot} (on ${master})` : `slot ${slot}`;
  };
  const instead =
    action === 'Copy Key'
      ? 'create the copy with New Key instead'
      : 'create the key under the new name with New Key and then delete the old one';
  return (
    `${action} works on a Redis Cluster only within one hash slot, and ${displayBytes(from)} is in ${where(fromSlot)} ` +
    `while ${displayBytes(to)} would be in ${where(toSlot)}: Redis refuses ${action === 'Copy Key' ? 'COPY' : 'RENAMENX'} across slots. ` +
    `Nothing was changed. Keep both names in one slot with the same hash tag in braces (e.g. {42} in both), or ${instead}.`
  );
}

/**
 * Why Move to Namespace does not move a namespace on a cluster: it renames each key
 * (RENAMENX), which a cluster does only within a slot, and a new namespace puts nearly every
 * key in another slot, most on another master.
 */
export function namespaceMoveRefusal(from: Buffer, to: Buffer): string {
  return (
    `Move to Namespace cannot move ${displayBytes(from)}* to ${displayBytes(to)} on a Redis Cluster: it renames each key, ` +
    'which a cluster does only within one hash slot, and the new names hash to other slots (most on other masters). ' +
    'Nothing was moved. Have the service write its keys under the new namespace, then remove the old one with Delete Namespace, which works on a cluster.'
  );
}
