import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { endpointOfClient, keyspaceError, writeError } from '../keyspace/errors';

/** What a change to one key did. `gone`: the key does not exist (deleted or expired). */
export type KeyChange = 'changed' | 'unchanged' | 'gone';

/** Sends one command; a write that gets no answer in time may still land (writeError), a read cannot. */
async function run(
  client: Redis,
  command: string,
  args: (Buffer | string | number)[],
  endpoint?: RedisEndpoint,
): Promise<unknown> {
  try {
    return await client.callBuffer(command, ...args);
  } catch (error) {
    const where = endpoint ?? endpointOfClient(client);
    throw READS.has(command) ? keyspaceError(error, where, command) : writeError(error, where, command);
  }
}

const READS = new Set(['EXISTS', 'PTTL']);

/** EXPIRE on the exact bytes: `changed`, or `gone` when there is no such key. */
export async function setKeyTtl(
  client: Redis,
  key: Buffer,
  seconds: number,
  endpoint?: RedisEndpoint,
): Promise<KeyChange> {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError('A TTL is a positive whole number of seconds.');
  }
  return Number(await run(client, 'EXPIRE', [key, seconds], endpoint)) === 1 ? 'changed' : 'gone';
}

/** PERSIST: `changed` (its TTL was removed), `unchanged` (it had none) or `gone`. */
export async function persistKey(client: Redis, key: Buffer, endpoint?: RedisEndpoint): Promise<KeyChange> {
  if (Number(await run(client, 'PERSIST', [key], endpoint)) === 1) return 'changed';
  return Number(await run(client, 'EXISTS', [key], endpoint)) === 1 ? 'unchanged' : 'gone';
}

/** UNLINK of one key: `changed` (removed) or `gone`. */
export async function unlinkKey(client: Redis, key: Buffer, endpoint?: RedisEndpoint): Promise<KeyChange> {
  return Number(await run(client, 'UNLINK', [key], endpoint)) === 1 ? 'changed' : 'gone';
}

/** The key's remaining TTL in milliseconds: -1 without one, -2 when gone. */
export async function keyPttl(client: Redis, key: Buffer, endpoint?: RedisEndpoint): Promise<number> {
  return Number(await run(client, 'PTTL', [key], endpoint));
}
