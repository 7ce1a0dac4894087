/**
 * The namespace delimiter's rule (setting `sharedRedis.delimiter`). A minimal version: the
 * security work defines the full rule in this same function.
 */
export function checkDelimiter(value: unknown): { ok: true; delimiter: string } | { ok: false; message: string } {
  if (typeof value !== 'string') return { ok: false, message: 'must be text, like ":"' };
  if (value === '') return { ok: false, message: 'must not be empty: keys are split into namespaces at it (use ":" as most services do)' };
  return { ok: true, delimiter: value };
}
