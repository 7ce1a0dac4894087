import { InfoSections, serverProduct, serverVersion } from '../info';
import { formatBytes, groupThousands } from '../keyspace';

/** One database line of INFO keyspace: `db0:keys=42,expires=30,avg_ttl=3599000`. */
export interface KeyspaceDb {
  readonly db: number;
  readonly keys: number;
  readonly expires: number;
  readonly avgTtlMs: number;
}

/** What a person reads at a glance from INFO; a field the server did not report is undefined. */
export interface InfoSummary {
  readonly server: {
    /** The server's own version (Valkey's for Valkey). */
    readonly version: string | undefined;
    readonly product: 'Redis' | 'Valkey';
    readonly mode: string | undefined;
    readonly os: string | undefined;
    readonly uptimeSeconds: number | undefined;
  };
  readonly clients: {
    readonly connected: number | undefined;
    readonly blocked: number | undefined;
    readonly max: number | undefined;
  };
  readonly memory: {
    readonly usedBytes: number | undefined;
    readonly peakBytes: number | undefined;
    readonly fragmentationRatio: number | undefined;
    /** 0 means no limit. */
    readonly maxBytes: number | undefined;
    readonly policy: string | undefined;
  };
  readonly persistence: {
    /** Unix seconds of the last successful RDB save. */
    readonly lastSaveUnix: number | undefined;
    readonly lastBgsaveStatus: string | undefined;
    readonly changesSinceLastSave: number | undefined;
    readonly aofEnabled: boolean | undefined;
    readonly aofLastWriteStatus: string | undefined;
  };
  readonly stats: {
    readonly opsPerSec: number | undefined;
    readonly totalCommands: number | undefined;
    readonly keyspaceHits: number | undefined;
    readonly keyspaceMisses: number | undefined;
    /** hits / (hits + misses), undefined before the first lookup. */
    readonly hitRatio: number | undefined;
    readonly expiredKeys: number | undefined;
    readonly evictedKeys: number | undefined;
  };
  readonly keyspace: readonly KeyspaceDb[];
}

/** Keyspace hit ratio in [0, 1], or undefined when there was no lookup yet (or the inputs are not counts). */
export function hitRatio(hits: number | undefined, misses: number | undefined): number | undefined {
  if (
    hits === undefined ||
    misses === undefined ||
    !Number.isFinite(hits) ||
    !Number.isFinite(misses) ||
    hits < 0 ||
    misses < 0
  ) {
    return undefined;
  }
  const lookups = hits + misses;
  return lookups === 0 ? undefined : hits / lookups;
}

function num(section: Record<string, string> | undefined, field: string): number | undefined {
  const raw = section?.[field];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function text(section: Record<string, string> | undefined, field: string): string | undefined {
  const raw = section?.[field];
  return raw === undefined ? undefined : raw.trim();
}

/** `keys=42,expires=30,avg_ttl=3599000` → fields; db lines only, sorted by db number. */
export function parseKeyspace(section: Record<string, string> | undefined): KeyspaceDb[] {
  const dbs: KeyspaceDb[] = [];
  for (const [name, value] of Object.entries(section ?? {})) {
    const match = /^db(\d+)$/.exec(name);
    if (!match) continue;
    const fields = new Map(
      value.split(',').map((pair) => {
        const eq = pair.indexOf('=');
        return [pair.slice(0, eq).trim(), Number(pair.slice(eq + 1))] as const;
      }),
    );
    dbs.push({
      db: Number(match[1]),
      keys: fields.get('keys') ?? 0,
      expires: fields.get('expires') ?? 0,
      avgTtlMs: fields.get('avg_ttl') ?? 0,
    });
  }
  return dbs.sort((a, b) => a.db - b.db);
}

export function summarizeInfo(info: InfoSections): InfoSummary {
  const server = info.get('server');
  const clients = info.get('clients');
  const memory = info.get('memory');
  const persistence = info.get('persistence');
  const stats = info.get('stats');
  const hits = num(stats, 'keyspace_hits');
  const misses = num(stats, 'keyspace_misses');
  const aof = num(persistence, 'aof_enabled');
  return {
    server: {
      version: serverVersion(info),
      product: serverProduct(info),
      mode: text(server, 'redis_mode') ?? text(server, 'server_mode'),
      os: text(server, 'os'),
      uptimeSeconds: num(server, 'uptime_in_seconds'),
    },
    clients: {
      connected: num(clients, 'connected_clients'),
      blocked: num(clients, 'blocked_clients'),
      max: num(clients, 'maxclients') ?? num(info.get('config'), 'maxclients'),
    },
    memory: {
      usedBytes: num(memory, 'used_memory'),
      peakBytes: num(memory, 'used_memory_peak'),
      fragmentationRatio: num(memory, 'mem_fragmentation_ratio'),
      maxBytes: num(memory, 'maxmemory'),
      policy: text(memory, 'maxmemory_policy'),
    },
    persistence: {
      lastSaveUnix: num(persistence, 'rdb_last_save_time'),
      lastBgsaveStatus: text(persistence, 'rdb_last_bgsave_status'),
      changesSinceLastSave: num(persistence, 'rdb_changes_since_last_save'),
      aofEnabled: aof === undefined ? undefined : aof === 1,
      aofLastWriteStatus: text(persistence, 'aof_last_write_status'),
    },
    stats: {
      opsPerSec: num(stats, 'instantaneous_ops_per_sec'),
      totalCommands: num(stats, 'total_commands_processed'),
      keyspaceHits: hits,
      keyspaceMisses: misses,
      hitRatio: hitRatio(hits, misses),
      expiredKeys: num(stats, 'expired_keys'),
      evictedKeys: num(stats, 'evicted_keys'),
    },
    keyspace: parseKeyspace(info.get('keyspace')),
  };
}

/** `42s`, `5m 3s`, `2h 10m`, `3d 4h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m ${s % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `97.5%`, `100%`, `0%`; `–` when unknown. */
export function formatPercent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  const percent = ratio * 100;
  if (percent === 0 || percent === 100) return `${percent}%`;
  return `${percent < 0.1 ? '<0.1' : percent > 99.9 ? '>99.9' : percent.toFixed(1)}%`;
}

