import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { connectEngine } from '../../../src/docker/engine';
import { OPERATOR, StackFixture } from '../../support/stackFixture';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually } from './extensionApi';

/**
 * A stack whose Redis is up but whose healthcheck has not passed yet (a window opened
 * right after `docker compose up`, or a restart from the terminal): the extension talks to
 * it with the stack's own password and never asks the user for one.
 */
describe('a stack whose healthcheck still says starting', function () {
  this.timeout(150_000);
  const stack = useWorkspaceStack({
    settings: { port: undefined, host: undefined },
    prepare: (made) => {
      // A slow first healthcheck keeps the container "starting" for seconds after each (re)start.
      const compose = readFileSync(made.composeFile, 'utf8');
      assert.match(compose, /interval: 2s/);
      writeFileSync(made.composeFile, compose.replace('interval: 2s', 'interval: 8s'));
    },
  });
  let fixture: StackFixture;
  before(() => {
    fixture = stack.fixture;
  });

  it('pings a restarted stack while its healthcheck says starting, with the .env password and no prompt', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually('the session to follow the stack', () => shared.session.endpoint.port === fixture.port);

    // Restart from outside the extension, as `docker restart` in a terminal would.
    const { docker } = await connectEngine(undefined);
    const [container] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(container);
    await docker.getContainer(container.Id).restart({ t: 5 });
    await eventually('the Stack view to see the container starting', () =>
      shared.stack.snapshot.services.some((s) => s.health === 'starting'),
    );
    // "starting" is the healthcheck's word, not Redis's: the container's redis-server takes a
    // moment to listen after the container starts, and until then the published port resets
    // each connection (ECONNRESET; CI saw the ping fail so once). What this test is about
    // comes after: Redis answers while the healthcheck still says starting.
    await eventually('the restarted Redis to answer', () => answersPing(fixture));

    const prompts: string[] = [];
    const prompt = shared.session.prompt;
    shared.session.prompt = async (where) => {
      prompts.push(where);
      return undefined;
    };
    try {
      assert.equal(
        shared.session.endpoint.port,
        fixture.port,
        `the session keeps talking to the stack while it starts (the snapshot has it at port ${String(shared.stack.snapshot.redisStarting?.port)})`,
      );
      const reply = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.ok(
        shared.stack.snapshot.services.some((s) => s.health === 'starting'),
        'the ping ran while the healthcheck still said starting',
      );
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

  it('says the stack is starting, not "Start the shared Redis stack", when Ping finds its Redis not answering yet', async () => {
    const shared = await api();
    await eventually('the stack to be healthy', () => shared.stack.snapshot.redis !== undefined, 60_000);
    const { docker } = await connectEngine(undefined);
    const [listed] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    assert.ok(listed);
    const container = docker.getContainer(listed.Id);
    const shown: string[] = [];
    const showErrorMessage = vscode.window.showErrorMessage;
    Object.assign(vscode.window, {
      showErrorMessage: (...args: unknown[]): unknown => {
        shown.push(String(args[0]));
        return (showErrorMessage as (...a: unknown[]) => unknown).apply(vscode.window, args);
      },
    });
    try {
      // A restart, then redis-server frozen (SIGSTOP from outside, as a slow start or a long AOF
      // load would leave it): the container runs, its healthcheck says starting, and Redis does
      // not answer (the port resets connections, or accepts them and never replies).
      await container.restart({ t: 5 });
      await container.kill({ signal: 'SIGSTOP' });
      await eventually('the Stack view to see the container starting', () =>
        shared.stack.snapshot.services.some((s) => s.state === 'running' && s.health === 'starting'),
      );
      const reply = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.ok(
        shared.stack.snapshot.services.some((s) => s.health === 'starting'),
        'the ping ran while the healthcheck still said starting',
      );
      assert.match(
        reply,
        new RegExp(
          `^Ping failed: Redis at 127\\.0\\.0\\.1:${fixture.port}( \\(user operator\\))? is not answering yet: ` +
            'the shared Redis stack is starting \\(healthcheck: starting\\)\\. Try again in a few seconds\\.$',
        ),
      );
      assert.deepEqual(shown, [reply], 'the one message the user sees');

      // The Keys view says the same, and offers no "Start Shared Redis" for a stack that is starting.
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'failed');
      const view = shared.views.keys;
      const labels = (await view.getChildren(undefined)).map((row) => String(view.getTreeItem(row).label));
      assert.ok(
        shared.stack.snapshot.services.some((s) => s.health === 'starting'),
        'the walk failed while the healthcheck still said starting',
      );
      assert.match(
        labels[0] ?? '',
        /is not answering yet: the shared Redis stack is starting \(healthcheck: starting\)/,
        labels.join(' | '),
      );
      assert.ok(!labels.includes('Start Shared Redis'), labels.join(' | '));
      assert.ok(labels.includes('Retry'), labels.join(' | '));
    } finally {
      Object.assign(vscode.window, { showErrorMessage });
      await container.kill({ signal: 'SIGCONT' }).catch(() => undefined);
    }
    await eventually('the stack to turn healthy again', () => shared.stack.snapshot.redis !== undefined, 60_000);
    assert.match(await vscode.commands.executeCommand<string>('sharedRedis.ping'), /^PONG in /);
  });
});

/** True once the stack's Redis answers PING as the operator (one connection, no retries). */
async function answersPing(fixture: StackFixture): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port: fixture.port,
    username: OPERATOR,
    password: fixture.password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
