import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerOptions } from '../../../../src/docker/endpoint';
import { PROJECT_LABEL, VOLUME_LABEL } from '../../../../src/docker/stack/labels';
import { StackController } from '../../../../src/docker/stack/stackController';
import { runInAnotherProcess } from '../../../support/anotherProcess';
import { requireEngine } from '../../../support/engine';
import { freePort } from '../../../support/redisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, removeProject, StackFixture, stackFixture } from '../../../support/stackFixture';

/** The compiled controller a second process loads, as a second VS Code window's extension host would. */
const CONTROLLER = join(__dirname, '../../../../src/docker/stack/stackController.js');

/** One window's Start of the fixture's stack, in a process of its own, begun at `startAt`: its actions, or its error. */
function startInAnotherProcess(fixture: StackFixture, startAt: number): Promise<string> {
  const settings = {
    location: { composeFile: fixture.composeFile, composeFiles: [fixture.composeFile], envFile: join(fixture.dir, '.env'), source: 'setting' },
    bundledStackDir: BUNDLED_STACK,
    projectName: fixture.project,
    policy: DEFAULT_POLICY,
    env: { PATH: process.env['PATH'] },
  };
  const script = `
    const Docker = require(${JSON.stringify(require.resolve('dockerode'))});
    const { StackController } = require(${JSON.stringify(CONTROLLER)});
    while (Date.now() < ${startAt}) {}
    new StackController(new Docker()).start(${JSON.stringify(settings)}, { healthTimeoutMs: 90000 })
      .then((r) => process.stdout.write(JSON.stringify([...r.actions.values()])), (e) => process.stdout.write('ERROR ' + e.message.split('\\n')[0]));`;
  return runInAnotherProcess(script);
}

describe('two windows pressing Start at once on the real engine', function () {
  this.timeout(600_000);
  let docker: Docker | undefined;
  let fixture: StackFixture | undefined;
  after(async () => {
    if (docker && fixture) await fixture.cleanup(docker); // test data only
  });

  it('both Starts succeed (one creates, the other finds it running), with one network and a labelled volume that Remove Stack removes, every time', async function () {
    const engine = await requireEngine(this);
    if (!engine) return;
    const engineDocker = new Docker(dockerOptions(engine.endpoint));
    const stack = stackFixture(await freePort());
    [docker, fixture] = [engineDocker, stack];
    const problems: string[] = [];
    for (let round = 0; round < 4; round++) {
      await removeProject(engineDocker, stack.project);
      await engineDocker.getNetwork(stack.network).remove().catch(() => undefined);
      // Every other round the network is already there (a Stop kept it), and only the volume is new.
      if (round % 2 === 1) await engineDocker.createNetwork({ Name: stack.network, Labels: { [PROJECT_LABEL]: stack.project, 'com.engineDocker.compose.network': 'shared-redis' } });
      const startAt = Date.now() + 1500;
      const results = await Promise.all([startInAnotherProcess(stack, startAt), startInAnotherProcess(stack, startAt)]);
      const networks = await engineDocker.listNetworks({ filters: { name: [stack.network] } });
      const volume = await engineDocker.getVolume(`${stack.project}_redis-data`).inspect().catch(() => undefined);
      const said = `round ${round}: ${results.join(' / ')}`;
      if ([...results].sort().join(' ') !== '["created"] ["unchanged"]') problems.push(said);
      if (networks.filter((n) => n.Name === stack.network).length !== 1) problems.push(`${said}: ${networks.length} networks named ${stack.network}`);
      if (volume?.Labels?.[VOLUME_LABEL] !== 'redis-data') problems.push(`${said}: volume ${volume ? 'without the Compose labels' : 'missing'}`);
      const removed = await new StackController(engineDocker).remove(stack.project, true).catch((error: Error) => error);
      if (removed instanceof Error) problems.push(`${said}: Remove Stack failed: ${removed.message}`);
    }
    assert.deepEqual(problems, []);
  });
});
