import { Cluster, ClusterOptions } from 'ioredis';
import type { Command, Redis } from 'ioredis';
import { ConnectionTuning, DEFAULT_TUNING, reconnectDelay, redisOptions } from '../connection';
import { describeEndpoint, RedisCredentials, RedisEndpoint } from '../endpoint';
import { classifyRedisError, isPermanentFailure, RedisConnectionError, redactCommandErrors } from '../errors';
import calculateSlot from 'cluster-key-slot';
import { ClusterAddresses } from './addresses';

/** The nodes to start from: the stack's seeds, or the endpoint itself (a cluster found by INFO, or forced by the setting). */
export function clusterAddresses(endpoint: RedisEndpoint): ClusterAddresses {
  return endpoint.cluster ?? { seeds: [{ host: endpoint.host, port: endpoint.port }], natMap: {} };
}

/**
 * ioredis Cluster options for an endpoint: the same credentials, TLS, timeouts and the
 * same bounded, give-up-on-a-wrong-password reconnects as a single connection
 * (redisOptions), for every node; the natMap turns the addresses the nodes announce into
 * ones this machine reaches.
 */
export function clusterOptions(
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  tuning: ConnectionTuning,
  permanentFailure: () => boolean = () => false,
): ClusterOptions {
  const single = redisOptions(endpoint, credentials, tuning, permanentFailure);
  // Host, port and database come from the slot map (a cluster has only database 0); reconnects are the cluster's.
  const perNode: ClusterOptions['redisOptions'] = {
    username: single.username,
    password: single.password,
    tls: single.tls,
    connectionName: single.connectionName,
    connectTimeout: single.connectTimeout,
    commandTimeout: single.commandTimeout,
    maxRetriesPerRequest: single.maxRetriesPerRequest,
    reconnectOnError: single.reconnectOnError,
  };
  const natMap: Record<string, { host: string; port: number }> = {};
  for (const [announced, reachable] of Object.entries(clusterAddresses(endpoint).natMap)) {
    natMap[announced] = { host: reachable.host, port: reachable.port };
  }
  return {
    redisOptions: perNode,
    natMap,
    lazyConnect: true,
    enableOfflineQueue: false,
    slotsRefreshTimeout: tuning.timeoutMs,
    clusterRetryStrategy: (attempt) => (permanentFailure() ? null : reconnectDelay(attempt, tuning.maxReconnects)),
  };
}

/**
 * Connects to a Redis Cluster and resolves once the slot map is known and the cluster is
 * ready. Failures are a RedisConnectionError naming the node that failed when one did
 * (a wrong password on a node is `auth-failed`, as on a single server), and the client is
 * closed so that no reconnect loop outlives the attempt. Commands that act on one node's
 * data and would go to a random node (SCAN, INFO, DBSIZE …) are refused: see refuseNodeLocal.
 */
export async function connectCluster(
  endpoint: RedisEndpoint,
  credentials: RedisCredentials,
  tuning: ConnectionTuning = DEFAULT_TUNING,
): Promise<Cluster> {
  if (endpoint.db !== 0) {
    throw new RedisConnectionError(
      'unreachable',
      describeEndpoint(endpoint),
      `is a Redis Cluster, which has only database 0, not database ${endpoint.db}`,
      'Set sharedRedis.db to 0 for a cluster.',
    );
  }
  let permanent = false;
  let lastNodeError: { error: unknown; at: RedisEndpoint } | undefined;
  const seeds = clusterAddresses(endpoint).seeds.map((seed) => ({ host: seed.host, port: seed.port }));
  const cluster = new Cluster(
    seeds,
    clusterOptions(endpoint, credentials, tuning, () => permanent),
  );
  refuseNodeLocal(cluster);
  // Commands sent through the cluster, and those sent to one node's client.
  redactCommandErrors(cluster);
  cluster.on('+node', (node: Redis) => redactCommandErrors(node));
  cluster.on('node error', (error: unknown, address: unknown) => {
    const at = nodeEndpoint(endpoint, typeof address === 'string' ? address : undefined);
    lastNodeError = { error, at };
    permanent = isPermanentFailure(classifyRedisError(error, at).kind);
  });
  cluster.on('error', (error: unknown) => {
    lastNodeError ??= { error, at: endpoint };
  });
  try {
    await connectedOrEnded(cluster);
    followLostNodes(cluster);
    return cluster;
  } catch (error) {
    cluster.disconnect();
    // A node that failed (a wrong password, a closed port) is the cause worth naming.
    if (error instanceof ClusterNotOkError && lastNodeError === undefined) {
      throw new RedisConnectionError(
        'unreachable',
        describeEndpoint(endpoint),
        'is a Redis Cluster whose cluster_state is not ok (it is still being formed, or some slots have no node)',
        "Wait until every node reports cluster_state:ok (the stack's Start waits for it), then try again.",
      );
    }
    const cause = lastNodeError ?? { error, at: endpoint };
    const message = cause.error instanceof Error ? cause.error.message : String(cause.error);
    if (/cluster support disabled/i.test(message)) {
      throw new RedisConnectionError(
        'unreachable',
        describeEndpoint(cause.at),
        'is not a Redis Cluster (cluster support is disabled on it)',
        'Set sharedRedis.stackVariant to "single" for a single server, or point sharedRedis.host and sharedRedis.port at a cluster node.',
      );
    }
    throw classifyRedisError(cause.error, cause.at);
  }
}

