import {
  ClientInfo,
  isNoPermission,
  killClientById,
  listClients,
  MissingRightError,
  serverUsers,
} from '../observe/clientList';
import { onReachedNodes, reachEveryNode } from './everyNode';
import { onEveryMaster } from './perMaster';
import type { ReplicaCache } from './replicaCache';
import { Topology } from './topology';

/** The name of the connections opened to list a replica the cluster client does not know. */
const CLIENTS_CONNECTION = 'shared-redis-clients';

/**
 * CLIENT LIST for the session's connection. CLIENT LIST answers for one node: on a cluster,
 * every node's (at once), masters and replicas (a service reading from replicas after
 * READONLY is connected there only), each connection naming its node and the node's role.
 * Replicas are found by their master's CLUSTER REPLICAS: the slot map leaves out one that has
 * not finished its first sync. A master that does not answer fails the list, naming it; a
 * replica that does not answer (stopped, and not yet flagged `fail` by the cluster) is left
 * out and handed to `onReplicaLeftOut`, so that the masters' clients are still listed.
 * A poll passes its `replicas` cache: the replica lists are then read again only when the
 * cluster changed or a node failed (replicaCache.ts), not on every poll.
 */
export async function listClientsOn(
  topology: Topology,
  onReplicaLeftOut: (node: string, reason: string) => void = () => undefined,
  replicas?: ReplicaCache,
): Promise<ClientInfo[]> {
  if (topology.kind === 'single') return listClients(topology.client);
  const reached = await reachEveryNode(topology, {
    connectionName: CLIENTS_CONNECTION,
    ...(replicas ? { replicas } : {}),
  });
  try {
    const perNode = await onReachedNodes(
      reached.nodes.filter((node) => {
        if (node.role === 'master' || node.client) return true;
        onReplicaLeftOut(node.description, node.unreachable?.message ?? 'no connection');
        return false;
      }),
      async (client, node) => {
        let clients: ClientInfo[];
        try {
          clients = await listClients(client);
        } catch (error) {
          // A missing right is the same on every node: said, not hidden.
          if (node.role === 'master' || error instanceof MissingRightError || isNoPermission(error)) throw error;
          onReplicaLeftOut(node.description, error instanceof Error ? error.message : String(error));
          replicas?.invalidate();
          return [];
        }
        return clients.map((info): ClientInfo => ({ ...info, node: node.address, role: node.role }));
      },
    );
    return perNode.flat();
  } catch (error) {
    // A master that failed over: the cluster connection reads the slot map again when it loses a node (followLostNodes).
    replicas?.invalidate();
    throw error;
  } finally {
    reached.close();
  }
}

/** The ACL users the server knows; on a cluster, the first master's (every node loads the same users.acl). */
export async function serverUsersOn(topology: Topology): Promise<string[] | undefined> {
  if (topology.kind === 'single') return serverUsers(topology.client);
  const [first] = topology.masters();
  return first ? ((await onEveryMaster([first], serverUsers))[0] ?? []) : [];
}

/**
 * CLIENT KILL ID of a listed client, on its own node (master or replica), while its id still
 * names a connection from the address listed (killClientById): a client id is one node's
 * counter, so the same id on another node, or after a restart, is another connection.
 */
export async function killClientOn(
  topology: Topology,
  client: Pick<ClientInfo, 'id' | 'addr' | 'node'>,
): Promise<boolean> {
  if (topology.kind === 'single') return killClientById(topology.client, client);
  const reached = await reachEveryNode(topology, { connectionName: CLIENTS_CONNECTION });
  try {
    const node = reached.nodes.find((candidate) => candidate.address === client.node);
    // Its node is no longer in the cluster (a failover, a node removed): that connection is not there any more.
    if (!node) return false;
    const [killed] = await onReachedNodes([node], (redis) => killClientById(redis, client));
    return killed ?? false;
  } finally {
    reached.close();
  }
}
