/** Where and how to reach a Redis server. The password is carried separately from
 * anything printable so that no description of an endpoint can ever contain it. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string | undefined;
  readonly tls: boolean;
}

export interface RedisCredentials {
  readonly password?: string | undefined;
}

/** `127.0.0.1:6379`, with `db 3`, `user alice` and `TLS` appended when they apply. */
export function describeEndpoint(endpoint: RedisEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const extras: string[] = [];
  if (endpoint.db !== 0) extras.push(`db ${endpoint.db}`);
  if (endpoint.username) extras.push(`user ${endpoint.username}`);
  if (endpoint.tls) extras.push('TLS');
  return extras.length > 0 ? `${host}:${endpoint.port} (${extras.join(', ')})` : `${host}:${endpoint.port}`;
}
