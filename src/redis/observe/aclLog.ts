import type Redis from 'ioredis';
import { callWithRight, replyText, NamespaceOwner, parseClientList, serverUsers, serviceOfUser } from './clientList';
import { commandText, shortArgument } from './commandText';

/** Entries read at most (ACL LOG keeps `acllog-max-len`, 128 by default). */
export const ACL_LOG_READ_LIMIT = 128;

export type DeniedReason = 'key' | 'command' | 'channel' | 'auth' | string;

/** One ACL LOG entry: Redis folds repeats of the same refusal into one, with a count. */
export interface DeniedAccess {
  readonly count: number;
  readonly reason: DeniedReason;
  /** `toplevel`, `multi`, `lua`, `module`. */
  readonly context: string;
  /** The key, channel or command refused; `AUTH` for a failed login. */
  readonly object: string;
  /** The user refused, or the name tried at a failed login (which may not exist). */
  readonly username: string;
  readonly ageSeconds: number;
  /** The command that was refused, from the client info (`get`, `client|list`). */
  readonly command: string;
  readonly clientAddr: string;
  readonly clientName: string;
  /** The service of `username` (serviceOfUser), when it is one. */
  readonly service: string | undefined;
}

/** Shown instead of the name a failed login tried when no such user exists. */
export const UNKNOWN_LOGIN_NAME = '(a user name that does not exist, not shown)';

/**
 * Parses an ACL LOG reply: an array of flat `[field, value, …]` arrays (RESP2). The name a
 * failed login tried is shown only when it is one of `knownUsers` (or, without that list,
 * a declared service's user): a client that swapped its user name and password (`AUTH pw
 * user`) puts its password there.
 */
export function parseAclLog(
  reply: unknown,
  namespaces: readonly NamespaceOwner[] = [],
  delimiter = ':',
  knownUsers?: readonly string[],
): DeniedAccess[] {
  if (!Array.isArray(reply)) return [];
  const entries: DeniedAccess[] = [];
  for (const raw of reply) {
    if (!Array.isArray(raw)) continue;
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < raw.length; i += 2) fields.set(replyText(raw[i]), replyText(raw[i + 1]));
    const [info] = parseClientList(fields.get('client-info') ?? '');
    const tried = fields.get('username') ?? '';
    const known = knownUsers ? knownUsers.includes(tried) : serviceOfUser(tried, namespaces, delimiter) !== undefined;
    const username = fields.get('reason') === 'auth' && tried !== '' && !known ? UNKNOWN_LOGIN_NAME : tried;
    entries.push({
      count: Number(fields.get('count') ?? 1) || 1,
      reason: fields.get('reason') ?? '',
      context: fields.get('context') ?? '',
      object: fields.get('object') ?? '',
      username,
      ageSeconds: Number(fields.get('age-seconds') ?? 0) || 0,
      command: info?.lastCommand ?? '',
      clientAddr: info?.addr ?? '',
      clientName: info?.name ?? '',
      service: serviceOfUser(username, namespaces, delimiter),
    });
  }
  return entries;
}

/** ACL LOG on `client`, newest first. MissingRightError when the user may not run it. */
export async function readAclLog(
  client: Redis,
  namespaces: readonly NamespaceOwner[],
  delimiter: string,
  count = ACL_LOG_READ_LIMIT,
): Promise<DeniedAccess[]> {
  const reply = await callWithRight(client, ['ACL', 'LOG', String(count)], 'ACL LOG', '+acl|log');
  // Without the right to list the users, only declared services' names are shown for failed logins.
  const users = await serverUsers(client).catch(() => undefined);
  return parseAclLog(reply, namespaces, delimiter, users);
}

const REASONS: Record<string, string> = {
  key: 'no permission for the key',
  channel: 'no permission for the channel',
  command: 'no permission for the command',
  auth: 'wrong password, or the user does not exist or is disabled',
};

const CONTEXTS: Record<string, string> = { lua: ' inside a script', multi: ' inside MULTI', module: ' from a module' };

/** What was tried, without a password: `GET auth:session:42`, `FLUSHALL`, `SUBSCRIBE auth:events`, `to log in`. */
export function deniedAttempt(entry: Pick<DeniedAccess, 'reason' | 'object' | 'command'>): string {
  if (entry.reason === 'auth') return 'to log in';
  const command = entry.command.replace('|', ' ');
  if (entry.reason === 'command') return commandText([entry.object.replace('|', ' ')]);
  // The object is the key or channel refused (never a secret: AUTH arguments are not logged as objects),
  // not the command's first argument: EVAL's rule for its script text must not hide it.
  if (!command) return commandText([entry.object], { maxArgLength: 80 });
  return `${commandText([command])} ${shortArgument(entry.object, 80)}`;
}

/** `3×, last 2 min ago` (Redis's age is of the entry's last occurrence). */
export function deniedTimes(entry: Pick<DeniedAccess, 'count' | 'ageSeconds'>): string {
  return `${entry.count}×, last ${formatAge(entry.ageSeconds)} ago`;
}

/**
 * A client library's handshake: ioredis 5, node-redis 4.7, redis-py 5 and go-redis 9 send
 * CLIENT SETINFO (lib-name, lib-ver) on connecting, and connect on without it when refused.
 * Redis 7.2 and later log the refusal for every connection of a user without @connection.
 */
export function isLibraryHandshake(entry: Pick<DeniedAccess, 'reason' | 'object'>): boolean {
  return entry.reason === 'command' && entry.object.toLowerCase() === 'client|setinfo';
}

/** `user-service tried \`GET auth:session:42\`: no permission for the key (3×, last 2 min ago)`. */
export function deniedAccessLine(entry: DeniedAccess): string {
  const who = entry.username || '(no user name)';
  const attempt = deniedAttempt(entry);
  const handshake = isLibraryHandshake(entry)
    ? ", a client library's handshake on connecting (it connects without it)"
    : '';
  const reason = (REASONS[entry.reason] ?? entry.reason) + (CONTEXTS[entry.context] ?? '') + handshake;
  if (entry.reason === 'auth') return `${who} failed ${attempt}: ${reason} (${deniedTimes(entry)})`;
  return `${who} tried \`${attempt}\`: ${reason} (${deniedTimes(entry)})`;
}

/** `12 s`, `2 min`, `3 h`, `4 d`. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}
