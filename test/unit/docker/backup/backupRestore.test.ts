import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import Redis from 'ioredis';
import {
  BackupError,
  backupRedis,
  BackupResult,
  countKeys,
  inspectBackup,
  listBackups,
  restoreBackup,
} from '../../../../src/docker/backup';
import { putEntries } from '../../../../src/docker/backup/containerFiles';
import { CHECK_DIR } from '../../../../src/docker/backup/rdbCheck';
import type { ComposeProject } from '../../../../src/docker/compose/model';
import { StackController, StackSettings } from '../../../../src/docker/stack/stackController';
import { freePort, startRedisServer } from '../../../support/redisServer';
import {
  BUNDLED_STACK,
  DEFAULT_POLICY,
  OFFLINE_REDIS_IMAGE,
  OPERATOR,
  StackFixture,
} from '../../../support/stackFixture';
import { useStack } from '../../../support/useStack';

/** The regular files under `dir` in the container, each as `name (N bytes)`, read as `docker cp` would. */
async function filesIn(container: Docker.Container, dir: string): Promise<string[]> {
  const extract = tar.extract();
  const files: string[] = [];
  extract.on('entry', (header, stream, next) => {
    if (header.type === 'file') files.push(`${header.name} (${header.size ?? 0} bytes)`);
    stream.on('end', next);
    stream.resume();
  });
  await pipeline((await container.getArchive({ path: dir })) as Readable, extract);
  return files;
}

function settingsOf(fixture: StackFixture): StackSettings {
  return {
    location: { composeFile: fixture.composeFile, envFile: `${fixture.dir}/.env`, source: 'setting' },
    bundledStackDir: BUNDLED_STACK,
    projectName: fixture.project,
    env: {},
    policy: DEFAULT_POLICY,
  };
}

async function redisOf(fixture: StackFixture, db = 0): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: fixture.port,
    username: OPERATOR,
    password: fixture.password,
    db,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined); // expected while the stack is stopped for a restore
  await client.connect();
  return client;
}

/** Every key of db 0 and db 1 as a user would read it: type, value, and absolute expiry (PEXPIRETIME). */
async function readAll(
  fixture: StackFixture | ((db: number) => Promise<Redis>),
): Promise<Map<string, { type: string; value: unknown; expireAtMs: number }>> {
  const all = new Map<string, { type: string; value: unknown; expireAtMs: number }>();
  for (const db of [0, 1]) {
    const client = typeof fixture === 'function' ? await fixture(db) : await redisOf(fixture, db);
    try {
      let cursor = '0';
      const keys: string[] = [];
      do {
        const [next, batch] = await client.scan(cursor, 'COUNT', 100);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      for (const key of keys) {
        const type = await client.type(key);
        const value =
          type === 'string'
            ? (await client.getBuffer(key))?.toString('hex')
            : type === 'hash'
              ? await client.hgetall(key)
              : type === 'list'
                ? await client.lrange(key, 0, -1)
                : type === 'set'
                  ? (await client.smembers(key)).sort()
                  : type === 'zset'
                    ? await client.zrange(key, 0, -1, 'WITHSCORES')
                    : type === 'stream'
                      ? await client.xrange(key, '-', '+')
                      : `unexpected type ${type}`;
        const expireAtMs = Number(await client.call('PEXPIRETIME', key));
        all.set(`db${db}:${key}`, { type, value, expireAtMs });
      }
    } finally {
      client.disconnect();
    }
  }
  return all;
}

/** Backup-time state equals restored state: same keys and values, expiry within a second. */
function assertSameData(
  actual: Awaited<ReturnType<typeof readAll>>,
  expected: Awaited<ReturnType<typeof readAll>>,
): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = actual.get(key);
    assert.ok(got);
    assert.equal(got.type, want.type, key);
    assert.deepEqual(got.value, want.value, key);
    if (want.expireAtMs < 0) assert.equal(got.expireAtMs, want.expireAtMs, `${key} has no TTL`);
    else {
      assert.ok(
        Math.abs(got.expireAtMs - want.expireAtMs) <= 1000,
        `${key} expires at ${got.expireAtMs}, expected ${want.expireAtMs}`,
      );
    }
  }
}

