import type Redis from 'ioredis';

/** What the server says about its SCAN calls since the last CONFIG RESETSTAT. */
export interface ScanStats {
  readonly calls: number;
  /** Time the server spent executing SCAN (INFO commandstats cmdstat_scan usec), in ms. */
  readonly serverMs: number;
  /** Per-call server time from LATENCY HISTOGRAM scan, in µs: the upper bound of the
   * power-of-two bucket that holds the 50th / 99th percentile call, and of the slowest. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** The same percentiles exactly (INFO latencystats, Redis 7's latency tracking), in µs; undefined where the server has none. */
  readonly exact: { readonly p50Us: number; readonly p99Us: number; readonly p999Us: number } | undefined;
}

/** The server's own CPU time so far (INFO cpu: user + system of the main thread and its others), in ms. */
export async function serverCpuMs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** CONFIG RESETSTAT: zeroes commandstats and (Redis 7) the per-command latency histograms. */
export async function resetStats(client: Redis): Promise<void> {
  await client.call('CONFIG', 'RESETSTAT');
}

export async function scanStats(client: Redis): Promise<ScanStats> {
  const info = await client.info('commandstats');
  const stat = /^cmdstat_scan:calls=(\d+),usec=(\d+)/m.exec(info);
  // Redis 7: ["scan", ["calls", N, "histogram_usec", [bucket, cumulative count, ...]]].
  const reply = (await client.call('LATENCY', 'HISTOGRAM', 'scan')) as unknown[];
  const fields = (reply[1] ?? []) as unknown[];
  const at = fields.indexOf('histogram_usec');
  const flat = (at >= 0 ? fields[at + 1] : []) as number[];
  const buckets: { us: number; cumulative: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) buckets.push({ us: Number(flat[i]), cumulative: Number(flat[i + 1]) });
  const calls = buckets.at(-1)?.cumulative ?? 0;
  const percentile = (p: number): number => buckets.find((b) => b.cumulative >= Math.ceil(p * calls))?.us ?? Number.NaN;
  const tracked = /^latency_percentiles_usec_scan:p50=([\d.]+),p99=([\d.]+),p99\.9=([\d.]+)/m.exec(
    await client.info('latencystats'),
  );
  return {
    exact: tracked ? { p50Us: Number(tracked[1]), p99Us: Number(tracked[2]), p999Us: Number(tracked[3]) } : undefined,
    calls: Number(stat?.[1] ?? 0),
    serverMs: Number(stat?.[2] ?? 0) / 1000,
    p50Us: percentile(0.5),
    p99Us: percentile(0.99),
    maxUs: buckets.at(-1)?.us ?? Number.NaN,
  };
}
