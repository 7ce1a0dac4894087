import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { Logger } from '../../../src/logger';
import { RedisSession, StackRedisChange } from '../../../src/redisSession';
import { readRedisEndpoint, SettingsChange } from '../../../src/settings';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { suiteConfig } from './config';
import { api, eventually } from './extensionApi';

/**
 * A window whose settings name the Redis (here sharedRedis.port, as the suite's workspace
 * sets it) connects to it at once: the stack's first answer (the engine's, 170–340 ms after
 * the second stage loaded in code-server's busy extension host) is not waited for, and a
 * connection it makes wrong is dropped once it comes.
 *
 * The session, the test Redis, the settings and VS Code's secret storage are the real ones.
 * The stack's answers are this test's to give: an emitter stands for an engine that has not
 * answered yet (StackService would publish the same StackRedisChange), and the session is
 * told to wait for it longer than the test runs, as the old session did for 4 s.
 */
describe('the connection made before the stack answers', function () {
  this.timeout(30_000);
  const LONGER_THAN_THE_TEST = 600_000;
  const USER = 'connect-before-stack';
  const PASSWORD = 'connect-before-stack-password';
  let shared: SharedRedisInternals;
  let admin: Redis;
  let stack: vscode.EventEmitter<StackRedisChange>;
  let settingsChanges: vscode.EventEmitter<SettingsChange>;
  let session: RedisSession | undefined;
  let lines: string[];

  const recording = (): Logger => {
    const logger: Logger = {
      trace: (m) => lines.push(m),
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(typeof m === 'string' ? m : m.message),
      child: () => logger,
      show: () => undefined,
    };
    return logger;
  };

  const newSession = (stackWaitMs = LONGER_THAN_THE_TEST): RedisSession => {
    session = new RedisSession(shared.secrets, recording(), settingsChanges.event, stack.event, stackWaitMs);
    return session;
  };

  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const namePort = async (port: number | undefined): Promise<void> => {
    await config().update('port', port, vscode.ConfigurationTarget.Workspace);
    await eventually(`the extension host to read sharedRedis.port ${port}`, () => readRedisEndpoint().port === port);
  };

  before(async () => {
    shared = await api();
    admin = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
  });
  beforeEach(() => {
    lines = [];
    stack = new vscode.EventEmitter<StackRedisChange>();
    settingsChanges = new vscode.EventEmitter<SettingsChange>();
  });
  afterEach(() => {
    session?.dispose();
    session = undefined;
    stack.dispose();
    settingsChanges.dispose();
  });
  after(async () => {
    await admin.call('ACL', 'DELUSER', USER);
    admin.disconnect();
  });

  it('reaches the server the settings name while the engine has not answered', async () => {
    const connected = newSession();
    assert.equal(await connected.use((client) => client.ping()), 'PONG');
    assert.equal(await connected.use((client) => client.call('ACL', 'WHOAMI')), 'default');
  });

  it('gives up a connection that failed before the stack answered once the settings changed meanwhile', async () => {
    const named = config().inspect<number>('port')?.workspaceValue;
    const closed = suiteConfig().closedPort;
    // The stack's wait ends after 1 s here: then a connection still wanted goes the usual way.
    const connecting = newSession(1000);
    let first: Promise<unknown>;
    await namePort(closed);
    try {
      first = connecting.use((client) => client.ping()).catch((error: unknown) => error);
      await eventually('the connection to the closed port to fail', () =>
        lines.some((line) => line.startsWith('Could not connect before the stack answered')),
      );
    } finally {
      await namePort(named);
    }
    connecting.reset('settings changed'); // what the session does on a change of the connection's settings
    assert.equal(await connecting.use((client) => client.ping()), 'PONG');
    assert.ok((await first) instanceof Error, "the dropped connection's caller was told it failed");
    assert.deepEqual(
      lines.filter((line) => line === `Connecting to 127.0.0.1:${closed}`),
      [`Connecting to 127.0.0.1:${closed}`],
      'the closed port was tried once, before the settings changed, and not again once the wait ended',
    );
  });

  it("keeps that connection when the stack's Redis is another server", async () => {
    const connected = newSession();
    const id = await connected.use((client) => client.client('ID'));
    let endpointChanges = 0;
    connected.onDidChangeEndpoint(() => endpointChanges++);
    stack.fire({
      redis: {
        host: '127.0.0.1',
        port: suiteConfig().closedPort,
        username: 'operator',
        password: 'the-stack-password',
      },
      redisStarting: undefined,
    });
    await eventually('the session to say it kept the connection', () =>
      lines.some((line) => line.startsWith('Kept the connection')),
    );
    assert.equal(await connected.use((client) => client.client('ID')), id, 'the same connection');
    assert.equal(endpointChanges, 0, 'the views were not told to read again');
  });

  it("drops it when the stack's answer changes who logs in to that server", async () => {
    const connected = newSession();
    assert.equal(await connected.use((client) => client.call('ACL', 'WHOAMI')), 'default');
    let endpointChanges = 0;
    connected.onDidChangeEndpoint(() => endpointChanges++);
    const { host, port } = connected.endpoint;
    stack.fire({ redis: { host, port, username: USER, password: PASSWORD }, redisStarting: undefined });
    await eventually('the next command to log in as the stack says', async () =>
      (await connected.use((client) => client.call('ACL', 'WHOAMI'))) === USER ? true : undefined,
    );
    assert.equal(endpointChanges, 1, 'the views were told to read again, once');
  });
});
