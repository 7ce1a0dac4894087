import type Redis from 'ioredis';
import { parseInfo, serverProduct, serverVersion } from './info';
import { endpointOfClient, keyspaceError } from './keyspace/errors';

export interface PingResult {
  readonly reply: string;
  readonly roundTripMs: number;
  readonly version: string | undefined;
  /** Redis, or Valkey (whose `version` is then its own). */
  readonly product?: 'Redis' | 'Valkey' | undefined;
}

/**
 * One PING on an open connection, timed from send to reply, plus the server's version.
 * A failure is typed like every other command's: a RedisConnectionError naming the
 * endpoint (a server that stopped answering is a `timeout`), or the server's refusal.
 */
export async function pingServer(client: Redis): Promise<PingResult> {
  try {
    const { version, product } = await versionIfAllowed(client);
    const started = process.hrtime.bigint();
    const reply = await client.ping();
    const roundTripMs = Number(process.hrtime.bigint() - started) / 1e6;
    return { reply, roundTripMs, version, product };
  } catch (error) {
    throw keyspaceError(error, endpointOfClient(client), 'PING');
  }
}

/** `PONG in 0.4 ms · Redis 7.0.15`; sub-10 ms times keep one decimal, larger ones none. */
export function formatPing(result: PingResult): string {
  const ms = result.roundTripMs < 10 ? result.roundTripMs.toFixed(1) : Math.round(result.roundTripMs).toString();
  const version = result.version ? ` · ${result.product ?? 'Redis'} ${result.version}` : '';
  return `${result.reply} in ${ms} ms${version}`;
}

/** The server's version, or undefined for a user whose ACL forbids INFO (a read-only user). */
async function versionIfAllowed(client: Redis): Promise<Pick<PingResult, 'version' | 'product'>> {
  try {
    const info = parseInfo(await client.info('server'));
    return { version: serverVersion(info), product: serverProduct(info) };
  } catch (error) {
    if (error instanceof Error && /^NOPERM\b/.test(error.message)) return { version: undefined };
    throw error;
  }
}
