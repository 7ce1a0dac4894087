import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDotenv } from '../compose/dotenv';
import type { ComposeProject, ComposeService } from '../compose/model';
import type { ClusterAddresses, NodeAddress } from '../../redis/cluster/addresses';
import { makeStackFolder, writeFileAtomic } from './atomicFile';
import type { ServiceStatus } from './status';

/** The port a cluster node listens on in its container (the bundled stack: 6379 on every node). */
const DEFAULT_NODE_PORT = 6379;

/** The value after `--flag` in a redis-server command line. */
function argument(command: readonly string[] | undefined, flag: string): string | undefined {
  const at = (command ?? []).indexOf(flag);
  return at >= 0 ? command?.[at + 1] : undefined;
}

/** A Redis Cluster node of the stack: its service runs redis-server with `--cluster-enabled yes`. */
export function isClusterNode(service: ComposeService): boolean {
  return argument(service.command, '--cluster-enabled') === 'yes';
}

/** The stack is the cluster variant: some service is a Redis Cluster node. */
export function isClusterProject(project: ComposeProject): boolean {
  return project.services.some(isClusterNode);
}

/** A running node as the host and the network see it. */
export interface StackClusterNode {
  readonly service: string;
  /** What the node announces (`redis-node-1:6379`): its hostname, else its service name. */
  readonly announced: NodeAddress;
  /** Where this machine reaches it: the loopback port published for its Redis port. */
  readonly published: NodeAddress;
}

/**
 * The running nodes of a cluster stack that publish their Redis port, in service order.
 * `statuses` are the engine's; services that are not nodes (the init) are left out.
 */
export function stackClusterNodes(project: ComposeProject, statuses: readonly ServiceStatus[]): StackClusterNode[] {
  const nodes: StackClusterNode[] = [];
  for (const service of project.services.filter(isClusterNode)) {
    const status = statuses.find((s) => s.service === service.name && s.state === 'running');
    const port = Number(argument(service.command, '--port') ?? DEFAULT_NODE_PORT);
    const published = status?.ports.find((p) => p.containerPort === port && p.protocol === 'tcp');
    if (!published) continue;
    nodes.push({
      service: service.name,
      announced: { host: argument(service.command, '--cluster-announce-hostname') ?? service.name, port },
      published: { host: loopbackHost(published.hostIp), port: published.hostPort },
    });
  }
  return nodes;
}

/**
 * Every node of a cluster stack, running or not, as a service would be told to reach it: the
 * port the engine published for a running node, else the one its compose file publishes
 * (`127.0.0.1:${REDIS_CLUSTER_PORT_1:-7001}:6379`, interpolated). A node whose port is
 * published nowhere (an engine-picked port of a stopped node) is left out.
 */
export function declaredClusterNodes(project: ComposeProject, statuses: readonly ServiceStatus[]): StackClusterNode[] {
  const running = stackClusterNodes(project, statuses);
  const nodes: StackClusterNode[] = [];
  for (const service of project.services.filter(isClusterNode)) {
    const live = running.find((n) => n.service === service.name);
    if (live) {
      nodes.push(live);
      continue;
    }
    const port = Number(argument(service.command, '--port') ?? DEFAULT_NODE_PORT);
    const declared = service.ports.find((p) => p.target === port && p.protocol === 'tcp' && /^\d+$/.test(p.published ?? ''));
    if (!declared) continue;
    nodes.push({
      service: service.name,
      announced: { host: argument(service.command, '--cluster-announce-hostname') ?? service.name, port },
      published: { host: loopbackHost(declared.hostIp ?? ''), port: Number(declared.published) },
    });
  }
  return nodes;
}

/** `0.0.0.0` and `::` are every interface: this machine dials its loopback. */
export function loopbackHost(hostIp: string): string {
  return !hostIp || hostIp === '0.0.0.0' ? '127.0.0.1' : hostIp === '::' ? '::1' : hostIp;
}

/** Seeds: every node's published port; natMap: each announced `host:port` → that port. */
export function clusterAddresses(nodes: readonly StackClusterNode[]): ClusterAddresses {
  return {
    seeds: nodes.map((n) => n.published),
    natMap: Object.fromEntries(nodes.map((n) => [`${n.announced.host}:${n.announced.port}`, n.published])),
  };
}

/**
 * `acl/replication.conf`: the config file each node starts from, with `masterauth` (the
 * operator's password, which the default user has too), so a replica logs in to its master.
 * A password never stands on a command line, so it is in this file, mode 0600.
 */
export function replicationConfFile(stackDir: string): string {
  return join(stackDir, 'acl', 'replication.conf');
}

/** Redis config quoting: a double-quoted string with `\` and `"` escaped. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Makes `replication.conf` agree with `.env`'s REDIS_PASSWORD (written all or nothing,
 * 0600). `no-password` when `.env` has none: nothing is written.
 */
export function syncReplicationConf(envFile: string, confFile: string): 'created' | 'updated' | 'unchanged' | 'no-password' {
  const password = existsSync(envFile) ? parseDotenv(readFileSync(envFile, 'utf8'))['REDIS_PASSWORD'] : undefined;
  if (!password) return 'no-password';
  const next = `# Written by the Shared Redis extension from .env (REDIS_PASSWORD); replicas log in to\n# their master with it. Mode 0600: never commit it.\nmasterauth ${quoted(password)}\n`;
  const exists = existsSync(confFile);
  if (exists && readFileSync(confFile, 'utf8') === next) return 'unchanged';
  makeStackFolder(dirname(confFile));
  writeFileAtomic(confFile, next, 0o600);
  return exists ? 'updated' : 'created';
}
