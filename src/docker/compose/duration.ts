/**
 * Compose durations (Go's `time.ParseDuration`: `5s`, `1m30s`, `500ms`, `1.5h`, `0`) in
 * nanoseconds, as the Engine API wants them in `HealthConfig`.
 */
const UNIT_NANOSECONDS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds, or undefined when `text` is not a duration. Negative durations are not accepted. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0' || s === '+0') return 0;
  const body = s.startsWith('+') ? s.slice(1) : s;
  // µ (micro sign) and μ (Greek mu) escaped: regular expressions are where esbuild keeps non-ASCII text (esbuild.mjs).
  if (body === '' || !/^(?:(?:\d+\.?\d*|\.\d+)[a-z\u00b5\u03bc]+)+$/.test(body)) return undefined;
  let total = 0;
  for (const match of body.matchAll(/(\d+\.?\d*|\.\d+)([a-z\u00b5\u03bc]+)/g)) {
    const unit = UNIT_NANOSECONDS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  total = Math.round(total);
  return Number.isSafeInteger(total) ? total : undefined;
}
