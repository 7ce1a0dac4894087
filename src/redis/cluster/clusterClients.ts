import type Redis from 'ioredis';
import { RedisConnectionError } from '../errors';
import { ClientInfo, killClientById, listClients, serverUsers } from '../observe/clientList';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { ClusterMaster, Topology } from './topology';

/**
 * CLIENT LIST for the session's connection. CLIENT LIST answers for one node: on a cluster,
 * every master's (at once), each connection naming its node. Replicas are not asked: services
 * write to masters, and a replica's list is its master's link and the cluster bus.
 */
export async function listClientsOn(topology: Topology): Promise<ClientInfo[]> {
  if (topology.kind === 'single') return listClients(topology.client);
  const perMaster = await Promise.all(
    topology.masters().map(async (master) => {
      const clients = await onMaster(master, listClients);
      return clients.map((client): ClientInfo => ({ ...client, node: master.address }));
    }),
  );
  return perMaster.flat();
}

/** The ACL users the server knows; on a cluster, the first master's (every node loads the same users.acl). */
export async function serverUsersOn(topology: Topology): Promise<string[] | undefined> {
  if (topology.kind === 'single') return serverUsers(topology.client);
  const [first] = topology.masters();
  return first ? onMaster(first, serverUsers) : [];
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
  return onMaster(master, (redis) => killClientById(redis, client.id));
}

/** Runs a node-local command on one master's own connection; a failure names the master. */
async function onMaster<T>(master: ClusterMaster, action: (client: Redis) => Promise<T>): Promise<T> {
  if (!master.client) throw lostConnection(master);
  try {
    return await action(master.client);
  } catch (error) {
    if (error instanceof Error && !(error instanceof RedisConnectionError)) {
      error.message = `${describeMaster(master)}: ${error.message}`;
    }
    throw error;
  }
}
