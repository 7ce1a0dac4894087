import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { engineMessage } from '../engineErrors';
import { ArchiveEntry, execIn, putEntries } from './containerFiles';
import { BackupError } from './errors';

/** Where the check works inside the container: its own folder in /tmp, never the data folder. */
export const CHECK_DIR = '/tmp/shared-redis-backup';
/** Where images keep redis-server: the official ones, Debian's, Bitnami's. */
const SERVER_PATHS = ['/usr/local/bin/redis-server', '/usr/bin/redis-server', '/opt/bitnami/redis/bin/redis-server'];

export interface RdbCheck {
  /** Keys the file holds that are still alive (keys read minus those already expired). */
  readonly keys: number;
  /** Of those, keys with a TTL. */
  readonly expires: number;
  /** The Redis that wrote the file (its `redis-ver` aux field), if it says. */
  readonly writtenBy: string | undefined;
}

/**
 * Checks an RDB file with the stack's own Redis: copies it into the container's /tmp and
 * runs redis-check-rdb there, which reads every key and verifies the CRC64 checksum and
 * the format version exactly as the server will when it loads it. redis-check-rdb is
 * redis-server itself started under that name, so a symlink to the server binary works
 * in images that ship only redis-server. A damaged or foreign file is a `BackupError`
 * naming the file and the problem.
 */
export async function checkRdbFile(docker: Docker, containerId: string, file: string): Promise<RdbCheck> {
  const container = docker.getContainer(containerId);
  const server = await findServerBinary(container);
  // Names of its own: another window may be checking a backup in the same container. The
  // server runs as the checker when its name contains redis-check-rdb (strstr on argv[0]).
  const id = randomUUID();
  const copy = `${CHECK_DIR}/check-${id}.rdb`;
  const checker = `${CHECK_DIR}/redis-check-rdb-${id}`;
  await putEntries(container, '/', [
    // Readable by whichever user `docker exec` runs as (the image's USER may not be root).
    { name: CHECK_DIR.slice(1), type: 'directory', mode: 0o755 },
    { name: checker.slice(1), type: 'symlink', target: server },
    { name: copy.slice(1), type: 'file', source: file, mode: 0o644 },
  ]);
  try {
    const result = await execIn(docker, container, [checker, copy]);
    return parseCheckOutput(`${result.stdout}\n${result.stderr}`, result.exitCode, file);
  } finally {
    // Leave no copy of the data behind in the container's /tmp: emptying it always works
    // through the archive API; removing it needs an `rm` the exec user may run.
    await putEntries(container, '/', [{ name: copy.slice(1), type: 'bytes', data: Buffer.alloc(0), mode: 0o600 }])
      .then(() => execIn(docker, container, ['rm', '-f', copy, checker]))
      .catch(() => undefined);
  }
}

/** Reads redis-check-rdb's report: `[info] 5 keys read`, or the line after `RDB ERROR DETECTED`. */
export function parseCheckOutput(output: string, exitCode: number, file: string): RdbCheck {
  const name = basename(file);
  const lines = output.split('\n').map((l) => l.trim());
  const count = (what: string): number =>
    Number(new RegExp(`^\\[info\\] (\\d+) ${what}$`, 'm').exec(output)?.[1] ?? 'NaN');
  const errorAt = lines.indexOf('--- RDB ERROR DETECTED ---');
  if (exitCode !== 0 || errorAt >= 0 || !lines.some((l) => l.includes('RDB looks OK'))) {
    const detail =
      (errorAt >= 0 ? lines[errorAt + 1] : lines.find((l) => /error|wrong|can't|unexpected/i.test(l))) ??
      `redis-check-rdb exited with code ${exitCode}`;
    const problem = detail
      .replace(/^\[offset (\d+)\]\s*/, (_m, offset: string) => `at byte ${offset}: `)
      .replace(/Internal error in RDB reading offset \d+, function at [^>]*-> /, '')
      .replace(/\.$/, '');
    const doing = /^\[additional info\] While doing: (.*)$/m.exec(output)?.[1];
    const why = /CRC error|checksum/i.test(problem)
      ? ' (its checksum does not match its content: the file was changed or damaged)'
      : /Unexpected EOF/i.test(problem)
        ? ' (the file is cut off)'
        : /format version/i.test(problem)
          ? ' (it was written by a newer Redis than the stack runs)'
          : ' (the file is damaged or cut off)';
    throw new BackupError(
      'invalid-file',
      `${name} is not a valid Redis backup: ${problem}${doing ? ` while reading ${doing}` : ''}${why}. Nothing was changed.`,
      file,
    );
  }
  const read = count('keys read');
  const expired = count('already expired');
  const expires = count('expires');
  if (!Number.isFinite(read)) {
    throw new BackupError('invalid-file', `redis-check-rdb did not report how many keys ${name} holds.`, file);
  }
  return {
    keys: read - (Number.isFinite(expired) ? expired : 0),
    expires: Number.isFinite(expires) ? expires : 0,
    writtenBy: /AUX FIELD redis-ver = '([^']*)'/.exec(output)?.[1],
  };
}

