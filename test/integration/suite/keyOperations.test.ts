import * as assert from 'node:assert/strict';
import { AddressInfo, createServer, Socket } from 'node:net';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { KeyOperationResult } from '../../../src/commands/keys/operations';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { TTL_FORMS_MESSAGE } from '../../../src/redis/mutations';
import type { KeysRow } from '../../../src/views/keysView';
import { suiteConfig } from './config';
import { api } from './extensionApi';

const MUTATING = [
  'sharedRedis.setTtl',
  'sharedRedis.persistKey',
  'sharedRedis.deleteKey',
  'sharedRedis.deleteNamespace',
];

function run(command: string, ...args: unknown[]): Thenable<KeyOperationResult> {
  return vscode.commands.executeCommand<KeyOperationResult>(command, ...args);
}

async function child(shared: SharedRedisInternals, parent: KeysRow | undefined, label: string): Promise<KeysRow> {
  const provider = shared.views.keys;
  const found = (await provider.getChildren(parent)).find((row) => provider.getTreeItem(row).label === label);
  assert.ok(found, `no row "${label}"`);
  return found;
}

describe('key operations: TTL, persist, copy, and read-only', function () {
  this.timeout(60_000);
  let redis: Redis;
  // This suite's own keys, under a namespace of its own (other suites flush the db).
  const binary = Buffer.from([0x6f, 0x70, 0x73, 0x74, 0x65, 0x73, 0x74, 0x3a, 0xff, 0x00, 0x2a]); // opstest:\xff\0*

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    const pipeline = redis.pipeline();
    pipeline.set('opstest:ttl', 'v');
    pipeline.set('opstest:keep', 'v', 'EX', 500);
    pipeline.hset('opstest:row:1', 'f', 'v');
    pipeline.set('opstest:copy', 'v');
    pipeline.set('opstest:ünï:copy', 'v');
    pipeline.set(binary, 'b');
    pipeline.del('opstest:missing');
    await pipeline.exec();
  });
  after(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', 'opstest:*', 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
    redis.disconnect();
  });

  it('sets a TTL given as arguments, on the exact key', async () => {
    await api();
    const result = await run('sharedRedis.setTtl', 'opstest:ttl', '30m');
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.message, 'opstest:ttl now expires in 30m.');
    const ttl = await redis.ttl('opstest:ttl');
    assert.ok(ttl > 1790 && ttl <= 1800, String(ttl));
  });

  it('rejects bad TTL input with the accepted forms and changes nothing', async () => {
    for (const input of ['abc', '-5', '1.5h', '', '99999999999999999999', '0']) {
      const result = await run('sharedRedis.setTtl', 'opstest:keep', input);
      assert.deepEqual(result, { outcome: 'invalid', message: TTL_FORMS_MESSAGE }, input);
    }
    const ttl = await redis.ttl('opstest:keep');
    assert.ok(ttl > 480 && ttl <= 500, String(ttl));
  });

  it('works on a Keys view row, as its context menu passes it', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const row = await child(shared, await child(shared, await child(shared, undefined, 'opstest'), 'row'), '1');
    // (The test's copy of the KeyRow class is not the bundle's: the row is checked by what it shows.)
    assert.equal(shared.views.keys.getTreeItem(row).contextValue, 'key.hash');
    const walked = shared.keys.state;
    const result = await run('sharedRedis.setTtl', row, '1h');
    assert.equal(result.outcome, 'done', result.message);
    const ttl = await redis.ttl('opstest:row:1');
    assert.ok(ttl > 3590 && ttl <= 3600, String(ttl));
    // The row shows the new TTL at once, from one TYPE/PTTL read: the keyspace is not walked again.
    const after = await child(shared, await child(shared, await child(shared, undefined, 'opstest'), 'row'), '1');
    assert.match(String(shared.views.keys.getTreeItem(after).description), /^hash · (59m \d+s|1h 0m)$/);
    assert.ok(
      walked.kind === 'complete' && shared.keys.state.kind === 'complete' && shared.keys.state.model === walked.model,
      'the same walk, patched',
    );
  });

  it('takes a deleted key out of the counts and rows without walking again; an emptied namespace goes', async () => {
    const shared = await api();
    await redis.set('opstest:gone:1', 'v');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const walked = shared.keys.state;
    assert.ok(walked.kind === 'complete');
    const label = async (): Promise<string> =>
      String(shared.views.keys.getTreeItem(await child(shared, undefined, 'opstest')).description);
    const before = await label();
    const count = Number(/^(\d+) keys/.exec(before)?.[1]);
    assert.ok(count > 1, before);
    await child(shared, await child(shared, await child(shared, undefined, 'opstest'), 'gone'), '1'); // the row is shown
    // What Delete Key does once its modal dialog is confirmed (the dialog itself is clicked at the e2e level).
    assert.equal(await redis.unlink('opstest:gone:1'), 1);
    await shared.keys.keyChanged(Buffer.from('opstest:gone:1'), 'deleted');
    assert.equal(await label(), `${count - 1} keys`);
    const rows = (await shared.views.keys.getChildren(await child(shared, undefined, 'opstest'))).map(
      (r) => shared.views.keys.getTreeItem(r).label,
    );
    assert.ok(!rows.includes('gone'), `the emptied namespace is gone: ${rows.join(', ')}`);
    assert.ok(
      shared.keys.state.kind === 'complete' && shared.keys.state.model === walked.model,
      'the same walk, patched',
    );
  });

  it('persists a key, and says when there is no TTL to remove', async () => {
    await redis.expire('opstest:row:1', 300);
    const shared = await api();
    await vscode.commands.executeCommand('sharedRedis.refreshKeys');
    const row = await child(shared, await child(shared, await child(shared, undefined, 'opstest'), 'row'), '1');
    const first = await run('sharedRedis.persistKey', row, [row]);
    assert.equal(first.outcome, 'done', first.message);
    assert.equal(await redis.ttl('opstest:row:1'), -1);
    const second = await run('sharedRedis.persistKey', 'opstest:row:1');
    assert.equal(second.outcome, 'unchanged');
    assert.equal(await redis.hget('opstest:row:1', 'f'), 'v');
  });

  it('says a key is gone, and does not create it', async () => {
    const result = await run('sharedRedis.setTtl', 'opstest:missing', '90');
    assert.equal(result.outcome, 'gone');
    assert.match(result.message, /opstest:missing no longer exists/);
    assert.equal(await redis.exists('opstest:missing'), 0);
  });

  it('acts on binary key names byte for byte', async () => {
    const result = await run('sharedRedis.setTtl', binary, '2d');
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.message, 'opstest:\\xff\\x00* now expires in 2d.');
    assert.ok((await redis.ttl(binary)) > 172_700);
  });

  it('copies key names: UTF-8 as text, other bytes escaped and said so', async () => {
    const text = await run('sharedRedis.copyKeyName', 'opstest:ünï:copy');
    assert.equal(text.outcome, 'done');
    assert.equal(text.text, 'opstest:ünï:copy');
    assert.doesNotMatch(text.message, /escaped/);
    const escaped = await run('sharedRedis.copyKeyName', binary);
    assert.equal(escaped.outcome, 'done');
    assert.equal(escaped.text, 'opstest:\\xff\\x00*');
    assert.match(escaped.message, /escaped/);
  });

  it('counts a namespace before anything else, and deletes nothing when it is empty', async () => {
    await redis.set('opstest:emptyish', 'neighbour'); // starts with the letters, is not under opstest:empty:
    const result = await run('sharedRedis.deleteNamespace', 'opstest:empty:');
    assert.deepEqual(result, { outcome: 'unchanged', message: 'Nothing to delete: no keys under opstest:empty:' });
    assert.equal(await redis.get('opstest:emptyish'), 'neighbour');
  });

  it('gives one clear message when Redis cannot be reached, and changes nothing', async () => {
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const port = config.inspect<number>('port')?.workspaceValue; // the launcher's redis
    await config.update('port', suiteConfig().closedPort, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await run('sharedRedis.setTtl', 'opstest:keep', '90');
      assert.equal(result.outcome, 'failed');
      assert.match(result.message, /^Set TTL was not run: Redis at 127\.0\.0\.1:\d+ is unreachable/);
    } finally {
      await config.update('port', port, vscode.ConfigurationTarget.Workspace);
    }
    assert.ok((await redis.ttl('opstest:keep')) > 400);
  });

  it('against a server that accepts and never answers, Set TTL waits for one connection attempt, not one per check', async function () {
    this.timeout(120_000);
    // A peer that takes the connection and stays silent (a hung server, a wrong port on a proxy).
    let accepted = 0;
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      accepted += 1;
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const port = config.inspect<number>('port')?.workspaceValue;
    await config.update('port', silentPort, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await run('sharedRedis.setTtl', 'opstest:keep', '90');
      assert.equal(result.outcome, 'failed');
      assert.match(result.message, new RegExp(`127\\.0\\.0\\.1:${silentPort}`));
      assert.equal(accepted, 1, 'one connection attempt: the failed replica check ends the command');
    } finally {
      await config.update('port', port, vscode.ConfigurationTarget.Workspace);
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
    assert.ok((await redis.ttl('opstest:keep')) > 400);
  });

  it('with readOnly on: hides every mutating command and refuses each one, changing nothing', async () => {
    const shared = await api();
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const before = config.inspect<boolean>('readOnly')?.workspaceValue;
    await redis.set('opstest:ro', 'v', 'EX', 400);
    await config.update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const ttlBefore = await redis.ttl('opstest:ro');
      const results = [
        await run('sharedRedis.setTtl', 'opstest:ro', '90'),
        await run('sharedRedis.persistKey', 'opstest:ro'),
        await run('sharedRedis.deleteKey', 'opstest:ro'),
        await run('sharedRedis.deleteNamespace', 'opstest'),
      ];
      for (const result of results) {
        assert.equal(result.outcome, 'refused');
        assert.match(result.message, /read-only \(setting "sharedRedis\.readOnly"\)/);
        assert.match(result.message, /nothing was changed/);
      }
      assert.equal(await redis.get('opstest:ro'), 'v');
      const ttlAfter = await redis.ttl('opstest:ro');
      assert.ok(ttlAfter <= ttlBefore && ttlAfter > ttlBefore - 5, `${ttlBefore} → ${ttlAfter}`);
      assert.equal(await redis.exists('opstest:ttl', 'opstest:keep', 'opstest:copy'), 3);
      // The stack's only destructive command is refused too.
      assert.equal(await vscode.commands.executeCommand('sharedRedis.removeStack'), 'refused');
      // Reading stays allowed.
      assert.equal((await run('sharedRedis.copyKeyName', 'opstest:ro')).outcome, 'done');
      void shared;
    } finally {
      await config.update('readOnly', before, vscode.ConfigurationTarget.Workspace);
    }
    assert.equal((await run('sharedRedis.setTtl', 'opstest:ro', '90')).outcome, 'done');
  });

  it('declares when clauses that hide the mutating commands under readOnly', () => {
    const extension = vscode.extensions.getExtension('shared-redis-dev.shared-redis');
    assert.ok(extension);
    const menus = (
      extension.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }
    ).contributes.menus;
    for (const command of MUTATING) {
      const palette = menus['commandPalette']?.find((entry) => entry.command === command);
      assert.match(palette?.when ?? '', /!sharedRedis\.readOnly/, command);
      const context = menus['view/item/context']?.filter((entry) => entry.command === command) ?? [];
      assert.ok(context.length > 0, command);
      for (const entry of context) assert.match(entry.when ?? '', /!sharedRedis\.readOnly/, command);
    }
  });
});
