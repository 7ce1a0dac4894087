import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { engineCandidates } from '../../../src/docker/endpoint';
import { connectEngine, probeEngines } from '../../../src/docker/engine';
import { freePort } from '../../support/redisServer';
import { StackFixture, stackFixture } from '../../support/stackFixture';
import { api, eventually } from './extensionApi';

/**
 * A stack whose Redis is up but whose healthcheck has not passed yet (a window opened
 * right after `docker compose up`, or a restart from the terminal): the extension talks to
 * it with the stack's own password and never asks the user for one.
 */
describe('a stack whose healthcheck still says starting', function () {
  this.timeout(150_000);
  let fixture: StackFixture;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const saved: Record<string, unknown> = {};

  before(async () => {
    await probeEngines(engineCandidates(undefined), 3000);
    fixture = stackFixture(await freePort());
    // A slow first healthcheck keeps the container "starting" for seconds after each (re)start.
    const compose = readFileSync(fixture.composeFile, 'utf8');
    assert.match(compose, /interval: 2s/);
    writeFileSync(fixture.composeFile, compose.replace('interval: 2s', 'interval: 8s'));
    for (const key of ['port', 'host', 'composeFile', 'projectName']) saved[key] = config().inspect(key)?.workspaceValue;
    await config().update('composeFile', fixture.composeFile, vscode.ConfigurationTarget.Workspace);
    await config().update('projectName', fixture.project, vscode.ConfigurationTarget.Workspace);
    await config().update('port', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('host', undefined, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    const shared = await api();
    await (await shared.stack.controller()).remove(fixture.project, true); // test data only
    for (const [key, value] of Object.entries(saved)) await config().update(key, value, vscode.ConfigurationTarget.Workspace);
    await (await connectEngine(undefined)).docker.getNetwork(fixture.network).remove().catch(() => undefined);
  });

  it('pings a restarted stack while its healthcheck says starting, with the .env password and no prompt', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually('the session to follow the stack', () => shared.session.endpoint.port === fixture.port);

    // Restart from outside the extension, as `docker restart` in a terminal would.
    const { docker } = await connectEngine(undefined);
    const [container] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${fixture.project}`] } });
    assert.ok(container);
    await docker.getContainer(container.Id).restart({ t: 5 });
    await eventually('the Stack view to see the container starting', () => shared.stack.snapshot.services.some((s) => s.health === 'starting'));

    const prompts: string[] = [];
    const prompt = shared.session.prompt;
    shared.session.prompt = async (where) => { prompts.push(where); return undefined; };
    try {
      assert.equal(shared.session.endpoint.port, fixture.port, `the session keeps talking to the stack while it starts (the snapshot has it at port ${String(shared.stack.snapshot.redisStarting?.port)})`);
      const reply = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.ok(shared.stack.snapshot.services.some((s) => s.health === 'starting'), 'the ping ran while the healthcheck still said starting');
      assert.match(reply, /^PONG in /);
      assert.deepEqual(prompts, [], 'no password prompt');

      // Once healthy, the Keys view walks the stack again by itself.
      await eventually('the stack to turn healthy', () => shared.stack.snapshot.redis !== undefined);
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      assert.deepEqual(prompts, []);
    } finally {
      shared.session.prompt = prompt;
    }
  });
});
