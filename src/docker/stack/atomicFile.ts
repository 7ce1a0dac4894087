import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file all or nothing, with exactly `mode` (0600 for `.env`, also when it was
 * wider before). The text goes to a new temporary file beside it (created with `mode`, so
 * it is never readable by others, even for an instant), is flushed to disk, and is
 * renamed over the file: a crash at any point leaves the old file or the new one, never
 * half of one (a leftover `.<name>.<random>.tmp` is all a crash can add). A symbolic link
 * is followed, so the file it points to is the one replaced.
 *
 * The rename gives the file a new inode: a container that bind-mounts the file itself
 * (not its folder) keeps seeing the old one.
 */
export function writeFileAtomic(file: string, text: string, mode: number): void {
  const target = realTarget(file);
  const temp = writeTemp(target, text, mode);
  try {
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(target));
}

/**
 * Creates a file that must not exist yet, all or nothing, with exactly `mode`: as
 * writeFileAtomic, but the temporary file is hard-linked to the name, which fails when
 * anything is there (another window's file written meanwhile, a link to nothing). False
 * then, and nothing was changed.
 */
export function createFileAtomic(file: string, text: string, mode: number): boolean {
  const temp = writeTemp(file, text, mode);
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(dirname(file));
  return true;
}

/** `text` in a new temporary file beside `target`, created with `mode` (never readable by others, even for an instant) and flushed to disk. */
function writeTemp(target: string, text: string, mode: number): string {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    fchmodSync(fd, mode); // exactly `mode`, whatever the umask
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    return temp;
  } catch (error) {
    try { closeSync(fd); } catch { /* closed already */ }
    rmSync(temp, { force: true });
    throw error;
  }
}

function realTarget(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The rename survives a power cut once the folder is flushed too (where a folder can be opened for it). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder for fsync; the rename is atomic there all the same.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
