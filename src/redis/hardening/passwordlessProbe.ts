import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connectRedis } from '../connection';
import { describeEndpoint, isLoopbackHost, RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';

/**
 * What a client with no credentials at all gets from the endpoint:
 * - `loopback`: not probed, only this machine can reach it;
 * - `open`: it answered PING with PONG and a key command without any password, from this machine's network;
 * - `closed`: it asked for a password (NOAUTH) or said DENIED (protected mode);
 * - `unknown`: it could not be asked (down, TLS trouble, timeout, or it dropped us: protected mode
 *   closes the socket right after DENIED), nothing to warn about.
 */
export type PasswordlessAccess =
  | { readonly kind: 'loopback'; readonly endpoint: string }
  | { readonly kind: 'open'; readonly endpoint: string }
  | { readonly kind: 'closed'; readonly endpoint: string; readonly detail: string }
  | { readonly kind: 'unknown'; readonly endpoint: string; readonly detail: string };

const PROBE_TUNING = { timeoutMs: 2000, maxReconnects: 0, connectionName: 'shared-redis-probe' };

/**
 * Asks a Redis on a non-loopback address whether it serves anyone without a password:
 * one short connection of its own, with no username and no password (never the user's),
 * PING, EXISTS on a key nobody has, close. Nothing is retried; a loopback endpoint is not contacted at all.
 */
export async function probePasswordlessAccess(
  endpoint: RedisEndpoint,
  timeoutMs = PROBE_TUNING.timeoutMs,
): Promise<PasswordlessAccess> {
  const where = describeEndpoint({ ...endpoint, username: undefined, db: 0 });
  if (await resolvesToLoopback(endpoint.host)) return { kind: 'loopback', endpoint: where };
  let client;
  try {
    client = await connectRedis({ ...endpoint, username: undefined, db: 0 }, {}, { ...PROBE_TUNING, timeoutMs });
  } catch (error) {
    if (error instanceof RedisConnectionError && error.kind === 'auth-failed') {
      return { kind: 'closed', endpoint: where, detail: 'requires a password' };
    }
    const message = error instanceof Error ? error.message : String(error);
    if (/\bDENIED\b|protected mode/i.test(message)) {
      return { kind: 'closed', endpoint: where, detail: 'refuses clients without a password (protected mode)' };
    }
    return { kind: 'unknown', endpoint: where, detail: error instanceof RedisConnectionError ? error.reason : message };
  }
  try {
    const reply = await client.ping();
    if (reply !== 'PONG') return { kind: 'unknown', endpoint: where, detail: `answered PING with ${reply}` };
    // A PONG alone may be all a password-less default user gets (`-@all +ping`, for a healthcheck):
    // a key command, on a key nobody has, says whether the keys are exposed too.
    const keyRefusal = await client.exists(`__shared_redis_probe__:${randomBytes(6).toString('hex')}`).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    if (keyRefusal !== undefined && /^NOPERM\b/.test(keyRefusal)) {
      return {
        kind: 'closed',
        endpoint: where,
        detail: 'answers PING without a password, but no key command (its default user is limited)',
      };
    }
    // Any other answer (a key redirected on a cluster, a renamed command) still came from a server open to anyone.
    return { kind: 'open', endpoint: where };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^(NOAUTH|WRONGPASS|NOPERM)\b|\bDENIED\b/.test(message)) {
      return { kind: 'closed', endpoint: where, detail: 'refuses commands without a password' };
    }
    return { kind: 'unknown', endpoint: where, detail: message };
  } finally {
    client.disconnect();
  }
}

/** A loopback address, or a name whose every address is loopback (`vm` → 127.0.0.1 in /etc/hosts). */
async function resolvesToLoopback(host: string): Promise<boolean> {
  if (isLoopbackHost(host)) return true;
  if (isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0) return false;
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.length > 0 && addresses.every((a) => isLoopbackHost(a.address));
  } catch {
    // Not resolvable: the connection will say so; nothing to warn about either way.
    return false;
  }
}

/** The advice for an `open` endpoint: what to change on the server. */
export const PASSWORDLESS_ADVICE =
  'Anyone who can reach this address can read, change and delete every key. ' +
  'Set a password (requirepass, or an ACL user with a password and `ACL SETUSER default off`), ' +
  'or bind Redis to 127.0.0.1 only (bind 127.0.0.1 -::1) and keep protected-mode on.';
