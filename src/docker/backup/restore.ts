import type Docker from 'dockerode';
import type Redis from 'ioredis';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { backupRedis, BackupResult } from './backup';
import { ArchiveEntry, ownerOf, putEntries } from './containerFiles';
import { BackupError } from './errors';
import { PersistenceConfig, persistenceConfig } from './persistence';
import { checkRdbFile } from './rdbCheck';
import { readRdbHeader } from './rdbHeader';

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
  const check = await checkRdbFile(docker, containerId, file);
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
  try {
    progress(`Putting ${basename(file)} into the data volume`);
    await putEntries(container, config.dir, restoreEntries(config, file), owner);
  } catch (error) {
    // The data may be half replaced: start anyway, and say where the previous data is.
    await options.start().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackupError(
      'engine',
      `The restore failed while copying into the volume (${reason}). The data from before is in ${previous.file}.`,
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
      `The stack did not come back after the restore: ${reason}\nThe data from before is in ${previous.file}; restore it to go back.`,
      file,
    );
  }
  const keys = await options.countKeys();
  return { keys, inspection, previous };
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
