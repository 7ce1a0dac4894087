import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { SharedRedisInternals } from '../../../src/secondStage';
import type { KeysRow } from '../../../src/views/keysView';
import { api } from './extensionApi';
import { child, emptiedTestRedis, rows } from './keysTree';

/** Clicks a row: runs its command with its arguments, as VS Code does. */
async function click(shared: SharedRedisInternals, row: KeysRow): Promise<unknown> {
  const command = shared.views.keys.getTreeItem(row).command;
  assert.ok(command, 'the row has a command');
  return vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
}

const IDS = 3000;

describe('the Keys view with a wide namespace (user:{id}:…)', function () {
  this.timeout(60_000);
  let redis: Redis;

  before(async () => {
    redis = await emptiedTestRedis();
    const pipeline = redis.pipeline();
    for (let id = 0; id < IDS; id++) pipeline.set(`user:${id}:profile`, 'p').set(`user:${id}:roles`, 'r');
    pipeline.set('user:direct', 'd');
    await pipeline.exec();
  });
  after(async () => {
    (await api()).keys.modelLimits = {};
    await redis.flushdb();
    redis.disconnect();
  });

  it('shows the ids as one {id} row with exact counts over all of them, and switches to the plain list and back', async () => {
    const shared = await api();
    // Past the namespace limit too: the {id} counts cover every id.
    shared.keys.modelLimits = { maxNamespaces: 1000 };
    await redis.set('user:7:sessions:a', 's');
    try {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const user = await child(shared, undefined, 'user');
      assert.equal(shared.views.keys.getTreeItem(user).contextValue, 'namespace.declared.ids');
      assert.deepEqual(await rows(shared, user), [
        'search — 0 keys · User Service',
        'profile — 0 keys · User Service',
        '{id} — 3,000 namespaces · 6,001 keys',
        'direct — string · no TTL',
      ]);
      const ids = await child(shared, user, '{id}');
      assert.deepEqual(await rows(shared, ids), ['profile — 3,000 keys', 'roles — 3,000 keys', 'sessions — 1 key']);
      const roles = await child(shared, ids, 'roles');
      const page = await rows(shared, roles);
      assert.equal(page.length, 201);
      assert.ok(
        page.slice(0, 200).every((row) => /^\d+:roles — string · no TTL$/.test(row)),
        page.slice(0, 3).join(),
      );
      assert.equal(page[200], 'Load more… — 200 of 3,000 shown');
      const sessions = await child(shared, ids, 'sessions');
      assert.deepEqual(await rows(shared, sessions), ['a — 1 key']);
      // Stable ids: the same rows after another walk.
      const before = shared.views.keys.getTreeItem(roles).id;
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const again = await child(shared, await child(shared, await child(shared, undefined, 'user'), '{id}'), 'roles');
      assert.equal(shared.views.keys.getTreeItem(again).id, before);

      shared.keys.modelLimits = {};
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const grouped = await child(shared, undefined, 'user');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.showIdsAsList', grouped), true);
      const plain = await rows(shared, await child(shared, undefined, 'user'));
      assert.deepEqual(plain.slice(2, 4), ['0 — 2 keys', '1 — 2 keys']);
      assert.ok(!plain.some((row) => row.startsWith('{id}')));
      assert.deepEqual(plain.slice(-2), ['Load more… — 200 of 3,000 namespaces shown', 'direct — string · no TTL']);
      const listed = await child(shared, undefined, 'user');
      assert.equal(shared.views.keys.getTreeItem(listed).contextValue, 'namespace.declared.idList');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.groupIds', listed), true);
      assert.ok(
        (await rows(shared, await child(shared, undefined, 'user'))).includes('{id} — 3,000 namespaces · 6,001 keys'),
      );
    } finally {
      shared.keys.modelLimits = {};
      await redis.del('user:7:sessions:a');
    }
  });

  it('lists declared namespaces, then the first page of ids in natural order, Load more…, then the direct keys', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    await vscode.commands.executeCommand('sharedRedis.showIdsAsList', await child(shared, undefined, 'user'));
    // A declared namespace (the default setting declares user:search and user:profile) that also has keys.
    await redis.set('user:profile:x', '1');
    try {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const user = await child(shared, undefined, 'user');
      const first = await rows(shared, user);
      assert.deepEqual(first.slice(0, 2), ['search — 0 keys · User Service', 'profile — 1 key · User Service']);
      assert.deepEqual(
        first.slice(2, 14),
        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'].map((id) => `${id} — 2 keys`),
      );
      assert.equal(first.length, 2 + 200 + 2);
      assert.equal(first[201], '199 — 2 keys');
      assert.deepEqual(first.slice(202), ['Load more… — 200 of 3,000 namespaces shown', 'direct — string · no TTL']);

      await click(shared, await child(shared, user, 'Load more…'));
      const second = await rows(shared, user);
      assert.equal(second.length, 2 + 400 + 2);
      assert.equal(second[401], '399 — 2 keys');
      assert.equal(second[402], 'Load more… — 400 of 3,000 namespaces shown');
      assert.equal(second.filter((row) => row.startsWith('profile —')).length, 1, 'a declared namespace shows once');
    } finally {
      await redis.del('user:profile:x');
    }
  });

  it('says exactly how many namespaces and keys it does not list past the namespace limit, and offers a filter', async () => {
    const shared = await api();
    // `user` and 999 ids: the other 2,001 ids and their 4,002 keys are past the limit.
    shared.keys.modelLimits = { maxNamespaces: 1000 };
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.equal((await rows(shared))[1], 'user — 6,001 keys · User Service');
    await vscode.commands.executeCommand('sharedRedis.showIdsAsList', await child(shared, undefined, 'user'));
    const user = await child(shared, undefined, 'user');
    const listed = await rows(shared, user);
    assert.deepEqual(listed.slice(0, 2), ['search — 0 keys · User Service', 'profile — 0 keys · User Service']);
    assert.deepEqual(listed.slice(202), [
      'Load more… — 200 of 999 namespaces shown',
      '2,001 more namespaces · 4,002 keys not listed — Filter… (user:*)',
      'direct — string · no TTL',
    ]);
    const notListed = await child(shared, user, '2,001 more namespaces · 4,002 keys not listed');
    const command = shared.views.keys.getTreeItem(notListed).command;
    assert.equal(command?.command, 'sharedRedis.filterKeys');
    assert.deepEqual(command?.arguments, [{ prefill: 'user:*' }]);
  });

  it('shows keys named {id} literally (a template written as it was) in a row of their own, said to be a name, and lists them there', async () => {
    const shared = await api();
    const literal = ['user:5:{id}', 'user:9:{id}'];
    await redis.mset(literal[0] as string, 'v', literal[1] as string, 'v', 'user:{id}:profile', 'v');
    shared.keys.modelLimits = {};
    try {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      // Grouped, whatever the tests before chose.
      await vscode.commands.executeCommand('sharedRedis.groupIds', await child(shared, undefined, 'user'));
      // The namespace user:{id} beside the ids' row says it is a name too.
      const user = await rows(shared, await child(shared, undefined, 'user'));
      assert.deepEqual(
        user.filter((row) => row.startsWith('{id} — ')),
        ['{id} — 1 key · named {id}, not ids', '{id} — 3,000 namespaces · 6,002 keys'],
      );
      const ids = (await shared.views.keys.getChildren(await child(shared, undefined, 'user'))).find((row) =>
        String(shared.views.keys.getTreeItem(row).description).includes('namespaces'),
      );
      assert.ok(ids, "the ids' row");
      assert.deepEqual(await rows(shared, ids), [
        'profile — 3,000 keys',
        'roles — 3,000 keys',
        '{id} — 2 keys · named {id}, not ids',
      ]);
      assert.deepEqual(await rows(shared, await child(shared, ids, '{id}')), [
        '5:{id} — string · no TTL',
        '9:{id} — string · no TTL',
      ]);
    } finally {
      await redis.del(...literal, 'user:{id}:profile');
    }
  });

  it('gives a key listed under two {id} rows a row id in each (VS Code refuses to draw a tree that repeats one)', async () => {
    const shared = await api();
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const saved = config.inspect('namespaces')?.workspaceValue;
    // tenant:{id}:{id}:profile, and a declared namespace under tenant:1, which shows tenant > 1
    // beside tenant > {id}: tenant:1:5:profile is then under both {id} rows' "profile".
    const written: string[] = [];
    for (let i = 10; i < 70; i++) written.push(`tenant:${i}:7:profile`, `tenant:1:${i}:profile`);
    const pipeline = redis.pipeline();
    for (const key of written) pipeline.set(key, 'v');
    await pipeline.exec();
    try {
      await config.update('namespaces', [{ name: 'tenant:1:billing' }], vscode.ConfigurationTarget.Workspace);
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const provider = shared.views.keys;
      const keysUnder = async (...path: string[]): Promise<{ label: string; id: string }[]> => {
        let row: KeysRow | undefined;
        for (const label of path) row = await child(shared, row, label);
        return (await provider.getChildren(row)).map((key) => {
          const item = provider.getTreeItem(key);
          return { label: String(item.label), id: item.id ?? '(none)' };
        });
      };
      const viaGroup = await keysUnder('tenant', '{id}', '{id}', 'profile');
      const viaOne = await keysUnder('tenant', '1', '{id}', 'profile');
      assert.ok(
        viaOne.some((row) => row.label === '15:profile') && viaGroup.some((row) => row.label === '1:15:profile'),
        `tenant:1:15:profile under both: ${JSON.stringify({ viaGroup, viaOne })}`,
      );
      const ids = [...viaGroup, ...viaOne].map((row) => row.id);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
      );
    } finally {
      await config.update('namespaces', saved, vscode.ConfigurationTarget.Workspace);
      await redis.del(...written);
    }
  });
});
