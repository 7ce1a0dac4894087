import type Docker from 'dockerode';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { engineMessage } from '../engineErrors';
import { BackupError } from './errors';

/**
 * Files in and out of a container through the engine's archive API (what `docker cp`
 * uses). Works on running and stopped containers alike, and needs nothing inside the
 * image: no shell, no tar.
 */

/** One entry of an archive put into a container: a host file, some bytes, or a directory. */
export type ArchiveEntry =
  | { readonly name: string; readonly type: 'file'; readonly source: string; readonly mode?: number }
  | { readonly name: string; readonly type: 'bytes'; readonly data: Buffer; readonly mode?: number }
  | { readonly name: string; readonly type: 'directory'; readonly mode?: number }
  | { readonly name: string; readonly type: 'symlink'; readonly target: string };

export interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** A file copied out of a container: its size, and when it was last written there. */
export interface CopiedFile {
  readonly bytes: number;
  /** The file's mtime in the container (whole seconds, as the archive's header has it). */
  readonly modified: Date;
}

/**
 * Copies one file out of the container to `dest` (streamed, any size). The engine sends
 * a tar holding the single file; its content is written to `dest`.
 */
export async function copyFileOut(container: Docker.Container, path: string, dest: string): Promise<CopiedFile> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path });
  } catch (error) {
    throw new BackupError('engine', `Could not copy ${path} out of the container: ${engineMessage(error)}`);
  }
  const extract = tar.extract();
  let bytes = -1;
  let modified = new Date(0);
  const written = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      if (bytes >= 0 || header.type !== 'file') {
        stream.on('end', next);
        stream.resume();
        return;
      }
      bytes = header.size ?? 0;
      modified = header.mtime ?? modified;
      // Owner-only from the first byte: a copy out of Redis (a backup) holds every key. flush:
      // on disk (fsync) before the copy ends, so a crash after it never leaves a backup named
      // complete that is empty or cut short.
      pipeline(stream, createWriteStream(dest, { mode: 0o600, flush: true })).then(() => next(), reject);
    });
    extract.on('finish', resolve);
  });
  try {
    // pipeline, not pipe: a stream that breaks mid-copy (engine gone, socket cut) fails
    // the copy with its error instead of leaving it waiting for an end that never comes.
    await Promise.all([pipeline(archive as Readable, extract), written]);
  } catch (error) {
    throw new BackupError('engine', `Could not copy ${path} out of the container: ${engineMessage(error)}`);
  }
  if (bytes < 0) throw new BackupError('engine', `${path} in the container is not a regular file.`);
  return { bytes: (await stat(dest)).size, modified };
}

/** A small file (a config file) out of the container, whole in memory. */
export async function readFileOut(container: Docker.Container, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let found = false;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const first = !found && header.type === 'file';
    found ||= first;
    stream.on('data', (chunk: Buffer) => first && chunks.push(chunk));
    stream.on('end', next);
  });
  try {
    await pipeline((await container.getArchive({ path })) as Readable, extract);
  } catch (error) {
    throw new BackupError('engine', `Could not read ${path} in the container: ${engineMessage(error)}`);
  }
  if (!found) throw new BackupError('engine', `${path} in the container is not a regular file.`);
  return Buffer.concat(chunks);
}

/**
 * Copies a folder out of the container (stopped or running) into `dest` on the host, every
 * file exactly as it is there (content and mtime), owner-only: folders 0700, files 0600 (they
 * hold every key). Written under a temporary name beside `dest` and renamed once complete, so
 * a folder under the name `dest` is always a whole copy. Symlinks and devices are not copied.
 * Returns the files' paths inside the folder.
 */
