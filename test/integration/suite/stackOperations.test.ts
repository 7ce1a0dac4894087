import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type Docker from 'dockerode';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { engineCandidates } from '../../../src/docker/endpoint';
import { connectEngine, probeEngines } from '../../../src/docker/engine';
import { CONFIG_FILES_LABEL, PROJECT_LABEL, SERVICE_LABEL } from '../../../src/docker/stack/labels';
import { syncAclFile } from '../../../src/docker/stack/serviceAccess';
import { stackState } from '../../../src/stackService';
import { freePort } from '../../support/redisServer';
import {
  DEFAULT_POLICY,
  OFFLINE_REDIS_IMAGE,
  OPERATOR,
  removeProject,
  StackFixture,
  stackFixture,
} from '../../support/stackFixture';
import { api, eventually } from './extensionApi';

type Answer = (message: string, detail: string) => string | undefined | Promise<string | undefined>;

/**
 * Spies on the window API the extension shares with this suite: every notification and
 * progress is recorded; modal questions (which a test cannot click) get `answer`'s reply,
 * other calls still go through.
 */
class WindowSpy {
  readonly messages: string[] = [];
  readonly questions: Array<{ message: string; detail: string }> = [];
  progresses = 0;
  answer: Answer = () => undefined;
  private readonly originals = {
    showInformationMessage: vscode.window.showInformationMessage,
    showWarningMessage: vscode.window.showWarningMessage,
    showErrorMessage: vscode.window.showErrorMessage,
    withProgress: vscode.window.withProgress,
  };

  install(): void {
    const pass =
      (original: (...args: never[]) => unknown) =>
      (...args: unknown[]): unknown => {
        this.messages.push(String(args[0]));
        return (original as (...a: unknown[]) => unknown).apply(vscode.window, args);
      };
    Object.assign(vscode.window, {
      showInformationMessage: pass(this.originals.showInformationMessage),
      showErrorMessage: pass(this.originals.showErrorMessage),
      showWarningMessage: (message: string, ...rest: unknown[]): unknown => {
        const options = rest[0] as vscode.MessageOptions | undefined;
        if (options && typeof options === 'object' && options.modal) {
          this.questions.push({ message, detail: options.detail ?? '' });
          return Promise.resolve(this.answer(message, options.detail ?? ''));
        }
        return pass(this.originals.showWarningMessage)(message, ...rest);
      },
      withProgress: (...args: unknown[]): unknown => {
        // Notifications only: the Keys and Checks views show their own walks' progress in the view.
        if ((args[0] as vscode.ProgressOptions).location === vscode.ProgressLocation.Notification) this.progresses += 1;
        return (this.originals.withProgress as (...a: unknown[]) => unknown).apply(vscode.window, args);
      },
    });
  }

  reset(): void {
    this.messages.length = 0;
    this.questions.length = 0;
    this.progresses = 0;
    this.answer = () => undefined;
  }

  restore(): void {
    Object.assign(vscode.window, this.originals);
  }
}

/** Points the extension at one stack for a suite (its file, its project name, no pinned Redis), and puts the workspace settings back after. */
class StackSettings {
  private readonly saved: Record<string, unknown> = {};
  private static readonly KEYS = ['port', 'host', 'composeFile', 'projectName'];

  async use(composeFile: string, project: string): Promise<void> {
    const config = vscode.workspace.getConfiguration('sharedRedis');
    for (const key of StackSettings.KEYS) this.saved[key] = config.inspect(key)?.workspaceValue;
    const values: Record<string, unknown> = { composeFile, projectName: project, port: undefined, host: undefined };
    for (const key of StackSettings.KEYS) await config.update(key, values[key], vscode.ConfigurationTarget.Workspace);
  }

  async restore(): Promise<void> {
    const config = vscode.workspace.getConfiguration('sharedRedis');
    for (const [key, value] of Object.entries(this.saved)) {
      await config.update(key, value, vscode.ConfigurationTarget.Workspace);
    }
  }
}