async function findServerBinary(container: Docker.Container): Promise<string> {
  const inspect = await container.inspect();
  if (!inspect.State.Running) {
    throw new BackupError(
      'not-running',
      `The Redis container ${inspect.Name.replace(/^\//, '')} is not running: start the stack first.`,
    );
  }
  return serverBinaryIn(container, inspect);
}

/** Where the container's image keeps redis-server (read through the archive API: running or not). */
async function serverBinaryIn(container: Docker.Container, inspect: Docker.ContainerInspectInfo): Promise<string> {
  const path = inspect.Path.startsWith('/') && /redis-server$/.test(inspect.Path) ? [inspect.Path] : [];
  for (const candidate of [...path, ...SERVER_PATHS]) {
    const found = await container.infoArchive({ path: candidate }).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  throw new BackupError(
    'engine',
    `Found no redis-server binary in the container (looked in ${SERVER_PATHS.join(', ')}), so the backup cannot be checked.`,
  );
}

/**
 * Checks an RDB file like {@link checkRdbFile}, for a Redis container that is not running: in
 * a one-off container of the same image (the image the stopped container was made from, by
 * id) and user, with no network and no volume of the stack (the data volume is never mounted
 * for a check), the file copied into it; the container is removed afterwards, with the
 * anonymous volumes its image may declare (made for it alone).
 */
export async function checkRdbFileInOneOff(
  docker: Docker,
  redis: Docker.ContainerInspectInfo,
  file: string,
): Promise<RdbCheck> {
  const server = await serverBinaryIn(docker.getContainer(redis.Id), redis);
  const copy = `${CHECK_DIR}/check.rdb`;
  const checker = `${CHECK_DIR}/redis-check-rdb`;
  const result = await runOneOff(
    docker,
    redis,
    [checker, copy],
    [
      { name: CHECK_DIR.slice(1), type: 'directory', mode: 0o755 },
      { name: checker.slice(1), type: 'symlink', target: server },
      { name: copy.slice(1), type: 'file', source: file, mode: 0o644 },
    ],
  );
  return parseCheckOutput(result.output, result.exitCode, file);
}

/** The version of the image's redis-server (`redis-server --version` in a one-off container); undefined if it does not say. */
export async function redisVersionOf(docker: Docker, redis: Docker.ContainerInspectInfo): Promise<string | undefined> {
  const server = await serverBinaryIn(docker.getContainer(redis.Id), redis);
  const { output } = await runOneOff(docker, redis, [server, '--version'], []);
  return /\bv=(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** Marks a one-off container with who made it (`<host> <pid>`), so that one left by a killed process is found. */
const ONE_OFF_LABEL = 'dev.shared-redis.one-off';

/**
 * Removes the one-off containers that a process of this machine made and that process is gone
 * (an extension host killed mid-check): they would stay for good, holding a copy of a backup.
 * Another window's, still at work, is left alone.
 */
async function removeOrphanedOneOffs(docker: Docker): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { label: [ONE_OFF_LABEL] } }).catch(() => []);
  for (const info of found) {
    const [host, pid] = (info.Labels[ONE_OFF_LABEL] ?? '').split(' ');
    if (host !== hostname() || !pid || processAlive(Number(pid))) continue;
    await docker
      .getContainer(info.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `argv` in a one-off container of `redis`'s image (no network, entries put in first), and removes it. */
async function runOneOff(
  docker: Docker,
  redis: Docker.ContainerInspectInfo,
  argv: readonly string[],
  entries: readonly ArchiveEntry[],
): Promise<{ exitCode: number; output: string }> {
  await removeOrphanedOneOffs(docker);
  let oneOff: Docker.Container;
  try {
    oneOff = await docker.createContainer({
      Image: redis.Image,
      Labels: { [ONE_OFF_LABEL]: `${hostname()} ${process.pid}` },
      Entrypoint: argv.slice(0, 1),
      Cmd: argv.slice(1),
      User: redis.Config.User,
      // A terminal: the output comes as plain text, not in the multiplexed frames of stdout and stderr.
      Tty: true,
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none' },
    });
  } catch (error) {
    throw new BackupError('engine', `Could not create a container to check the backup in: ${engineMessage(error)}`);
  }
  try {
    if (entries.length > 0) await putEntries(oneOff, '/', entries);
    await oneOff.start();
    const { StatusCode } = (await oneOff.wait()) as { StatusCode: number };
    const logs = (await oneOff.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, output: logs.toString('utf8') };
  } finally {
    // Leave no copy of the data behind: the container, its file, and any anonymous volume it got.
    await oneOff.remove({ force: true, v: true }).catch(() => undefined);
  }
}
