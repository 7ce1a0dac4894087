import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { api } from './extensionApi';
import { child, emptiedTestRedis, rows } from './keysTree';

describe('the Keys view, read through its tree provider', function () {
  this.timeout(60_000);
  let redis: Redis;

  before(async () => {
    redis = await emptiedTestRedis();
    const pipeline = redis.pipeline();
    for (let i = 1; i <= 30; i++) {
      pipeline.hset(`auth:session:${1000 + i}`, 'userId', String(i)).expire(`auth:session:${1000 + i}`, 3600);
    }
    for (let i = 1; i <= 12; i++) pipeline.set(`auth:token:${i}`, `t${i}`, 'EX', 120);
    for (let i = 1; i <= 5; i++) pipeline.set(`user:profile:${i}`, JSON.stringify({ id: i }));
    pipeline.sadd('user:roles:1', 'reader');
    pipeline.set('billing:invoice:7', '42.00');
    pipeline.set('orphan', 'x');
    await pipeline.exec();
  });
  after(() => redis.disconnect());

  it('lists declared namespaces first with owners and exact counts, then the rest', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.deepEqual(await rows(shared), [
      'auth — 42 keys · Auth Service',
      'user — 6 keys · User Service',
      'shared — 0 keys · Shared',
      'billing — 1 key',
      'orphan — string · no TTL',
    ]);
  });

  it('expands a namespace into child namespaces and keys with type and TTL', async () => {
    const shared = await api();
    const auth = await child(shared, undefined, 'auth');
    assert.deepEqual(await rows(shared, auth), ['session — 30 keys', 'token — 12 keys']);
    const session = await child(shared, auth, 'session');
    const keys = await rows(shared, session);
    assert.equal(keys.length, 30);
    assert.equal(keys[0]?.split(' — ')[0], '1001');
    for (const key of keys) assert.match(key, /^10\d\d — hash · (59m \d+s|1h 0m)$/);
    const token = await rows(shared, await child(shared, auth, 'token'));
    assert.match(token[0] ?? '', /^1 — string · (1m \d+s|2m 0s|\d+s)$/);
  });

  it("shows a namespace's path, counts and owner in its tooltip when hovered", async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const provider = shared.views.keys;
    const tooltipOf = async (row: Awaited<ReturnType<typeof child>>): Promise<string> => {
      // As the workbench does on hover: the row's item, then resolveTreeItem for what it left out.
      const item = provider.getTreeItem(row);
      const resolved = (await provider.resolveTreeItem(item, row)) ?? item;
      assert.ok(resolved.tooltip instanceof vscode.MarkdownString, 'a Markdown tooltip');
      return resolved.tooltip.value;
    };
    const auth = await child(shared, undefined, 'auth');
    const tooltip = await tooltipOf(auth);
    assert.match(tooltip, /^\*\*auth\\?:\*\*/);
    assert.match(tooltip, /42 keys in all, 0 directly here/);
    assert.match(tooltip, /Owned by Auth Service/);
    assert.doesNotMatch(tooltip, /Still counting/);
    assert.match(await tooltipOf(await child(shared, auth, 'session')), /30 keys in all, 30 directly here/);
  });

  it('filters by pattern and type, and says so in the view', async () => {
    const shared = await api();
    assert.equal(
      await vscode.commands.executeCommand('sharedRedis.filterKeys', { match: 'user:*', type: 'set' }),
      'complete',
    );
    assert.equal(shared.views.keys.view.description, 'match user:* · type set');
    assert.deepEqual(await rows(shared), [
      'auth — 0 keys · Auth Service',
      'user — 1 key · User Service',
      'shared — 0 keys · Shared',
    ]);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.clearKeyFilter'), 'complete');
    assert.equal(shared.views.keys.view.description, '');
  });
});