/** The project's containers as `docker ps -a` lists them. */
async function containers(docker: Docker, project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${project}`] } });
}

/** How many containers the engine created for the project since `since` (seconds), from its event log. */
async function creates(docker: Docker, project: string, since: number): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = await docker.getEvents({
    since,
    until,
    filters: { type: ['container'], event: ['create'], label: [`${PROJECT_LABEL}=${project}`] },
  });
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  return text.split('\n').filter((line) => line.trim()).length;
}

const BUSY =
  /^Shared Redis is already (starting|stopping|restarting|removing) \(started \d+ s ago\); (wait for it or cancel it from its notification|wait for it to finish)\.$/;

describe('stack operations, one at a time, inside VS Code', function () {
  this.timeout(180_000);
  const spy = new WindowSpy();
  const settings = new StackSettings();
  let docker: Docker;
  let fixture: StackFixture;

  before(async () => {
    await probeEngines(engineCandidates(undefined), 3000);
    docker = (await connectEngine(undefined)).docker;
    fixture = stackFixture(await freePort());
    await settings.use(fixture.composeFile, fixture.project);
    spy.install();
  });

  beforeEach(() => spy.reset());

  after(async () => {
    spy.restore();
    await fixture.cleanup(docker); // test data only
    await settings.restore();
  });

  it('two Start clicks at once: one starts (one container, one create), the other says Start is in progress', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const results = await Promise.all([
      vscode.commands.executeCommand<string>('sharedRedis.start'),
      vscode.commands.executeCommand<string>('sharedRedis.start'),
    ]);
    assert.deepEqual([...results].sort(), ['busy', 'running'], spy.messages.join(' | '));
    assert.equal((await containers(docker, fixture.project)).length, 1);
    assert.equal(await creates(docker, fixture.project, since), 1, 'the engine created one container');
    const busy = spy.messages.filter((m) => BUSY.test(m));
    assert.deepEqual(
      busy.map((m) => m.replace(/\d+ s/, 'N s')),
      ['Shared Redis is already starting (started N s ago); wait for it or cancel it from its notification.'],
    );
    assert.equal(spy.progresses, 1, "one progress notification, the running start's");
    assert.equal((await api()).stack.snapshot.busy, undefined, 'busy ends with the start');
  });

  it('Stop, Restart and Remove during a Start change nothing, say so, and leave the busy state to the Start', async () => {
    const shared = await api();
    await shared.stack.run('Preparing', async () => {
      const controller = await shared.stack.controller();
      return controller.remove(await controller.load(shared.stack.settings()), false);
    });
    spy.reset();
    const since = Math.floor(Date.now() / 1000) - 1;
    const starting = vscode.commands.executeCommand<string>('sharedRedis.start');
    await eventually('the start to be under way', () => shared.stack.snapshot.busy === 'Starting');

    assert.equal(await vscode.commands.executeCommand('sharedRedis.stop'), 'busy', spy.messages.join(' | '));
    assert.equal(shared.stack.snapshot.busy, 'Starting', 'the refused Stop did not clear the busy state');
    assert.match(shared.statusBar.shown.text, /Redis: starting/);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.restart'), 'busy');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.removeStack'), 'busy');
    assert.deepEqual(spy.questions, [], 'Remove asked nothing');
    assert.equal(shared.stack.snapshot.busy, 'Starting');
    assert.equal(stackState(shared.stack.snapshot), 'busy');

    assert.equal(await starting, 'running');
    const [container] = await containers(docker, fixture.project);
    assert.ok(container);
    const details = await docker.getContainer(container.Id).inspect();
    assert.equal(details.State.Running, true);
    assert.equal(details.RestartCount, 0);
    assert.equal(await creates(docker, fixture.project, since), 1);
    assert.deepEqual(
      spy.messages.filter((m) => BUSY.test(m)).map((m) => m.replace(/\d+ s/, 'N s')),
      Array(3).fill(
        'Shared Redis is already starting (started N s ago); wait for it or cancel it from its notification.',
      ),
    );
    assert.equal(shared.stack.snapshot.busy, undefined);
    assert.match(shared.statusBar.shown.text, /Redis: running/);
  });

  it('a Start during a Stop says the Stop is in progress', async () => {
    const shared = await api();
    const stopping = vscode.commands.executeCommand<string>('sharedRedis.stop');
    await eventually('the stop to be under way', () => shared.stack.snapshot.busy === 'Stopping');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'busy');
    assert.equal(await stopping, 'stopped');
    assert.deepEqual(
      spy.messages.filter((m) => BUSY.test(m)).map((m) => m.replace(/\d+ s/, 'N s')),
      ['Shared Redis is already stopping (started N s ago); wait for it to finish.'],
    );
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
  });

  it('Start on a healthy stack whose Redis the engine restarted once after a crash says it was already running and changes nothing', async () => {
    const [container] = await containers(docker, fixture.project);
    assert.ok(container);
    const redis = docker.getContainer(container.Id);
    // A crash for real (an OOM kill, a segfault): Redis's own process dies and the restart policy brings it back.
    process.kill((await redis.inspect()).State.Pid, 'SIGKILL');
    const crashed = await eventually(
      'the engine to restart Redis and find it healthy again',
      async () => {
        const info = await redis.inspect();
        return info.RestartCount >= 1 && info.State.Health?.Status === 'healthy' && info;
      },
      60_000,
    );
    spy.reset();

    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running', spy.messages.join(' | '));
    assert.deepEqual(spy.messages, [`Shared Redis was already running at 127.0.0.1:${fixture.port}.`]);
    const after = await redis.inspect();
    assert.deepEqual(
      (await containers(docker, fixture.project)).map((c) => c.Id),
      [container.Id],
      'the same container',
    );
    assert.equal(after.State.StartedAt, crashed.State.StartedAt, 'not restarted by the Start');
  });

  it('Start on a paused stack (docker pause) unpauses it and says it is running and healthy', async () => {
    const [container] = await containers(docker, fixture.project);
    assert.ok(container);
    const redis = docker.getContainer(container.Id);
    await redis.pause();
    // The engine marks a paused container unhealthy at once, and keeps saying so after an unpause until its next probe.
    await eventually('the engine to call the paused Redis unhealthy', async () => {
      const info = await redis.inspect();
      return info.State.Paused && info.State.Health?.Status === 'unhealthy';
    });
    spy.reset();

    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running', spy.messages.join(' | '));
    assert.deepEqual(spy.messages, [`Shared Redis is running and healthy at 127.0.0.1:${fixture.port}.`]);
    const after = await redis.inspect();
    assert.equal(after.State.Status, 'running');
    assert.equal(after.State.Health?.Status, 'healthy');
    assert.deepEqual(
      (await containers(docker, fixture.project)).map((c) => c.Id),
      [container.Id],
      'the same container, with its data',
    );
    assert.match(await vscode.commands.executeCommand<string>('sharedRedis.ping'), /^PONG in /);
  });

  it('Remove Stack removes exactly the containers its dialog named, not one that appeared after it', async () => {
    const [original] = await containers(docker, fixture.project);
    assert.ok(original);
    let late: Docker.Container | undefined;
    spy.answer = async (message) => {
      if (message.startsWith('Remove the ')) {
        // Another tool adds a container to the project while the dialog is open.
        late = await docker.createContainer({
          Image: OFFLINE_REDIS_IMAGE,
          Labels: { [PROJECT_LABEL]: fixture.project, [SERVICE_LABEL]: 'late' },
        });
        return 'Remove';
      }
      return 'Keep Volume';
    };
    try {
      // What is left is the newcomer, created and not started.
      assert.equal(await vscode.commands.executeCommand('sharedRedis.removeStack'), 'stopped');
      const first = spy.questions[0];
      assert.ok(first);
      const name = original.Names[0]?.replace(/^\//, '');
      assert.equal(
        first.detail,
        `This removes containers ${name} and network ${fixture.network}. The data volume ${fixture.project}_redis-data is kept.`,
      );
      assert.equal(spy.questions[1]?.message, `Also delete the volume ${fixture.project}_redis-data?`);
      assert.ok(late);
      const left = await containers(docker, fixture.project);
      assert.deepEqual(
        left.map((c) => c.Id),
        [late.id],
        'the container that appeared after the dialog is still there; the named one is gone',
      );
      assert.ok(
        spy.messages.includes(`Removed 1 container(s) and 1 network(s); kept ${fixture.project}_redis-data.`),
        spy.messages.join(' | '),
      );
    } finally {
      await late?.remove({ force: true });
    }
  });

  it('Remove Stack with only the data volume left asks to delete it, naming it; cancelled keeps it, confirmed deletes it', async () => {
    // As a Remove Stack that kept the volume, or a `docker-compose down`, leaves it.
    const filters = { label: [`${PROJECT_LABEL}=${fixture.project}`] };
    for (const c of await docker.listContainers({ all: true, filters })) {
      await docker.getContainer(c.Id).remove({ force: true, v: false });
    }
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
    const volume = `${fixture.project}_redis-data`;
    assert.ok(await docker.getVolume(volume).inspect(), 'the data volume is left');
    spy.answer = () => Promise.resolve(undefined);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.removeStack'), 'cancelled');
    assert.equal(spy.questions[0]?.message, `Delete the volume ${volume}?`);
    assert.match(spy.questions[0]?.detail ?? '', /every key stored in the shared Redis.*cannot be undone/);
    assert.ok(await docker.getVolume(volume).inspect(), 'cancelled: the volume is kept');
    spy.answer = (message) => Promise.resolve(message.startsWith('Delete the volume') ? 'Delete Volume' : undefined);
    await vscode.commands.executeCommand('sharedRedis.removeStack');
    await assert.rejects(docker.getVolume(volume).inspect(), /no such volume/i, 'confirmed: the volume is deleted');
    assert.ok(
      spy.messages.some((m) => m.toLowerCase().includes(`deleted the volume(s) ${volume}`)),
      spy.messages.join(' | '),
    );
  });

  it('Remove Stack does not offer to delete a data volume that a container outside the stack uses: it names that container and deletes nothing', async () => {
    // Start it again, then take it down as `docker-compose down` would, keeping the volume.
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running', spy.messages.join(' | '));
    const filters = { label: [`${PROJECT_LABEL}=${fixture.project}`] };
    for (const c of await docker.listContainers({ all: true, filters })) {
      await docker.getContainer(c.Id).remove({ force: true, v: false });
    }
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
    const volume = `${fixture.project}_redis-data`;
    // A user's own backup container mounts the data, before Remove Stack is chosen.
    const outsider = await docker.createContainer({
      Image: OFFLINE_REDIS_IMAGE,
      name: `${fixture.project}-backup-helper`,
      HostConfig: { Binds: [`${volume}:/backup:ro`] },
    });
    try {
      spy.reset();
      spy.answer = (message) => Promise.resolve(message.startsWith('Delete the volume') ? 'Delete Volume' : undefined);
      await vscode.commands.executeCommand('sharedRedis.removeStack');
      assert.deepEqual(spy.questions, [], 'no question offers to delete a volume the engine must keep');
      assert.ok(
        spy.messages.includes(
          `The volume ${volume} is used by the container ${fixture.project}-backup-helper, which is not part of the ${fixture.project} stack: remove that container to delete the volume. Nothing was removed.`,
        ),
        spy.messages.join(' | '),
      );
      assert.ok(await docker.getVolume(volume).inspect(), 'the volume is kept');
      assert.ok(await outsider.inspect(), 'the other container is untouched');
    } finally {
      await outsider.remove({ force: true });
    }
  });
});

describe('two stacks with one project name', function () {
  this.timeout(240_000);
  const spy = new WindowSpy();
  const settings = new StackSettings();
  let docker: Docker;
  /** Started by docker-compose (v1) from its own folder. */
  let theirs: StackFixture;
  /** This window's stack: another folder, another password, the same project name and port. */
  let ours: StackFixture;
  const clients: Redis[] = [];
  const login = async (password: string): Promise<Redis> => {
    const client = new Redis({
      host: '127.0.0.1',
      port: theirs.port,
      username: OPERATOR,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const compose = (fixture: StackFixture, ...args: string[]): void => {
    execFileSync('docker-compose', ['-p', theirs.project, '-f', fixture.composeFile, ...args], {
      cwd: fixture.dir,
      stdio: 'pipe',
    });
  };

  before(async () => {
    await probeEngines(engineCandidates(undefined), 3000);
    docker = (await connectEngine(undefined)).docker;
    theirs = stackFixture(await freePort());
    ours = stackFixture(theirs.port);
    for (const fixture of [theirs, ours]) {
      syncAclFile({ envFile: join(fixture.dir, '.env'), aclFile: join(fixture.dir, 'users.acl') }, DEFAULT_POLICY);
    }
    compose(theirs, 'up', '-d');
    await settings.use(ours.composeFile, theirs.project);
    spy.install();
  });

  beforeEach(() => spy.reset());

  after(async () => {
    spy.restore();
    clients.forEach((c) => c.disconnect());
    await removeProject(docker, theirs.project); // test data only
    for (const fixture of [theirs, ours]) await fixture.cleanup(docker);
    await settings.restore();
  });

  it('Start names the files that run the project and, on "Use That Stack", changes nothing and logs in with that stack\'s password', async () => {
    const shared = await api();
    await eventually(
      "docker-compose's Redis to be healthy",
      async () => (await containers(docker, theirs.project)).some((c) => c.Status.includes('(healthy)')),
      60_000,
    );
    const [before] = await containers(docker, theirs.project);
    assert.ok(before);
    const startedAt = (await docker.getContainer(before.Id).inspect()).State.StartedAt;
    spy.answer = () => 'Use That Stack';

    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    assert.equal(spy.questions.length, 1);
    const question = spy.questions[0];
    assert.equal(question?.message, `The ${theirs.project} project is already running from another stack's files.`);
    assert.ok(
      question?.detail.includes(`was started from ${theirs.composeFile}; this window's stack is ${ours.composeFile}.`),
      question?.detail,
    );
    assert.ok(
      question?.detail.includes(`The volume ${theirs.project}_redis-data is kept and used again by this stack`),
      question?.detail,
    );

    const [after] = await containers(docker, theirs.project);
    assert.equal(after?.Id, before.Id, 'the same container');
    assert.equal((await docker.getContainer(before.Id).inspect()).State.StartedAt, startedAt, 'not restarted');
    await eventually('the session to follow the stack', () => shared.session.endpoint.port === theirs.port);
    assert.match(
      await vscode.commands.executeCommand<string>('sharedRedis.ping'),
      /^PONG in /,
      "logged in with the password that Redis has (theirs, not this window's .env)",
    );
  });

  it('"Replace It" recreates the container from this window\'s files and keeps the data volume with its keys', async () => {
    const client = await login(theirs.password);
    await client.set('shared:config:owner', 'kept');
    client.disconnect();
    spy.answer = () => 'Replace It';

    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    assert.equal(spy.questions.length, 1);
    const [replaced] = await containers(docker, theirs.project);
    assert.equal(replaced?.Labels[CONFIG_FILES_LABEL], ours.composeFile);
    const back = await login(ours.password);
    assert.equal(await back.get('shared:config:owner'), 'kept');
  });

  it("a cancelled question changes nothing, and a container docker-compose made from this window's own files is this stack: no question", async () => {
    // docker-compose takes the project back from its folder: the window's Start asks again; Cancel leaves it.
    compose(theirs, 'up', '-d');
    const [theirsAgain] = await containers(docker, theirs.project);
    assert.ok(theirsAgain);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'cancelled');
    assert.equal(spy.questions.length, 1);
    assert.deepEqual(
      (await containers(docker, theirs.project)).map((c) => c.Id),
      [theirsAgain.Id],
    );

    spy.reset();
    compose(ours, 'up', '-d');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    assert.deepEqual(spy.questions, [], 'no question for the same files');
  });
});
