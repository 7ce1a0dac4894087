import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import Redis, { Cluster } from 'ioredis';
import { execIn } from '../../../../src/docker/backup/containerFiles';
import { clusterFormed, clusterViews } from '../../../../src/docker/stack/clusterHealth';
import { StackController, StackSettings, stackRedis } from '../../../../src/docker/stack/stackController';
import { describeStatus, runOnceFailed, ServiceStatus } from '../../../../src/docker/stack/status';
import { BUNDLED_CLUSTER_STACK, DEFAULT_POLICY, OPERATOR, StackFixture } from '../../../support/stackFixture';
import { useStack } from '../../../support/useStack';
import { eventually } from '../../../support/eventually';

const NODES = ['redis-node-1', 'redis-node-2', 'redis-node-3', 'redis-node-4', 'redis-node-5', 'redis-node-6'];
const INIT = 'redis-cluster-init';

function settingsOf(fixture: StackFixture): StackSettings {
  return {
    location: { composeFile: fixture.composeFile, envFile: `${fixture.dir}/.env`, source: 'setting' },
    bundledStackDir: BUNDLED_CLUSTER_STACK,
    projectName: fixture.project,
    policy: DEFAULT_POLICY,
    env: {},
  };
}

/** ioredis's Cluster as a client on this machine connects: the seeds, and natMap for what the nodes announce. */
async function clusterClient(controller: StackController, fixture: StackFixture): Promise<Cluster> {
  const project = await controller.load(settingsOf(fixture));
  const redis = stackRedis(project, await controller.status(fixture.project), {});
  assert.ok(redis?.cluster, 'the cluster stack offers its cluster addresses');
  const client = new Cluster(redis.cluster.seeds.map((s) => ({ ...s })), {
    natMap: { ...redis.cluster.natMap },
    redisOptions: { username: redis.username, password: redis.password },
    lazyConnect: true,
  });
  await client.connect();
  return client;
}

