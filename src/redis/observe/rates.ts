/**
 * Command rates per service and, within each service, per namespace, over a window that the
 * caller closes (every few seconds, and once at the end).
 */
export interface ServiceRate {
  readonly service: string;
  readonly count: number;
  readonly perSecond: number;
  readonly namespaces: ReadonlyArray<{
    readonly namespace: string;
    readonly count: number;
    readonly perSecond: number;
  }>;
}

export interface RateWindow {
  readonly seconds: number;
  readonly total: number;
  /** Busiest first. */
  readonly services: readonly ServiceRate[];
}

/** Counts commands; `close` hands the window's counts and starts the next one. */
export class CommandRates {
  private counts = new Map<string, Map<string | undefined, number>>();
  private total = 0;

  constructor(private startedMs: number) {}

  record(service: string, namespace: string | undefined): void {
    let namespaces = this.counts.get(service);
    if (!namespaces) this.counts.set(service, (namespaces = new Map()));
    namespaces.set(namespace, (namespaces.get(namespace) ?? 0) + 1);
    this.total += 1;
  }

  close(nowMs: number): RateWindow {
    const seconds = Math.max(0.001, (nowMs - this.startedMs) / 1000);
    const rate = (count: number): number => count / seconds;
    const services = [...this.counts].map(([service, namespaces]) => {
      const count = [...namespaces.values()].reduce((a, b) => a + b, 0);
      return {
        service,
        count,
        perSecond: rate(count),
        namespaces: [...namespaces]
          .filter((entry): entry is [string, number] => entry[0] !== undefined)
          .map(([namespace, n]) => ({ namespace, count: n, perSecond: rate(n) }))
          .sort((a, b) => b.count - a.count),
      };
    });
    services.sort((a, b) => b.count - a.count);
    const window = { seconds, total: this.total, services };
    this.counts = new Map();
    this.total = 0;
    this.startedMs = nowMs;
    return window;
  }
}

// Made on first use, not as the module loads: the extension host's first ICU formatter loads
// ICU's data (23-29 ms measured there), and the second stage loads on the click that opens the views.
let formats: { number: Intl.NumberFormat; fraction: Intl.NumberFormat } | undefined;

function perSecond(value: number): string {
  formats ??= {
    number: new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }),
    fraction: new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }),
  };
  const { number, fraction } = formats;
  return `${value >= 10 || Number.isInteger(value) ? number.format(value) : fraction.format(value)}/s`;
}

/**
 * `last 10 s: user-service 1,240/s (user: 1,200/s), auth-service 30/s (auth: 30/s)`; at most
 * `maxServices` services and 3 namespaces each, the rest counted.
 */
export function describeRates(label: string, window: RateWindow, maxServices = 6): string {
  if (window.total === 0) return `${label}: no commands`;
  const parts = window.services.slice(0, maxServices).map((service) => {
    const namespaces = service.namespaces.slice(0, 3).map((ns) => `${ns.namespace}: ${perSecond(ns.perSecond)}`);
    return `${service.service} ${perSecond(service.perSecond)}${namespaces.length > 0 ? ` (${namespaces.join(', ')})` : ''}`;
  });
  const others = window.services.length - maxServices;
  if (others > 0) parts.push(`${others} more`);
  return `${label}: ${parts.join(', ')}`;
}
