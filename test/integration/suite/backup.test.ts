import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { BackupOutcome } from '../../../src/commands/backup/backup';
import type { RestoreOutcome } from '../../../src/commands/backup/restore';
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
    await withClient(fixture, async (client) => {
      await client.set('auth:session:8', 'new');
      await client.del('shared:jobs');
      await client.hset('user:7', 'name', 'Grace');
      await client.persist('auth:session:7');
    });
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
    assert.match(basename(result.previous), /-pre-restore\.rdb$/);
    assert.match(
      result.message,
      /^Restored .*\.rdb: srtest-\w+ holds 6 keys\. The data it replaced is in .*-pre-restore\.rdb\.$/,
    );
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
});
