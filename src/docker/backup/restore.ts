import type Docker from 'dockerode';
import type Redis from 'ioredis';
import { Dirent, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { backupRedis, BackupResult, backupStamp } from './backup';
import { ArchiveEntry, copyFolderOut, Owner, ownerOf, putEntries } from './containerFiles';
import { BackupError } from './errors';
import { PersistenceConfig, persistenceConfig } from './persistence';
import { checkRdbFile, checkRdbFileInOneOff, RdbCheck } from './rdbCheck';
import { stoppedPersistenceConfig } from './stoppedConfig';
import { RdbHeader, readRdbHeader } from './rdbHeader';

/** What a backup file holds, checked by the stack's own Redis. */
export interface BackupInspection {
  readonly file: string;
  readonly bytes: number;
  readonly rdbVersion: number;
  readonly keys: number;
  readonly expires: number;
  readonly writtenBy: string | undefined;
  readonly modifiedMs: number;
}

/**
 * Checks that `file` is an RDB file the stack's Redis can load, without changing
 * anything: the header (magic, format version against the server's), then the whole
 * file (every key and the CRC64 checksum) with redis-check-rdb inside the container.
 * A corrupt or foreign file is a `BackupError` of kind `invalid-file`.
 */
export async function inspectBackup(
  docker: Docker,
  containerId: string,
  client: Redis,
  file: string,
): Promise<BackupInspection> {
  const { redisVersion } = await persistenceConfig(client);
  const header = await readRdbHeader(file, redisVersion);
  return inspectionOf(file, header, await checkRdbFile(docker, containerId, file));
}

function inspectionOf(file: string, header: RdbHeader, check: RdbCheck): BackupInspection {
  return {
    file,
    bytes: header.bytes,
    rdbVersion: header.version,
    keys: check.keys,
    expires: check.expires,
    writtenBy: check.writtenBy,
    modifiedMs: statSync(file).mtimeMs,
  };
}

export interface RestoreOptions {
  readonly docker: Docker;
  /** The stack's Redis container: the data volume is reached through it, stopped. */
  readonly containerId: string;
  /** A connection to the stack's Redis, used before the stop only. */
  readonly client: Redis;
  readonly file: string;
  /** Where the automatic backup of the current data goes before anything is replaced. */
  readonly safetyFolder: string;
  readonly prefix: string;
  /** Stop and start the stack (through the StackController, so the views follow); start waits for healthy. */
  readonly stop: () => Promise<unknown>;
  readonly start: () => Promise<unknown>;
  /** Counts the keys once the stack is back (on a fresh connection). */
  readonly countKeys: () => Promise<number>;
  /** The inspection the user confirmed; the file is checked again if it changed since. */
  readonly inspection?: BackupInspection | undefined;
  readonly onProgress?: ((message: string) => void) | undefined;
}

export interface RestoreResult {
  readonly keys: number;
  readonly inspection: BackupInspection;
  /** The automatic backup of the data the restore replaced. */
  readonly previous: BackupResult;
}

/**
 * Replaces the stack's data with a backup:
 * 1. checks the file (refused before anything is stopped),
 * 2. backs up the current data into `safetyFolder` (`...-pre-restore.rdb`), so the
 *    restore itself can be undone with another restore,
 * 3. stops the stack, puts the file into the data volume through the stopped container,
 * 4. starts it, waits for healthy, and counts the keys.
 *
 * With appendonly on, Redis loads the AOF and ignores dump.rdb, so the AOF is replaced
 * as well: Redis 7's AOF folder becomes a fresh one whose manifest names the backup as
 * its RDB base file (the format Redis itself writes with aof-use-rdb-preamble), and
 * Redis 6's single AOF file becomes the backup (an AOF may be an RDB preamble alone).
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const progress = options.onProgress ?? ((): void => undefined);
  const { docker, containerId, client, file } = options;
  const container = docker.getContainer(containerId);

  progress(`Checking ${basename(file)}`);
  const unchanged = options.inspection && options.inspection.file === file && sameFile(file, options.inspection);
  const inspection =
    unchanged && options.inspection ? options.inspection : await inspectBackup(docker, containerId, client, file);
  const config = await persistenceConfig(client);
  const owner = await ownerOf(container, config.dir);

  progress('Backing up the current data first');
  const previous = await backupRedis(docker, containerId, client, options.safetyFolder, {
    prefix: options.prefix,
    suffix: 'pre-restore',
    onProgress: progress,
  });

  progress('Stopping the stack');
  await options.stop();
  const keys = await replaceAndStart(options, container, config, owner, previous.file);
  return { keys, inspection, previous };
}

/** Puts the backup into the stopped container's data folder, starts the stack and counts its keys. */
async function replaceAndStart(
  options: Pick<RestoreOptions, 'file' | 'start' | 'countKeys' | 'onProgress'>,
  container: Docker.Container,
  config: PersistenceConfig,
  owner: Owner,
  previous: string,
): Promise<number> {
  const progress = options.onProgress ?? ((): void => undefined);
  const { file } = options;
  try {
    progress(`Putting ${basename(file)} into the data volume`);
    await putEntries(container, config.dir, restoreEntries(config, file), owner);
  } catch (error) {
    // The data may be half replaced: start anyway, and say where the previous data is.
    await options.start().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackupError(
      'engine',
      `The restore failed while copying into the volume (${reason}). The data from before is in ${previous}.`,
      file,
    );
  }
  progress('Starting the stack and waiting until it is healthy');
  try {
    await options.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackupError(
      'engine',
      `The stack did not come back after the restore: ${reason}\nThe data from before is in ${previous}; restore it to go back.`,
      file,
    );
  }
  return options.countKeys();
}

/** The restore of a stack whose Redis is not running: no connection, so no `client`. */
export interface StoppedRestoreOptions extends Omit<RestoreOptions, 'client' | 'safetyFolder'> {
  /** Where the data folder's files go, exactly as they are, before anything is replaced ({@link rawFilesFolder}). */
  readonly rawFolder: string;
}

export interface StoppedRestoreResult {
  readonly keys: number;
  readonly inspection: BackupInspection;
  /** The folder holding the data folder's files as they were before the restore. */
  readonly rawFolder: string;
  /** Their paths inside it. */
  readonly rawFiles: readonly string[];
}

/**
 * Checks `file` for a stack whose Redis container is not running (stopped, or failing to
 * start on a damaged AOF or RDB): with the image's own redis-check-rdb in a one-off container
 * (see {@link checkRdbFileInOneOff}), against the data settings the container starts with
 * (see {@link stoppedPersistenceConfig}).
 */
export async function inspectStoppedBackup(
  docker: Docker,
  containerId: string,
  file: string,
): Promise<BackupInspection> {
  const info = await docker.getContainer(containerId).inspect();
  return inspectWith(
    docker,
    info,
    file,
    await stoppedPersistenceConfig(docker, docker.getContainer(containerId), info),
  );
}

async function inspectWith(
  docker: Docker,
  info: Docker.ContainerInspectInfo,
  file: string,
  config: PersistenceConfig,
): Promise<BackupInspection> {
  const header = await readRdbHeader(file, config.redisVersion);
  return inspectionOf(file, header, await checkRdbFileInOneOff(docker, info, file));
}

/**
 * {@link restoreBackup} for a stack whose Redis container is not running, which is when a
 * restore is needed most: Redis exits at once on a damaged AOF or RDB. Nothing can be asked of
 * Redis, so:
 * 1. checks the file in a one-off container of the same image (refused before anything is stopped),
 * 2. stops the stack (a container restarting in a loop stops doing so),
 * 3. copies the data folder's files out, exactly as they are, into `rawFolder` (owner-only):
 *    what Redis could not load is kept, for `redis-check-aof --fix` or a later look,
 * 4. puts the file into the data volume and starts the stack, as a restore of a running one.
 */
export async function restoreStoppedBackup(options: StoppedRestoreOptions): Promise<StoppedRestoreResult> {
  const progress = options.onProgress ?? ((): void => undefined);
  const { docker, containerId, file } = options;
  const container = docker.getContainer(containerId);
  // No check that it is not running: a Redis in a restart loop runs for a moment each time.
  const info = await container.inspect();

  progress(`Checking ${basename(file)}`);
  const config = await stoppedPersistenceConfig(docker, container, info);
  const unchanged = options.inspection && options.inspection.file === file && sameFile(file, options.inspection);
  const inspection =
    unchanged && options.inspection ? options.inspection : await inspectWith(docker, info, file, config);

  progress('Stopping the stack');
  await options.stop();
  progress(`Keeping the current data as it is in ${basename(options.rawFolder)}`);
  const owner = await ownerOf(container, config.dir);
  mkdirSync(dirname(options.rawFolder), { recursive: true });
  const rawFiles = await copyFolderOut(container, config.dir, options.rawFolder).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackupError('engine', `${reason}. Nothing was replaced; the stack is stopped.`, file);
  });
  const keys = await replaceAndStart(options, container, config, owner, options.rawFolder);
  return { keys, inspection, rawFolder: options.rawFolder, rawFiles };
}

