import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The stack's folders: others may read (the container's redis user reads users.acl through the
 * mount) but never write, even under umask 000, where they could put their own users.acl in place.
 */
export const STACK_FOLDER_MODE = 0o755;

/**
 * Makes `dir` (and its missing parents) with {@link STACK_FOLDER_MODE}; one that exists loses
 * write access for others (made under umask 000 by an earlier version, or by Backup first),
 * unless it is a shared folder like /tmp (sticky): that one is not ours to change.
 */
export function makeStackFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: STACK_FOLDER_MODE });
  const mode = statSync(dir).mode & 0o7777;
  if ((mode & 0o022) !== 0 && (mode & 0o1000) === 0) chmodSync(dir, mode & ~0o022);
}

/**
 * Replaces a file all or nothing, with exactly `mode` (0600 for `.env`, also when it was
 * wider before). The text goes to a new temporary file beside it (created with `mode`, so
 * it is never readable by others, even for an instant), is flushed to disk, and is
 * renamed over the file: a crash at any point leaves the old file or the new one, never
 * half of one (a leftover `.<name>.<random>.tmp` is all a crash can add). A symbolic link
 * is refused ({@link refuseLinkedFile}): never written through.
 *
 * The rename gives the file a new inode: a container that bind-mounts the file itself
 * (not its folder) keeps seeing the old one.
 */
export function writeFileAtomic(file: string, text: string, mode: number): void {
  refuseLinkedFile(file);
  const temp = writeTemp(file, text, mode);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(file));
}

/**
 * Throws, naming `file`, when it is a symbolic link. The stack's secret files (`.env`,
 * `users.acl`, `replication.conf`) are never written through one: a link planted in a cloned
 * repository (to ~/.aws/credentials, say) would have that file replaced, its lines kept and
 * its mode widened. A link to nothing counts too. Call it before changing anything.
 */
export function refuseLinkedFile(file: string): void {
  let linked: boolean;
  try {
    linked = lstatSync(file).isSymbolicLink();
  } catch {
    return; // not there (yet): the write creates it
  }
  if (linked) {
    throw new Error(
      `${file} is a symbolic link; replace it with a regular file (the extension never writes passwords or their hashes through a link, which could make the file it points to readable by others). Nothing was changed.`,
    );
  }
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
    // FAT, exFAT, some network and FUSE mounts have no hard links (EPERM, ENOTSUP, EISDIR on
    // Windows' exFAT …): created in place, still never over another file; a cause that is not
    // the link's (no folder, no permission) fails there with its own error.
    return createInPlace(file, text, mode);
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(dirname(file));
  return true;
}

/** `open(…, 'wx')`: fails when anything is there; a write that fails midway removes what it created. */
function createInPlace(file: string, text: string, mode: number): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeAll(fd, text, mode);
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  syncDirectory(dirname(file));
  return true;
}

/** `text` in a new temporary file beside `target`, created with `mode` (never readable by others, even for an instant) and flushed to disk. */
function writeTemp(target: string, text: string, mode: number): string {
  removeStaleTemps(target);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeAll(fd, text, mode);
    return temp;
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Writes `text`, sets exactly `mode` (whatever the umask), flushes to disk and closes `fd`, also when it fails. */
function writeAll(fd: number, text: string, mode: number): void {
  try {
    fchmodSync(fd, mode);
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** How old a temporary file must be to count as left by a crash, not one another window is writing. */
const STALE_TEMP_MS = 60_000;

/**
 * Removes the temporary files of `target` a crash left behind (they hold its secrets, and a
 * `.gitignore` line for the file does not cover them). Younger ones may be another window's.
 */
function removeStaleTemps(target: string): void {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no folder yet: the write that follows says why
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^[0-9a-f]{12}\.tmp$/.test(name.slice(prefix.length))) continue;
    try {
      const path = join(dir, name);
      if (Date.now() - lstatSync(path).mtimeMs > STALE_TEMP_MS) rmSync(path, { force: true });
    } catch {
      /* gone meanwhile */
    }
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
