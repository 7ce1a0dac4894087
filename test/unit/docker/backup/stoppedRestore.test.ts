import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import Redis from 'ioredis';
import {
  BackupError,
  cutOffCopies,
  cutOffCopiesNote,
  persistenceConfig,
  rawFilesFolder,
} from '../../../../src/docker/backup';
import { copyFileOut, copyFolderOut, putEntries } from '../../../../src/docker/backup/containerFiles';
import { checkRdbFileInOneOff } from '../../../../src/docker/backup/rdbCheck';
import { stoppedPersistenceConfig } from '../../../../src/docker/backup/stoppedConfig';
import { requireEngine } from '../../../support/engine';
import { OFFLINE_REDIS_IMAGE } from '../../../support/stackFixture';

/** A Redis container of the offline image, created (not started), its 6379 published on a free loopback port. */
async function redisContainer(docker: Docker, cmd: string[]): Promise<Docker.Container> {
  return docker.createContainer({
    Image: OFFLINE_REDIS_IMAGE,
    // Reached through the engine's port mapping, not from loopback inside: protected mode would refuse it.
    Cmd: [...cmd, '--protected-mode', 'no'],
    Labels: { 'dev.shared-redis.test': 'stopped-restore' },
    ExposedPorts: { '6379/tcp': {} },
    HostConfig: { PortBindings: { '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
}

async function connectTo(container: Docker.Container): Promise<Redis> {
  const info = await container.inspect();
  const port = Number(info.NetworkSettings.Ports['6379/tcp']?.[0]?.HostPort);
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (error) {
      if (attempt > 50) throw error;
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('restore of a Redis that is not running, on the real engine', function () {
  this.timeout(60_000);
  let docker: Docker;
  const containers: Docker.Container[] = [];
  let dir: string;

  before(async function () {
    const engine = await requireEngine(this);
    if (!engine) return;
    docker = engine.docker;
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-stopped-'));
  });

  after(async () => {
    for (const container of containers) await container.remove({ force: true, v: true }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A created Redis container whose /data holds a dump.rdb of `bytes` bytes of `fill` (a copy out of it takes a while). */
  const withDumpOf = async (bytes: number, fill: number): Promise<Docker.Container> => {
    const container = await redisContainer(docker, ['redis-server']);
    containers.push(container);
    await putEntries(container, '/', [{ name: 'data/dump.rdb', type: 'bytes', data: Buffer.alloc(bytes, fill) }]);
    return container;
  };

  const configs: Array<[string, string[], Record<string, string>]> = [
    ['the defaults alone (the image sets the working directory)', ['redis-server'], {}],
    ["the stack's command line", ['redis-server', '--appendonly', 'yes', '--maxmemory', '256mb'], {}],
    [
      'a config file with an include, and command-line options over it',
      ['redis-server', '/etc/redis-test/redis.conf', '--appendfilename', 'from-cmdline.aof'],
      {
        'etc/redis-test/redis.conf':
          '# where the data is\ndir /data/inner\ndbfilename "from file.rdb"\nappendfilename from-file.aof\ninclude /etc/redis-test/more.conf\nappendonly yes\n',
        'etc/redis-test/more.conf': 'appenddirname aof-folder\nappendonly no\n',
      },
    ],
    // Compose files often write `command: ["redis-server", "--appendonly yes"]`: Redis takes an
    // argument that holds the option and its value together (and gives that value to no other option).
    [
      'an option and its value in one argument',
      ['redis-server', '--appendonly yes', '--dbfilename', 'one arg.rdb', '--dir /data/inner'],
      {},
    ],
    // Redis changes into each `dir` as it reads it: a relative one is taken from the one before.
    [
      'a relative dir after another, and an include relative to it',
      ['redis-server', '/etc/redis-test/redis.conf', '--dir', 'deeper'],
      {
        'etc/redis-test/redis.conf': 'dir /data/inner\ninclude more.conf\n',
        'data/inner/more.conf': 'appendonly yes\n',
        'data/inner/deeper/.keep': '',
      },
    ],
  ];
  for (const [name, cmd, files] of configs) {
    it(`knows where it keeps its data before it runs, as CONFIG GET says once it runs: ${name}`, async function () {
      if (!docker) this.skip();
      const container = await redisContainer(docker, cmd);
      containers.push(container);
      await putEntries(container, '/', [
        { name: 'data/inner', type: 'directory' },
        ...Object.entries(files).map(([path, text]) => ({
          name: path,
          type: 'bytes' as const,
          data: Buffer.from(text),
        })),
      ]);
      const before = await stoppedPersistenceConfig(docker, container, await container.inspect());
      await container.start();
      const client = await connectTo(container);
      try {
        assert.deepEqual(before, await persistenceConfig(client));
      } finally {
        client.disconnect();
      }
    });
  }

  it("reads the options the official image's entrypoint hands to redis-server (`command: --appendonly yes`)", async function () {
    if (!docker) this.skip();
    // The official redis image: ENTRYPOINT docker-entrypoint.sh, which runs `redis-server "$@"` when the
    // first argument is an option or a .conf file (never started here: the offline image has no such script).
    const container = await docker.createContainer({
      Image: OFFLINE_REDIS_IMAGE,
      Entrypoint: ['docker-entrypoint.sh'],
      Cmd: ['--appendonly', 'yes', '--dir', '/data/inner'],
      Labels: { 'dev.shared-redis.test': 'stopped-restore' },
    });
    containers.push(container);
    const config = await stoppedPersistenceConfig(docker, container, await container.inspect());
    assert.deepEqual([config.dir, config.appendonly, config.appenddirname], ['/data/inner', true, 'appendonlydir']);
  });

  it('never names the command line it cannot read in its refusal (a password on it stays out of messages and logs)', async function () {
    if (!docker) this.skip();
    const secret = 'Sekr1t-pass-0f-the-stack';
    const container = await docker.createContainer({
      Image: OFFLINE_REDIS_IMAGE,
      Entrypoint: ['sh', '-c'],
      Cmd: [`exec redis-server --requirepass ${secret} --appendonly yes`],
      Labels: { 'dev.shared-redis.test': 'stopped-restore' },
    });
    containers.push(container);
    await assert.rejects(stoppedPersistenceConfig(docker, container, await container.inspect()), (error: unknown) => {
      assert.ok(error instanceof BackupError, String(error));
      assert.ok(!error.message.includes(secret), error.message);
      assert.match(error.message, /does not start redis-server directly/);
      return true;
    });
  });

  it('keeps the files of a data folder that is a symlink to another folder (the restore then replaces that folder)', async function () {
    if (!docker) this.skip();
    const container = await redisContainer(docker, ['redis-server', '--dir', '/srv/data', '--appendonly', 'yes']);
    containers.push(container);
    await putEntries(container, '/', [
      { name: 'srv/real/dump.rdb', type: 'bytes', data: Buffer.from('REDIS0010 the old rdb') },
      { name: 'srv/real/appendonlydir/appendonly.aof.1.base.rdb', type: 'bytes', data: Buffer.from('REDIS0010 base') },
      { name: 'srv/data', type: 'symlink', target: '/srv/real' },
    ]);
    const raw = join(dir, 'raw-files-of-a-symlinked-folder');
    const files = await copyFolderOut(container, '/srv/data', raw);
    assert.deepEqual(files.sort(), ['appendonlydir/appendonly.aof.1.base.rdb', 'dump.rdb']);
    assert.deepEqual(readdirSync(raw).sort(), ['appendonlydir', 'dump.rdb']);
    assert.equal(readFileSync(join(raw, 'appendonlydir', 'appendonly.aof.1.base.rdb'), 'utf8'), 'REDIS0010 base');
  });

  it('a second copy into the same raw-files folder (Restore in another window, the same second) refuses and leaves the first one alone', async function () {
    if (!docker) this.skip();
    const container = await withDumpOf(150 * 1024 * 1024, 3);
    const raw = join(dir, 'raw-files-twice');
    const first = copyFolderOut(container, '/data', raw);
    while (!existsSync(`${raw}.partial`)) await new Promise((resolve) => setTimeout(resolve, 5));
    const inode = statSync(`${raw}.partial`).ino;
    await assert.rejects(copyFolderOut(container, '/data', raw), BackupError);
    assert.equal(statSync(`${raw}.partial`).ino, inode, "the first copy's folder was not removed under it");
    assert.deepEqual(await first, ['dump.rdb']);
    assert.equal(statSync(join(raw, 'dump.rdb')).size, 150 * 1024 * 1024);
  });

  it('a raw-files copy cut off by a killed process is left under its .partial name, and the next Restore finds it (never as a whole copy)', async function () {
    if (!docker) this.skip();
    const container = await withDumpOf(300 * 1024 * 1024, 5);
    const backups = join(dir, 'backups-with-a-cut-off-copy');
    mkdirSync(backups);
    const project = 'srtest-cut';
    // A whole copy of the same project, another project's cut-off copy and a cut-off backup of another kind: none is named.
    mkdirSync(rawFilesFolder(backups, project, new Date(2020, 0, 1), true));
    mkdirSync(`${rawFilesFolder(backups, `${project}-other`, new Date(2020, 0, 1), true)}.partial`);
    mkdirSync(join(backups, `${project}-2020-01-01T00-00-00.rdb.partial`));
    // The extension host killed while it copies the data folder of a Redis that would not start.
    const raw = rawFilesFolder(backups, project, new Date(), true);
    const child = spawn(process.execPath, [
      '-e',
      `const Docker = require(${JSON.stringify(require.resolve('dockerode'))});
       const { copyFolderOut } = require(${JSON.stringify(require.resolve('../../../../src/docker/backup/containerFiles'))});
       copyFolderOut(new Docker().getContainer(${JSON.stringify(container.id)}), '/data', ${JSON.stringify(raw)}).catch(() => undefined);`,
    ]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const copied = (): number => {
      try {
        return statSync(join(`${raw}.partial`, 'dump.rdb')).size;
      } catch {
        return 0;
      }
    };
    for (let attempt = 0; attempt < 400 && copied() === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const cut = copied();
    assert.ok(cut > 0 && cut < 300 * 1024 * 1024, `the copy was cut off part way (${cut} bytes)`);
    assert.equal(existsSync(raw), false, 'never under the name of a whole copy');

    assert.deepEqual(cutOffCopies(backups, project), [`${raw}.partial`]);
    assert.equal(
      cutOffCopiesNote([`${raw}.partial`]),
      `An incomplete copy from an earlier Restore that was cut off is at ${raw}.partial; it is not a complete copy and is left as it is.`,
    );
    assert.equal(statSync(join(`${raw}.partial`, 'dump.rdb')).size, cut, 'left as it is');
  });

  it('leaves no one-off container behind when the process that made it was killed mid-check (the next check removes it)', async function () {
    if (!docker) this.skip();
    const container = await redisContainer(docker, ['redis-server']);
    containers.push(container);
    const stopped = await container.inspect();
    const big = join(dir, 'big.rdb');
    writeFileSync(big, Buffer.alloc(200 * 1024 * 1024, 7));
    // Only the child's own one-off (marked with its host and pid): the engine may run other tests' too.
    const oneOffsOf = async (pid: number | undefined): Promise<string[]> =>
      (await docker.listContainers({ all: true, filters: { ancestor: [stopped.Image] } }))
        .filter((c) => c.Labels['dev.shared-redis.one-off'] === `${hostname()} ${pid}`)
        .map((c) => c.Id);
    // The extension host killed while it copies a backup into the one-off container.
    const child = spawn(process.execPath, [
      '-e',
      `const Docker = require(${JSON.stringify(require.resolve('dockerode'))});
       const { checkRdbFileInOneOff } = require(${JSON.stringify(require.resolve('../../../../src/docker/backup/rdbCheck'))});
       checkRdbFileInOneOff(new Docker(), ${JSON.stringify(stopped)}, ${JSON.stringify(big)}).catch(() => undefined);`,
    ]);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let leaked: string[] = [];
    for (let attempt = 0; attempt < 200 && leaked.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      leaked = await oneOffsOf(child.pid);
    }
    child.kill('SIGKILL');
    await exited;
    assert.equal(leaked.length, 1, 'the killed process had made its one-off container');
    try {
      const good = join(dir, 'empty.rdb');
      await container.start();
      const client = await connectTo(container);
      try {
        await client.save();
      } finally {
        client.disconnect();
      }
      await container.stop();
      await copyFileOut(container, '/data/dump.rdb', good);
      await checkRdbFileInOneOff(docker, await container.inspect(), good);
      assert.deepEqual(await oneOffsOf(child.pid), [], 'the one-off of the killed process was removed');
    } finally {
      for (const id of leaked) {
        await docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      }
    }
  });

  it('checks a backup in a one-off container of the same image without starting the stopped one, and refuses a cut one', async function () {
    if (!docker) this.skip();
    const container = await redisContainer(docker, ['redis-server', '--save', '']);
    containers.push(container);
    await container.start();
    const client = await connectTo(container);
    try {
      await client.set('auth:session:1', 'a');
      await client.set('user:1', 'b', 'EX', 3600);
      await client.save();
    } finally {
      client.disconnect();
    }
    await container.stop();
    const good = join(dir, 'good.rdb');
    await copyFileOut(container, '/data/dump.rdb', good);
    const cut = join(dir, 'cut.rdb');
    const bytes = readFileSync(good);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 12));
    const stopped = await container.inspect();

    const check = await checkRdbFileInOneOff(docker, stopped, good);
    assert.deepEqual([check.keys, check.expires, check.writtenBy], [2, 1, '7.0.15']);
    await assert.rejects(
      checkRdbFileInOneOff(docker, stopped, cut),
      (error: unknown) =>
        error instanceof BackupError && error.kind === 'invalid-file' && /cut\.rdb/.test(error.message),
    );
    const after = await container.inspect();
    assert.equal(after.State.Running, false, 'the stopped container was not started');
    assert.equal(after.State.StartedAt, stopped.State.StartedAt);
  });
});