/**
 * A free folder name in `folder` for the raw files of a Redis that is not running:
 * `<prefix>-<stamp>-raw-files-redis-would-not-start` when it failed to start (a crash or a
 * restart loop), `...-raw-files-redis-stopped` when it was stopped.
 */
export function rawFilesFolder(folder: string, prefix: string, date: Date, wouldNotStart: boolean): string {
  const base = `${prefix}-${backupStamp(date)}-raw-files-redis-${wouldNotStart ? 'would-not-start' : 'stopped'}`;
  for (let n = 1; ; n++) {
    const candidate = join(folder, n === 1 ? base : `${base}-${n}`);
    if (!existsSync(candidate) && !existsSync(`${candidate}.partial`)) return candidate;
  }
}

/** A raw-files folder still under its temporary name ({@link copyFolderOut}): group 1 is its prefix. */
const CUT_OFF_COPY =
  /^(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-raw-files-redis-(?:would-not-start|stopped)(?:-\d+)?\.partial$/;

/**
 * The raw-files folders of `prefix` in `folder` left under their temporary `.partial` name: a
 * Restore cut off while it copied (the extension host killed, the disk full) leaves its copy so
 * for good. It may hold the only copy of the files of a Redis that would not start, so it is
 * named to the user ({@link cutOffCopiesNote}), never removed, and never taken for a whole copy.
 * A Restore copying in another window this very moment has one too, and is named the same.
 */
export function cutOffCopies(folder: string, prefix: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return []; // no backups folder yet: nothing was cut off in it
  }
  return entries
    .filter((entry) => entry.isDirectory() && CUT_OFF_COPY.exec(entry.name)?.[1] === prefix)
    .map((entry) => join(folder, entry.name))
    .sort();
}

