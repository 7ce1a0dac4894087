import type { NodeAddress } from '../cluster/addresses';

/** Connect through Sentinel: the sentinels to ask, and the name of the master they watch. */
export interface SentinelTarget {
  readonly kind: 'sentinel';
  readonly sentinels: readonly NodeAddress[];
  readonly masterName: string;
}

/** Sentinel settings that cannot be used: the one sentence saying what is wrong and what to do. */
export interface SentinelMisconfigured {
  readonly kind: 'invalid';
  readonly problem: string;
}

export type SentinelSetting = SentinelTarget | SentinelMisconfigured;

/** Sentinel's own default port, used when an entry gives none. */
export const DEFAULT_SENTINEL_PORT = 26379;

/**
 * The settings `sharedRedis.sentinels` (a list of `host:port`, `[v6]:port`, or a host alone for
 * port 26379) and `sharedRedis.sentinelMasterName`. Both empty: no Sentinel (undefined). One
 * without the other, or an entry that is no address, is `invalid` with a sentence naming the
 * setting and the entry: connecting refuses with it rather than silently going to host:port.
 */
export function parseSentinelSettings(sentinels: readonly string[], masterName: string): SentinelSetting | undefined {
  const entries = sentinels.map((entry) => entry.trim()).filter((entry) => entry !== '');
  const name = masterName.trim();
  if (entries.length === 0 && name === '') return undefined;
  if (entries.length === 0) {
    return invalid(
      `sharedRedis.sentinelMasterName is "${name}" but sharedRedis.sentinels is empty: add the Sentinels' addresses (like "127.0.0.1:26379"), or clear sharedRedis.sentinelMasterName to connect to sharedRedis.host directly.`,
    );
  }
  if (name === '') {
    return invalid(
      'sharedRedis.sentinels is set but sharedRedis.sentinelMasterName is empty: set it to the master name the Sentinels monitor (the name in "sentinel monitor NAME ..."; often "mymaster").',
    );
  }
  const addresses: NodeAddress[] = [];
  for (const entry of entries) {
    const address = parseAddress(entry);
    if (!address) {
      return invalid(
        `sharedRedis.sentinels has "${entry}", which is not an address: write each Sentinel as "host:port" (like "127.0.0.1:26379" or "[::1]:26379"), port from 1 to 65535.`,
      );
    }
    if (!addresses.some((a) => a.host === address.host && a.port === address.port)) addresses.push(address);
  }
  return { kind: 'sentinel', sentinels: addresses, masterName: name };
}

function invalid(problem: string): SentinelMisconfigured {
  return { kind: 'invalid', problem };
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/** `host:port`, `[v6]:port`, or a host alone (port 26379); undefined for anything else. */
function parseAddress(entry: string): NodeAddress | undefined {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(entry);
  const plain = /^([^:[\]\s]+)(?::(\d+))?$/.exec(entry);
  const match = bracketed ?? plain;
  if (!match) return undefined;
  const host = match[1] as string;
  if (!bracketed && !HOST.test(host)) return undefined;
  const port = match[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** `master "mymaster" via Sentinel 127.0.0.1:26379, 127.0.0.1:26380`. */
export function describeSentinelTarget(target: SentinelTarget): string {
  const list = target.sentinels.map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`));
  return `master "${target.masterName}" via Sentinel ${list.join(', ')}`;
}
