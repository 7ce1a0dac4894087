import * as assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Redis from 'ioredis';
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import * as vscode from 'vscode';
import type { BackupOutcome } from '../../../src/commands/backup/backup';
import type { RestoreOutcome } from '../../../src/commands/backup/restore';
import { putEntries } from '../../../src/docker/backup/containerFiles';
import { connectEngine } from '../../../src/docker/engine';
import { stackState } from '../../../src/stackService';
import { OPERATOR, StackFixture } from '../../support/stackFixture';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api } from './extensionApi';

type Data = Map<string, { type: string; value: unknown; expireAtMs: number }>;

/** The stack's keys as a user reads them: type, value, absolute expiry (PEXPIRETIME). */
async function readAll(fixture: StackFixture): Promise<Data> {
  const client = new Redis({
    host: '127.0.0.1',
    port: fixture.port,
    username: OPERATOR,
    password: fixture.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const data: Data = new Map();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 100);
      cursor = next;
      for (const key of keys) {
        const type = await client.type(key);
        const value =
          type === 'string'
            ? await client.get(key)
            : type === 'hash'
              ? await client.hgetall(key)
              : type === 'list'
                ? await client.lrange(key, 0, -1)
                : type === 'set'
                  ? (await client.smembers(key)).sort()
                  : type === 'zset'
                    ? await client.zrange(key, 0, -1, 'WITHSCORES')
                    : `type ${type}`;
        data.set(key, { type, value, expireAtMs: Number(await client.call('PEXPIRETIME', key)) });
      }
    } while (cursor !== '0');
    return data;
  } finally {
    client.disconnect();
  }
}

function assertSameData(actual: Data, expected: Data): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = actual.get(key);
    assert.ok(got, key);
    assert.deepEqual([got.type, got.value], [want.type, want.value], key);
    assert.ok(
      want.expireAtMs < 0 ? got.expireAtMs === want.expireAtMs : Math.abs(got.expireAtMs - want.expireAtMs) <= 1000,
      `${key}: expires at ${got.expireAtMs}, expected ${want.expireAtMs}`,
    );
  }
}

async function withClient<T>(fixture: StackFixture, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: '127.0.0.1',
    port: fixture.port,
    username: OPERATOR,
    password: fixture.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** The regular files under /data in the container, by their path in it, read through the archive API (`docker cp`). */
async function dataFiles(container: Docker.Container): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (header.type === 'file') files.set(header.name.replace(/^data\//, ''), Buffer.concat(chunks));
      next();
    });
  });
  await pipeline((await container.getArchive({ path: '/data' })) as Readable, extract);
  return files;
}

/** The regular files under a host folder, by their path in it. */
function folderFiles(dir: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      for (const [name, data] of folderFiles(path, `${prefix}${entry.name}/`)) files.set(name, data);
    } else files.set(`${prefix}${entry.name}`, readFileSync(path));
  }
  return files;
}