/** What a Restore tells the user of each cut-off copy it found (`shown` writes its path), or ''. */
export function cutOffCopiesNote(paths: readonly string[], shown: (path: string) => string = (path) => path): string {
  return paths
    .map(
      (path) =>
        `An incomplete copy from an earlier Restore that was cut off is at ${shown(path)}; it is not a complete copy and is left as it is.`,
    )
    .join(' ');
}

/** The files a restore writes into the data folder, in order. */
export function restoreEntries(config: PersistenceConfig, file: string): ArchiveEntry[] {
  const entries: ArchiveEntry[] = [];
  if (config.appendonly && config.appenddirname) {
    const base = `${config.appendfilename}.1.base.rdb`;
    entries.push(
      // A file over the AOF folder removes the folder and everything in it ...
      { name: config.appenddirname, type: 'bytes', data: Buffer.alloc(0) },
      // ... and a folder over that file makes it a fresh, empty one.
      { name: config.appenddirname, type: 'directory', mode: 0o755 },
      { name: `${config.appenddirname}/${base}`, type: 'file', source: file },
      {
        name: `${config.appenddirname}/${config.appendfilename}.manifest`,
        type: 'bytes',
        data: Buffer.from(`file ${base} seq 1 type b\n`),
      },
    );
  } else if (config.appendonly) {
    entries.push({ name: config.appendfilename, type: 'file', source: file });
  }
  entries.push({ name: config.dbfilename, type: 'file', source: file });
  return entries;
}

function sameFile(file: string, inspection: BackupInspection): boolean {
  try {
    const info = statSync(file);
    return info.size === inspection.bytes && info.mtimeMs === inspection.modifiedMs;
  } catch {
    throw new BackupError('invalid-file', `Cannot read ${basename(file)} any more. Nothing was changed.`, file);
  }
}
