import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { KeyOperationResult } from '../../../src/commands/keys/operations';
import { startRedis } from '../../unit/redis/tls/fixtures';
import { suiteConfig } from './config';
import { api } from './extensionApi';

function run(command: string, ...args: unknown[]): Thenable<KeyOperationResult> {
  return vscode.commands.executeCommand<KeyOperationResult>(command, ...args);
}

/** A mistyped safety setting in the workspace settings, as a teammate's commit may bring it. */
describe('a mistyped safety setting fails closed', function () {
  this.timeout(60_000);
  let redis: Redis;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');

  // The suite's workspace names its Redis (sharedRedis.port): each test's changes are undone to
  // what the workspace held, not to unset, or every later suite would talk to 127.0.0.1:6379.
  const TOUCHED = ['readOnly', 'db', 'host', 'port', 'tls'] as const;
  const held = new Map<string, unknown>();

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    for (const key of TOUCHED) held.set(key, config().inspect(key)?.workspaceValue);
  });
  afterEach(async () => {
    for (const key of TOUCHED) await config().update(key, held.get(key), vscode.ConfigurationTarget.Workspace);
    await redis.unlink('failclosed:key');
  });
  after(() => redis.disconnect());

  it('readOnly "true" (text) keeps the key: Delete Key is refused as read-only', async () => {
    await api();
    await redis.set('failclosed:key', 'v');
    await config().update('readOnly', 'true', vscode.ConfigurationTarget.Workspace);
    const result = await run('sharedRedis.deleteKey', 'failclosed:key');
    assert.equal(result.outcome, 'refused', result.message);
    assert.equal(await redis.get('failclosed:key'), 'v');
  });

  it('db "3" (text) changes nothing in database 0: nothing connects until it is fixed', async () => {
    const shared = await api();
    await redis.set('failclosed:key', 'v');
    await config().update('db', '3', vscode.ConfigurationTarget.Workspace);
    shared.session.reset('the test changed db');
    const result = await run('sharedRedis.setTtl', 'failclosed:key', '90');
    assert.notEqual(result.outcome, 'done', result.message);
    assert.match(result.message, /sharedRedis\.db in the workspace settings must be a whole number/);
    assert.equal(await redis.ttl('failclosed:key'), -1, 'the key in database 0 keeps no TTL');
  });

  it('a host with a port in it names the setting, not a server it never tried', async () => {
    const shared = await api();
    await redis.set('failclosed:key', 'v');
    await config().update('host', 'redis.internal:6380', vscode.ConfigurationTarget.Workspace);
    shared.session.reset('the test changed host');
    const result = await run('sharedRedis.setTtl', 'failclosed:key', '90');
    assert.notEqual(result.outcome, 'done', result.message);
    assert.match(result.message, /sharedRedis\.host in the workspace settings/);
    // Nothing was tried: naming the default 127.0.0.1 would send the user to the wrong server.
    assert.doesNotMatch(result.message, /127\.0\.0\.1|6379/);
    assert.equal(await redis.ttl('failclosed:key'), -1);
  });

  it('the Keys view names the setting in its failure row, not " was not connected to" with no subject', async () => {
    const shared = await api();
    await config().update('host', 'redis.internal:6380', vscode.ConfigurationTarget.Workspace);
    shared.session.reset('the test changed host');
    const state = await shared.keys.refresh();
    assert.equal(state.kind, 'failed');
    const provider = shared.views.keys;
    const [first] = await provider.getChildren();
    assert.ok(first, 'a failure row');
    const label = provider.getTreeItem(first).label;
    const text = typeof label === 'string' ? label : (label?.label ?? '');
    assert.match(text, /sharedRedis\.host/, `the row reads ${JSON.stringify(text)}`);
    // Two rows with one id: VS Code refuses the whole tree ("Element with id … is already registered").
    const ids = (await provider.getChildren()).map((row) => provider.getTreeItem(row).id);
    assert.equal(new Set(ids).size, ids.length, `row ids: ${ids.join(', ')}`);
  });

  it('an invalid port with a named host: the Stack view probes no server at the default port 6379', async () => {
    const host = Object.values(networkInterfaces())
      .flat()
      .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
    assert.ok(host, 'an IPv4 address other than loopback (the probe does not ask loopback ones)');
    // The server the fallback port would reach: a Redis on the named host's default port.
    const server = spawn('redis-server', ['--bind', host, '--port', '6379', '--save', '', '--protected-mode', 'no'], {
      stdio: 'ignore',
    });
    try {
      const there = new Redis({ host, port: 6379, lazyConnect: true, retryStrategy: () => null });
      for (let i = 0; ; i++) {
        try {
          await there.connect();
          break;
        } catch (error) {
          if (i > 50) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const received = async (): Promise<number> =>
        Number(/total_connections_received:(\d+)/.exec(await there.info('stats'))?.[1]);
      const shared = await api();
      await config().update('host', host, vscode.ConfigurationTarget.Workspace);
      await config().update('port', '6380x', vscode.ConfigurationTarget.Workspace);
      const before = await received();
      await shared.views.stack.probe();
      const after = await received();
      const access = shared.views.stack.passwordlessAccess;
      there.disconnect();
      assert.equal(
        after - before,
        0,
        `the probe reached ${host}:6379, a port nothing named (it says ${JSON.stringify(access)})`,
      );
    } finally {
      server.kill();
    }
  });

  it('tls "true" (text) sends the stored password to no server in plain text', async () => {
    const shared = await api();
    const password = 'rev1-plaintext-secret';
    const server = await startRedis({ password });
    // What the extension sends, as anyone on the network path would see it.
    const seen: Buffer[] = [];
    const proxy = createServer((client) => {
      const upstream = connect(server.port, server.host);
      client.on('data', (chunk: Buffer) => seen.push(chunk));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const address = proxy.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await config().update('port', port, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('sharedRedis.setPassword', { password });
      await config().update('tls', 'true', vscode.ConfigurationTarget.Workspace);
      shared.session.reset('the test changed tls');
      const text = await vscode.commands.executeCommand<string>('sharedRedis.ping');
      assert.ok(
        !Buffer.concat(seen).includes(password),
        `the password went over TCP in plain text (ping said: ${text})`,
      );
    } finally {
      await config().update('tls', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('sharedRedis.setPassword', { password: '' });
      proxy.close();
      await server.stop();
    }
  });

  it('Set Password with an invalid host stores nothing (not under 127.0.0.1, a server nobody named) and says why', async () => {
    const shared = await api();
    await config().update('host', 'redis.internal:6380', vscode.ConfigurationTarget.Workspace);
    const fallback = shared.session.endpoint;
    const before = await shared.secrets.credentials(fallback);
    const stored = await vscode.commands.executeCommand<boolean>('sharedRedis.setPassword', {
      password: 'typed-for-redis-internal',
    });
    assert.equal(stored, false);
    assert.deepEqual(await shared.secrets.credentials(fallback), before, 'nothing stored for 127.0.0.1');
  });
});