describe('backup and restore, driven by commands inside VS Code', function () {
  this.timeout(180_000);
  const stack = useWorkspaceStack({ restore: ['readOnly'] });
  let fixture: StackFixture;
  let folder: string;
  let backupFile: string;
  let atBackup: Data;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');

  const redisStartedAt = async (): Promise<string> => {
    const { docker } = await connectEngine(undefined);
    const [container] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(container, 'the Redis container is running');
    return (await docker.getContainer(container.Id).inspect()).State.StartedAt;
  };

  /** sharedRedis.restore of the first test's backup: the stack runs again with exactly its 6 keys. */
  const restoreTheBackup = async (): Promise<Extract<RestoreOutcome, { outcome: 'restored' }>> => {
    const result = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
      file: backupFile,
      folder,
      confirm: true,
    });
    assert.equal(result.outcome, 'restored', result.message);
    assert.ok(result.outcome === 'restored');
    assert.equal(result.keys, 6);
    assert.equal(result.backupKeys, 6);
    assertSameData(await readAll(fixture), atBackup);
    const shared = await api();
    assert.equal(stackState(await shared.stack.refresh()), 'running');
    return result;
  };

  /**
   * What a Restore of a Redis that would not start leaves when it is cut off mid-copy (the
   * extension host killed, the disk full): its raw-files folder under the temporary `.partial`
   * name, holding part of the data files. Made here as such a copy leaves it (the unit test of
   * the stopped restore produces one for real, by killing the process that copies).
   */
  const cutOffCopy = (): { path: string; note: string; bytes: Buffer } => {
    const path = join(folder, `${fixture.project}-2020-01-02T03-04-05-raw-files-redis-would-not-start.partial`);
    const bytes = readFileSync(backupFile).subarray(0, 40);
    if (!existsSync(path)) {
      mkdirSync(join(path, 'appendonlydir'), { recursive: true, mode: 0o700 });
      writeFileSync(join(path, 'appendonlydir', 'appendonly.aof.1.base.rdb'), bytes, { mode: 0o600 });
    }
    return {
      path,
      note: `An incomplete copy from an earlier Restore that was cut off is at ${path}; it is not a complete copy and is left as it is.`,
      bytes,
    };
  };

  /** The cut-off copy is still there, as it was: never removed, renamed or added to. */
  const assertLeftAlone = (copy: { path: string; bytes: Buffer }): void => {
    assert.deepEqual([...folderFiles(copy.path).keys()], ['appendonlydir/appendonly.aof.1.base.rdb']);
    assert.ok(readFileSync(join(copy.path, 'appendonlydir', 'appendonly.aof.1.base.rdb')).equals(copy.bytes));
  };

  before(async () => {
    fixture = stack.fixture;
    folder = mkdtempSync(join(tmpdir(), 'shared-redis-backups-'));
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  it('sharedRedis.backup writes a dated .rdb file into the folder and reports its size and key count', async () => {
    await withClient(fixture, async (client) => {
      await client.set('auth:session:7', 'alive', 'EX', 3600);
      await client.hset('user:7', { name: 'Ada' });
      await client.pexpire('user:7', 5_400_250);
      await client.rpush('shared:jobs', 'one', 'two');
      await client.sadd('shared:flags', 'beta');
      await client.zadd('shared:scores', 10, 'ada');
      await client.set('shared:config', '{"v":1}');
    });
    atBackup = await readAll(fixture);
    const result = await vscode.commands.executeCommand<BackupOutcome>('sharedRedis.backup', { folder });
    assert.equal(result.outcome, 'done', result.message);
    assert.ok(result.outcome === 'done');
    backupFile = result.file;
    assert.match(
      basename(result.file),
      new RegExp(`^${fixture.project}-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.rdb$`),
    );
    assert.equal(result.keys, 6);
    assert.deepEqual(readdirSync(folder), [basename(result.file)]);
    assert.match(result.message, /^Backed up 6 keys \(\d+(\.\d)? (B|KiB)\) of srtest-\w+ to .*\.rdb\.$/);
  });

  it('gives the default backup folder its .gitignore when a crash left it without one, so no backup reaches a commit', async () => {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace);
    const backups = join(workspace, 'shared-redis', 'backups');
    rmSync(backups, { recursive: true, force: true });
    // What a Backup killed between making the folder and writing its .gitignore left behind.
    mkdirSync(backups, { recursive: true });
    try {
      const result = await vscode.commands.executeCommand<BackupOutcome>('sharedRedis.backup', { folder: backups });
      assert.equal(result.outcome, 'done', result.message);
      assert.match(readFileSync(join(backups, '.gitignore'), 'utf8'), /^\*$/m);
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }
  });

  it('sharedRedis.restore brings back exactly the data of the backup, and the stack runs again', async () => {
    const copy = cutOffCopy();
    await withClient(fixture, async (client) => {
      await client.set('auth:session:8', 'new');
      await client.del('shared:jobs');
      await client.hset('user:7', 'name', 'Grace');
      await client.persist('auth:session:7');
    });
    const result = await restoreTheBackup();
    assert.match(basename(result.previous), /-pre-restore\.rdb$/);
    assert.match(
      result.message,
      /^Restored .*\.rdb: srtest-\w+ holds 6 keys\. The data it replaced is in .*-pre-restore\.rdb\. /,
    );
    // A raw-files copy an earlier Restore left cut off in the backups folder is named to the user, and left alone.
    assert.ok(result.message.endsWith(` ${copy.note}`), result.message);
    assertLeftAlone(copy);
  });

  it('refuses a corrupt file before anything is stopped; the stack keeps running with its data', async () => {
    const corrupt = join(folder, 'corrupt.rdb');
    const good = readFileSync(backupFile);
    writeFileSync(corrupt, good.subarray(0, good.length - 20));
    const before = await readAll(fixture);
    const startedAt = await redisStartedAt();
    const result = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
      file: corrupt,
      folder,
      confirm: true,
    });
    assert.equal(result.outcome, 'refused');
    assert.match(
      result.message,
      /^Restore refused: corrupt\.rdb is not a valid Redis backup: .*Nothing was changed\.$/,
    );
    assert.equal(await redisStartedAt(), startedAt, 'the Redis container was not restarted');
    assertSameData(await readAll(fixture), before);
  });

  it('refuses a restore under readOnly, while a backup is still allowed', async () => {
    await config().update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const startedAt = await redisStartedAt();
      const restored = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
        file: backupFile,
        folder,
        confirm: true,
      });
      assert.equal(restored.outcome, 'refused');
      assert.match(restored.message, /read-only .*Restore was not run/);
      assert.equal(await redisStartedAt(), startedAt);
      const backedUp = await vscode.commands.executeCommand<BackupOutcome>('sharedRedis.backup', { folder });
      assert.equal(backedUp.outcome, 'done', backedUp.message);
    } finally {
      await config().update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('restores a good backup while Redis cannot start on its corrupt AOF, keeping the unreadable files byte for byte', async () => {
    const { docker } = await connectEngine(undefined);
    const [listed] = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${fixture.project}`, 'com.docker.compose.service=shared-redis'] },
    });
    assert.ok(listed, 'the Redis container exists');
    const container = docker.getContainer(listed.Id);
    await withClient(fixture, async (client) => {
      await client.set('auth:session:9', 'written before the crash');
    });
    await container.stop();
    // What a crash during an AOF rewrite on a disk that lost the file's tail leaves: the AOF's
    // base file cut in half. Redis 7 refuses to load it ("Short read or OOM loading DB").
    const intact = await dataFiles(container);
    const base = [...intact.keys()].find((name) => name.endsWith('.base.rdb'));
    assert.ok(base, `an AOF base file among ${[...intact.keys()].join(', ')}`);
    const whole = intact.get(base) ?? Buffer.alloc(0);
    await putEntries(container, '/data', [
      { name: base, type: 'bytes', data: whole.subarray(0, Math.floor(whole.length / 2)), mode: 0o644 },
    ]);
    const corrupt = await dataFiles(container);
    assert.equal(corrupt.get(base)?.length, Math.floor(whole.length / 2));
    await container.start();
    // The stack's Redis cannot come up: it exits at once, and its restart policy starts it again and again.
    const deadline = Date.now() + 30_000;
    let logs = '';
    let restarts = 0;
    while (!/Short read or OOM loading DB/.test(logs) || restarts < 2) {
      assert.ok(Date.now() < deadline, `Redis did not fail to load its AOF again and again; its log:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      restarts = (await container.inspect()).RestartCount;
    }

    const copy = cutOffCopy();
    const result = await restoreTheBackup();
    assert.ok(result.message.endsWith(` ${copy.note}`), result.message);
    assertLeftAlone(copy);
    // Nothing is lost: the files Redis could not load are kept as they were, owner-only, in a
    // folder whose name says what they are.
    assert.equal(statSync(result.previous).isDirectory(), true);
    assert.match(basename(result.previous), new RegExp(`^${fixture.project}-.*-raw-files-redis-would-not-start$`));
    const kept = folderFiles(result.previous);
    assert.deepEqual([...kept.keys()].sort(), [...corrupt.keys()].sort());
    for (const [name, data] of corrupt) {
      assert.ok(kept.get(name)?.equals(data), `${name} is kept byte for byte`);
      assert.equal(statSync(join(result.previous, name)).mode & 0o777, 0o600, `${name} is owner-only`);
    }
    assert.ok(result.message.includes(basename(result.previous)), result.message);
  });
});
