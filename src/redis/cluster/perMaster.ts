import type Redis from 'ioredis';
import { isNoAnswer, RedisConnectionError } from '../errors';
import { KeyspaceCommandError } from '../keyspace/errors';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import type { ClusterMaster } from './topology';

/**
 * Runs `work` on every master at once, each on the connection the cluster client keeps to
 * it; resolves in the masters' order. A failure names the master and its slots (a master
 * whose connection the client dropped fails as such): one node's answer is never taken for
 * the cluster's.
 */
export function onEveryMaster<T>(
  masters: readonly ClusterMaster[],
  work: (client: Redis, master: ClusterMaster) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    masters.map(async (master) => {
      if (!master.client) throw lostConnection(master);
      try {
        return await work(master.client, master);
      } catch (error) {
        if (isNoAnswer(error)) master.noAnswer();
        throw namingNode(error, describeMaster(master));
      }
    }),
  );
}

/**
 * The error with the node it came from in its text (`127.0.0.1:7002 (cluster master, slots
 * 5461-10922)`): a connection failure is said of that node, a refused command says where.
 */
export function namingNode(error: unknown, node: string): unknown {
  if (error instanceof RedisConnectionError) {
    return new RedisConnectionError(error.kind, node, error.reason, error.hint);
  }
  if (error instanceof KeyspaceCommandError) {
    return new KeyspaceCommandError(error.command, `${error.reply} (on ${node})`);
  }
  return error;
}
