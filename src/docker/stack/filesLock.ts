import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { processRuns } from '../../redis/localProcess';

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
 * Runs `work` while holding a lock shared by every process of this user on this machine: a
 * file created exclusively in a folder of the temporary folder private to the user (nothing
 * appears in the workspace, even after a crash, and another user can neither plant nor hold
 * it); one left by a crashed process is taken over once stale.
 */
async function withFileLock<T>(lock: string, work: () => T | Promise<T>, options: LockOptions): Promise<T> {
  privateFolder(dirname(lock));
  // Whose lock it is: this process (its pid, and when it started: a pid alone may be reused),
  // and this holding of it.
  const token = ownToken();
  const deadline = Date.now() + options.waitMs;
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted && options.cancelled) throw options.cancelled();
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, token);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stale = staleLock(lock, options.staleMs);
    // Taken over: try again at once. Not taken over (another process took it over first, or it
    // may not be removed): wait as for a live holder, until the deadline.
    if (stale && takeOver(lock, stale)) continue;
    if (Date.now() > deadline) throw options.busy();
    if (!waiting) {
      waiting = true;
      options.onWait?.();
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  const heartbeat = options.heartbeatMs
    ? setInterval(() => {
        if (!holds(lock, token)) return; // taken over
        try {
          utimesSync(lock, new Date(), new Date());
        } catch {
          // Taken over.
        }
      }, options.heartbeatMs)
    : undefined;
  heartbeat?.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    // Only our own: once taken over as stale, the file is another holder's.
    if (holds(lock, token)) {
      try {
        unlinkSync(lock);
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

function holds(lock: string, token: string): boolean {
  try {
    return readFileSync(lock, 'utf8') === token;
  } catch {
    return false;
  }
}

/** The lock file as it was judged stale: which file (its inode) and what it said. */
interface StaleLock {
  readonly ino: number;
  readonly content: string;
}

/**
 * Removes the lock judged `stale`, and only that one. Under a guard file that one process at a
 * time holds for the microseconds this takes: while it is held no other process removes the
 * lock file (its holder is dead, or silent for `staleMs`), so the file at the lock's path, if
 * it is still the one judged stale (its inode and content), is removed alone. The takeover
 * before renamed the lock away and put back what it should not have taken, and a third
 * process could create a lock in between: two windows held it at once
 * (filesLockStale.test). False when it was not removed (the guard is held, the lock changed,
 * or it may not be removed: another user's in sticky /tmp).
 */
function takeOver(lock: string, stale: StaleLock): boolean {
  const guard = `${lock}.takeover`;
  const token = ownToken();
  try {
    const fd = openSync(guard, 'wx', 0o600);
    writeSync(fd, token);
    closeSync(fd);
  } catch (error) {
    // Held by another process: it may have died inside (killed in these microseconds).
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') removeDeadGuard(guard);
    return false;
  }
  try {
    const now = lockFileAsIs(lock);
    if (now === undefined || now.ino !== stale.ino || now.content !== stale.content) return false;
    unlinkSync(lock);
    return true;
  } catch {
    // Gone meanwhile, or it may not be removed.
    return false;
  } finally {
    if (holds(guard, token)) {
      try {
        unlinkSync(guard);
      } catch {
        // Gone.
      }
    }
  }
}

/** The lock file's inode and content now; undefined when there is none or it cannot be read. */
function lockFileAsIs(lock: string): StaleLock | undefined {
  try {
    const fd = openSync(lock, 'r');
    try {
      return { ino: fstatSync(fd).ino, content: readFileSync(fd, 'utf8') };
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** A takeover guard whose process died inside it (or, where that process cannot be told from one that reused its pid, held it a whole second, which it never does running) is removed. */
function removeDeadGuard(guard: string): void {
  const left = staleLock(guard, 1000);
  if (left === undefined) return;
  try {
    // Verified again just before: a guard made meanwhile by a live process is not removed
    // (short of one made in the instant between this check and the unlink).
    const now = lockFileAsIs(guard);
    if (now?.ino === left.ino && now.content === left.content) unlinkSync(guard);
  } catch {
    // Gone meanwhile.
  }
}

/** Makes the folder of this user's locks; throws when it is not private to this user (another user made it, or its mode was changed). */
function privateFolder(dir: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: the temporary folder is the user's own
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const folder = lstatSync(dir);
  if (!folder.isDirectory() || folder.uid !== uid || (folder.mode & 0o077) !== 0) {
    throw new Error(`The folder of the locks shared by VS Code windows, ${dir}, is not a folder only you may use (another user may have made it): nothing was changed. Remove it and try again.`);
  }
}

function lockFile(kind: string, key: string): string {
  const uid = process.getuid?.();
  const dir = uid === undefined ? tmpdir() : join(tmpdir(), `shared-redis-${uid}`);
  return join(dir, `shared-redis-${kind}${createHash('sha256').update(key).digest('hex').slice(0, 16)}.lock`);
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

/** The lock, when it was left by a process that died holding it (or stopped touching it); never another user's. */
function staleLock(lock: string, staleMs: number): StaleLock | undefined {
  try {
    const fd = openSync(lock, 'r');
    try {
      const file = fstatSync(fd);
      if (file.uid !== process.getuid?.()) return undefined;
      const content = readFileSync(fd, 'utf8');
      const holder = holderState(content);
      // A holder known to live (its pid runs and started when the file says) is waited for, however
      // long it was silent: a stopped one (SIGSTOP, a debugger, a host swapped out) still works on
      // when it goes on, and a second holder would work beside it. The file's age decides only
      // where the holder cannot be told apart from a process that reused its pid.
      if (holder === 'alive') return undefined;
      return holder === 'dead' || Date.now() - file.mtimeMs > staleMs ? { ino: file.ino, content } : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * A lock's or guard's content: this process's pid, a random token of this holding, and when this
 * process started (Linux: its start time in /proc; empty elsewhere), one a line.
 */
function ownToken(): string {
  return `${process.pid}\n${randomBytes(8).toString('hex')}\n${processStart(process.pid) ?? ''}\n`;
}

/** When process `pid` started (field 22 of /proc/<pid>/stat, clock ticks since boot); undefined where unknown. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) is in parentheses and may hold spaces: fields 3 on follow the last ')'.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The holder whose pid is the content's first line: 'dead' (a window that crashed or was closed
 * mid-Start need not be waited out; also a pid now another process's, told by its start time),
 * 'alive' (that very process), or 'unknown' (not written yet, or no start time to compare).
 */
function holderState(content: string): 'dead' | 'alive' | 'unknown' {
  const [pidLine, , startLine] = content.split('\n');
  const pid = Number.parseInt(pidLine ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return 'unknown'; // not written yet
  if (!processRuns(pid)) return 'dead';
  if (!startLine) return 'unknown';
  const start = processStart(pid);
  if (start === undefined) return 'unknown';
  return start === startLine ? 'alive' : 'dead';
}
