/**
 * Waits for `promise` to settle, or gives `{ error: Error('did not settle') }` once `guardMs`
 * has passed: a hang shows as that message, not as mocha's bare timeout. The guard is far
 * above any configured deadline; tests assert THAT something settles and HOW, not how fast.
 */
export async function settled<T>(promise: Promise<T>, guardMs: number): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('did not settle')), guardMs);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      guard,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
