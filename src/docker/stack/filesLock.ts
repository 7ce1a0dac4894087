import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const POLL_MS = 25;

interface LockOptions {
  /** A lock whose file has not been touched for this long was left by a process that died holding it. */
  readonly staleMs: number;
  /** How long to wait for another holder before giving up with `busy()`. */
  readonly waitMs: number;
  /** For work that may outlast `staleMs`: the holder touches the file this often. */
  readonly heartbeatMs?: number;
  readonly signal?: AbortSignal | undefined;
  readonly busy: () => Error;
  readonly cancelled?: () => Error;
  /** Called once, when the lock is held by another process and this one starts waiting. */
  readonly onWait?: () => void;
}

/**
 * Runs `work` while holding a lock shared by every process on this machine: a file created
 * exclusively in the temporary folder (nothing appears in the workspace, even after a
 * crash); one left by a crashed process is taken over once stale.
 */
async function withFileLock<T>(lock: string, work: () => T | Promise<T>, options: LockOptions): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted && options.cancelled) throw options.cancelled();
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isStale(lock, options.staleMs)) {
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
    if (Date.now() > deadline) throw options.busy();
    if (!waiting) { waiting = true; options.onWait?.(); }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  const heartbeat = options.heartbeatMs ? setInterval(() => { try { utimesSync(lock, new Date(), new Date()); } catch { /* taken over */ } }, options.heartbeatMs) : undefined;
  heartbeat?.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    try {
      unlinkSync(lock);
    } catch {
      // Taken over as stale meanwhile: not ours to remove any more.
    }
  }
}

function lockFile(kind: string, key: string): string {
  return join(tmpdir(), `shared-redis-${kind}${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`);
}

/**
 * Runs `work` while holding the lock of a stack folder, so that two VS Code windows (two
 * extension hosts) never read and rewrite its `.env` and `users.acl` at once: one window's
 * read-modify-write lost the other's password. The lock is named by a hash of the stack folder.
 */
export function withStackFilesLock<T>(stackDir: string, work: () => T | Promise<T>): Promise<T> {
  const lock = lockFile('', resolve(stackDir));
  return withFileLock(lock, work, {
    // The work it guards takes milliseconds.
    staleMs: 10_000,
    waitMs: 15_000,
    busy: () => new Error(`Another VS Code window has been changing the stack's .env and users.acl for 15 s (lock ${lock}): nothing was changed. Try again once it is done.`),
  });
}

export interface StartLockOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onWait?: () => void;
  readonly busy: () => Error;
  readonly cancelled: () => Error;
}

/**
 * Runs one Start of `project` on the engine at `engine` while no other process on this
 * machine (another VS Code window) runs one: two at once made two networks of one name, and
 * one's rollback removed the volume the other was about to mount. The second waits (a Start
 * may pull an image and wait minutes for healthy), then finds the stack up. The holder touches
 * the lock every 5 s, so one left by a process that died is taken over 30 s later.
 */
export function withStackStartLock<T>(engine: string, project: string, work: () => Promise<T>, options: StartLockOptions): Promise<T> {
  return withFileLock(lockFile('start-', `${engine}\0${project}`), work, { staleMs: 30_000, heartbeatMs: 5_000, waitMs: 15 * 60_000, ...options });
}

function isStale(lock: string, staleMs: number): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > staleMs || holderDied(readFileSync(lock, 'utf8'));
  } catch {
    return false;
  }
}

/** The holder's process (its pid is the file's first line) is gone: a window that crashed or was closed mid-Start need not be waited out. */
function holderDied(content: string): boolean {
  const pid = Number.parseInt(content, 10);
  if (!Number.isInteger(pid) || pid <= 0) return false; // not written yet
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
