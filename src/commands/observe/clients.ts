import * as vscode from 'vscode';
import type { ClientsState } from '../../clientsMonitor';
import { describeEndpoint } from '../../redis/endpoint';
import { killClientOn, listClientsOn } from '../../redis/cluster/clusterClients';
import { ClientInfo, isExtensionConnection, MissingRightError, serviceOfUser } from '../../redis/observe/clientList';
import { killConfirmation, replacedClientMessage, replicationLink } from '../../redis/observe/killConfirmation';
import { settings } from '../../settings';
import type { CommandHandler, ExtensionServices } from '../context';
import { readOnlyRefusal } from '../readOnly';

/** What Kill Client… resolves to (tests and other extensions read it). */
export interface KillClientResult {
  readonly outcome: 'killed' | 'gone' | 'cancelled' | 'refused' | 'failed';
  readonly message: string | undefined;
}

/** Options tests (and other extensions) pass instead of answering the modal confirmation. */
interface KillOptions {
  readonly confirm?: boolean;
}

/** A Clients view row, a ClientInfo, or a client id. */
function targetOf(arg: unknown): { id: string; client: ClientInfo | undefined } | undefined {
  if (typeof arg === 'string' && /^\d+$/.test(arg)) return { id: arg, client: undefined };
  const client = (arg as { client?: unknown } | null | undefined)?.client ?? arg;
  if (client && typeof client === 'object' && typeof (client as ClientInfo).id === 'string') {
    const info = client as ClientInfo;
    return { id: info.id, client: info };
  }
  return undefined;
}

/** `sharedRedis.showClients`, `sharedRedis.killClient`. */
export function clientCommands(services: ExtensionServices): {
  showClients: CommandHandler;
  killClient: CommandHandler;
} {
  const { session, clients: monitor } = services;
  const log = services.logger.child('Clients');

  const showClients = async (): Promise<ClientsState> => {
    // Revealing the view makes it visible, which starts the polling; the read here is the first one.
    await vscode.commands.executeCommand('sharedRedis.clients.focus');
    return monitor.refresh();
  };

  const killClient = async (arg?: unknown, options?: KillOptions): Promise<KillClientResult> => {
    const say = (outcome: KillClientResult['outcome'], message: string): KillClientResult => {
      if (outcome === 'killed' || outcome === 'gone') void vscode.window.showInformationMessage(message);
      else if (outcome === 'refused') void vscode.window.showWarningMessage(message);
      else void vscode.window.showErrorMessage(message);
      log.info(message);
      return { outcome, message };
    };
    const readOnly = readOnlyRefusal('Kill Client');
    if (readOnly) return { outcome: 'refused', message: readOnly };
    const where = describeEndpoint(session.endpoint);
    try {
      // Always the client as it is now: a row may be seconds old, its id reused by nobody but gone.
      const topology = await session.topology();
      const current = await session.use(() => listClientsOn(topology));
      let target = targetOf(arg);
      if (!target) {
        const picked = await pickClient(current);
        if (!picked) return { outcome: 'cancelled', message: undefined };
        target = { id: picked.id, client: picked };
      }
      // On a cluster an id is one node's counter: the row's node tells which connection it is.
      const node = target.client?.node;
      const matching = current.filter((c) => c.id === target.id && (node === undefined || c.node === node));
      if (matching.length > 1) {
        const nodes = matching.map((c) => c.node).join(', ');
        return say(
          'refused',
          `Client #${target.id} is a connection on each of ${nodes}: pick the one to kill in the Clients view.`,
        );
      }
      const client = matching[0];
      if (!client) {
        return say('gone', `Client #${target.id} is no longer connected to ${where}: nothing to kill.`);
      }
      // Ids start at 1 again when Redis restarts: a row of before may name another connection's id now.
      const row = target.client;
      if (row && (row.addr !== client.addr || row.user !== client.user)) {
        return say('gone', replacedClientMessage(row, client, where));
      }
      const config = settings();
      const service = serviceOfUser(client.user, config.namespaces, config.delimiter);
      if (isExtensionConnection({ name: client.name, service })) {
        return say(
          'refused',
          `Client #${client.id} (${client.name}) is Shared Redis's own connection: Kill Client does not close it. ` +
            'It closes by itself when its work ends (a walk, a check) or when the window closes; Stop or Restart the stack to drop every connection.',
        );
      }
      const who = service ? `${service} (user ${client.user})` : `user ${client.user}`;
      const named = client.name ? `, named "${client.name}"` : ', with no name';
      if (options?.confirm !== true) {
        const { question, detail, button } = killConfirmation(client, who, where);
        const choice = await vscode.window.showWarningMessage(question, { modal: true, detail }, button);
        if (choice !== button) return { outcome: 'cancelled', message: undefined };
      }
      const killed = await session.use(() => killClientOn(topology, client));
      void monitor.refresh();
      // Not killed: the id may name another connection now (Redis restarted while the question was open).
      const now = killed
        ? undefined
        : (await session.use(() => listClientsOn(topology))).find((c) => c.id === client.id && c.node === client.node);
      if (now) return say('gone', replacedClientMessage(client, now, where));
      return killed
        ? say(
            'killed',
            replicationLink(client)
              ? `Killed the replication link of ${client.addr} (#${client.id}): replication resumes once the replica reconnects and resynchronizes.`
              : `Killed the connection of ${who} from ${client.addr}${named}.`,
          )
        : say('gone', `Client #${client.id} had already disconnected from ${where}: nothing was killed.`);
    } catch (error) {
      if (error instanceof MissingRightError) return say('failed', `Kill Client: ${error.message}`);
      return say('failed', `Kill Client failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  return { showClients, killClient };
}

async function pickClient(clients: readonly ClientInfo[]): Promise<ClientInfo | undefined> {
  const config = settings();
  const items = clients.map((c) => {
    const service = serviceOfUser(c.user, config.namespaces, config.delimiter);
    const own = isExtensionConnection({ name: c.name, service });
    const link = replicationLink(c);
    const kind = own ? ' · this extension (not killed)' : link ? ` · replication link (to its ${link})` : '';
    return {
      label: `${own ? '$(vscode) ' : '$(plug) '}${c.user}${service ? ` · ${service}` : ''}`,
      description: `${c.addr}${c.node ? ` → ${c.node}` : ''}${c.name ? ` · "${c.name}"` : ''}${kind}`,
      detail: `#${c.id} · db ${c.db} · age ${c.ageSeconds}s · idle ${c.idleSeconds}s · last ${c.lastCommand || '(none)'}`,
      client: c,
    };
  });
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Kill Client',
    placeHolder: 'The connection to close (you confirm next)',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked?.client;
}
