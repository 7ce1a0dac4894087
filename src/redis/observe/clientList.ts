import type Redis from 'ioredis';
import { serviceUser } from '../acl/rules';

/**
 * Who is connected, as `CLIENT LIST` says, and which service each connection belongs to.
 * Shared by the Clients view, the profiler (address -> service) and the Info page's charts.
 */

export interface ClientInfo {
  readonly id: string;
  /** `127.0.0.1:52555`, `[::1]:52555` (IPv6 in brackets), `/path/redis.sock:0` (a unix socket). */
  readonly addr: string;
  /** The server's side of the connection; absent before Redis 6.2. */
  readonly laddr: string | undefined;
  /** Empty when the client set none. */
  readonly name: string;
  /** The ACL user; `default` on servers before Redis 6, which print none. */
  readonly user: string;
  readonly db: number;
  readonly ageSeconds: number;
  readonly idleSeconds: number;
  /** The last command's name only (`get`, `client|list`): Redis never prints its arguments here. */
  readonly lastCommand: string;
  readonly flags: string;
  /** Raw fields as Redis printed them (for fields not modelled). */
  readonly fields: ReadonlyMap<string, string>;
  /** On a cluster, the node (`host:port`) the connection is to; undefined on one server. */
  readonly node?: string;
  /** On a cluster, that node's role: a replica's clients read after READONLY. */
  readonly role?: 'master' | 'replica';
}

/**
 * Parses CLIENT LIST output: one client per line, space-separated `key=value` fields.
 * Redis refuses spaces and newlines in a client name (CLIENT SETNAME allows only `!`..`~`),
 * so splitting on spaces is exact; a value may contain `=` (a name `a=b`) or be empty, so
 * each field splits at its FIRST `=` only.
 */
export function parseClientList(text: string): ClientInfo[] {
  const clients: ClientInfo[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.replace(/\r$/, '').trim();
    if (trimmed === '') continue;
    const fields = new Map<string, string>();
    for (const token of trimmed.split(' ')) {
      if (token === '') continue;
      const eq = token.indexOf('=');
      if (eq <= 0) continue;
      fields.set(token.slice(0, eq), token.slice(eq + 1));
    }
    const id = fields.get('id');
    if (id === undefined) continue;
    clients.push({
      id,
      addr: fields.get('addr') ?? '',
      laddr: fields.get('laddr'),
      name: fields.get('name') ?? '',
      user: fields.get('user') ?? 'default',
      db: wholeNumber(fields.get('db')),
      ageSeconds: wholeNumber(fields.get('age')),
      idleSeconds: wholeNumber(fields.get('idle')),
      lastCommand: fields.get('cmd') ?? '',
      flags: fields.get('flags') ?? '',
      fields,
    });
  }
  return clients;
}

function wholeNumber(value: string | undefined): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** A refused command because the connection's ACL user lacks a right: names the command and what to grant. */
export class MissingRightError extends Error {
  override readonly name = 'MissingRightError';

  constructor(
    /** e.g. `CLIENT LIST` */
    readonly command: string,
    /** e.g. `+client|list` */
    readonly grant: string,
    /** The ACL user that was refused, when known. */
    readonly user: string | undefined,
  ) {
    const who = user ? `The Redis user "${user}"` : "The extension's Redis user";
    const how = user ? `ACL SETUSER ${user} ${grant}` : `ACL SETUSER <user> ${grant}`;
    super(
      `${who} may not run ${command}. Grant it with \`${how}\` (as an admin), or connect as a user that has it (setting sharedRedis.username).`,
    );
  }
}

/** True when Redis refused a command for the user's ACL rules (not for a key or a channel: those say so too). */
export function isNoPermission(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /^NOPERM\b/.test(message);
}

/**
 * Runs `args` on `client`, and turns Redis's NOPERM into a MissingRightError naming
 * `command` and `grant`. Any other error is rethrown as it came.
 */
export async function callWithRight(
  client: Redis,
  args: readonly [string, ...string[]],
  command: string,
  grant: string,
): Promise<unknown> {
  try {
    return await client.call(...args);
  } catch (error) {
    if (isNoPermission(error)) throw new MissingRightError(command, grant, userOf(client));
    throw error;
  }
}

