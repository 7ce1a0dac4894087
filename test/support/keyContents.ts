import type Redis from 'ioredis';

/**
 * A key's type and whole value in one canonical text (members of sets and fields of
 * hashes sorted by their bytes, every byte as hex), to compare two keys byte for byte.
 * DUMP payloads cannot be compared for that: a set or hash rebuilt by RESTORE may list
 * its members in another order.
 */
export async function keyContents(client: Redis, key: Buffer | string): Promise<string> {
  const type = await client.type(key);
  const hex = (items: Buffer[]): string[] => items.map((item) => item.toString('hex'));
  const pairs = (flat: Buffer[]): string[] => {
    const result: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      result.push(`${flat[i]?.toString('hex')}=${flat[i + 1]?.toString('hex')}`);
    }
    return result;
  };
  switch (type) {
    case 'string':
      return `string ${(await client.getBuffer(key))?.toString('hex')}`;
    case 'hash':
      return `hash ${pairs((await client.callBuffer('HGETALL', key)) as Buffer[])
        .sort()
        .join(' ')}`;
    case 'list':
      return `list ${hex(await client.lrangeBuffer(key, 0, -1)).join(' ')}`;
    case 'set':
      return `set ${hex(await client.smembersBuffer(key))
        .sort()
        .join(' ')}`;
    case 'zset':
      return `zset ${pairs((await client.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES')) as Buffer[]).join(' ')}`;
    case 'stream': {
      const entries = (await client.callBuffer('XRANGE', key, '-', '+')) as [Buffer, Buffer[]][];
      const groups = (await client.call('XINFO', 'GROUPS', key)) as unknown[][];
      const groupNames = groups.map((group) => String(group[1])).sort();
      return `stream ${entries.map(([id, fields]) => `${String(id)}:${pairs(fields).join(',')}`).join(' ')} groups ${groupNames.join(',')}`;
    }
    default:
      return type;
  }
}
