import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
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

/**
 * Python's `json.dumps(value, sort_keys=True, separators=(',', ':'))`: what Compose v1's
 * `json_hash` hashes. Like {@link canonicalJson}, but null members stay (v1's dict holds
 * `None`s) and every character outside printable ASCII is a `\uXXXX` escape
 * (`ensure_ascii`), so the bytes, and so the hash, are v1's.
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(',')}]`;
  const members = Object.keys(value)
    .sort()
    .map((key) => `${pythonJson(key)}:${pythonJson((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/** Compose v1 (1.29.2) `utils.json_hash`: SHA-256 (hex) of {@link pythonJson}. */
export function pythonJsonHash(value: unknown): string {
  return createHash('sha256').update(pythonJson(value), 'utf8').digest('hex');
}
