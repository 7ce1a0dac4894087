import type { ClientInfo } from './clientList';

/** What Kill Client asks before it kills a connection: the modal's question, its detail and its button. */
export interface KillConfirmation {
  readonly question: string;
  readonly detail: string;
  /** The button that kills; any other answer cancels. */
  readonly button: string;
}

/**
 * The confirmation of CLIENT KILL ID for `client`: `who` names its owner (`User Service (user
 * user-service)`), `where` the server when the client has no cluster node.
 */
export function killConfirmation(client: ClientInfo, who: string, where: string): KillConfirmation {
  const named = client.name ? `, named "${client.name}"` : ', with no name';
  return {
    question: `Kill the connection of ${who} from ${client.addr}${named}${client.node ? ` on ${client.node}` : ''}?`,
    detail:
      `CLIENT KILL ID ${client.id} on ${client.node ?? where}. The connection closes at once, a command it is running included; ` +
      'the service sees an error and its client library usually reconnects. No data is changed.',
    button: 'Kill Client',
  };
}