/** One labelled value of the INFO view. */
export interface SummaryField {
  readonly label: string;
  readonly value: string;
}

/** A titled group of fields, in the order the INFO view shows them. */
export interface SummarySection {
  readonly title: string;
  readonly fields: readonly SummaryField[];
}

const dash = '–';
const count = (n: number | undefined): string => (n === undefined ? dash : groupThousands(n));
const bytes = (n: number | undefined): string => (n === undefined ? dash : formatBytes(n));

/** The summary as text a person reads; `now` for the age of the last save. */
/** `7.0.15` for Redis, `Valkey 8.1.1` for Valkey (its INFO also says `redis_version:7.2.4`). */
export function productVersion(server: InfoSummary['server']): string {
  return server.product === 'Redis' ? (server.version ?? '') : `${server.product} ${server.version ?? ''}`;
}

export function describeSummary(summary: InfoSummary, now: Date = new Date()): SummarySection[] {
  const { server, clients, memory, persistence, stats } = summary;
  const lastSave =
    persistence.lastSaveUnix === undefined
      ? dash
      : `${new Date(persistence.lastSaveUnix * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC')} (${formatDuration(now.getTime() / 1000 - persistence.lastSaveUnix)} ago)`;
  return [
    {
      title: 'Server',
      fields: [
        { label: 'Version', value: server.version === undefined ? dash : productVersion(server) },
        { label: 'Mode', value: server.mode ?? dash },
        { label: 'Uptime', value: server.uptimeSeconds === undefined ? dash : formatDuration(server.uptimeSeconds) },
        ...(server.os ? [{ label: 'OS', value: server.os }] : []),
      ],
    },
    {
      title: 'Clients',
      fields: [
        { label: 'Connected', value: count(clients.connected) },
        { label: 'Blocked', value: count(clients.blocked) },
        { label: 'Max clients', value: count(clients.max) },
      ],
    },
    {
      title: 'Memory',
      fields: [
        { label: 'Used', value: bytes(memory.usedBytes) },
        { label: 'Peak', value: bytes(memory.peakBytes) },
        {
          label: 'Fragmentation ratio',
          value: memory.fragmentationRatio === undefined ? dash : memory.fragmentationRatio.toFixed(2),
        },
        {
          label: 'Max memory',
          value:
            memory.maxBytes === undefined ? dash : memory.maxBytes === 0 ? 'no limit' : formatBytes(memory.maxBytes),
        },
        { label: 'Eviction policy', value: memory.policy ?? dash },
      ],
    },
    {
      title: 'Persistence',
      fields: [
        { label: 'Last save', value: lastSave },
        { label: 'Last background save', value: persistence.lastBgsaveStatus ?? dash },
        { label: 'Changes since last save', value: count(persistence.changesSinceLastSave) },
        {
          label: 'AOF',
          value:
            persistence.aofEnabled === undefined
              ? dash
              : persistence.aofEnabled
                ? `on · last write ${persistence.aofLastWriteStatus ?? dash}`
                : 'off',
        },
      ],
    },
    {
      title: 'Stats',
      fields: [
        { label: 'Ops/sec', value: count(stats.opsPerSec) },
        { label: 'Commands processed', value: count(stats.totalCommands) },
        {
          label: 'Keyspace hit ratio',
          value:
            stats.hitRatio === undefined
              ? `${dash} (no lookups yet)`
              : `${formatPercent(stats.hitRatio)} (${count(stats.keyspaceHits)} hits, ${count(stats.keyspaceMisses)} misses)`,
        },
        { label: 'Expired keys', value: count(stats.expiredKeys) },
        { label: 'Evicted keys', value: count(stats.evictedKeys) },
      ],
    },
    {
      title: 'Keyspace',
      fields:
        summary.keyspace.length === 0
          ? [{ label: 'Databases', value: 'no keys' }]
          : summary.keyspace.map((db) => ({
              label: `db${db.db}`,
              value: `${groupThousands(db.keys)} ${db.keys === 1 ? 'key' : 'keys'} · ${groupThousands(db.expires)} with a TTL${db.avgTtlMs > 0 ? ` · average TTL ${formatDuration(db.avgTtlMs / 1000)}` : ''}`,
            })),
    },
  ];
}
