import { connectRedis } from '../connection';
import { RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import { OPERATOR_USER } from './rules';

/**
 * `ACL LOAD` on a running server after its ACL file changed, so new or changed users
 * apply without a restart. Tried as the operator first; a server still running an older
 * file (no operator user yet, default user with every right) is reloaded as the default
 * user with the same password. Redis keeps its current users if the file is invalid.
 */
export async function reloadAcl(endpoint: RedisEndpoint, operatorPassword: string): Promise<void> {
  const attempts = [OPERATOR_USER, undefined];
  let last: unknown;
  for (const username of attempts) {
    let client;
    try {
      client = await connectRedis({ ...endpoint, username }, { password: operatorPassword });
    } catch (error) {
      last = error;
      if (error instanceof RedisConnectionError && error.kind === 'auth-failed') continue;
      throw error;
    }
    try {
      await client.call('ACL', 'LOAD');
      return;
    } catch (error) {
      last = error;
      // NOPERM for the default user of a current file: nothing else to try.
    } finally {
      client.disconnect();
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
