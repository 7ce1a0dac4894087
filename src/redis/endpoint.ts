import type { ClusterAddresses } from './cluster/addresses';
import { describeSentinelTarget, SentinelSetting } from './sentinel/config';

/** Where and how to reach a Redis server. The password is carried separately from
 * anything printable so that no description of an endpoint can ever contain it. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string | undefined;
  readonly tls: boolean;
  /** Certificates and checks for TLS; read only when `tls` is on. Absent: the system's CAs, checks on. */
  readonly tlsSettings?: RedisTlsSettings | undefined;
  /** Set when the endpoint is a Redis Cluster: the nodes to start from and how to reach what they announce. */
  readonly cluster?: ClusterAddresses | undefined;
  /** Set when the master is found through Sentinel (then `host`/`port` are not used), or its settings cannot be used. */
  readonly sentinel?: SentinelSetting | undefined;
}

/**
 * TLS as the settings describe it: file paths (already expanded, read when connecting,
 * never the PEM text itself), the name to check, and whether to check at all.
 */
export interface RedisTlsSettings {
  /** CA certificate(s) in PEM that signed the server's certificate (`sharedRedis.tlsCaFile`). */
  readonly caFile?: string | undefined;
  /** Client certificate in PEM, for servers with `tls-auth-clients yes` (`sharedRedis.tlsCertFile`). */
  readonly certFile?: string | undefined;
  /** The client certificate's private key in PEM (`sharedRedis.tlsKeyFile`). */
  readonly keyFile?: string | undefined;
  /** The name the server's certificate must carry (SNI and host name check); default: the host. */
  readonly serverName?: string | undefined;
  /** False only when certificate checking was turned off explicitly (`sharedRedis.tlsVerifyCertificate`). */
  readonly verifyCertificate?: boolean | undefined;
}

export interface RedisCredentials {
  readonly password?: string | undefined;
}

/** True when TLS is on but the server's certificate is not checked (anyone on the path can read along). */
export function tlsUnverified(endpoint: RedisEndpoint): boolean {
  return endpoint.tls && endpoint.tlsSettings?.verifyCertificate === false;
}

const CLUSTER_PREFIX = 'cluster ';

/** The server a key's document was read from, recorded in its address: serverOf, or for a
 * cluster every node it starts from (the first changes as nodes stop). */
export function documentServer(endpoint: RedisEndpoint): string {
  const seeds = endpoint.cluster?.seeds ?? [];
  if (seeds.length === 0) return serverOf(endpoint);
  const nodes = seeds.map((seed) => hostPort(seed.host, seed.port));
  return CLUSTER_PREFIX + [...new Set(nodes)].sort().join(',');
}

/** True when a document read from `recorded` (documentServer) may be read and saved through
 * `endpoint`: the same server, or a cluster that still has one of the nodes it had. */
export function sameDocumentServer(recorded: string, endpoint: RedisEndpoint): boolean {
  const now = documentServer(endpoint);
  if (recorded === now) return true;
  if (!recorded.startsWith(CLUSTER_PREFIX) || !now.startsWith(CLUSTER_PREFIX)) return false;
  const before = new Set(recorded.slice(CLUSTER_PREFIX.length).split(','));
  return now
    .slice(CLUSTER_PREFIX.length)
    .split(',')
    .some((node) => before.has(node));
}

/** Which server, as a person names it: `127.0.0.1:6379`, `[::1]:6379`, or the Sentinel master. */
export function serverOf(endpoint: RedisEndpoint): string {
  const sentinel = endpoint.sentinel;
  return sentinel?.kind === 'sentinel'
    ? describeSentinelTarget(sentinel)
    : sentinel?.kind === 'invalid'
      ? 'Sentinel (settings to fix)'
      : hostPort(endpoint.host, endpoint.port);
}

/** `host:port`, an IPv6 address in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** `127.0.0.1:6379`, with `db 3`, `user alice` and `TLS` appended when they apply. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  const where = serverOf(endpoint);
  const extras: string[] = [];
  if (endpoint.db !== 0) extras.push(`db ${endpoint.db}`);
  if (endpoint.username) extras.push(`user ${endpoint.username}`);
  if (endpoint.tls) extras.push(tlsUnverified(endpoint) ? 'TLS, certificate not checked' : 'TLS');
  return extras.length > 0 ? `${where} (${extras.join(', ')})` : where;
}

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: only this machine can reach it. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * The SecretStorage key of an endpoint's password: one per server (host and port). Through
 * Sentinel the master moves between servers, so the key is the master's name together with
 * the Sentinels that name it: two deployments both watching `mymaster` never share a password.
 */
export function credentialKey(endpoint: RedisEndpoint): string {
  if (endpoint.sentinel?.kind === 'sentinel') {
    const sentinels = endpoint.sentinel.sentinels
      .map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`)
      .sort()
      .join(',');
    return `sharedRedis.credentials/sentinel/${endpoint.sentinel.masterName}@${sentinels}`;
  }
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `sharedRedis.credentials/${host}:${endpoint.port}`;
}