function userOf(client: Redis): string | undefined {
  const username = (client.options as { username?: unknown } | undefined)?.username;
  return typeof username === 'string' && username !== '' ? username : 'default';
}

/** A reply's string or bulk string as text. */
export function replyText(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

/** CLIENT LIST on `client` (ioredis). Throws MissingRightError when the user lacks the right. */
export async function listClients(client: Redis): Promise<ClientInfo[]> {
  const reply = await callWithRight(client, ['CLIENT', 'LIST'], 'CLIENT LIST', '+client|list');
  return parseClientList(replyText(reply));
}

/**
 * Every name the extension gives its own connections starts so (`shared-redis-vscode`,
 * `shared-redis-vscode-walk`, `shared-redis-probe`, `shared-redis-isolation-check`, …):
 * name a new connection under it and the Clients view marks it as the extension's.
 */
export const EXTENSION_CONNECTION_PREFIX = 'shared-redis-';

/** Verify Namespace Isolation's connections: the only ones of the extension that log in as a service. */
export const ISOLATION_CHECK_CONNECTION_NAME = 'shared-redis-isolation-check';

/**
 * The extension's own connection: a name under EXTENSION_CONNECTION_PREFIX, logged in as no
 * service's user (`service`: serviceOfUser of its user), or the isolation check's. Any service
 * may name its connections `shared-redis-…` (CLIENT SETNAME): by its user it is still the service's,
 * so it can be killed, and its refusals and slow commands are its own.
 */
export function isExtensionConnection(client: {
  readonly name: string;
  readonly service: string | undefined;
}): boolean {
  return (
    client.name.startsWith(EXTENSION_CONNECTION_PREFIX) &&
    (client.service === undefined || client.name === ISOLATION_CHECK_CONNECTION_NAME)
  );
}

/**
 * A declared namespace as the setting gives it (settingsModel's DeclaredNamespace fits):
 * `name` (`auth`, `user:search`), or `prefix` as OBSERVING.md first named it (`auth` or
 * `auth:`; a trailing delimiter is ignored).
 */
export type NamespaceOwner = (
  { readonly name: string; readonly prefix?: undefined } | { readonly prefix: string; readonly name?: undefined }
) & { readonly owner?: string | undefined };
/**
 * Maps an ACL user to the service that owns it (e.g. `auth-service` -> "Auth Service"):
 * a service user is `<top-level namespace>-service` (src/redis/acl/rules.ts, serviceUser),
 * so the user belongs to the owner of the first declared namespace under that top level
 * that names one; a service user whose namespaces name no owner is its own service (its
 * user name). Undefined for any other user (`operator`, `default`, users added by hand, a
 * service whose namespace is no longer declared).
 */
export function serviceOfUser(
  user: string,
  namespaces: readonly NamespaceOwner[],
  delimiter = ':',
): string | undefined {
  let declared = false;
  for (const ns of namespaces) {
    const path = ns.name ?? ns.prefix ?? '';
    const top = delimiter === '' ? path : (path.split(delimiter)[0] ?? '');
    if (top === '' || serviceUser(top).username !== user) continue;
    if (ns.owner) return ns.owner;
    declared = true;
  }
  return declared ? user : undefined;
}

/**
 * CLIENT KILL ID `id` ADDR `addr`: the connection as it was listed, killed only while its id
 * still names a connection from that address (Redis restarted since hands its ids out again from
 * small numbers, to other connections). True when the server closed it, false when no such
 * client was connected any more. MissingRightError when the user may not kill clients.
 */
export async function killClientById(client: Redis, { id, addr }: Pick<ClientInfo, 'id' | 'addr'>): Promise<boolean> {
  const killed = await callWithRight(client, ['CLIENT', 'KILL', 'ID', id, 'ADDR', addr], 'CLIENT KILL', '+client|kill');
  return Number(killed) > 0;
}

/** The ACL users the server knows (ACL USERS); undefined when the user may not list them. */
export async function serverUsers(client: Redis): Promise<string[] | undefined> {
  try {
    const reply = await callWithRight(client, ['ACL', 'USERS'], 'ACL USERS', '+acl|users');
    return Array.isArray(reply) ? reply.map(String) : [];
  } catch (error) {
    // Redis 5 has no ACL: no users to list.
    if (error instanceof MissingRightError || /^ERR unknown command/.test((error as Error).message)) return undefined;
    throw error;
  }
}