/** A client of the Redis published on `port`, once it accepts connections (a container just started). */
async function connectWhenUp(port: number): Promise<Redis> {
  for (let attempt = 0; ; attempt++) {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      client.disconnect();
      if (attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("backup and restore of the stack's Redis on the real engine", function () {
  this.timeout(180_000);
  const stacks = useStack();
  let docker: Docker;
  let stack: StackFixture;
  let controller: StackController;
  let project: ComposeProject;
  let folder: string;
  let client: Redis;
  let backup: BackupResult;
  let atBackup: Awaited<ReturnType<typeof readAll>>;

  const containerId = async (): Promise<string> => {
    const status = (await controller.status(stack.project)).find((s) => s.service === 'shared-redis');
    assert.ok(status);
    return status.containerId;
  };

  before(async function () {
    docker = stacks.docker;
    stack = stacks.fixture;
    folder = mkdtempSync(join(tmpdir(), 'shared-redis-backups-'));
    controller = new StackController(docker);
    await controller.start(settingsOf(stack));
    project = await controller.load(settingsOf(stack));
    client = await redisOf(stack);
  });

  after(async () => {
    client?.disconnect();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('backs up every key of every database into a dated file, and reports its size and key count', async () => {
    await client.set('auth:session:42', 'alive', 'EX', 3600);
    await client.set('auth:token:bin', Buffer.from([0, 1, 2, 255, 254]));
    await client.hset('user:1', { name: 'Ada', email: 'ada@example.com' });
    await client.pexpire('user:1', 7_200_500);
    await client.rpush('shared:queue', 'a', 'b', 'c');
    await client.sadd('shared:tags', 'x', 'y', 'z');
    await client.zadd('shared:board', 1.5, 'ada', 3, 'bob');
    await client.expire('shared:board', 86_400);
    await client.xadd('shared:events', '1-1', 'type', 'login');
    const db1 = await redisOf(stack, 1);
    await db1.set('cache:page:/home', '<html>', 'EX', 600);
    db1.disconnect();

    atBackup = await readAll(stack);
    backup = await backupRedis(docker, await containerId(), client, folder, {
      prefix: 'shared-redis',
      now: new Date(2026, 10, 27, 10, 15, 3),
    });

    assert.equal(basename(backup.file), 'shared-redis-2026-11-27T10-15-03.rdb');
    assert.equal(backup.bytes, statSync(backup.file).size);
    assert.equal(readFileSync(backup.file).subarray(0, 5).toString(), 'REDIS');
    assert.equal(statSync(backup.file).mode & 0o777, 0o600, 'a backup holds every key: readable by its owner only');
    assert.equal(backup.keys, 8);
    assert.equal(backup.keys, await countKeys(client));
    assert.equal(backup.expires, 4);
    assert.deepEqual(
      listBackups(folder).map((b) => b.name),
      ['shared-redis-2026-11-27T10-15-03.rdb'],
      'no partial file is left',
    );
    // Removed where the image has `rm`; the offline test image has none, so emptied here.
    assert.deepEqual(
      (await filesIn(docker.getContainer(await containerId()), CHECK_DIR)).filter((f) => !f.endsWith(' (0 bytes)')),
      [],
      'no copy of the data is left in the container',
    );

    // A second backup in the same second gets its own name.
    const again = await backupRedis(docker, await containerId(), client, folder, {
      prefix: 'shared-redis',
      now: new Date(2026, 10, 27, 10, 15, 3),
    });
    assert.equal(basename(again.file), 'shared-redis-2026-11-27T10-15-03-2.rdb');
    rmSync(again.file);
  });

  it('never replaces a backup another window finished under the same name while this one was being checked', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'shared-redis-two-windows-'));
    try {
      const now = new Date(2026, 10, 27, 11, 0, 0);
      const taken = join(shared, 'shared-redis-2026-11-27T11-00-00.rdb');
      const result = await backupRedis(docker, await containerId(), client, shared, {
        prefix: 'shared-redis',
        now,
        // The other window's backup lands under the name this one chose, while this one is checked.
        onProgress: (message) => {
          if (message === 'Checking the copy') writeFileSync(taken, 'the other window’s backup');
        },
      });
      assert.equal(readFileSync(taken, 'utf8'), 'the other window’s backup', 'the other backup is kept');
      assert.equal(basename(result.file), 'shared-redis-2026-11-27T11-00-00-2.rdb');
      assert.equal(readFileSync(result.file).subarray(0, 5).toString(), 'REDIS');
      assert.equal(result.keys, await countKeys(client));
      assert.deepEqual(
        readdirSync(shared).sort(),
        ['shared-redis-2026-11-27T11-00-00-2.rdb', 'shared-redis-2026-11-27T11-00-00.rdb'],
        'no partial file is left',
      );
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it("removes the partial copies an interrupted backup left (every key, for good), and keeps another window's in progress", async () => {
    const shared = mkdtempSync(join(tmpdir(), 'shared-redis-interrupted-'));
    try {
      // A process id no process has now: the window that wrote it crashed or was killed.
      const gone = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
      const crashed = join(shared, `shared-redis-${gone}-0f8fad5b-d9cb-469f-a165-70867728950e.rdb.partial`);
      const olderVersion = join(shared, 'shared-redis-7c9e6679-7425-40de-944b-e07fc1f90ae7.rdb.partial');
      const inProgress = join(shared, `shared-redis-${process.pid}-9b2e4f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b.rdb.partial`);
      const anHourAgo = new Date(Date.now() - 60 * 60_000);
      for (const file of [crashed, olderVersion, inProgress]) {
        writeFileSync(file, 'REDIS0010 half of every key', { mode: 0o600 });
        utimesSync(file, anHourAgo, anHourAgo);
      }
      const result = await backupRedis(docker, await containerId(), client, shared, { prefix: 'shared-redis' });
      assert.deepEqual(
        readdirSync(shared).sort(),
        [basename(result.file), basename(inProgress)].sort(),
        "the crashed window's partial copies are gone; the live one is kept",
      );
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('checks each file for itself when two windows check backups at the same moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-two-checks-'));
    // Debian 12's Redis, as the stack's image runs: its dumps are ones the stack can load.
    const other = await startRedisServer({ extraArgs: ['--dir', dir], binary: 'redis-server' });
    try {
      const writer = new Redis({ host: other.host, port: other.port, lazyConnect: true });
      writer.on('error', () => undefined);
      await writer.connect();
      const files: string[] = [];
      for (const [name, count] of [
        ['three.rdb', 3],
        ['five.rdb', 5],
      ] as const) {
        await writer.flushall();
        for (let i = 0; i < count; i++) await writer.set(`shared:${name}:${i}`, i);
        await writer.save();
        copyFileSync(join(dir, 'dump.rdb'), join(dir, name));
        files.push(join(dir, name));
      }
      writer.disconnect();
      for (let round = 0; round < 3; round++) {
        const [three, five] = await Promise.all(
          files.map(async (file) => inspectBackup(docker, await containerId(), client, file)),
        );
        assert.deepEqual([three?.keys, five?.keys], [3, 5], `round ${round}: each check counts its own file`);
      }
    } finally {
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restores exactly the keys, values and TTLs of the moment of the backup, keeping the replaced data as a pre-restore backup', async () => {
    // Change the data: add, delete, modify, drop a TTL, and touch db 1.
    await client.set('auth:session:43', 'new');
    await client.del('shared:queue');
    await client.hset('user:1', 'name', 'Grace');
    await client.persist('auth:session:42');
    await client.zadd('shared:board', 9, 'eve');
    const db1 = await redisOf(stack, 1);
    await db1.del('cache:page:/home');
    db1.disconnect();
    const changedCount = await countKeys(client);
    assert.equal(changedCount, 7);

    const steps: string[] = [];
    const result = await restoreBackup({
      docker,
      containerId: await containerId(),
      client,
      file: backup.file,
      safetyFolder: folder,
      prefix: 'shared-redis',
      stop: async () => {
        steps.push('stop');
        await controller.stop(project);
      },
      start: async () => {
        steps.push('start');
        await controller.start(settingsOf(stack));
      },
      countKeys: async () => {
        const fresh = await redisOf(stack);
        try {
          return await countKeys(fresh);
        } finally {
          fresh.disconnect();
        }
      },
      onProgress: (message) => steps.push(message),
    });
    client.disconnect();
    client = await redisOf(stack);

    assert.equal(result.keys, 8);
    assert.equal(result.inspection.keys, 8);
    assert.ok(steps.indexOf('stop') < steps.indexOf('start'), steps.join(' | '));
    assertSameData(await readAll(stack), atBackup);
    assert.equal((await controller.status(stack.project))[0]?.health, 'healthy');

    // The data the restore replaced is a backup of its own, restorable like any other.
    assert.match(basename(result.previous.file), /^shared-redis-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-pre-restore\.rdb$/);
    assert.equal(statSync(result.previous.file).mode & 0o777, 0o600);
    assert.equal(result.previous.keys, changedCount);
  });

  it('keeps writing the restored data to the AOF: a write after the restore survives a restart', async () => {
    await client.set('auth:after-restore', 'kept');
    const before = await readAll(stack);
    await controller.restart(project);
    await controller.start(settingsOf(stack)); // waits for healthy
    client.disconnect();
    client = await redisOf(stack);
    assertSameData(await readAll(stack), before);
    assert.equal(await client.get('auth:after-restore'), 'kept');
    await client.del('auth:after-restore');
  });

  describe('refuses a corrupt or foreign file before anything is stopped', () => {
    const bad: Array<[string, (good: Buffer) => Buffer, RegExp]> = [
      [
        'cut-off.rdb',
        (good) => good.subarray(0, Math.floor(good.length / 2)),
        /^cut-off\.rdb is not a valid Redis backup: at byte \d+: .*\(the file is (damaged or )?cut off\)/,
      ],
      [
        'flipped.rdb',
        (good) => {
          const b = Buffer.from(good);
          const i = Math.floor(b.length / 2);
          b[i] = (b[i] ?? 0) ^ 0xff;
          return b;
        },
        /flipped\.rdb is not a valid Redis backup: .*/,
      ],
      [
        'checksum.rdb',
        (good) => {
          const b = Buffer.from(good);
          const i = b.length - 3;
          b[i] = (b[i] ?? 0) ^ 0x01;
          return b;
        },
        /checksum\.rdb is not a valid Redis backup: .*checksum does not match/,
      ],
      [
        'logo.png',
        () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]),
        /logo\.png is not a Redis backup: .*is a PNG image/,
      ],
      [
        'notes.rdb',
        () => Buffer.from('user:1 = Ada\nuser:2 = Grace\n'),
        /notes\.rdb is not a Redis backup: .*starts with "user:1 ="/,
      ],
      ['empty.rdb', () => Buffer.alloc(0), /empty\.rdb is not a Redis backup: .*is empty/],
      [
        'future.rdb',
        (good) => {
          const b = Buffer.from(good);
          b.write('0099', 5, 'latin1');
          return b;
        },
        /future\.rdb was written by a newer Redis \(RDB format 99\)/,
      ],
    ];
    for (const [name, make, message] of bad) {
      it(name, async () => {
        const file = join(folder, name);
        writeFileSync(file, make(readFileSync(backup.file)));
        const before = await readAll(stack);
        const safetyCopies = (): string[] =>
          listBackups(folder)
            .filter((b) => b.name.endsWith('-pre-restore.rdb'))
            .map((b) => b.name)
            .sort();
        const copiesBefore = safetyCopies();
        const id = await containerId();
        const startedAt = (await docker.getContainer(id).inspect()).State.StartedAt;
        await assert.rejects(inspectBackup(docker, id, client, file), (error: unknown) => {
          assert.ok(error instanceof BackupError && error.kind === 'invalid-file', String(error));
          assert.match(error.message, message);
          assert.match(error.message, /Nothing was changed\.$/);
          return true;
        });
        let stopped = false;
        await assert.rejects(
          restoreBackup({
            docker,
            containerId: id,
            client,
            file,
            safetyFolder: folder,
            prefix: 'shared-redis',
            stop: async () => {
              stopped = true;
              await controller.stop(project);
            },
            start: async () => {
              await controller.start(settingsOf(stack));
            },
            countKeys: () => countKeys(client),
          }),
          BackupError,
        );
        assert.equal(stopped, false, 'the stack was never stopped');
        const after = (await docker.getContainer(id).inspect()).State;
        assert.equal(after.Running, true);
        assert.equal(after.StartedAt, startedAt, 'the container was not restarted');
        assertSameData(await readAll(stack), before);
        assert.deepEqual(safetyCopies(), copiesBefore, 'no pre-restore backup was taken');
      });
    }
  });
  it('restores a dump written by another Redis server, not by Back Up', async () => {
    const dir = join(folder, 'elsewhere');
    mkdirSync(dir);
    // Debian 12's Redis, as the stack's image runs (a newer one's dump is refused, as it should be).
    const other = await startRedisServer({
      extraArgs: ['--dir', dir, '--dbfilename', 'elsewhere.rdb'],
      binary: 'redis-server',
    });
    try {
      const open = async (db: number): Promise<Redis> => {
        const c = new Redis({ host: other.host, port: other.port, db, lazyConnect: true, maxRetriesPerRequest: 1 });
        await c.connect();
        return c;
      };
      const writer = await open(0);
      await writer.set('shared:imported', 'from-elsewhere', 'PX', 9_000_000);
      await writer.hset('user:99', { name: 'Linus' });
      await writer.lpush('auth:audit', 'x', 'y');
      await writer.save();
      writer.disconnect();
      const expected = await readAll(open);
      const result = await restoreBackup({
        docker,
        containerId: await containerId(),
        client,
        file: join(dir, 'elsewhere.rdb'),
        safetyFolder: folder,
        prefix: 'shared-redis',
        stop: () => controller.stop(project),
        start: () => controller.start(settingsOf(stack)),
        countKeys: async () => {
          const fresh = await redisOf(stack);
          try {
            return await countKeys(fresh);
          } finally {
            fresh.disconnect();
          }
        },
      });
      client.disconnect();
      client = await redisOf(stack);
      assert.equal(result.keys, 3);
      assertSameData(await readAll(stack), expected);
    } finally {
      await other.stop();
    }
  });

  it('refuses to call an older file the backup when the server writes its snapshots elsewhere and CONFIG is not allowed', async () => {
    // CONFIG GET says where Redis writes its snapshot; a user without CONFIG leaves the backup
    // guessing /data/dump.rdb. Here that file is an older snapshot: the server was started with
    // another dbfilename (a protected setting: only at startup), as a team's own compose file may.
    const older = mkdtempSync(join(tmpdir(), 'shared-redis-older-'));
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-no-config-'));
    const port = await freePort();
    const container = await docker.createContainer({
      name: `srtest-elsewhere-${randomBytes(4).toString('hex')}`,
      Image: OFFLINE_REDIS_IMAGE,
      Cmd: [
        'redis-server',
        '--dbfilename',
        'written-elsewhere.rdb',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      ExposedPorts: { '6379/tcp': {} },
      HostConfig: { PortBindings: { '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    const server = await startRedisServer({ extraArgs: ['--dir', older] });
    let limited: Redis | undefined;
    try {
      const writer = new Redis({ host: server.host, port: server.port, lazyConnect: true });
      await writer.connect();
      await writer.set('shared:in-the-older-snapshot', 'old');
      await writer.save();
      writer.disconnect();
      await putEntries(container, '/data', [
        { name: 'dump.rdb', type: 'file', source: join(older, 'dump.rdb'), mode: 0o644 },
      ]);
      await container.start();
      const admin = await connectWhenUp(port);
      await admin.set('shared:only-in-the-new-snapshot:1', 'new');
      await admin.set('shared:only-in-the-new-snapshot:2', 'new');
      await admin.call('ACL', 'SETUSER', 'backup-without-config', 'on', '>pw-1', '~*', '&*', '+@all', '-config');
      admin.disconnect();
      limited = new Redis({
        host: '127.0.0.1',
        port,
        username: 'backup-without-config',
        password: 'pw-1',
        lazyConnect: true,
      });
      await limited.connect();

      await assert.rejects(
        backupRedis(docker, container.id, limited, dir, { prefix: 'shared-redis' }),
        (error: unknown) =>
          error instanceof BackupError &&
          /\/data\/dump\.rdb/.test(error.message) &&
          /not written by the snapshot/.test(error.message) &&
          /CONFIG/.test(error.message),
      );
      assert.deepEqual(readdirSync(dir), [], 'no backup file, and no partial file');
    } finally {
      limited?.disconnect();
      await server.stop();
      await container.remove({ force: true, v: true }).catch(() => undefined);
      rmSync(older, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
