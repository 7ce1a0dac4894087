import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { BackupError } from './errors';

/** The smallest RDB file: `REDIS0010`, the EOF opcode and an 8-byte checksum. */
const MIN_RDB_BYTES = 9 + 1 + 8;

export interface RdbHeader {
  /** The RDB format version from the `REDIS00xx` magic. */
  readonly version: number;
  readonly bytes: number;
}

/**
 * The newest RDB format each Redis release reads (`RDB_VERSION` in rdb.h): 7 for 3.2, 8 for
 * 4.0, 9 for 5.0 to 6.2, 10 for 7.0, 11 for 7.2, 12 for 7.4. Undefined for a release this
 * table does not know (the server's own redis-check-rdb decides then).
 */
export function newestRdbVersion(redisVersion: string | undefined): number | undefined {
  const match = /^(\d+)\.(\d+)/.exec(redisVersion ?? '');
  if (!match) return undefined;
  const release = Number(match[1]) * 100 + Number(match[2]);
  if (release > 704) return undefined;
  if (release >= 704) return 12;
  if (release >= 702) return 11;
  if (release >= 700) return 10;
  if (release >= 500) return 9;
  if (release >= 400) return 8;
  if (release >= 302) return 7;
  return 6;
}

/**
 * Reads the first bytes of a file and refuses one that is not an RDB file, or whose RDB
 * version is newer than `redisVersion` reads. Reads the header only; the checksum and the
 * structure are checked by the server's own redis-check-rdb (see rdbCheck.ts).
 */
export async function readRdbHeader(file: string, redisVersion?: string): Promise<RdbHeader> {
  const name = basename(file);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new BackupError('invalid-file', `Cannot read ${name}: ${(error as Error).message}`, file);
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(9);
    const { bytesRead } = await handle.read(head, 0, 9, 0);
    const magic = head.subarray(0, bytesRead);
    if (bytesRead < 5 || magic.subarray(0, 5).toString('latin1') !== 'REDIS') {
      throw new BackupError(
        'invalid-file',
        `${name} is not a Redis backup: an RDB file starts with "REDIS", this one ${describeStart(magic)}. Nothing was changed.`,
        file,
      );
    }
    const digits = magic.subarray(5).toString('latin1');
    if (!/^\d{4}$/.test(digits)) {
      throw new BackupError(
        'invalid-file',
        `${name} is not a readable Redis backup: its header has no RDB version after "REDIS". Nothing was changed.`,
        file,
      );
    }
    const version = Number(digits);
    if (size < MIN_RDB_BYTES) {
      throw new BackupError(
        'invalid-file',
        `${name} is damaged: it is ${size} bytes long, too short for an RDB file (it was cut off). Nothing was changed.`,
        file,
      );
    }
    const newest = newestRdbVersion(redisVersion);
    if (version === 0 || (newest !== undefined && version > newest)) {
      throw new BackupError(
        'invalid-file',
        `${name} was written by a newer Redis (RDB format ${version}); the stack's Redis ${redisVersion ?? ''} reads format ${newest ?? '?'} and older. Nothing was changed.`,
        file,
      );
    }
    return { version, bytes: size };
  } finally {
    await handle.close();
  }
}

function describeStart(bytes: Buffer): string {
  if (bytes.length === 0) return 'is empty';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'is a PNG image';
  }
  const printable = [...bytes.subarray(0, 8)].every((b) => b >= 0x20 && b < 0x7f);
  return printable
    ? `starts with "${bytes.subarray(0, 8).toString('latin1')}"`
    : `starts with the bytes ${bytes.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`;
}
