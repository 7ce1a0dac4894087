/** How `eventually` waits. */
export interface EventuallyOptions {
  /** How long to keep asking before failing (default 20 s). */
  readonly timeoutMs?: number;
  /** The pause between two checks (default 100 ms). */
  readonly intervalMs?: number;
  /** What else the failure should say, read when it times out (what the screen showed, say). */
  readonly detail?: () => string | Promise<string>;
}

/**
 * Asks `check` until it answers something other than `false` or `undefined`, and returns
 * that answer; fails naming `what` after the timeout. One waiting loop for the unit,
 * integration and e2e tests (a number as the third argument is the timeout in ms).
 */
export async function eventually<T>(
  what: string,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const {
    timeoutMs = 20_000,
    intervalMs = 100,
    detail,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer !== false && answer !== undefined) return answer;
    if (Date.now() > deadline) {
      const more = detail ? `; ${await detail()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * `read`'s value once two reads `quietMs` apart agree: what was already on its way (a
 * refresh, a timer's read) has landed, however late a loaded machine runs it.
 */
export async function steady<T>(read: () => T | Promise<T>, quietMs: number): Promise<T> {
  let last = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const now = await read();
    if (now === last) return now;
    last = now;
  }
}
