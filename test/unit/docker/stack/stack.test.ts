import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, Server } from 'node:net';
import type Docker from 'dockerode';
import Redis from 'ioredis';
import { followProjectEvents } from '../../../../src/docker/events';
import { StackError } from '../../../../src/docker/stack/errors';
import { followLogs } from '../../../../src/docker/stack/logs';
import { StackController, StackSettings, stackRedis } from '../../../../src/docker/stack/stackController';
import { freePort } from '../../../support/redisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, OPERATOR, projectResources, StackFixture } from '../../../support/stackFixture';
import { useStack } from '../../../support/useStack';
import { eventually } from '../../../support/eventually';

function settingsOf(fixture: StackFixture): StackSettings {
  return {
    location: { composeFile: fixture.composeFile, envFile: `${fixture.dir}/.env`, source: 'setting' },
    bundledStackDir: BUNDLED_STACK,
    projectName: fixture.project,
    policy: DEFAULT_POLICY,
    env: {},
  };
}

async function redisOf(fixture: StackFixture): Promise<Redis> {
  const client = new Redis({ host: '127.0.0.1', port: fixture.port, username: OPERATOR, password: fixture.password, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

async function eventuallyRedis(fixture: StackFixture): Promise<Redis> {
  return eventually(`Redis of ${fixture.project} to answer`, async () => {
    const client = new Redis({ host: '127.0.0.1', port: fixture.port, username: OPERATOR, password: fixture.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch {
      client.disconnect();
      return undefined;
    }
  }, 30_000);
}

function listening(): Promise<Server> {
  return new Promise((resolve) => { const server = createServer(); server.listen(0, '127.0.0.1', () => resolve(server)); });
}

async function stackError(promise: Promise<unknown>): Promise<StackError> {
  try { await promise; } catch (error) {
    assert.ok(error instanceof StackError, `expected a StackError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the start to fail');
}

describe('the shared-redis stack on the real engine', function () {
  this.timeout(120_000);
  const stacks = useStack({ suiteStack: false });
  const fixture = stacks.create;
  let docker: Docker;
  before(() => { docker = stacks.docker; });

  it('starts healthy, and keeps every key across stop, start and restart', async () => {
    const stack = await fixture();
    const controller = new StackController(docker);
    const first = await controller.start(settingsOf(stack));
    assert.equal(first.actions.get('shared-redis'), 'created');

    const statuses = await controller.status(stack.project);
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0]?.health, 'healthy');
    assert.deepEqual(statuses[0]?.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}`), [`127.0.0.1:${stack.port}->6379`]);
    const project = await controller.load(settingsOf(stack));
    assert.deepEqual(stackRedis(project, statuses, {}), { host: '127.0.0.1', port: stack.port, username: OPERATOR, password: stack.password });

    let client = await redisOf(stack);
    await client.set('auth:session:42', 'alive');
    client.disconnect();

    assert.deepEqual(await controller.stop(project), ['shared-redis']);
    assert.equal((await controller.status(stack.project))[0]?.state, 'exited');
    const again = await controller.start(settingsOf(stack));
    assert.equal(again.actions.get('shared-redis'), 'started');
    client = await redisOf(stack);
    assert.equal(await client.get('auth:session:42'), 'alive');
    client.disconnect();

    assert.deepEqual(await controller.restart(project), ['shared-redis']);
    assert.equal((await controller.status(stack.project))[0]?.health, 'healthy', 'restart returns once the container is healthy again');
    client = await redisOf(stack);
    assert.equal(await client.get('auth:session:42'), 'alive');
    client.disconnect();
  });

  it('follows the project\'s engine events and a service\'s logs, demultiplexed into lines', async () => {
    const stack = await fixture();
    const controller = new StackController(docker);
    const events: string[] = [];
    const subscription = followProjectEvents(docker, stack.project, (e) => { if (e.type === 'container') events.push(e.action); });
    try {
      await controller.start(settingsOf(stack));
      const status = (await controller.status(stack.project))[0];
      assert.ok(status);
      const lines: Array<[string, string]> = [];
      const follower = await followLogs(docker, status.containerId, (line, output) => lines.push([output, line]), { tail: 50 });
      const deadline = Date.now() + 10_000;
      while (!lines.some(([, l]) => /Ready to accept connections/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      follower.dispose();
      assert.ok(lines.some(([output, l]) => output === 'stdout' && /Ready to accept connections/.test(l)), `no ready line in ${JSON.stringify(lines.slice(-5))}`);
      // A multiplexed frame starts with the stream number (0-2) and three zero bytes.
      const header = (l: string): boolean => l.length >= 4 && l.charCodeAt(0) <= 2 && l.charCodeAt(1) === 0 && l.charCodeAt(2) === 0 && l.charCodeAt(3) === 0;
      assert.ok(lines.every(([, l]) => !l.includes('\n') && !header(l)), 'every line is whole and free of stream headers');
      await docker.getContainer(status.containerId).stop({ t: 1 });
      while (!events.includes('die') && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 100));
      assert.ok(['create', 'start', 'die'].every((a) => events.includes(a)), `events seen: ${events.join(', ')}`);
      assert.ok(events.some((a) => a.startsWith('health_status: healthy')), `events seen: ${events.join(', ')}`);
    } finally {
      subscription.dispose();
    }
  });

  it('does nothing on a second start of an unchanged running stack, and runs two concurrent starts once', async () => {
    const stack = await fixture();
    const controller = new StackController(docker);
    const [a, b] = [controller.start(settingsOf(stack)), controller.start(settingsOf(stack))];
    assert.equal(a, b, 'the second start joins the first');
    await a;
    const containers = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${stack.project}`] } });
    assert.equal(containers.length, 1);
    const id = containers[0]?.Id;
    const third = await controller.start(settingsOf(stack));
    assert.equal(third.actions.get('shared-redis'), 'unchanged');
    assert.equal((await controller.status(stack.project))[0]?.containerId, id);
  });

  it('recreates a changed service and keeps its volume and data', async () => {
    const stack = await fixture();
    const controller = new StackController(docker);
    await controller.start(settingsOf(stack));
    let client = await redisOf(stack);
    await client.set('user:profile:7', '{"name":"Ada"}');
    await client.save();
    client.disconnect();
    const before = (await controller.status(stack.project))[0]?.containerId;

    stack.setEnv({ REDIS_MAXMEMORY: '128mb' });
    const result = await controller.start(settingsOf(stack));
    assert.equal(result.actions.get('shared-redis'), 'recreated');
    const after = (await controller.status(stack.project))[0]?.containerId;
    assert.notEqual(after, before);
    client = await redisOf(stack);
    assert.equal(await client.get('user:profile:7'), '{"name":"Ada"}');
    assert.equal(((await client.config('GET', 'maxmemory')) as string[])[1], String(128 * 1024 * 1024));
    client.disconnect();
  });

  it('is a project Compose v1 sees: docker-compose ps lists it and docker-compose down removes it', async () => {
    const stack = await fixture();
    await new StackController(docker).start(settingsOf(stack));
    const ps = execFileSync('docker-compose', ['-p', stack.project, '-f', stack.composeFile, 'ps'], { cwd: stack.dir }).toString();
    assert.match(ps, new RegExp(`${stack.project}-shared-redis-1\\s.*Up \\(healthy\\)`));
    execFileSync('docker-compose', ['-p', stack.project, '-f', stack.composeFile, 'down'], { cwd: stack.dir, stdio: 'ignore' });
    assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 1 });
  });

  it('shows a stack that Compose v1 started', async () => {
    const stack = await fixture();
    execFileSync('docker-compose', ['-p', stack.project, '-f', stack.composeFile, 'up', '-d'], { cwd: stack.dir, stdio: 'ignore' });
    const statuses = await new StackController(docker).status(stack.project);
    assert.equal(statuses.length, 1);
    assert.equal(statuses[0]?.service, 'shared-redis');
    assert.equal(statuses[0]?.state, 'running');
    assert.equal(statuses[0]?.ports[0]?.hostPort, stack.port);
  });

  it('"Replace It" with a new container that cannot start puts the other stack\'s container back, with its data', async () => {
    // The other stack: the same project started by docker-compose from another folder's files.
    const theirs = await fixture();
    execFileSync('docker-compose', ['-p', theirs.project, '-f', theirs.composeFile, 'up', '-d'], { cwd: theirs.dir, stdio: 'ignore' });
    const controller = new StackController(docker);
    const client = await eventuallyRedis(theirs);
    await client.set('auth:session:7', 'kept');
    await client.save();
    client.disconnect();
    const [before] = await controller.status(theirs.project);
    // Ours: the same project name and password, but its host port is taken, so its container cannot start.
    const blocker = await listening();
    const ours = await fixture({ REDIS_PASSWORD: theirs.password, REDIS_NETWORK: theirs.network });
    ours.setEnv({ REDIS_PORT: String((blocker.address() as { port: number }).port) });
    const settings = { ...settingsOf(ours), projectName: theirs.project };
    try {
      const foreign = await controller.foreign(await controller.load(settings));
      assert.equal(foreign.length, 1, 'their container is another stack\'s');
      await stackError(controller.start(settings, { replaceForeign: foreign }));
    } finally {
      blocker.close();
    }
    const after = await controller.status(theirs.project);
    assert.deepEqual(after.map((s) => [s.containerId, s.containerName, s.state]), [[before?.containerId, before?.containerName, 'running']]);
    const back = await eventuallyRedis(theirs);
    assert.equal(await back.get('auth:session:7'), 'kept');
    back.disconnect();
  });

  it('removes containers and network but keeps the volume unless asked', async () => {
    const stack = await fixture();
    const controller = new StackController(docker);
    await controller.start(settingsOf(stack));
    const client = await redisOf(stack);
    await client.set('shared:config:app', 'v1');
    await client.save();
    client.disconnect();

    const removed = await controller.remove(await controller.load(settingsOf(stack)), false);
    assert.deepEqual(removed.volumes, []);
    assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 1 });
    await controller.start(settingsOf(stack));
    const back = await redisOf(stack);
    assert.equal(await back.get('shared:config:app'), 'v1', 'the data came back with the kept volume');
    back.disconnect();

    const all = await controller.remove(await controller.load(settingsOf(stack)), true);
    assert.deepEqual(all.volumes, [`${stack.project}_redis-data`]);
    assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 0 });
  });

  describe('refuses bad input with one clear message and leaves nothing behind', () => {
    it('an image the engine does not have and cannot pull', async () => {
      const stack = await fixture({ REDIS_IMAGE: 'shared-redis/not-there:0.0.1' });
      const error = await stackError(new StackController(docker).start(settingsOf(stack)));
      assert.equal(error.kind, 'image-missing');
      assert.match(error.message, /^The image shared-redis\/not-there:0\.0\.1 is not on the Docker engine and could not be pulled \(.+\)\. .*set REDIS_IMAGE in the stack's \.env/);
      assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 0 });
    });

    it('a host port that is already in use', async () => {
      const port = await freePort();
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
      try {
        const stack = await fixture({ REDIS_PORT: String(port) });
        (stack as { port: number }).port = port;
        const error = await stackError(new StackController(docker).start(settingsOf(stack)));
        assert.equal(error.kind, 'port-in-use');
        assert.equal(error.message, `Port ${port} on the host is already in use, so shared-redis cannot publish it. Stop what uses port ${port}, or set REDIS_PORT in the stack's .env to a free port.`);
        assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 0 });
      } finally {
        blocker.close();
      }
    });

    it('a container that exits at once, with its last log lines', async () => {
      const stack = await fixture({ REDIS_MAXMEMORY_POLICY: 'not-a-policy' });
      const error = await stackError(new StackController(docker).start(settingsOf(stack)));
      assert.equal(error.kind, 'container-exited');
      assert.match(error.message, /^shared-redis exited while starting( \(exit code 1\))?\.\nLast \d+ log lines:\n/);
      assert.match(error.message, /FATAL CONFIG FILE ERROR[\s\S]*maxmemory-policy "not-a-policy"/);
      assert.ok(error.logs.length > 0 && error.logs.length <= 20);
      // Redis ran with the new volume mounted, so the volume may hold writes: it stays.
      assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 1 });
    });

    it('a missing required variable, before anything is created', async () => {
      const stack = await fixture({ REDIS_PASSWORD: '' });
      await assert.rejects(new StackController(docker).start(settingsOf(stack)), /REDIS_PASSWORD/);
      assert.deepEqual(await projectResources(docker, stack.project), { containers: 0, networks: 0, volumes: 0 });
    });
  });
});
