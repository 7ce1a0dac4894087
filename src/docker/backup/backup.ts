import type Docker from 'dockerode';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { copyFileOut } from './containerFiles';
import { BackupError } from './errors';
import { readRdbHeader } from './rdbHeader';
import { checkRdbFile } from './rdbCheck';
import { PersistenceConfig, persistenceConfig, snapshot } from './persistence';
import { processRuns } from '../../redis/localProcess';
import { tailLogs } from '../stack/logs';

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  /** Keys in the backup (alive at the moment of the snapshot). */
  readonly keys: number;
  readonly expires: number;
  readonly rdbVersion: number;
  readonly redisVersion: string | undefined;
}

export interface BackupOptions {
  /** `shared-redis` gives `shared-redis-2026-11-27T10-15-03.rdb`. */
  readonly prefix: string;
  /** Added after the time: `pre-restore` gives `...T10-15-03-pre-restore.rdb`. */
  readonly suffix?: string | undefined;
  readonly now?: Date | undefined;
  readonly onProgress?: ((message: string) => void) | undefined;
  readonly snapshotTimeoutMs?: number | undefined;
}

/** `2026-11-27T10-15-03`, local time: sorts by name and is valid on every file system. */
export function backupStamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}-${two(date.getMinutes())}-${two(date.getSeconds())}`;
}

/** A name in `folder` that does not exist yet: `<prefix>-<stamp>[-<suffix>][-2].rdb`. */
export function backupFileName(folder: string, prefix: string, date: Date, suffix?: string): string {
  return backupFileNames(folder, prefix, date, suffix).next().value as string;
}

/** The free names in `folder` for a backup, in the order they are taken. */
function* backupFileNames(folder: string, prefix: string, date: Date, suffix?: string): Generator<string> {
  const base = `${prefix}-${backupStamp(date)}${suffix ? `-${suffix}` : ''}`;
  const taken = new Set(existingNames(folder));
  for (let n = 1; ; n++) {
    const name = `${base}${n === 1 ? '' : `-${n}`}.rdb`;
    if (!taken.has(name)) yield name;
  }
}

/**
 * Gives the complete `partial` its backup name without replacing a file: a link fails if
 * the name was taken meanwhile (another window's backup of the same second), and the next
 * name is tried. A file system without hard links gets a rename to a name free just before.
 */
function placeBackup(partial: string, folder: string, names: Iterator<string>): string {
  for (;;) {
    const file = join(folder, names.next().value as string);
    try {
      linkSync(partial, file);
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      // No hard links here (FAT and exFAT drives answer EPERM, EISDIR or others): rename.
      if (existingNames(folder).includes(basename(file))) continue;
      renameSync(partial, file);
      return file;
    }
  }
}

function existingNames(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/**
 * Backs up the stack's Redis into `folder`: BGSAVE and wait for it, copy the RDB file out
 * of the container through the engine's archive API, then check the copy with the
 * server's own redis-check-rdb (which also counts its keys). The file appears under its
 * final name only once it is complete and checked.
 */
export async function backupRedis(
  docker: Docker,
  containerId: string,
  client: Redis,
  folder: string,
  options: BackupOptions,
): Promise<BackupResult> {
  const progress = options.onProgress ?? ((): void => undefined);
  const config = await persistenceConfig(client);
  progress('Redis is writing a snapshot (BGSAVE)');
  const taken = await snapshot(client, {
    onState: progress,
    // Redis logs to the container's output: a failed save's reason is read from there.
    serverLog: () => tailLogs(docker, containerId, 50),
    ...(options.snapshotTimeoutMs ? { timeoutMs: options.snapshotTimeoutMs } : {}),
  });

  mkdirSync(folder, { recursive: true });
  removeStalePartials(folder);
  const names = backupFileNames(folder, options.prefix, options.now ?? new Date(), options.suffix);
  // A name of its own: another window may be writing a backup of the same second. The
  // process's id in it: the sweep above never removes the copy of a window still running.
  const partial = join(folder, `${options.prefix}-${process.pid}-${randomUUID()}.rdb.partial`);
  try {
    progress(`Copying ${config.dbfilename} out of the container`);
    const source = posix.join(config.dir, config.dbfilename);
    const copied = await copyFileOut(docker.getContainer(containerId), source, partial);
    // Where CONFIG GET was refused, `source` is Redis's default: it may be an older snapshot
    // (a server started with another dbfilename or dir). The one just taken was written in or after `taken.startedAt`.
    if (Math.floor(copied.modified.getTime() / 1000) < taken.startedAt) {
      throw staleSnapshot(source, copied.modified, config);
    }
    progress('Checking the copy');
    const header = await readRdbHeader(partial, config.redisVersion);
    const check = await checkRdbFile(docker, containerId, partial);
    const file = placeBackup(partial, folder, names);
    return {
      file,
      bytes: statSync(file).size,
      keys: check.keys,
      expires: check.expires,
      rdbVersion: header.version,
      redisVersion: check.writtenBy ?? config.redisVersion,
    };
  } finally {
    rmSync(partial, { force: true });
  }
}

/** A partial copy's name: `<prefix>-<process id>-<uuid>.rdb.partial` (an older version's has no process id). */
const PARTIAL = /-(?:(\d+)-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.rdb\.partial$/;
/** A copy being written is written to all the time: one untouched this long was left by a crash. */
const STALE_PARTIAL_MS = 5 * 60_000;

/**
 * Removes the partial copies an interrupted backup (a crash, a killed window) left in
 * `folder`: they hold the data of every key. Only old ones, and never one whose process still
 * runs (another window's backup in progress).
 */
function removeStalePartials(folder: string): void {
  for (const name of existingNames(folder)) {
    const writer = PARTIAL.exec(name);
    if (!writer || (writer[1] !== undefined && processRuns(Number(writer[1])))) continue;
    const file = join(folder, name);
    try {
      const info = lstatSync(file);
      if (info.isFile() && Date.now() - info.mtimeMs > STALE_PARTIAL_MS) rmSync(file, { force: true });
    } catch {
      // Gone meanwhile.
    }
  }
}

export interface BackupFile {
  readonly file: string;
  readonly name: string;
  readonly bytes: number;
  readonly modified: Date;
}

/** The `.rdb` files in a folder, newest first. */
export function listBackups(folder: string): BackupFile[] {
  return existingNames(folder)
    .filter((name) => name.endsWith('.rdb'))
    .flatMap((name) => {
      const file = join(folder, name);
      try {
        const info = statSync(file);
        return info.isFile() ? [{ file, name, bytes: info.size, modified: info.mtime }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.modified.getTime() - a.modified.getTime() || b.name.localeCompare(a.name));
}

function staleSnapshot(source: string, modified: Date, config: PersistenceConfig): BackupError {
  const where = config.fromConfig
    ? 'Redis may have written it elsewhere (its dir or dbfilename changed while the backup ran)'
    : 'Redis writes its snapshots elsewhere, and CONFIG GET, which says where (dir, dbfilename), is not allowed for this user or is renamed on this server';
  return new BackupError(
    'snapshot-failed',
    `No backup was made: ${source} in the container was not written by the snapshot Redis just made (it was last written ${modified.toISOString()}). ${where}. Back up as a user allowed CONFIG GET (the stack's operator user), or copy the file named by the server's dbfilename setting out of the container.`,
    source,
  );
}