/** `redis-cli -c` from inside the network (in node 1's container), following redirects by hostname. */
async function getInNetwork(docker: Docker, statuses: readonly ServiceStatus[], key: string): Promise<string> {
  const node = statuses.find((s) => s.service === 'redis-node-1');
  assert.ok(node);
  const result = await execIn(docker, docker.getContainer(node.containerId), ['redis-cli', '-c', '-h', 'redis-node-1', 'get', key]);
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

function byService(statuses: readonly ServiceStatus[]): Map<string, ServiceStatus> {
  return new Map(statuses.map((s) => [s.service, s]));
}

/** The id of a service's container; a missing one fails naming what exists (an empty id reads as HTTP 301 from the engine). */
function containerOf(statuses: readonly ServiceStatus[] | Map<string, ServiceStatus>, service: string): string {
  const byName = statuses instanceof Map ? statuses : byService(statuses);
  const status = byName.get(service);
  assert.ok(status, `${service} has no container; the project has: ${[...byName.keys()].join(', ') || 'none'}`);
  return status.containerId;
}

async function nodeIds(docker: Docker, statuses: readonly ServiceStatus[]): Promise<string[]> {
  return Promise.all(NODES.map(async (service) =>
    (await execIn(docker, docker.getContainer(containerOf(statuses, service)), ['redis-cli', 'cluster', 'myid'])).stdout.trim()));
}

const KEYS = Array.from({ length: 60 }, (_, i) => `auth:session:${i}`);

describe('the cluster stack on the real engine', function () {
  // Six containers on a small machine: one cluster is started for the suite and shared.
  this.timeout(240_000);
  const stacks = useStack({ suiteStack: false });
  let docker: Docker;
  let fixture: StackFixture;
  let controller: StackController;
  let initFinishedAt: string;

  before(async function () {
    docker = stacks.docker;
    fixture = await stacks.createCluster();
    controller = new StackController(docker);
    const result = await controller.start(settingsOf(fixture));
    for (const service of [...NODES, INIT]) assert.equal(result.actions.get(service), 'created', service);
  });

  it('runs six healthy nodes, three masters with every slot and three replicas, cluster_state:ok on each; the init completed', async () => {
    const statuses = byService(await controller.status(fixture.project));
    for (const service of NODES) {
      assert.equal(statuses.get(service)?.state, 'running', service);
      assert.equal(statuses.get(service)?.health, 'healthy', service);
    }
    const init = statuses.get(INIT);
    assert.equal(init?.state, 'exited');
    assert.equal(init?.exitCode, 0);
    assert.equal(init && describeStatus(init), 'completed');
    initFinishedAt = (await docker.getContainer(init.containerId).inspect()).State.FinishedAt;

    const views = await clusterViews(docker, NODES.map((service) => ({ service, containerId: containerOf(statuses, service) })));
    for (const view of views) {
      assert.equal(view.state, 'ok', `${view.service}: ${view.error ?? ''}`);
      assert.equal(view.nodes.length, 6, view.service);
      assert.ok(view.nodes.every((n) => !n.broken), view.service);
    }
    const lines = views[0]?.nodes ?? [];
    const masters = lines.filter((n) => n.role === 'master');
    assert.equal(masters.length, 3);
    assert.equal(lines.filter((n) => n.role === 'replica').length, 3);
    // Every replica follows one master, and each master has one.
    assert.deepEqual(new Set(lines.filter((n) => n.role === 'replica').map((n) => n.masterId)), new Set(masters.map((m) => m.id)));
    const slots = masters.flatMap((m) => m.slots).reduce((sum, range) => {
      const [from = 0, to = from] = range.split('-').map(Number);
      return sum + to - from + 1;
    }, 0);
    assert.equal(slots, 16384);
    // The nodes announce their service names, which containers on the network resolve.
    assert.deepEqual(lines.map((n) => n.name).sort(), NODES);
  });

  it('offers seeds on the published loopback ports and a natMap from each announced address to them', async () => {
    const project = await controller.load(settingsOf(fixture));
    const statuses = await controller.status(fixture.project);
    const ports = NODES.map((service) => byService(statuses).get(service)?.ports.find((p) => p.containerPort === 6379)?.hostPort);
    const redis = stackRedis(project, statuses, {});
    assert.deepEqual(redis, {
      host: '127.0.0.1',
      port: fixture.port,
      username: OPERATOR,
      password: fixture.password,
      cluster: {
        seeds: ports.map((port) => ({ host: '127.0.0.1', port })),
        natMap: Object.fromEntries(NODES.map((service, i) => [`${service}:6379`, { host: '127.0.0.1', port: ports[i] }])),
      },
    });
  });

  it('a key written from this machine through the natMap is read by a container on the network, by hostname', async () => {
    const client = await clusterClient(controller, fixture);
    try {
      for (const key of KEYS) await client.set(key, `value of ${key}`);
      // The keys landed on all three masters.
      const counts = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
      assert.equal(counts.length, 3);
      assert.ok(counts.every((n) => n > 0), `keys per master: ${counts.join(', ')}`);
    } finally {
      client.disconnect();
    }
    const statuses = await controller.status(fixture.project);
    for (const key of [KEYS[0], KEYS[7], KEYS[33]] as string[]) assert.equal(await getInNetwork(docker, statuses, key), `value of ${key}`);
  });

  it('Stop and Start keep the keys and the cluster: same node ids, the init not run again', async () => {
    const before = await controller.status(fixture.project);
    const ids = await nodeIds(docker, before);
    const project = await controller.load(settingsOf(fixture));
    await controller.stop(project);
    assert.ok((await controller.status(fixture.project)).every((s) => s.state === 'exited'));

    const result = await controller.start(settingsOf(fixture));
    assert.equal(result.actions.get(INIT), 'unchanged');
    for (const service of NODES) assert.equal(result.actions.get(service), 'started', service);
    const after = await controller.status(fixture.project);
    assert.deepEqual(await nodeIds(docker, after), ids);
    const init = byService(after).get(INIT);
    assert.ok(init);
    assert.equal((await docker.getContainer(init.containerId).inspect()).State.FinishedAt, initFinishedAt, 'the init did not run again');
    for (const key of [KEYS[1], KEYS[50]] as string[]) assert.equal(await getInNetwork(docker, after, key), `value of ${key}`);
    const client = await clusterClient(controller, fixture);
    try {
      assert.equal(await client.get(KEYS[20] as string), `value of ${KEYS[20] as string}`);
    } finally {
      client.disconnect();
    }
  });

  it('Restart waits for the cluster again and does not run the init', async () => {
    const project = await controller.load(settingsOf(fixture));
    const restarted = await controller.restart(project);
    assert.deepEqual([...restarted].sort(), NODES);
    const statuses = await controller.status(fixture.project);
    const init = byService(statuses).get(INIT);
    assert.ok(init);
    assert.equal((await docker.getContainer(init.containerId).inspect()).State.FinishedAt, initFinishedAt);
    const views = await clusterViews(docker, NODES.map((service) => ({ service, containerId: containerOf(statuses, service) })));
    assert.deepEqual(views.map((v) => v.state), NODES.map(() => 'ok'));
    assert.equal(await getInNetwork(docker, statuses, KEYS[2] as string), `value of ${KEYS[2] as string}`);
  });

  it('a cluster started from the template before the 10 s healthcheck is recreated by Start, and keeps its keys, node ids and formed cluster', async () => {
    // A user upgrading the extension: their running cluster has the 3 s probe. Start recreates
    // each node (its config changed) on new containers, whose addresses may differ from those in
    // the nodes' cluster config; back to the current template, the same again.
    const current = readFileSync(fixture.composeFile, 'utf8');
    const previous = current.replace(/timeout: 10s/g, 'timeout: 3s').replace(/start_period: 30s/g, 'start_period: 5s');
    assert.notEqual(previous, current);
    const ids = await nodeIds(docker, await controller.status(fixture.project));
    for (const template of [previous, current]) {
      writeFileSync(fixture.composeFile, template);
      const result = await controller.start(settingsOf(fixture));
      for (const service of NODES) assert.equal(result.actions.get(service), 'recreated', service);
      assert.equal(result.actions.get(INIT), 'unchanged');
      const statuses = await controller.status(fixture.project);
      assert.deepEqual(await nodeIds(docker, statuses), ids);
      const views = await clusterViews(docker, NODES.map((service) => ({ service, containerId: containerOf(statuses, service) })));
      assert.deepEqual(views.map((v) => v.state), NODES.map(() => 'ok'));
      const init = byService(statuses).get(INIT);
      assert.ok(init);
      assert.equal((await docker.getContainer(init.containerId).inspect()).State.FinishedAt, initFinishedAt, 'the init did not run again');
      for (const key of [KEYS[3], KEYS[44]] as string[]) assert.equal(await getInNetwork(docker, statuses, key), `value of ${key}`);
    }
  });

  it('a service user added while the cluster runs is loaded on every node, not only the first', async () => {
    const password = 'p'.repeat(40);
    fixture.setEnv({ REDIS_SERVICE_PASSWORD_AUTH: password });
    const result = await controller.start(settingsOf(fixture));
    assert.equal(result.acl, 'reloaded');
    const statuses = await controller.status(fixture.project);
    for (const service of NODES) {
      const port = byService(statuses).get(service)?.ports.find((p) => p.containerPort === 6379)?.hostPort;
      const node = new Redis({ host: '127.0.0.1', port: port ?? 0, username: 'auth-service', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      node.on('error', () => undefined);
      try {
        await node.connect();
        // Logged in as auth-service (connect AUTHs), and it may ask INFO as every service may.
        assert.match(await node.info('server'), /redis_version/, service);
      } catch (error) {
        assert.fail(`${service} does not know auth-service: ${String(error)}`);
      } finally {
        node.disconnect();
      }
    }
  });

  it('is a project Compose v1 sees: docker-compose ps lists the six nodes up and the init exited 0', () => {
    const ps = execFileSync('docker-compose', ['-p', fixture.project, '-f', fixture.composeFile, 'ps'], { cwd: fixture.dir, encoding: 'utf8' });
    for (const service of NODES) assert.match(ps, new RegExp(`${fixture.project}[-_]${service}[-_]1 .* Up \\(healthy\\)`));
    assert.match(ps, new RegExp(`${fixture.project}[-_]${INIT}[-_]1 .* Exit 0`));
  });
});

describe('a cluster stack that docker-compose 1.29.2 started', function () {
  this.timeout(240_000);
  const stacks = useStack({ suiteStack: false });
  let docker: Docker;
  let fixture: StackFixture;
  let controller: StackController;
  const composeUp = (): void => { execFileSync('docker-compose', ['-p', fixture.project, 'up', '-d'], { cwd: fixture.dir, stdio: 'pipe' }); };
  const finishedAt = async (containerId: string): Promise<string> => (await docker.getContainer(containerId).inspect()).State.FinishedAt;

  /** After a `docker-compose up -d` on the formed cluster: its init ran again and exited non-zero. */
  async function initRerunFailed(before: string): Promise<ServiceStatus> {
    const init = await eventually('the init to run again and exit', async () => {
      const status = byService(await controller.status(fixture.project)).get(INIT);
      return status && status.exitCode !== undefined && status.exitCode !== 0 && await finishedAt(status.containerId) !== before && status;
    }, 120_000);
    const logs = execFileSync('docker', ['logs', init.containerId], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(logs, /is not empty/, 'the init failed because the cluster exists already');
    return init;
  }

  /** Start succeeds, runs nothing again, keeps the node ids; the cluster is ok and the init row is not a failure. */
  async function assertStartKeepsTheCluster(ids: readonly string[], init: ServiceStatus): Promise<void> {
    const initFinished = await finishedAt(init.containerId);
    const result = await controller.start(settingsOf(fixture));
    assert.equal(result.actions.get(INIT), 'unchanged');
    assert.equal(await finishedAt(init.containerId), initFinished, 'the init did not run again');
    const statuses = await controller.status(fixture.project);
    assert.deepEqual(await nodeIds(docker, statuses), ids);
    for (const service of NODES) assert.equal(byService(statuses).get(service)?.health, 'healthy', service);
    const views = await clusterViews(docker, NODES.map((service) => ({ service, containerId: containerOf(statuses, service) })));
    assert.deepEqual(views.map((v) => v.state), NODES.map(() => 'ok'));
    const initStatus = byService(statuses).get(INIT);
    assert.ok(initStatus);
    const formed = clusterFormed(views);
    assert.equal(runOnceFailed(initStatus, formed), false, 'the stack is not reported unhealthy');
    assert.doesNotMatch(describeStatus(initStatus, formed), /fail/);
  }

  before(async () => {
    docker = stacks.docker;
    fixture = await stacks.createCluster();
    controller = new StackController(docker);
  });

  it('is formed and recognised, and a Start afterwards changes nothing and does not run the init again', async () => {
    composeUp();
    const project = await controller.load(settingsOf(fixture));
    // docker-compose up -d does not wait for the init: the nodes are healthy, then it runs.
    const init = await eventually('the init to complete', async () => {
      const status = byService(await controller.status(fixture.project)).get(INIT);
      return status?.exitCode === 0 && status;
    }, 120_000);
    const views = await controller.waitForCluster(project);
    assert.deepEqual(views.map((v) => v.state), NODES.map(() => 'ok'));
    const statuses = await controller.status(fixture.project);
    assert.deepEqual(Object.keys(stackRedis(project, statuses, {})?.cluster?.natMap ?? {}), NODES.map((n) => `${n}:6379`));
    const finished = await finishedAt(init.containerId);

    const result = await controller.start(settingsOf(fixture));
    for (const service of [...NODES, INIT]) assert.equal(result.actions.get(service), 'unchanged', service);
    assert.equal(await finishedAt(init.containerId), finished);
  });

  it('a second docker-compose up -d runs the init again, which fails as the cluster exists; Start still succeeds and keeps the cluster', async () => {
    const statuses = await controller.status(fixture.project);
    const ids = await nodeIds(docker, statuses);
    const before = await finishedAt(containerOf(statuses, INIT));
    composeUp();
    const init = await initRerunFailed(before);
    await assertStartKeepsTheCluster(ids, init);
  });

  it("the extension's Stop, then docker-compose up -d, then Start keeps the cluster", async () => {
    const statuses = await controller.status(fixture.project);
    const ids = await nodeIds(docker, statuses);
    const before = await finishedAt(containerOf(statuses, INIT));
    await controller.stop(await controller.load(settingsOf(fixture)));
    composeUp();
    const init = await initRerunFailed(before);
    await assertStartKeepsTheCluster(ids, init);
  });
});

describe('a cluster stack whose init failed before the cluster was formed', function () {
  this.timeout(240_000);
  const stacks = useStack({ suiteStack: false });

  it('Start runs the init again and reports its failure with its log line; the init row reads failed', async () => {
    const docker = stacks.docker;
    const fixture = await stacks.createCluster();
    const controller = new StackController(docker);
    const compose = (...args: string[]): string => execFileSync('docker-compose', ['-p', fixture.project, ...args], { cwd: fixture.dir, encoding: 'utf8', stdio: 'pipe' });
    // Nodes 1 and 2 meet before the init runs: `--cluster create` refuses a node that knows
    // another, so the init fails and the cluster is never formed (a real failed init, no fake).
    compose('up', '-d', ...NODES);
    const [node1, node2] = await eventually('nodes 1 and 2 to be healthy', async () => {
      const statuses = byService(await controller.status(fixture.project));
      const pair = [statuses.get('redis-node-1'), statuses.get('redis-node-2')];
      return pair.every((s) => s?.health === 'healthy') && (pair as [ServiceStatus, ServiceStatus]);
    }, 120_000);
    const node2Address = Object.values((await docker.getContainer(node2.containerId).inspect()).NetworkSettings.Networks)[0]?.IPAddress ?? '';
    const met = await execIn(docker, docker.getContainer(node1.containerId), ['redis-cli', 'cluster', 'meet', node2Address, '6379']);
    assert.equal(met.stdout.trim(), 'OK', met.stderr);
    compose('up', '-d');
    await eventually('the init to fail', async () => {
      const status = byService(await controller.status(fixture.project)).get(INIT);
      return status?.exitCode !== undefined && status.exitCode !== 0;
    }, 120_000);

    await assert.rejects(controller.start(settingsOf(fixture)), (error: Error & { logs?: readonly string[] }) => {
      assert.match(error.message, /redis-cluster-init failed \(exit code 1\)/);
      assert.ok(error.logs?.some((line) => /is not empty/.test(line)), (error.logs ?? []).join('\n'));
      return true;
    });
    const statuses = await controller.status(fixture.project);
    const views = await clusterViews(docker, NODES.map((service) => ({ service, containerId: containerOf(statuses, service) })));
    assert.equal(clusterFormed(views), false);
    const init = byService(statuses).get(INIT);
    assert.ok(init);
    assert.equal(runOnceFailed(init, clusterFormed(views)), true);
    assert.equal(describeStatus(init, clusterFormed(views)), 'failed (exit code 1)');
  });
});
