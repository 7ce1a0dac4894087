import { parseInfo } from '../info';

/** Products that answer INFO with a `redis_version` of their own but are not Redis. */
const OTHER_PRODUCTS = /dragonfly|keydb|kvrocks|garnet|pika|tendis|ardb|skytable|memurai|upstash/i;

/**
 * True only for a server known to walk its table in Redis's reverse-binary cursor order
 * (Redis, Valkey), from its `INFO server` text. The two-halves walk (see CursorHalf)
 * depends on that order: on another product a cursor's parity means nothing, and the
 * halves could miss keys. So: Valkey says `server_name:valkey`; Redis has
 * `redis_version` with the lines only its own build writes (`redis_build_id`, `run_id`),
 * and no other product's marker in a field's name (`dragonfly_version`, `kvrocks_version`)
 * or in its executable or config file (`keydb-server`). Anything else, an INFO the user
 * may not run included, walks with one connection, which any SCAN supports.
 */
export function keepsReverseBinaryCursor(infoServer: string): boolean {
  const server = parseInfo(infoServer).get('server');
  if (server === undefined) return false;
  const name = server['server_name'];
  if (name !== undefined) return name === 'valkey' || name === 'redis';
  if (Object.keys(server).some((field) => OTHER_PRODUCTS.test(field))) return false;
  if (OTHER_PRODUCTS.test(`${server['executable'] ?? ''} ${server['config_file'] ?? ''}`)) return false;
  return (
    server['redis_version'] !== undefined && server['redis_build_id'] !== undefined && server['run_id'] !== undefined
  );
}
