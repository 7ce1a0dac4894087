import type Redis from 'ioredis';
import { callWithRight, replyText, listClients, MissingRightError, NamespaceOwner, serviceOfUser } from './clientList';

/** Entries read at most: SLOWLOG GET is O(N) on the server, and a person reads the newest first. */
export const SLOW_LOG_READ_LIMIT = 128;

export interface SlowLogEntry {
  readonly id: number;
  readonly time: Date;
  readonly durationMicros: number;
  /** As the server kept them (it cuts arguments over 128 bytes and after 32 arguments, and redacts secrets since 6.2). */
  readonly args: readonly string[];
  /** `127.0.0.1:52555`; empty before Redis 4. */
  readonly clientAddr: string;
  readonly clientName: string;
  /** The ACL user of the connection, when it is still connected (CLIENT LIST by address). */
  readonly user: string | undefined;
  /** The service of that user (serviceOfUser), when it is one. */
  readonly service: string | undefined;
}

export interface SlowLog {
  /** Newest first, at most the count asked for. */
  readonly entries: readonly SlowLogEntry[];
  /** Entries the server holds now (SLOWLOG LEN): more than `entries` when the read was bounded. */
  readonly length: number;
  /**
   * Set when SLOWLOG LEN was refused (a user with +slowlog|get only) and the read took as many
   * entries as it asked for: the server may hold more than `length`, the entries read.
   */
  readonly lengthUnknown?: true;
  /** `slowlog-max-len`: how many the server keeps; undefined when CONFIG GET is not allowed. */
  readonly maxLength: number | undefined;
  /** `slowlog-log-slower-than` in microseconds (negative: off); undefined when CONFIG GET is not allowed. */
  readonly thresholdMicros: number | undefined;
}

/** Parses a SLOWLOG GET reply (RESP2 arrays): `[id, unix time, µs, [args…], addr?, name?]` per entry. */
export function parseSlowLog(reply: unknown): Array<Omit<SlowLogEntry, 'user' | 'service'>> {
  if (!Array.isArray(reply)) return [];
  const entries: Array<Omit<SlowLogEntry, 'user' | 'service'>> = [];
  for (const raw of reply) {
    if (!Array.isArray(raw) || raw.length < 4) continue;
    const [id, time, micros, args, addr, name] = raw as unknown[];
    entries.push({
      id: Number(id),
      time: new Date(Number(time) * 1000),
      durationMicros: Number(micros),
      args: Array.isArray(args) ? args.map((a) => replyText(a)) : [],
      clientAddr: addr === undefined ? '' : replyText(addr),
      clientName: name === undefined ? '' : replyText(name),
    });
  }
  return entries;
}

/**
 * Reads the newest `count` entries of the slow log, each with the service that sent it,
 * found through CLIENT LIST by the entry's client address (a client gone since keeps only
 * its address and name). MissingRightError when the user may not run SLOWLOG; CLIENT LIST
 * and CONFIG GET are optional (the entries then have no service, the limits are unknown).
 */
export async function readSlowLog(
  client: Redis,
  namespaces: readonly NamespaceOwner[],
  delimiter: string,
  count = SLOW_LOG_READ_LIMIT,
): Promise<SlowLog> {
  const reply = await callWithRight(client, ['SLOWLOG', 'GET', String(count)], 'SLOWLOG GET', '+slowlog');
  // A user may read the slow log without the rest of SLOWLOG (+slowlog|get, not allowed to reset it).
  const held = await optional(callWithRight(client, ['SLOWLOG', 'LEN'], 'SLOWLOG LEN', '+slowlog|len'));
  const length = held === undefined ? undefined : Number(held);
  const clients = await optional(listClients(client));
  const config = await optional(client.call('CONFIG', 'GET', 'slowlog-*'));
  const settings = configMap(config);
  const byAddr = new Map((clients ?? []).map((c) => [c.addr, c]));
  const entries = parseSlowLog(reply).map((entry) => {
    const user = byAddr.get(entry.clientAddr)?.user;
    return { ...entry, user, service: user === undefined ? undefined : serviceOfUser(user, namespaces, delimiter) };
  });
  return {
    entries,
    length: Math.max(length ?? 0, entries.length),
    ...(length === undefined && entries.length >= count ? { lengthUnknown: true as const } : {}),
    maxLength: numberOrUndefined(settings.get('slowlog-max-len')),
    thresholdMicros: numberOrUndefined(settings.get('slowlog-log-slower-than')),
  };
}

/** SLOWLOG RESET. MissingRightError when the user may not. */
export async function resetSlowLog(client: Redis): Promise<void> {
  await callWithRight(client, ['SLOWLOG', 'RESET'], 'SLOWLOG RESET', '+slowlog');
}

/** A lookup the feature does without: a missing right (or a renamed command) leaves it undefined. */
async function optional<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof MissingRightError || /^(NOPERM|ERR unknown command)/.test(String((error as Error).message))) {
      return undefined;
    }
    throw error;
  }
}

function configMap(reply: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(replyText(reply[i]), replyText(reply[i + 1]));
  return map;
}

function numberOrUndefined(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** `850 µs`, `12.3 ms`, `1.20 s`. */
export function formatMicros(micros: number): string {
  if (micros < 1000) return `${micros} µs`;
  if (micros < 10_000) return `${(micros / 1000).toFixed(1)} ms`;
  if (micros < 1_000_000) return `${Math.round(micros / 1000)} ms`;
  return `${(micros / 1_000_000).toFixed(2)} s`;
}

/** Who sent an entry, as a row says it: its ACL user (`user-service`) while connected, else the client's name or address. */
export function slowLogSender(entry: Pick<SlowLogEntry, 'user' | 'clientName' | 'clientAddr'>): string {
  if (entry.user) return entry.user;
  if (entry.clientName) return `${entry.clientName} (disconnected)`;
  return entry.clientAddr ? `${entry.clientAddr} (disconnected)` : 'unknown client';
}
