import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { dockerOptions, EngineCandidate } from '../../../../src/docker/endpoint';
import { NETWORK_LABEL, PROJECT_LABEL, VOLUME_LABEL } from '../../../../src/docker/stack/labels';
import { StackController } from '../../../../src/docker/stack/stackController';
import { runInAnotherProcess, startScript } from '../../../support/anotherProcess';
import { requireEngine } from '../../../support/engine';
import { eventually } from '../../../support/eventually';
import { freePort } from '../../../support/redisServer';
import { removeProject, StackFixture, stackFixture, stackSettings } from '../../../support/stackFixture';

/** One window's Start of the fixture's stack, in a process of its own, begun at `startAt`: its actions, or its error. */
function startInAnotherProcess(fixture: StackFixture, endpoint: EngineCandidate, startAt: number): Promise<string> {
  return runInAnotherProcess(startScript(stackSettings(fixture), endpoint, startAt));
}

describe('Starts in other windows (other processes) on the real engine', function () {
  this.timeout(600_000);
  let endpoint: EngineCandidate;
  let docker: Docker;
  const fixtures: StackFixture[] = [];
  before(async function () {
    const engine = await requireEngine(this);
    if (!engine) return;
    endpoint = engine.endpoint;
    docker = new Docker(dockerOptions(endpoint));
  });
  after(async () => {
    for (const fixture of fixtures) await fixture.cleanup(docker); // test data only
  });
  async function newStack(): Promise<StackFixture> {
    const fixture = stackFixture(await freePort());
    fixtures.push(fixture);
    return fixture;
  }

  it('two windows pressing Start at once both succeed (one creates, the other finds it running), with one network and a labelled volume that Remove Stack removes, every time', async () => {
    const stack = await newStack();
    const problems: string[] = [];
    for (let round = 0; round < 4; round++) {
      await removeProject(docker, stack.project);
      await docker.getNetwork(stack.network).remove().catch(() => undefined);
      // Every other round the network is already there (a Stop kept it), and only the volume is new.
      if (round % 2 === 1) await docker.createNetwork({ Name: stack.network, Labels: { [PROJECT_LABEL]: stack.project, [NETWORK_LABEL]: 'shared-redis' } });
      const startAt = Date.now() + 1500;
      const results = await Promise.all([startInAnotherProcess(stack, endpoint, startAt), startInAnotherProcess(stack, endpoint, startAt)]);
      const networks = await docker.listNetworks({ filters: { name: [stack.network] } });
      const volume = await docker.getVolume(`${stack.project}_redis-data`).inspect().catch(() => undefined);
      const said = `round ${round}: ${results.join(' / ')}`;
      if ([...results].sort().join(' ') !== '["created"] ["unchanged"]') problems.push(said);
      if (networks.filter((n) => n.Name === stack.network).length !== 1) problems.push(`${said}: ${networks.length} networks named ${stack.network}`);
      if (volume?.Labels?.[VOLUME_LABEL] !== 'redis-data') problems.push(`${said}: volume ${volume ? 'without the Compose labels' : 'missing'}`);
      const controller = new StackController(docker);
      const removed = await controller.remove(await controller.load(stackSettings(stack)), true).catch((error: Error) => error);
      if (removed instanceof Error) problems.push(`${said}: Remove Stack failed: ${removed.message}`);
    }
    assert.deepEqual(problems, []);
  });

  it('after a window dies in the middle of a recreate, the next Start removes the container it set aside (the volume stays), and Restart restarts the stack', async () => {
    const stack = await newStack();
    const settings = stackSettings(stack);
    const controller = new StackController(docker);
    await controller.start(settings, { healthTimeoutMs: 90_000 });
    const names = async (): Promise<string[]> =>
      (await docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${stack.project}`] } })).map((c) => (c.Names[0] ?? '').slice(1)).sort();

    // A changed setting recreates the container; the window running that Start dies (closed,
    // crashed) while the new container is starting and the old one is set aside.
    stack.setEnv({ REDIS_MAXMEMORY: '333mb' });
    const window = spawn(process.execPath, ['-e', startScript(settings, endpoint)], { stdio: 'ignore' });
    const exited = new Promise((done) => window.on('exit', done));
    const proper = `${stack.project}-shared-redis-1`;
    await eventually('the new container to be created beside the one set aside', async () => {
      const now = await names();
      return now.includes(proper) && now.some((n) => /^[0-9a-f]{12}_/.test(n)) && now;
    }, 60_000);
    window.kill('SIGKILL');
    await exited;

    const started = Date.now();
    const result = await controller.start(settings, { healthTimeoutMs: 90_000 });
    assert.deepEqual(await names(), [proper], `one container once Start is done (${JSON.stringify([...result.actions])})`);
    assert.ok(Date.now() - started < 20_000, `the dead window's Start did not hold this one up (${Date.now() - started} ms)`);
    await docker.getVolume(`${stack.project}_redis-data`).inspect(); // kept
    assert.deepEqual(await controller.restart(await controller.load(settings)), ['shared-redis']);
    assert.deepEqual((await controller.status(stack.project)).map((s) => `${s.containerName} ${s.state}`), [`${proper} running`]);
  });
});
