import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import Redis from 'ioredis';
import { dockerOptions } from '../../../../src/docker/endpoint';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { StackError } from '../../../../src/docker/stack/errors';
import { PROJECT_LABEL } from '../../../../src/docker/stack/labels';
import { restartStack, stopStack } from '../../../../src/docker/stack/lifecycle';
import { planStack } from '../../../../src/docker/stack/planStack';
import { upStack, UpResult } from '../../../../src/docker/stack/up';
import { requireEngine } from '../../../support/engine';
import { freePort } from '../../../support/redisServer';
import { OFFLINE_REDIS_IMAGE, removeProject } from '../../../support/stackFixture';

/**
 * A small Redis stack in a temp folder (no password, no ACL file): what Compose and the
 * extension each decide about one container, and what survives a recreate or a failed one.
 */
const COMPOSE_FILE = `services:
  cache:
    image: \${IMAGE}
    command: ["redis-server", "--protected-mode", "no", "--appendonly", "yes", "--maxmemory", "\${MAXMEMORY:-64mb}"]
    environment:
      MODE: \${MODE:-one}
    labels:
      team: \${TEAM:-core}
    ports:
      - "127.0.0.1:\${PORT}:6379"
    volumes:
      - \${DATA:-cache-data:/data}
    healthcheck:
      test: ["CMD", "redis-cli", "-p", "\${CHECK_PORT:-6379}", "ping"]
      interval: 1s
      timeout: 20s
      retries: \${RETRIES:-20}
    restart: \${RESTART:-unless-stopped}
volumes:
  cache-data:
`;

interface MiniStack {
  readonly dir: string;
  readonly file: string;
  readonly project: string;
  env: Record<string, string>;
  port: number;
}

