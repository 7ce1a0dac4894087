/** TTL input as a person types it: `90`, `90s`, `30m`, `1h`, `2d` (whole numbers only). */

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** The longest TTL accepted: 100 years, far below what Redis can hold. */
export const MAX_TTL_SECONDS = 36_500 * 86_400;

/** The one message every rejected input gets. */
export const TTL_FORMS_MESSAGE =
  'Enter a TTL as a whole number of seconds (90) or with a unit: 90s, 30m, 1h, 2d; more than 0 and at most 36500d.';

export type TtlParse =
  { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly message: string };

export function parseTtl(input: string): TtlParse {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(input);
  const digits = match?.[1];
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = UNIT_SECONDS[unit];
  if (digits === undefined || factor === undefined || digits.length > 16) {
    return { ok: false, message: TTL_FORMS_MESSAGE };
  }
  const seconds = Number(digits) * factor;
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    return { ok: false, message: TTL_FORMS_MESSAGE };
  }
  return { ok: true, seconds };
}

/** `90` → `1m 30s`, `7200` → `2h`: what a confirmation says. */
export function describeSeconds(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}
