import type { StackClusterNode } from '../../docker/stack/clusterStack';

/** The service user whose lines are copied. */
export interface ServiceLogin {
  readonly username: string;
  readonly password: string;
  /** `auth:`: the namespace and the delimiter. */
  readonly keyPrefix: string;
}

/** The `.env` lines, as name and value, and the comment lines above them. */
export interface ServiceConnectionLines {
  readonly comments: readonly string[];
  readonly variables: readonly (readonly [string, string])[];
}

/** Where the service runs: this machine, or a container on the stack's network. */
export type ServiceSide = 'host' | 'network';

/** One server: its host and port, the user, the password and the key prefix. */
export function singleServerLines(host: string, port: number, login: ServiceLogin): ServiceConnectionLines {
  return {
    comments: [],
    variables: [['REDIS_HOST', host], ['REDIS_PORT', String(port)], ...loginVariables(login)],
  };
}

/**
 * A Redis Cluster stack. A plain client on one node gets MOVED for two keys in three, and a
 * cluster client learns the nodes by the names they announce (`redis-node-1:6379`), which
 * only containers on the stack's network resolve. So there is no REDIS_HOST/REDIS_PORT (a
 * service reading them would talk to one node as if it were the whole Redis): every node, and
 * for this machine the map from each announced address to the port published here, which is
 * ioredis's `natMap` (`new Redis.Cluster(nodes, { natMap })`).
 */
export function clusterLines(
  nodes: readonly StackClusterNode[],
  side: ServiceSide,
  login: ServiceLogin,
): ServiceConnectionLines {
  const address = (n: { host: string; port: number }): string => `${n.host}:${n.port}`;
  if (side === 'network') {
    return {
      comments: [
        'A Redis Cluster: a cluster client is required (ioredis `new Redis.Cluster(nodes)`, nodes from REDIS_CLUSTER_NODES); a single connection gets MOVED errors.',
      ],
      variables: [
        ['REDIS_CLUSTER', 'true'],
        ['REDIS_CLUSTER_NODES', nodes.map((n) => address(n.announced)).join(',')],
        ...loginVariables(login),
      ],
    };
  }
  return {
    comments: [
      'A Redis Cluster: a cluster client is required (ioredis `new Redis.Cluster(nodes, { natMap })`, nodes from REDIS_CLUSTER_NODES); a single connection gets MOVED errors.',
      `The nodes announce names (${nodes
        .map((n) => address(n.announced))
        .slice(0, 2)
        .join(
          ', ',
        )}, …) that resolve only on the stack's network: REDIS_CLUSTER_NAT_MAP maps each to its port on this machine (ioredis natMap).`,
    ],
    variables: [
      ['REDIS_CLUSTER', 'true'],
      ['REDIS_CLUSTER_NODES', nodes.map((n) => address(n.published)).join(',')],
      ['REDIS_CLUSTER_NAT_MAP', nodes.map((n) => `${address(n.announced)}=${address(n.published)}`).join(',')],
      ...loginVariables(login),
    ],
  };
}

function loginVariables(login: ServiceLogin): [string, string][] {
  return [
    ['REDIS_USERNAME', login.username],
    ['REDIS_PASSWORD', login.password],
    ['REDIS_KEY_PREFIX', login.keyPrefix],
  ];
}

/** What goes on the clipboard: the heading and the comment lines as `# ` comments, then `NAME=value` lines. */
export function clipboardText(heading: string, lines: ServiceConnectionLines): string {
  return (
    [heading, ...lines.comments].map((line) => `# ${line}\n`).join('') +
    lines.variables.map(([k, v]) => `${k}=${v}\n`).join('')
  );
}
