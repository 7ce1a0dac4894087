import type { InfoSections } from '../info';

/** What one INFO reply says that the charts need: counters and gauges as plain numbers. */
export interface InfoReading {
  /** When it was read (ms since the epoch, the extension host's clock). */
  readonly at: number;
  /** `run_id`: a new one means the server restarted (or it is another server). */
  readonly runId: string | undefined;
  readonly totalCommands: number | undefined;
  readonly usedMemory: number | undefined;
  /** `maxmemory`; 0 is "no limit". */
  readonly maxMemory: number | undefined;
  readonly keyspaceHits: number | undefined;
  readonly keyspaceMisses: number | undefined;
  readonly expiredKeys: number | undefined;
  readonly evictedKeys: number | undefined;
}

/** Connected clients per service (CLIENT LIST grouped by user), or why they could not be counted. */
export type ClientsReading = { readonly counts: Readonly<Record<string, number>> } | { readonly error: string };

/** One sample the charts draw. `null` is "no value here" (a gap in that line), never 0. */
export interface ChartPoint {
  readonly at: number;
  /**
   * Set when the lines restart here rather than continue from the point before: the first
   * sample, a server restart or CONFIG RESETSTAT (a counter went backwards), or the first
   * sample after a gap. Rates are null on such a point: there is no interval to divide.
   */
  readonly restart?: 'first' | 'counters reset' | 'resumed';
  /** Set on a point where no sample could be taken: why (the connection dropped, a right is missing). */
  readonly gap?: string;
  /** Commands per second over the interval: delta of total_commands_processed / elapsed. */
  readonly opsPerSec: number | null;
  readonly usedMemory: number | null;
  /** `maxmemory` in bytes; 0 is "no limit". */
  readonly maxMemory: number | null;
  /** Hits / (hits + misses) over the interval, 0..1; null when there were no lookups (see `lookups`). */
  readonly hitRatio: number | null;
  /** Keyspace lookups over the interval (hits + misses): 0 makes the chart say "no lookups". */
  readonly lookups: number | null;
  readonly expiredPerSec: number | null;
  readonly evictedPerSec: number | null;
  /** Connected clients per service; null when they could not be counted (`clientsError` says why). */
  readonly clients: Readonly<Record<string, number>> | null;
  readonly clientsError?: string;
}

/** 10 minutes of samples at one every 2 s: a panel left open overnight holds no more than this. */
export const DEFAULT_CAPACITY = 300;

function numberField(section: Record<string, string> | undefined, field: string): number | undefined {
  const text = section?.[field];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** The fields the charts use, from a parsed INFO reply (default sections: server, memory, stats). */
export function readingOf(info: InfoSections, at: number): InfoReading {
  const stats = info.get('stats');
  const memory = info.get('memory');
  return {
    at,
    runId: info.get('server')?.['run_id'],
    totalCommands: numberField(stats, 'total_commands_processed'),
    usedMemory: numberField(memory, 'used_memory'),
    maxMemory: numberField(memory, 'maxmemory'),
    keyspaceHits: numberField(stats, 'keyspace_hits'),
    keyspaceMisses: numberField(stats, 'keyspace_misses'),
    expiredKeys: numberField(stats, 'expired_keys'),
    evictedKeys: numberField(stats, 'evicted_keys'),
  };
}

const COUNTERS = ['totalCommands', 'keyspaceHits', 'keyspaceMisses', 'expiredKeys', 'evictedKeys'] as const;

/**
 * The samples the charts show, bounded to `capacity` (the oldest drop off). Rates are the
 * deltas of INFO's counters divided by the time between two readings: exact over the
 * interval, unlike `instantaneous_ops_per_sec`, which is the server's own average over its
 * last ~1.6 s and so misses whatever happened in the rest of a 2 s interval. A counter that
 * went backwards (a restart, CONFIG RESETSTAT) or a new run_id starts a new segment with no
 * rate: never a negative one.
 */
export class InfoSeries {
  private readonly stored: ChartPoint[] = [];
  private previous: InfoReading | undefined;

  constructor(readonly capacity = DEFAULT_CAPACITY) {}

  get points(): readonly ChartPoint[] {
    return this.stored;
  }

  /** Adds a sample and returns the point it made. */
  add(reading: InfoReading, clients: ClientsReading): ChartPoint {
    const before = this.previous;
    this.previous = reading;
    const restart = this.restartAt(before, reading);
    const elapsed = before && !restart ? (reading.at - before.at) / 1000 : 0;
    const delta = (field: (typeof COUNTERS)[number]): number | null => {
      const now = reading[field];
      const then = before?.[field];
      return restart || now === undefined || then === undefined ? null : now - then;
    };
    const perSecond = (field: (typeof COUNTERS)[number]): number | null => {
      const change = delta(field);
      return change === null ? null : change / elapsed;
    };
    const hits = delta('keyspaceHits');
    const misses = delta('keyspaceMisses');
    const lookups = hits === null || misses === null ? null : hits + misses;
    const point: ChartPoint = {
      at: reading.at,
      ...(restart ? { restart } : {}),
      opsPerSec: perSecond('totalCommands'),
      usedMemory: reading.usedMemory ?? null,
      maxMemory: reading.maxMemory ?? null,
      hitRatio: lookups === null || lookups === 0 || hits === null ? null : hits / lookups,
      lookups,
      expiredPerSec: perSecond('expiredKeys'),
      evictedPerSec: perSecond('evictedKeys'),
      ...('counts' in clients ? { clients: clients.counts } : { clients: null, clientsError: clients.error }),
    };
    return this.push(point);
  }

  /** Records that no sample could be taken at `at`, and why; the next sample starts a new segment. */
  addGap(at: number, reason: string): ChartPoint {
    this.previous = undefined;
    const point: ChartPoint = {
      at,
      gap: reason,
      opsPerSec: null,
      usedMemory: null,
      maxMemory: null,
      hitRatio: null,
      lookups: null,
      expiredPerSec: null,
      evictedPerSec: null,
      clients: null,
    };
    return this.push(point);
  }

  private restartAt(before: InfoReading | undefined, now: InfoReading): ChartPoint['restart'] {
    if (!before) return this.stored.length === 0 ? 'first' : 'resumed';
    if (now.at <= before.at) return 'counters reset';
    if (before.runId !== undefined && now.runId !== undefined && before.runId !== now.runId) return 'counters reset';
    const wentBack = COUNTERS.some((field) => {
      const a = before[field];
      const b = now[field];
      return a !== undefined && b !== undefined && b < a;
    });
    return wentBack ? 'counters reset' : undefined;
  }

  private push(point: ChartPoint): ChartPoint {
    this.stored.push(point);
    if (this.stored.length > this.capacity) this.stored.splice(0, this.stored.length - this.capacity);
    return point;
  }
}

/**
 * Counts connections per service: a user that maps to a service (`serviceOf`) counts for
 * the service, any other user under its own name (`default`, `operator`).
 */
export function clientsPerService(
  clients: readonly { readonly user: string }[],
  serviceOf: (user: string) => string | undefined,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const client of clients) {
    const service = serviceOf(client.user) ?? client.user;
    counts[service] = (counts[service] ?? 0) + 1;
  }
  return counts;
}
