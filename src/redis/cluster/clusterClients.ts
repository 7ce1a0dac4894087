import { ClientInfo, killClientById, listClients, serverUsers } from '../observe/clientList';
import { onEveryMaster } from './perMaster';
import { Topology } from './topology';

/**
 * CLIENT LIST for the session's connection. CLIENT LIST answers for one node: on a cluster,
 * every master's (at once), each connection naming its node. Replicas are not asked: services
 * write to masters, and a replica's list is its master's link and the cluster bus.
 */
export async function listClientsOn(topology: Topology): Promise<ClientInfo[]> {
  if (topology.kind === 'single') return listClients(topology.client);
  const perMaster = await onEveryMaster(topology.masters(), async (client, master) =>
    (await listClients(client)).map((info): ClientInfo => ({ ...info, node: master.address })),
  );
  return perMaster.flat();
}

/** The ACL users the server knows; on a cluster, the first master's (every node loads the same users.acl). */
export async function serverUsersOn(topology: Topology): Promise<string[] | undefined> {
  if (topology.kind === 'single') return serverUsers(topology.client);
  const [first] = topology.masters();
  return first ? ((await onEveryMaster([first], serverUsers))[0] ?? []) : [];
}

/**
 * CLIENT KILL ID of a listed client, on its own node: a client id is one node's counter, so the
 * same id on another master is another connection.
 */
export async function killClientOn(topology: Topology, client: Pick<ClientInfo, 'id' | 'node'>): Promise<boolean> {
  if (topology.kind === 'single') return killClientById(topology.client, client.id);
  const master = topology.masters().find((candidate) => candidate.address === client.node);
  // Its node no longer serves slots (a failover): that connection is not there any more.
  if (!master) return false;
  const [killed] = await onEveryMaster([master], (redis) => killClientById(redis, client.id));
  return killed ?? false;
}
