import type Redis from 'ioredis';
import { parseInfo } from '../../../src/redis/info';
import { api, eventually } from './extensionApi';

/**
 * Makes `admin`'s server full: its maxclients is set to the connections open now (the
 * extension's, once the Keys view's walk has ended, and `admin`'s), so the next connection is
 * refused as Redis refuses one at its client limit. Put maxclients back when done.
 */
export async function fillToMaxclients(admin: Redis): Promise<void> {
  const shared = await api();
  // Only the connections open now: the Keys view's walk of the new server has ended.
  if (shared.keys.state.kind === 'walking') await shared.keys.walkEnded(10_000);
  const connected = async (): Promise<number> =>
    Number(parseInfo(await admin.info('clients')).get('clients')?.['connected_clients']);
  // Full at the clients connected now: counted twice 200 ms apart, so that one still closing is not counted.
  await eventually('a steady count of connected clients', async () => {
    const open = await connected();
    await new Promise((resolve) => setTimeout(resolve, 200));
    if ((await connected()) !== open) return false;
    await admin.config('SET', 'maxclients', String(open));
    return true;
  });
}
