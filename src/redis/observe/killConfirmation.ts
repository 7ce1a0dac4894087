import type { ClientInfo } from './clientList';

/** What Kill Client asks before it kills a connection: the modal's question, its detail and its button. */
export interface KillConfirmation {
  readonly question: string;
  readonly detail: string;
  /** The button that kills; any other answer cancels. */
  readonly button: string;
}

/**
 * A replication link as CLIENT LIST shows it: `replica` (S) is a replica's connection to this
 * master, `master` (M) this replica's connection to its master. Not a service's connection.
 * A replica still in its handshake is not flagged S yet: its last command is REPLCONF (flags=N,
 * between its REPLCONF and its PSYNC), or a SYNC or PSYNC the master refused; killing it
 * restarts that handshake, and the full sync after it.
 */
export function replicationLink(client: Pick<ClientInfo, 'flags' | 'lastCommand'>): 'replica' | 'master' | undefined {
  if (client.flags.includes('S')) return 'replica';
  if (client.flags.includes('M')) return 'master';
  if (/^(replconf|psync|sync)$/.test(client.lastCommand)) return 'replica';
  return undefined;
}

/**
 * The confirmation of CLIENT KILL ID for `client`: `who` names its owner (`User Service (user
 * user-service)`), `where` the server when the client has no cluster node. A replication link
 * is still offered (a stuck one is a reason to kill it), but the question names it as one, the
 * detail says what killing it does, and the button says what it kills: a click on the usual
 * "Kill Client" does not break replication.
 */
export function killConfirmation(client: ClientInfo, who: string, where: string): KillConfirmation {
  const server = client.node ?? where;
  const link = replicationLink(client);
  if (link) {
    const question =
      link === 'replica'
        ? `Kill the replication link of the replica connected from ${client.addr} to its master ${server}?`
        : `Kill the replication link of ${server} to its master at ${client.addr}?`;
    const replica = link === 'replica' ? `the replica connected from ${client.addr}` : server;
    return {
      question,
      detail:
        `CLIENT KILL ID ${client.id} on ${server}. This is not a service's connection: it carries the master's writes to its replica. ` +
        `Killing it breaks replication: ${replica} stops receiving them and serves stale data (or refuses reads, with replica-serve-stale-data no) ` +
        "until it reconnects, usually within a second, and resynchronizes: from the master's backlog if that still holds what it missed, " +
        'else with a full resync, in which the master forks and sends its whole dataset again.',
      button: 'Kill Replication Link',
    };
  }
  const named = client.name ? `, named "${client.name}"` : ', with no name';
  return {
    question: `Kill the connection of ${who} from ${client.addr}${named}${client.node ? ` on ${client.node}` : ''}?`,
    detail:
      `CLIENT KILL ID ${client.id} on ${server}. The connection closes at once, a command it is running included; ` +
      'the service sees an error and its client library usually reconnects. No data is changed.',
    button: 'Kill Client',
  };
}

/**
 * Kill Client's answer when the id of the connection the user chose (`chosen`, as listed then)
 * names another connection now (`now`): Redis restarted meanwhile and hands out ids from small
 * numbers again. Nothing was killed.
 */
export function replacedClientMessage(
  chosen: Pick<ClientInfo, 'id' | 'user' | 'addr'>,
  now: Pick<ClientInfo, 'user' | 'addr'>,
  where: string,
): string {
  return `Client #${chosen.id} (${chosen.user}, ${chosen.addr}) is no longer connected to ${where}: #${chosen.id} is now another connection (${now.user}, ${now.addr}). Nothing was killed: the client list changed (Redis restarted?); look again in the Clients view and pick the connection there.`;
}
