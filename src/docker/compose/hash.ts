import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const members = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * The `com.docker.compose.config-hash` of a service: SHA-256 (hex) of its resolved
 * configuration as canonical JSON, as Compose v2 hashes its own service model.
 */
export function configHash(service: object): string {
  return createHash('sha256').update(canonicalJson(service)).digest('hex');
}
