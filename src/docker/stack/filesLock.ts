import { createHash } from 'node:crypto';
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A lock older than this was left by a process that died holding it (the work it guards takes milliseconds). */
const STALE_MS = 10_000;
const WAIT_MS = 15_000;
const POLL_MS = 25;

/**
 * Runs `work` while holding the lock of a stack folder, so that two VS Code windows (two
 * extension hosts) never read and rewrite its `.env` and `users.acl` at once: one window's
 * read-modify-write lost the other's password. The lock is a file created exclusively in
 * the temporary folder (named by a hash of the stack folder: nothing appears in the
 * workspace, even after a crash); one left by a crashed process is taken over once stale.
 */
export async function withStackFilesLock<T>(stackDir: string, work: () => T | Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `shared-redis-${createHash('sha256').update(resolve(stackDir)).digest('hex').slice(0, 16)}.lock`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isStale(lock)) {
      // Renamed away first, so that of two processes that found it stale at once only one removes it.
      try {
        const aside = `${lock}.stale-${process.pid}`;
        renameSync(lock, aside);
        unlinkSync(aside);
      } catch {
        // The other process took it over first.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Another VS Code window has been changing the stack's .env and users.acl for ${WAIT_MS / 1000} s (lock ${lock}): nothing was changed. Try again once it is done.`);
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Taken over as stale meanwhile: not ours to remove any more.
    }
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
