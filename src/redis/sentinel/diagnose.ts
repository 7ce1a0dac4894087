import Redis from 'ioredis';
import type { NodeAddress } from '../cluster/addresses';
import { describeEndpoint, isLoopbackHost, RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import type { SentinelTarget } from './config';

/** What one Sentinel said when asked which masters it monitors. */
type SentinelAnswer =
  | {
      readonly kind: 'masters';
      readonly names: readonly string[];
      /** Where it says the master asked for is (GET-MASTER-ADDR-BY-NAME), when it knows it. */
      readonly master?: NodeAddress | undefined;
      /** Its refusal of GET-MASTER-ADDR-BY-NAME (an ACL), which clients need to find the master. */
      readonly addressRefused?: string | undefined;
    }
  | { readonly kind: 'auth' }
  | { readonly kind: 'not-sentinel'; readonly reply: string }
  | { readonly kind: 'unreachable'; readonly reason: string };

/**
 * Explains why connecting through Sentinel failed, by asking each Sentinel itself (ioredis
 * reports every case as "All sentinels are unreachable"): none answered, one wants a password,
 * an address is a plain Redis, or no Sentinel monitors a master of that name. Undefined when
 * a Sentinel knows the master: then the failure is the master's own (its password, its address).
 */
export async function explainSentinelFailure(
  endpoint: RedisEndpoint & { readonly sentinel: SentinelTarget },
  timeoutMs: number,
  failure?: RedisConnectionError,
): Promise<RedisConnectionError | undefined> {
  const target = endpoint.sentinel;
  const where = describeEndpoint(endpoint);
  const answers = await Promise.all(
    target.sentinels.map((address) => askSentinel(address, target.masterName, timeoutMs)),
  );
  const named = answers.map((answer, index) => ({ answer, at: addressText(target.sentinels[index] as NodeAddress) }));
  const masters = named.flatMap(({ answer }) => (answer.kind === 'masters' ? [answer] : []));
  if (masters.some((answer) => answer.names.includes(target.masterName))) {
    // How a client asks where the master is: a Sentinel that refuses it is the cause.
    const refusing = named.find(({ answer }) => answer.kind === 'masters' && answer.addressRefused !== undefined);
    if (refusing && !masters.some((answer) => answer.master)) {
      return new RedisConnectionError(
        'sentinel-config',
        where,
        `could not be found: the Sentinel at ${refusing.at} refuses SENTINEL GET-MASTER-ADDR-BY-NAME (${(refusing.answer as { addressRefused?: string }).addressRefused ?? ''}), which is how a client asks it where the master is`,
        "Allow that command to the Sentinels' default user (sentinel.conf: +sentinel|get-master-addr-by-name), or connect to the master directly with sharedRedis.host and sharedRedis.port and clear sharedRedis.sentinels.",
      );
    }
    // The master's own failure: where it is, not the host and port settings Sentinel leaves unused.
    const master = masters.find((answer) => answer.master)?.master;
    if (!master || !failure || (failure.kind !== 'unreachable' && failure.kind !== 'timeout')) return undefined;
    return masterUnreachable(where, master, failure);
  }
  const auth = named.find(({ answer }) => answer.kind === 'auth');
  if (auth && masters.length === 0) {
    return new RedisConnectionError(
      'sentinel-auth',
      where,
      `could not be found: the Sentinel at ${auth.at} requires a password, and Shared Redis connects to Sentinels without one`,
      "Let the Sentinels answer without a password (no requirepass in sentinel.conf; the master's own password stays required), or connect to the master directly with sharedRedis.host and sharedRedis.port and clear sharedRedis.sentinels.",
    );
  }
  const notSentinel = named.find(({ answer }) => answer.kind === 'not-sentinel');
  if (notSentinel && masters.length === 0) {
    return new RedisConnectionError(
      'sentinel-config',
      where,
      `could not be found: ${notSentinel.at} is not a Sentinel (it answered "${(notSentinel.answer as { reply: string }).reply}")`,
      "Put the Sentinels' ports in sharedRedis.sentinels (Sentinel listens on 26379 by default), not the Redis server's.",
    );
  }
  if (masters.length > 0) {
    const monitored = [...new Set(masters.flatMap((answer) => answer.names))];
    return new RedisConnectionError(
      'sentinel-unknown-master',
      where,
      `is unknown to the Sentinels: they monitor ${monitored.length === 0 ? 'no master at all' : monitored.map((name) => `"${name}"`).join(', ')}`,
      monitored.length === 0
        ? 'Configure the Sentinels to monitor the master ("sentinel monitor NAME HOST PORT QUORUM"), or check sharedRedis.sentinels.'
        : 'Set sharedRedis.sentinelMasterName to the master name the Sentinels use.',
    );
  }
  const reasons = named.map(({ answer, at }) => `${at}: ${(answer as { reason?: string }).reason ?? answer.kind}`);
  return new RedisConnectionError(
    'sentinel-unreachable',
    where,
    `could not be found: no Sentinel answered (${reasons.join('; ')})`,
    'Start the Sentinels, or fix the addresses in sharedRedis.sentinels.',
  );
}

/** The master the Sentinels name did not answer: what happened, by its address and the failure. */
function masterUnreachable(where: string, master: NodeAddress, failure: RedisConnectionError): RedisConnectionError {
  const code = /^is unreachable \((.*)\)$/.exec(failure.reason)?.[1];
  const reason =
    failure.kind === 'timeout'
      ? 'did not answer in time'
      : code === 'ECONNREFUSED'
        ? 'refused the connection (ECONNREFUSED)'
        : `could not be reached from this machine (${code ?? failure.reason})`;
  // Sentinels in containers (or behind NAT) often give an address only their own network reaches.
  const announced = isLoopbackHost(master.host)
    ? ''
    : ' If it runs, check that this machine reaches that address: Sentinels in containers often give one of their own network (set announce-ip and replica-announce-ip).';
  return new RedisConnectionError(
    failure.kind,
    where,
    `is unreachable: the Sentinels name ${addressText(master)} as its master, and it ${reason}`,
    `Start that server, or wait for the Sentinels to fail over to a replica (after their down-after-milliseconds), then try again.${announced}`,
  );
}

async function askSentinel(address: NodeAddress, masterName: string, timeoutMs: number): Promise<SentinelAnswer> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // A Sentinel has no INFO-based readiness to wait for, and a plain Redis must still answer.
    enableReadyCheck: false,
  });
  let lastError: unknown;
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    await client.connect();
    const reply = (await client.call('SENTINEL', 'MASTERS')) as unknown;
    const names = masterNames(reply);
    if (!names.includes(masterName)) return { kind: 'masters', names };
    let at: unknown;
    try {
      at = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
    } catch (error) {
      // Refused (an ACL): the Sentinel still answered, and this is why a client cannot find the master.
      const refusal = error instanceof Error ? error.message : String(error);
      if (/^(NOPERM|ERR)\b/.test(refusal)) {
        return { kind: 'masters', names, addressRefused: refusal.split('\n')[0] ?? refusal };
      }
      throw error;
    }
    const master = Array.isArray(at) && at.length === 2 ? { host: String(at[0]), port: Number(at[1]) } : undefined;
    return { kind: 'masters', names, master };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^NOAUTH\b/.test(message)) return { kind: 'auth' };
    if (/^ERR\b/.test(message)) return { kind: 'not-sentinel', reply: message.split('\n')[0] ?? message };
    const cause = lastError ?? error;
    const code = (cause as { code?: unknown } | undefined)?.code;
    return {
      kind: 'unreachable',
      reason: typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause),
    };
  } finally {
    client.disconnect();
  }
}

/** `SENTINEL MASTERS` replies one flat field/value list per master: the `name` fields. */
function masterNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  const names: string[] = [];
  for (const master of reply) {
    if (!Array.isArray(master)) continue;
    for (let i = 0; i + 1 < master.length; i += 2) {
      if (String(master[i]) === 'name') names.push(String(master[i + 1]));
    }
  }
  return names;
}

function addressText(address: NodeAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