export async function copyFolderOut(container: Docker.Container, dir: string, dest: string): Promise<string[]> {
  const partial = `${dest}.partial`;
  const files: string[] = [];
  // Never emptied first: it is another's (a Restore in another window, the same name) or one cut off.
  try {
    await mkdir(partial, { mode: 0o700 });
  } catch (error) {
    throw new BackupError(
      'engine',
      (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? `${partial} is there already: another Restore is copying into it, or one was cut off while it did (it holds part of the data files; remove it once no Restore runs)`
        : `Could not create ${partial}: ${engineMessage(error)}`,
    );
  }
  try {
    // With a trailing slash the engine follows a data folder that is a symlink (`/data` -> /srv/redis),
    // as Redis and a restore's put do; without it the archive holds the link alone, and no file.
    const archive = (await container.getArchive({ path: dir.endsWith('/') ? dir : `${dir}/` })) as Readable;
    const extract = tar.extract();
    let top = true;
    extract.on('entry', (header, stream, next) => {
      // The archive's names start with the folder's own name (`data/appendonlydir/...`).
      const inside = header.name.split('/').slice(1).filter(Boolean);
      if (top && header.type !== 'directory') {
        stream.resume();
        next(new Error(`${dir} is not a folder`));
        return;
      }
      top = false;
      const target = join(partial, ...inside);
      const done = (work: Promise<unknown>): void => {
        work.then(
          () => next(),
          (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
        );
      };
      if (inside.some((part) => part === '..') || posix.isAbsolute(header.name)) {
        stream.resume();
        done(Promise.reject(new Error(`the archive names ${header.name}, outside ${dir}`)));
      } else if (header.type === 'directory') {
        stream.resume();
        done(mkdir(target, { recursive: true, mode: 0o700 }));
      } else if (header.type === 'file') {
        files.push(inside.join('/'));
        done(
          pipeline(stream, createWriteStream(target, { mode: 0o600, flush: true })).then(
            () => header.mtime && utimes(target, header.mtime, header.mtime),
          ),
        );
      } else {
        stream.on('end', next);
        stream.resume();
      }
    });
    await pipeline(archive, extract);
    await rename(partial, dest);
    return files;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw new BackupError('engine', `Could not copy ${dir} out of the container: ${engineMessage(error)}`);
  }
}

/**
 * The owner of a path in the container, from the first header of its archive (the path
 * itself); the rest of the archive is not read.
 */
export async function ownerOf(container: Docker.Container, path: string): Promise<Owner> {
  try {
    const archive = (await container.getArchive({ path })) as Readable;
    const extract = tar.extract();
    return await new Promise<Owner>((resolve, reject) => {
      extract.on('entry', (header) => {
        resolve({ uid: header.uid ?? 0, gid: header.gid ?? 0 });
        archive.destroy();
        extract.destroy();
      });
      extract.on('finish', () => reject(new Error(`The archive of ${path} was empty.`)));
      // A break before the first entry rejects; the destroy after it is ours (already resolved).
      pipeline(archive, extract).catch(reject);
    });
  } catch (error) {
    throw new BackupError('engine', `Could not read ${path} in the container: ${engineMessage(error)}`);
  }
}

/**
 * Puts entries into the container under `dir`, in order. The engine replaces what is
 * there: a file entry over an existing directory removes that directory (the archive
 * API's default, `noOverwriteDirNonDir` unset), which is how a directory is emptied
 * without a shell in the image.
 */
export async function putEntries(
  container: Docker.Container,
  dir: string,
  entries: readonly ArchiveEntry[],
  owner: Owner = { uid: 0, gid: 0 },
): Promise<void> {
  const pack = tar.pack();
  const feed = (async () => {
    for (const entry of entries) {
      const common = { name: entry.name, uid: owner.uid, gid: owner.gid, mtime: new Date() };
      if (entry.type === 'directory') {
        pack.entry({ ...common, type: 'directory', mode: entry.mode ?? 0o755 });
      } else if (entry.type === 'symlink') {
        pack.entry({ ...common, type: 'symlink', linkname: entry.target, mode: 0o777 });
      } else if (entry.type === 'bytes') {
        pack.entry({ ...common, type: 'file', mode: entry.mode ?? 0o644 }, entry.data);
      } else {
        const { size } = await stat(entry.source);
        const sink = pack.entry({ ...common, type: 'file', mode: entry.mode ?? 0o644, size });
        await pipeline(createReadStream(entry.source), sink);
      }
    }
    pack.finalize();
  })();
  let feedError: unknown;
  feed.catch((error: unknown) => {
    feedError = error;
    pack.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  const body = new PassThrough();
  // pipeline, not pipe: a feed that fails (a host file that cannot be read) destroys the
  // request body, so the engine's request fails instead of waiting for the rest forever.
  const sending = pipeline(pack, body);
  try {
    const [response] = await Promise.all([
      container.putArchive(body, { path: dir }) as Promise<unknown>,
      feed,
      sending,
    ]);
    // The engine answers once it has unpacked everything; drain its (empty) reply.
    if (response instanceof Readable) response.resume();
  } catch (error) {
    // The first cause, not its echo: a file that could not be read also cuts the request.
    const message = `Could not copy into ${dir} in the container: ${engineMessage(feedError ?? error)}`;
    // The engine refused: stop feeding a body nobody reads (the host file is closed).
    pack.destroy();
    throw new BackupError('engine', message);
  }
}

/** Runs a command in a running container; resolves to its exit code and output. */
export async function execIn(
  docker: Docker,
  container: Docker.Container,
  cmd: readonly string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const exec = await container.exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}