const followers = new WeakMap<Cluster, (address: string) => void>();

/**
 * Has the slot map read again as after a lost connection, because the master at `address`
 * did not answer in time: a master that hangs (paused, cut off without a reset) keeps its
 * connection open, so ioredis never loses it and a replica's takeover would go unseen.
 */
export function followUnansweredMaster(cluster: Cluster, address: string): void {
  followers.get(cluster)?.(address);
}

/** How often, and for how long, the slot map is read again after the client lost a node. */
export const LOST_NODE_REFRESH = { everyMs: 1000, forMs: 60_000 };

/**
 * ioredis reads the slot map again only on a MOVED reply, and what the extension sends to one
 * node (PING, INFO, SCAN, CLIENT LIST) never gets one: after a master stopped, Server Info,
 * the checks and the Clients view kept asking it, and a master that came back without a
 * failover stayed "closed" (ioredis drops a lost node's connection for good). So when the
 * client loses a node, or a master does not answer in time (followUnansweredMaster), the map
 * is read again every second while it still names that node as a master and it does not
 * answer PING, for at most a minute (a replica takes over after the cluster's node timeout,
 * 15 s by default); a refresh also gives a node still in the map a new connection. A cluster
 * that stays as it is gets no reads (not ioredis's slotsRefreshInterval, a timer for ever).
 */
function followLostNodes(cluster: Cluster, { everyMs, forMs } = LOST_NODE_REFRESH): void {
  const lost = new Map<string, number>(); // `host:port` → when to stop asking about it
  // Followed for a minute without an answer: each poll's failed connect to it would start
  // another minute. Followed again once a connection to it is ready, or ten minutes later.
  const gaveUp = new Map<string, number>(); // `host:port` → when to follow it again
  const pinging = new Set<string>(); // one PING at a time: a paused master holds each until it times out
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (timer !== undefined || lost.size === 0 || cluster.status !== 'ready') return;
    timer = setTimeout(refresh, everyMs);
    timer.unref();
  };
  const refresh = (): void => {
    timer = undefined;
    if (lost.size === 0) return; // it answered meanwhile
    cluster.refreshSlotsCache(() => {
      const now = Date.now();
      for (const [address, until] of lost) {
        if (!servesSlots(cluster, address)) {
          lost.delete(address);
          continue;
        }
        if (now > until) {
          lost.delete(address);
          gaveUp.set(address, now + 10 * forMs);
          continue;
        }
        // Still a master in the map: once it answers (it came back, or only its idle
        // connection was closed) there is nothing to follow. A failure ends that connection
        // and keeps it lost, with its first deadline.
        const node = pinging.has(address) ? undefined : nodeAt(cluster, address);
        if (!node) continue;
        pinging.add(address);
        node
          .ping()
          .then(
            () => lost.delete(address),
            () => undefined,
          )
          .finally(() => pinging.delete(address));
      }
      schedule();
    });
  };
  const follow = (address: string): void => {
    // A disconnect ends every node: nothing to follow then.
    if (cluster.status !== 'ready' || (gaveUp.get(address) ?? 0) > Date.now()) return;
    if (!lost.has(address)) lost.set(address, Date.now() + forMs);
    schedule();
  };
  cluster.on('-node', (node: Redis) => follow(addressOf(node)));
  followers.set(cluster, follow);
  cluster.on('+node', (node: Redis) => {
    node.once('ready', () => gaveUp.delete(addressOf(node)));
  });
  cluster.once('end', () => {
    clearTimeout(timer);
    lost.clear();
    gaveUp.clear();
  });
}

