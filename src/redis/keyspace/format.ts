/** Redis's core value types, as TYPE names them; modules add their own (`ReJSON-RL`). */
export const KEY_TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'] as const;
export type CoreKeyType = (typeof KEY_TYPES)[number];

/** PTTL's answers that are not durations. */
export const NO_TTL = -1;
export const GONE = -2;

/**
 * The type of a key this user may not read (TYPE answered NOPERM): SCAN names every key, an
 * ACL's key patterns limit the rest. Not a name TYPE can answer (a module's is 9 characters
 * without spaces).
 */
export const NO_ACCESS = 'no access';

const TYPE_NAMES: Record<string, string> = {
  string: 'string',
  list: 'list',
  set: 'set',
  zset: 'sorted set',
  hash: 'hash',
  stream: 'stream',
  none: 'gone',
  'ReJSON-RL': 'JSON',
};

/** A type for people: `sorted set` for zset, `gone` for none, others as TYPE says. */
export function typeDisplayName(type: string): string {
  return Object.prototype.hasOwnProperty.call(TYPE_NAMES, type) ? (TYPE_NAMES[type] as string) : type;
}

export function isCoreKeyType(type: string): type is CoreKeyType {
  return (KEY_TYPES as readonly string[]).includes(type);
}

/**
 * A PTTL in milliseconds, as a row shows it: `no TTL` (-1), `gone` (-2), otherwise the
 * two largest units, rounded to the second like Redis's TTL: `12s`, `59m 12s`, `1h 0m`,
 * `2d 3h`; under half a second `<1s`.
 */
export function formatTtl(pttlMs: number): string {
  if (pttlMs === NO_TTL) return 'no TTL';
  if (pttlMs === GONE || pttlMs < 0) return 'gone';
  const total = Math.round(pttlMs / 1000);
  if (total === 0) return '<1s';
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

/** `1 key`, `12,345 keys`. */
export function formatKeyCount(count: number): string {
  return `${groupThousands(count)} ${count === 1 ? 'key' : 'keys'}`;
}

export function groupThousands(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A key row's description: `string · 59m 12s`, `hash · no TTL`, `gone`, `no access`. */
export function describeKey(type: string, pttlMs: number): string {
  if (type === NO_ACCESS) return NO_ACCESS;
  return type === 'none' || pttlMs === GONE ? 'gone' : `${type} · ${formatTtl(pttlMs)}`;
}

/** `MEMORY USAGE` for a tooltip: `312 B`, `1.5 KiB`, `2.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] as string}`;
}
