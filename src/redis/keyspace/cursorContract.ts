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

/**
 * True for a cluster node that keeps its keys in one table per slot: Redis from 7.4 and
 * Valkey from 8.0 (kvstore.c). SCAN's cursor then holds the slot in its low 14 bits and
 * the table's own cursor above them, so a cursor's low bits no longer say which half of
 * the walk it is in: the two halves would each stop after a slot or two, reporting a
 * fraction of the keys as all of them. Such a node is walked with one loop.
 */
export function cursorCarriesSlot(infoServer: string): boolean {
  const server = parseInfo(infoServer).get('server');
  // Unknown (an INFO the user may not run): the table's cursor, as before 7.4. Such a server is
  // walked with one loop anyway (keepsReverseBinaryCursor), so only its progress reads this.
  if (server === undefined) return false;
  if ((server['server_mode'] ?? server['redis_mode']) !== 'cluster') return false;
  const valkey = server['valkey_version'];
  if (server['server_name'] === 'valkey' || valkey !== undefined) return !versionBelow(valkey ?? '', [8, 0]);
  return !versionBelow(server['redis_version'] ?? '', [7, 4]);
}

/** True when `version` ("7.2.4") is a version below `[major, minor]`; false when it is not a version. */
function versionBelow(version: string, [major, minor]: readonly [number, number]): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have < major || (have === major && haveMinor < minor);
}

/**
 * How far a SCAN cursor of a node whose cursor holds the slot (cursorCarriesSlot) is, 0 to 1:
 * the server walks the slots in order, each slot's table in reverse-binary order above the
 * slot's 14 bits. '0' is the end.
 */
export function slotCursorFraction(cursor: string): number {
  if (cursor === '0') return 1;
  let value: bigint;
  try {
    value = BigInt(cursor);
  } catch {
    return 0;
  }
  const slot = Number(value & 0x3fffn);
  let table = value >> 14n;
  let reversed = 0n;
  for (let i = 0; i < 64; i++) {
    reversed = (reversed << 1n) | (table & 1n);
    table >>= 1n;
  }
  return (slot + Number(reversed) / 2 ** 64) / 16384;
}
