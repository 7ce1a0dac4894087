import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { hashSlot } from '../hashSlot';
import { connectCluster } from './connection';
import { describeMaster } from './clusterWalk';
import { lostConnection } from './nodes';
import { clusterMasters, isClusterEnabled } from './topology';

/** Where Verify Namespace Isolation proves the users' limits: the one server, or one master of a cluster. */
export interface IsolationNode {
  /** `host:port` of a cluster master; undefined on a single server. */
  readonly address: string | undefined;
  /** How its checks are named in a report: `127.0.0.1:7002 (cluster master, slots 5461-10922)`. */
  readonly description: string | undefined;
  /** Where the services log in. */
  readonly endpoint: RedisEndpoint;
  /** The operator's connection to this node (ACL DRYRUN, ACL GETUSER, removing probe keys). */
  readonly operator: Redis;
  /** A hash tag whose slot this master serves: the probe keys carry it so that they land here, all in one slot. */
  readonly hashTag: string | undefined;
}

export interface IsolationNodes {
  readonly nodes: readonly IsolationNode[];
  /** Closes the connections opened for the masters. */
  close(): void;
}

/**
 * The nodes to check: the server itself, or, when the operator's server runs in cluster mode,
 * every master of the cluster, since each node keeps its own ACL users (a user changed
 * with ACL SETUSER on one node is changed there only). The masters are reached with the
 * operator's own login through a cluster client (the endpoint's natMap turns the addresses
 * the nodes announce into reachable ones).
 */
export async function isolationNodes(
  endpoint: RedisEndpoint,
  operator: Redis,
  probeId: string,
): Promise<IsolationNodes> {
  if (endpoint.cluster === undefined && !(await isClusterEnabled(operator))) {
    return {
      nodes: [{ address: undefined, description: undefined, endpoint, operator, hashTag: undefined }],
      close: () => undefined,
    };
  }
  const cluster = await connectCluster(
    { ...endpoint, db: 0, username: operator.options.username },
    { password: operator.options.password },
  );
  try {
    const nodes = clusterMasters(cluster, endpoint).map((master): IsolationNode => {
      if (!master.client) throw lostConnection(master);
      return {
        address: master.address,
        description: describeMaster(master),
        endpoint: { ...master.endpoint, username: endpoint.username },
        operator: master.client,
        hashTag: tagServedBy(probeId, master.slots),
      };
    });
    return { nodes, close: () => cluster.disconnect() };
  } catch (error) {
    cluster.disconnect();
    throw error;
  }
}

/** `<probeId>-<n>` with the smallest n whose hash slot lies in `slots` (a few tries: each master serves a third of the slots). */
function tagServedBy(probeId: string, slots: readonly (readonly [number, number])[]): string {
  for (let n = 0; ; n++) {
    const tag = `${probeId}-${n}`;
    const slot = hashSlot(tag);
    if (slots.some(([from, to]) => slot >= from && slot <= to)) return tag;
  }
}