function servesSlots(cluster: Cluster, address: string): boolean {
  return cluster.slots.some((nodes) => nodes?.[0] === address);
}

function nodeAt(cluster: Cluster, address: string): Redis | undefined {
  return cluster.nodes('master').find((node) => addressOf(node) === address);
}

function addressOf(node: Pick<Redis, 'options'>): string {
  return `${node.options.host ?? ''}:${node.options.port ?? ''}`;
}

/** The cluster answered, but never said cluster_state:ok before the client stopped reconnecting. */
class ClusterNotOkError extends Error {}

/**
 * `cluster.connect()`, which never settles when the nodes answer but the cluster is not ok
 * (ioredis reconnects until its retry strategy gives up and then ends, without rejecting):
 * its end rejects here, so a caller is not left waiting forever.
 */
function connectedOrEnded(cluster: Cluster): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ended = (): void => reject(new ClusterNotOkError('the cluster client ended before it was ready'));
    cluster.once('end', ended);
    cluster.connect().then(
      () => {
        cluster.off('end', ended);
        resolve();
      },
      (error: unknown) => {
        cluster.off('end', ended);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The endpoint of one node (`host:port`), with the cluster's credentials and TLS. */
export function nodeEndpoint(endpoint: RedisEndpoint, address: string | undefined): RedisEndpoint {
  const match = address === undefined ? null : /^\[?(.*?)\]?:(\d+)$/.exec(address);
  if (!match) return endpoint;
  return { ...endpoint, host: match[1] as string, port: Number(match[2]), cluster: undefined };
}

/**
 * Commands about one server's own state or keyspace. Without a key, ioredis would send
 * them to a random node and the answer would look like the whole cluster's; the
 * extension asks every master instead (topology().masters()), so here they are refused.
 */
const NODE_LOCAL_COMMANDS = new Set([
  'scan',
  'keys',
  'info',
  'dbsize',
  'randomkey',
  'client',
  'acl',
  'config',
  'slowlog',
  'monitor',
  'latency',
  'flushdb',
  'flushall',
  'swapdb',
  'save',
  'bgsave',
  'bgrewriteaof',
  'lastsave',
  'debug',
  'memory',
]);

/** Raised instead of sending a node-local command to a random node of a cluster. */
export class ClusterRoutingError extends Error {
  override readonly name = 'ClusterRoutingError';

  constructor(readonly command: string) {
    super(
      `${command.toUpperCase()} answers for one node only, and this Redis is a cluster: this action does not support Redis Cluster yet.`,
    );
  }
}

/** Subcommands whose key (the argument after the subcommand) ioredis does not see: routed by its slot here. */
const KEYED_SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  memory: ['usage'],
  object: ['encoding', 'freq', 'idletime', 'refcount'],
};

function refuseNodeLocal(cluster: Cluster): void {
  const send = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = (command: Command, stream?: unknown, node?: unknown): unknown => {
    const name = command.name.toLowerCase();
    // A pipeline or transaction names its node already.
    if (node === undefined) {
      const [sub, key] = command.args;
      if (
        KEYED_SUBCOMMANDS[name]?.includes(String(sub).toLowerCase()) &&
        (typeof key === 'string' || Buffer.isBuffer(key))
      ) {
        return send(command, stream as never, { slot: calculateSlot(key) });
      }
      if (NODE_LOCAL_COMMANDS.has(name) && command.getKeys().length === 0) {
        command.reject(new ClusterRoutingError(command.name));
        return command.promise;
      }
    }
    return send(command, stream as never, node);
  };
}