describe('recreate rules on the real engine, with docker-compose 1.29.2 alongside', function () {
  this.timeout(180_000);
  let docker: Docker;
  const stacks: MiniStack[] = [];
  const images: string[] = [];

  before(async function () {
    const engine = await requireEngine(this);
    // No request timeout: on a loaded machine a container's start can take longer than the probe's.
    if (engine) docker = new Docker(dockerOptions(engine.endpoint));
  });
  // Each test's stacks go when it ends: a suite holding all of them at once would hold ~20
  // networks, and the engine's default address pools run out at about 30.
  afterEach(async () => {
    for (const stack of stacks.splice(0)) {
      await removeProject(docker, stack.project);
      rmSync(stack.dir, { recursive: true, force: true });
    }
  });
  after(async () => {
    for (const image of images) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  });

  async function miniStack(env: Record<string, string> = {}): Promise<MiniStack> {
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-recreate-'));
    const port = await freePort();
    const stack: MiniStack = {
      dir, file: join(dir, 'docker-compose.yml'), project: `srtest-${Math.random().toString(36).slice(2, 8)}`,
      env: { IMAGE: OFFLINE_REDIS_IMAGE, PORT: String(port), ...env }, port,
    };
    stacks.push(stack);
    writeStack(stack);
    return stack;
  }

  function writeStack(stack: MiniStack, text = COMPOSE_FILE): void {
    writeFileSync(stack.file, text);
    writeFileSync(join(stack.dir, '.env'), Object.entries(stack.env).map(([k, v]) => `${k}=${v}\n`).join(''));
    stack.port = Number(stack.env['PORT']);
  }

  async function start(stack: MiniStack, healthTimeoutMs?: number): Promise<UpResult> {
    const project = await loadComposeProject(stack.file, { env: {}, projectName: stack.project });
    return upStack(docker, planStack(project), { healthTimeoutMs });
  }

  function composeV1(stack: MiniStack, ...args: string[]): string {
    return execFileSync('docker-compose', ['-p', stack.project, '-f', stack.file, ...args], {
      cwd: stack.dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  }

  /** The offline image with one Dockerfile change, committed under `tag` (a new one unless given). */
  async function derivedImage(tag: string | undefined, change: string): Promise<string> {
    const name = tag ?? `shared-redis/srtest-${Math.random().toString(36).slice(2, 8)}:1`;
    if (!images.includes(name)) images.push(name);
    const [repo = '', version = ''] = name.split(':');
    const scratch = await docker.createContainer({ Image: OFFLINE_REDIS_IMAGE });
    await scratch.commit({ repo, tag: version, changes: change });
    await scratch.remove();
    return name;
  }

  async function containers(stack: MiniStack): Promise<Docker.ContainerInspectInfo[]> {
    const listed = await docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${stack.project}`] } });
    return Promise.all(listed.map((c) => docker.getContainer(c.Id).inspect()));
  }

  async function only(stack: MiniStack): Promise<Docker.ContainerInspectInfo> {
    const all = await containers(stack);
    assert.equal(all.length, 1, `one container, got ${all.map((c) => c.Name).join(', ')}`);
    return all[0] as Docker.ContainerInspectInfo;
  }

  async function redis(stack: MiniStack): Promise<Redis> {
    const client = new Redis({ host: '127.0.0.1', port: stack.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async function write(stack: MiniStack, key: string, value: string): Promise<void> {
    const client = await redis(stack);
    await client.set(key, value);
    await client.save();
    client.disconnect();
  }

  async function read(stack: MiniStack, key: string): Promise<string | null> {
    const client = await redis(stack);
    try { return await client.get(key); } finally { client.disconnect(); }
  }

  async function failure(promise: Promise<unknown>): Promise<StackError> {
    try { await promise; } catch (error) {
      assert.ok(error instanceof StackError, `expected a StackError, got ${String(error)}`);
      return error;
    }
    assert.fail('expected the start to fail');
  }

  describe('no needless recreate', () => {
    it('leaves a container that docker-compose up -d created from the same files alone', async () => {
      const stack = await miniStack();
      composeV1(stack, 'up', '-d');
      const before = await only(stack);
      const result = await start(stack);
      assert.equal(result.actions.get('cache'), 'unchanged');
      const after = await only(stack);
      assert.equal(after.Id, before.Id);
      assert.equal(after.State.StartedAt, before.State.StartedAt);
    });

    it('starts a stopped container that docker-compose created, without recreating it', async () => {
      const stack = await miniStack();
      composeV1(stack, 'up', '-d');
      composeV1(stack, 'stop');
      const before = await only(stack);
      const result = await start(stack);
      assert.equal(result.actions.get('cache'), 'started');
      assert.equal((await only(stack)).Id, before.Id);
    });

    it('is left alone by docker-compose up -d after the extension started it', async () => {
      const stack = await miniStack();
      await start(stack);
      const before = await only(stack);
      const output = composeV1(stack, 'up', '-d');
      const after = await only(stack);
      assert.equal(after.Id, before.Id, `docker-compose recreated it: ${output}`);
      assert.equal(after.State.StartedAt, before.State.StartedAt);
      assert.equal((await start(stack)).actions.get('cache'), 'unchanged');
    });

    it('leaves a docker-compose container alone when someone connected it to one more network, as docker-compose does', async () => {
      const stack = await miniStack();
      composeV1(stack, 'up', '-d');
      const before = await only(stack);
      const extra = await docker.createNetwork({ Name: `${stack.project}-extra`, Labels: { 'shared-redis.test': 'extra' } });
      try {
        await docker.getNetwork(extra.id).connect({ Container: before.Id });
        composeV1(stack, 'up', '-d');
        assert.equal((await only(stack)).Id, before.Id, 'docker-compose recreated it');
        const result = await start(stack);
        assert.equal(result.actions.get('cache'), 'unchanged');
        const after = await only(stack);
        assert.equal(after.Id, before.Id);
        assert.ok(after.NetworkSettings.Networks?.[`${stack.project}-extra`], 'the extra network was dropped');
      } finally {
        const container = docker.getContainer(before.Id);
        await docker.getNetwork(extra.id).disconnect({ Container: container.id, Force: true }).catch(() => undefined);
        await docker.getNetwork(extra.id).remove().catch(() => undefined);
      }
    });

    it('writes the config-hash docker-compose 1.29.2 computes for the same files', async () => {
      const stack = await miniStack({ MODE: 'två', TEAM: 'ops "core"' });
      await start(stack);
      const [, expected] = composeV1(stack, 'config', '--hash', 'cache').trim().split(/\s+/);
      assert.equal((await only(stack)).Config.Labels['com.docker.compose.config-hash'], expected);
    });

    const changes: Array<[string, Record<string, string>]> = [
      ['the command', { MAXMEMORY: '32mb' }],
      ['an environment value', { MODE: 'two' }],
      ['a label', { TEAM: 'platform' }],
      ['the published port', { PORT: '' }],
      ['the healthcheck', { RETRIES: '21' }],
      ['the restart policy', { RESTART: 'always' }],
      ['the volume', { DATA: 'other-data:/data' }],
    ];
    for (const [what, change] of changes) {
      it(`recreates a docker-compose container when ${what} changed`, async () => {
        const stack = await miniStack();
        composeV1(stack, 'up', '-d');
        const before = await only(stack);
        const next = change['PORT'] === '' ? { PORT: String(await freePort()) } : change;
        stack.env = { ...stack.env, ...next };
        writeStack(stack, change['DATA'] ? `${COMPOSE_FILE}  other-data:\n` : COMPOSE_FILE);
        const result = await start(stack);
        assert.equal(result.actions.get('cache'), 'recreated');
        assert.notEqual((await only(stack)).Id, before.Id);
      });
    }

    it('recreates a docker-compose container when a network of its project was taken out of the service', async () => {
      const stack = await miniStack();
      const twoNetworks = COMPOSE_FILE.replace('    restart:', '    networks: [default, backend]\n    restart:') + 'networks:\n  backend: {}\n';
      writeStack(stack, twoNetworks);
      composeV1(stack, 'up', '-d');
      const before = await only(stack);
      assert.ok(before.NetworkSettings.Networks?.[`${stack.project}_backend`], 'docker-compose put it on backend');
      writeStack(stack, COMPOSE_FILE);
      const result = await start(stack);
      assert.equal(result.actions.get('cache'), 'recreated');
      const after = await only(stack);
      assert.equal(after.NetworkSettings.Networks?.[`${stack.project}_backend`], undefined);
      await docker.getNetwork(`${stack.project}_backend`).remove().catch(() => undefined);
    });

    it('recreates when the image behind the same name changed', async () => {
      const tag = await derivedImage(undefined, 'LABEL first=yes');
      const stack = await miniStack({ IMAGE: tag });
      await start(stack);
      const before = await only(stack);
      // The same name now points to another image (same files, a new label).
      await derivedImage(tag, 'LABEL rebuilt=yes');
      const result = await start(stack);
      assert.equal(result.actions.get('cache'), 'recreated');
      assert.notEqual((await only(stack)).Image, before.Image);
    });
  });

  describe('recreate keeps data', () => {
    for (const [kind, data] of [['a named volume', 'cache-data:/data'], ['an anonymous volume', '/data']] as const) {
      it(`carries ${kind} over when an environment value changes`, async () => {
        const stack = await miniStack({ DATA: data });
        await start(stack);
        await write(stack, 'user:profile:7', 'Ada');
        stack.env = { ...stack.env, MODE: 'two' };
        writeStack(stack);
        assert.equal((await start(stack)).actions.get('cache'), 'recreated');
        assert.equal(await read(stack, 'user:profile:7'), 'Ada');
        const after = await only(stack);
        assert.ok(after.Config.Env.includes('MODE=two'));
      });
    }

    it('carries the anonymous volume of an image VOLUME over', async () => {
      const tag = await derivedImage(undefined, 'VOLUME /data');
      const stack = await miniStack({ IMAGE: tag, DATA: 'cache-data:/elsewhere' });
      await start(stack);
      await write(stack, 'user:profile:8', 'Grace');
      stack.env = { ...stack.env, MODE: 'two' };
      writeStack(stack);
      assert.equal((await start(stack)).actions.get('cache'), 'recreated');
      assert.equal(await read(stack, 'user:profile:8'), 'Grace');
    });

    it('carries the anonymous volume of a docker-compose container over', async () => {
      const stack = await miniStack({ DATA: '/data' });
      composeV1(stack, 'up', '-d');
      await waitForRedis(stack);
      await write(stack, 'auth:session:1', 'kept');
      stack.env = { ...stack.env, MODE: 'two' };
      writeStack(stack);
      assert.equal((await start(stack)).actions.get('cache'), 'recreated');
      assert.equal(await read(stack, 'auth:session:1'), 'kept');
    });
  });

  describe('a failed start removes only what it created', () => {
    it('puts the previous container back, with its data, when the new one cannot publish its port', async () => {
      const stack = await miniStack({ DATA: '/data' });
      await start(stack);
      await write(stack, 'shared:config:app', 'v1');
      const before = await only(stack);
      const taken = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
      try {
        const oldPort = stack.port;
        stack.env = { ...stack.env, PORT: String(taken) };
        writeStack(stack);
        const error = await failure(start(stack));
        assert.equal(error.kind, 'port-in-use');
        const after = await only(stack);
        assert.equal(after.Id, before.Id);
        assert.equal(after.Name, before.Name);
        assert.equal(after.State.Running, true);
        stack.port = oldPort;
        await waitForRedis(stack);
        assert.equal(await read(stack, 'shared:config:app'), 'v1');
      } finally {
        blocker.close();
      }
    });

    it('puts the previous container back when the new one turns unhealthy', async () => {
      const stack = await miniStack();
      await start(stack);
      await write(stack, 'shared:config:app', 'v2');
      const before = await only(stack);
      stack.env = { ...stack.env, CHECK_PORT: '1', RETRIES: '1' };
      writeStack(stack);
      const error = await failure(start(stack));
      assert.equal(error.kind, 'unhealthy');
      const after = await only(stack);
      assert.equal(after.Id, before.Id);
      assert.equal(after.Name, before.Name);
      assert.equal(after.State.Running, true);
      await waitForRedis(stack);
      assert.equal(await read(stack, 'shared:config:app'), 'v2');
    });

    it('keeps the volume of a first start that served writes before it failed', async () => {
      const stack = await miniStack({ CHECK_PORT: '1', RETRIES: '6' });
      const starting = failure(start(stack));
      await waitForRedis(stack);
      await write(stack, 'auth:token:9', 'written-while-starting');
      const error = await starting;
      assert.equal(error.kind, 'unhealthy');
      assert.equal((await containers(stack)).length, 0, 'the container this start created is gone');
      const volume = await docker.getVolume(`${stack.project}_cache-data`).inspect();
      assert.equal(volume.Name, `${stack.project}_cache-data`);
      stack.env = { ...stack.env, CHECK_PORT: '6379', RETRIES: '20' };
      writeStack(stack);
      await start(stack);
      assert.equal(await read(stack, 'auth:token:9'), 'written-while-starting');
    });
  });

  describe('a container_name that looks like a set-aside name', () => {
    // Compose sets a container aside as `<its own id, 12 hex>_<name>`; a team may well name a
    // container `<12 hex>_<something>` (a commit hash, say), which is not set aside.
    it('is the service: Stop stops it, Restart restarts it, Start leaves it alone', async () => {
      const stack = await miniStack();
      const name = `${randomBytes(6).toString('hex')}_cache`;
      writeStack(stack, COMPOSE_FILE.replace('  cache:\n', `  cache:\n    container_name: ${name}\n`));
      await start(stack);
      assert.equal((await only(stack)).Name, `/${name}`);
      await write(stack, 'k', 'v');
      assert.deepEqual(await stopStack(docker, stack.project), ['cache'], 'Stop stopped it');
      assert.equal((await only(stack)).State.Running, false);
      await start(stack);
      assert.deepEqual(await restartStack(docker, stack.project), ['cache']);
      assert.equal(await read(stack, 'k'), 'v');
    });

    // Compose v2's recreateContainer (docker/compose pkg/compose/convergence.go): the new container
    // is created as `<old id12>_<name>` with com.docker.compose.replace=<name>, the old one is
    // stopped and removed, the new one renamed to <name>. The label stays on it for good.
    it('recreated by Compose v2 (which leaves com.docker.compose.replace on it) is still the service: Stop stops it', async () => {
      const stack = await miniStack();
      const name = `${randomBytes(6).toString('hex')}_cache`;
      writeStack(stack, COMPOSE_FILE.replace('  cache:\n', `  cache:\n    container_name: ${name}\n`));
      await start(stack);
      const old = await only(stack);
      const tmpName = `${old.Id.slice(0, 12)}_${name}`;
      const created = await docker.createContainer({
        ...old.Config,
        name: tmpName,
        Labels: { ...old.Config.Labels, 'com.docker.compose.replace': name },
        HostConfig: old.HostConfig,
      });
      await docker.getContainer(old.Id).stop({ t: 10 });
      await docker.getContainer(old.Id).remove();
      await created.rename({ name });
      await created.start();
      assert.equal((await only(stack)).Name, `/${name}`);
      assert.deepEqual(await stopStack(docker, stack.project), ['cache'], 'Stop stopped it');
      assert.equal((await only(stack)).State.Running, false);
    });

    // A Compose v2 recreate interrupted after it removed the old container and before the rename:
    // the new container, `<old id12>_<name>` with com.docker.compose.replace, is all that is left.
    it('the one container a Compose v2 recreate left under its temporary name is the service: after Start, Stop stops it', async () => {
      const stack = await miniStack();
      await start(stack);
      await write(stack, 'k', 'v');
      const old = await only(stack);
      const name = old.Name.replace(/^\//, '');
      const created = await docker.createContainer({
        ...old.Config,
        name: `${old.Id.slice(0, 12)}_${name}`,
        Labels: { ...old.Config.Labels, 'com.docker.compose.replace': name },
        HostConfig: old.HostConfig,
      });
      await docker.getContainer(old.Id).stop({ t: 10 });
      await docker.getContainer(old.Id).remove();
      await start(stack);
      assert.equal(await read(stack, 'k'), 'v');
      const running = await only(stack);
      assert.equal(running.State.Running, true);
      assert.deepEqual(await stopStack(docker, stack.project), ['cache'], `Stop stopped ${running.Name} (created ${created.id.slice(0, 12)})`);
      assert.equal((await only(stack)).State.Running, false, 'the Redis is stopped');
    });

    // docker-compose 1.29.2's recreate_container: stop, rename_to_tmp_name (`<its own id12>_<name>`),
    // then create the new one. Killed between the rename and the create, the old one is all there is.
    it('the one container docker-compose 1.x set aside before it was killed: after Start, Stop stops the Redis', async () => {
      const stack = await miniStack();
      composeV1(stack, 'up', '-d');
      await write(stack, 'k', 'v');
      const old = await only(stack);
      await docker.getContainer(old.Id).stop({ t: 10 });
      await docker.getContainer(old.Id).rename({ name: `${old.Id.slice(0, 12)}_${old.Name.replace(/^\//, '')}` });
      await start(stack);
      assert.equal(await read(stack, 'k'), 'v');
      const running = (await containers(stack)).filter((c) => c.State.Running);
      assert.deepEqual(await stopStack(docker, stack.project), ['cache'], `Stop stopped ${running.map((c) => c.Name).join(', ')}`);
      assert.deepEqual((await containers(stack)).filter((c) => c.State.Running).map((c) => c.Name), [], 'the Redis is stopped');
    });
  });

  async function waitForRedis(stack: MiniStack): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await redis(stack);
        await client.ping();
        client.disconnect();
        return;
      } catch (error) {
        if (attempt > 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
});
