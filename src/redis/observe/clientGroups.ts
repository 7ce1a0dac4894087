import { ClientInfo, isExtensionConnection, NamespaceOwner, serviceOfUser } from './clientList';

/** Connections listed per group at most: a server with thousands of clients still renders at once. */
export const CLIENTS_SHOWN_PER_GROUP = 200;

/** The connections of one ACL user. */
export interface ClientGroup {
  readonly user: string;
  /** The service that owns the user (serviceOfUser), when it is a service user. */
  readonly service: string | undefined;
  /** Connections in the group (all of them, also those not in `clients`). */
  readonly count: number;
  readonly oldestAgeSeconds: number;
  readonly longestIdleSeconds: number;
  readonly shortestIdleSeconds: number;
  /** Oldest first, at most CLIENTS_SHOWN_PER_GROUP. */
  readonly clients: readonly ClientInfo[];
  /** How many connections are not in `clients`. */
  readonly notShown: number;
  /** How many of them are the extension's own. */
  readonly own: number;
}

/** A declared service with no connection: "not connected" (phase 1 of the migration: every service connects). */
export interface MissingService {
  readonly user: string;
  readonly service: string | undefined;
}

export interface ClientsSnapshot {
  readonly groups: readonly ClientGroup[];
  readonly missing: readonly MissingService[];
  readonly total: number;
}

/**
 * Groups connections by ACL user: service users first (in the order their namespaces are
 * declared), then the others by name; `expectedUsers` that have no connection are listed
 * as missing.
 */
export function groupClients(
  clients: readonly ClientInfo[],
  options: {
    readonly namespaces: readonly NamespaceOwner[];
    readonly delimiter: string;
    /** Service users that should be connected (from the namespaces setting and the server's users). */
    readonly expectedUsers: readonly string[];
    readonly perGroup?: number;
  },
): ClientsSnapshot {
  const perGroup = options.perGroup ?? CLIENTS_SHOWN_PER_GROUP;
  const byUser = new Map<string, ClientInfo[]>();
  for (const client of clients) {
    const list = byUser.get(client.user) ?? [];
    list.push(client);
    byUser.set(client.user, list);
  }
  // The first place a user is expected (the setting's order, then the server's users); everyone else after.
  const expected = [...new Set(options.expectedUsers)];
  const order = new Map(expected.map((user, i) => [user, i]));
  const groups = [...byUser.entries()].map(([user, list]): ClientGroup => {
    const sorted = [...list].sort((a, b) => b.ageSeconds - a.ageSeconds || Number(a.id) - Number(b.id));
    const service = serviceOfUser(user, options.namespaces, options.delimiter);
    return {
      user,
      service,
      count: list.length,
      // reduce, not Math.max(...list): a spread of 100,000 clients overflows the stack.
      oldestAgeSeconds: list.reduce((max, c) => Math.max(max, c.ageSeconds), 0),
      longestIdleSeconds: list.reduce((max, c) => Math.max(max, c.idleSeconds), 0),
      shortestIdleSeconds: list.reduce((min, c) => Math.min(min, c.idleSeconds), Infinity),
      clients: sorted.slice(0, perGroup),
      notShown: Math.max(0, sorted.length - perGroup),
      own: list.filter((client) => isExtensionConnection({ name: client.name, service })).length,
    };
  });
  groups.sort((a, b) => {
    const ra = order.get(a.user) ?? (a.service ? order.size : order.size + 1);
    const rb = order.get(b.user) ?? (b.service ? order.size : order.size + 1);
    return ra - rb || a.user.localeCompare(b.user);
  });
  const missing = expected
    .filter((user) => !byUser.has(user))
    .map((user) => ({ user, service: serviceOfUser(user, options.namespaces, options.delimiter) }));
  return { groups, missing, total: clients.length };
}
