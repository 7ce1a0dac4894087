import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { BulkTtlResult, OpenKeysResult } from '../../../src/commands/health/actions';
import type { RunOutcome } from '../../../src/checksRunner';
import type { ChecksRow, ChecksView } from '../../../src/views/checksView';
import { WRITE } from '../../../src/keyChanges';
import type { KeysRow } from '../../../src/views/keysView';
import { toBinary } from '../../../src/redis/keyspace/binary';
import { suiteConfig } from './config';
import { api } from './extensionApi';

/** This suite works in a database of its own, so other suites' keys (and their flushes) do not meet its checks. */
const DB = 9;

async function checksView(): Promise<ChecksView> {
  return (await api()).views.checks;
}

/** What a user reads on each row: `label — description`. */
async function rows(view: ChecksView, parent?: ChecksRow): Promise<string[]> {
  return (await view.getChildren(parent)).map((row) => {
    const item = view.getTreeItem(row);
    return item.description ? `${String(item.label)} — ${String(item.description)}` : String(item.label);
  });
}

async function child(view: ChecksView, parent: ChecksRow | undefined, label: string): Promise<ChecksRow> {
  const found = (await view.getChildren(parent)).find((row) => view.getTreeItem(row).label === label);
  assert.ok(found, `no row "${label}" in ${JSON.stringify(await rows(view, parent))}`);
  return found;
}

async function check(): Promise<Extract<RunOutcome, { kind: 'complete' }>> {
  const outcome = await vscode.commands.executeCommand<RunOutcome>('sharedRedis.checkNamespaces');
  assert.equal(outcome.kind, 'complete', JSON.stringify(outcome));
  return outcome as Extract<RunOutcome, { kind: 'complete' }>;
}

describe('the Checks view: findings on real data, and their quick actions', function () {
  this.timeout(90_000);
  let redis: Redis;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const saved: Record<string, unknown> = {};

  before(async () => {
    for (const key of ['db', 'memoryBudget', 'readOnly', 'namespaces']) {
      saved[key] = config().inspect(key)?.workspaceValue;
    }
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, db: DB, lazyConnect: true });
    await redis.connect();
    await clear(redis);
    await config().update('db', DB, vscode.ConfigurationTarget.Workspace);
    await config().update('namespaces', undefined, vscode.ConfigurationTarget.Workspace); // the default: auth, user, shared; caches user:search, user:profile, shared:cache
    await config().update('memoryBudget', '1gb', vscode.ConfigurationTarget.Workspace);
    const pipeline = redis.pipeline();
    for (let i = 1; i <= 5; i++) pipeline.set(`auth:session:${i}`, 's', 'EX', 3600);
    for (let i = 1; i <= 3; i++) pipeline.set(`user:search:q${i}`, 'r', 'EX', 300);
    pipeline.set('shared:config:app', '{}');
    await pipeline.exec();
  });
  after(async () => {
    await clear(redis);
    redis.disconnect();
    for (const [key, value] of Object.entries(saved)) {
      await config().update(key, value, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.commands.executeCommand('sharedRedis.clearKeyFilter');
  });

  it('says "No problems found" on clean data', async () => {
    const outcome = await check();
    assert.deepEqual(outcome.report.findings, []);
    assert.equal(outcome.report.keys, 9);
    const view = await checksView();
    const top = await rows(view);
    assert.match(top[0] ?? '', /^No problems found — 9 keys · /);
    assert.deepEqual(top.slice(1), [
      'Keys outside declared namespaces — no problems',
      'Cache keys without a TTL — no problems',
      'Memory — no problems',
      'Slow commands from services — no problems',
      'Denied accesses — no problems',
      'Cluster advice: keys used together across hash slots — no problems',
    ]);
    assert.equal(view.view.badge, undefined);
    const caches = await rows(view, await child(view, undefined, 'Cache keys without a TTL'));
    assert.deepEqual(caches, ['user:search — all 3 keys expire', 'user:profile — empty', 'shared:cache — empty']);
    const memory = await rows(view, await child(view, undefined, 'Memory'));
    assert.match(
      memory[0] ?? '',
      /^Used memory — \d+\.\d MiB of 1\.0 GiB budget \(sharedRedis\.memoryBudget\) \(\d+(\.\d)?%\)$/,
    );
    assert.equal(memory[1], 'Eviction policy — noeviction');
  });

  it('lists the nested declared cache namespaces in the Keys view, even when empty', async () => {
    const keys = (await api()).views.keys;
    const keyRows = async (parent?: KeysRow): Promise<string[]> =>
      (await keys.getChildren(parent)).map(
        (row) => `${String(keys.getTreeItem(row).label)} — ${String(keys.getTreeItem(row).description)}`,
      );
    const find = async (parent: KeysRow | undefined, label: string): Promise<KeysRow> => {
      const found = (await keys.getChildren(parent)).find((row) => keys.getTreeItem(row).label === label);
      assert.ok(found, label);
      return found;
    };
    assert.deepEqual(await keyRows(), [
      'auth — 5 keys · Auth Service',
      'user — 3 keys · User Service',
      'shared — 1 key · Shared',
    ]);
    assert.deepEqual(await keyRows(await find(undefined, 'user')), [
      'search — 3 keys · User Service',
      'profile — 0 keys · User Service',
    ]);
    assert.deepEqual(await keyRows(await find(undefined, 'shared')), ['cache — 0 keys · Shared', 'config — 1 key']);
  });

  it('lists the parent of a nested declared namespace that has no keys of its own, so the declared one can be reached', async () => {
    const keys = (await api()).views.keys;
    const rows = async (parent?: KeysRow): Promise<KeysRow[]> => keys.getChildren(parent);
    const label = (row: KeysRow): string =>
      `${String(keys.getTreeItem(row).label)} — ${String(keys.getTreeItem(row).description)}`;
    const before = config().inspect('namespaces')?.workspaceValue;
    const declared = Array.isArray(before) ? before : (config().inspect('namespaces')?.defaultValue as unknown[]);
    await config().update(
      'namespaces',
      [...declared, { name: 'billing:invoices', owner: 'Billing Service' }],
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      const top = await rows();
      const billing = top.find((row) => keys.getTreeItem(row).label === 'billing');
      assert.ok(billing, `top level: ${top.map(label).join(', ')}`);
      assert.equal(label(billing), 'billing — 0 keys');
      assert.deepEqual((await rows(billing)).map(label), ['invoices — 0 keys · Billing Service']);
    } finally {
      await config().update('namespaces', before, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("advises a hash tag for one id's keys that a Redis Cluster would refuse together (CROSSSLOT), with their slots", async () => {
    await redis.set('auth:42:session', 's', 'EX', 3600);
    await redis.set('auth:42:tokens', 't', 'EX', 3600);
    try {
      const outcome = await check();
      assert.deepEqual(
        outcome.report.findings.map((f) => [f.check, f.label]),
        [['clusterSlots', 'auth:<id>:…']],
      );
      assert.match(
        outcome.report.findings[0]?.detail ?? '',
        /auth:42:session → slot 731, auth:42:tokens → slot 13575; .* CROSSSLOT\. .*auth:\{42\}:session, auth:\{42\}:tokens all map to slot 8000 /,
      );
      const view = await checksView();
      const advice = await child(view, undefined, 'Cluster advice: keys used together across hash slots');
      assert.deepEqual(await rows(view, advice), ['auth:<id>:… — 1 id whose keys span hash slots · 2 keys']);
    } finally {
      await redis.del('auth:42:session', 'auth:42:tokens');
    }
  });

  it('lists keys outside the namespaces, cache keys without a TTL and memory over the budget', async () => {
    const pipeline = redis.pipeline();
    for (let i = 1; i <= 4; i++) pipeline.set(`orders:${i}`, 'o');
    for (let i = 10; i <= 14; i++) pipeline.set(`user:search:q${i}`, 'r');
    await pipeline.exec();
    await config().update('memoryBudget', '1kb', vscode.ConfigurationTarget.Workspace);
    const outcome = await check();
    assert.deepEqual(
      outcome.report.findings.map((f) => [f.check, f.label, f.severity]),
      [
        ['undeclared', 'orders', 'warning'],
        ['cacheTtl', 'user:search', 'warning'],
        ['memory', 'Memory', 'error'],
      ],
    );
    const view = await checksView();
    const top = await rows(view);
    assert.match(top[0] ?? '', /^3 problems found — 18 keys · /);
    assert.deepEqual(top.slice(1, 3), [
      'Keys outside declared namespaces — 1 namespace · 4 keys',
      'Cache keys without a TTL — 1 namespace · 5 keys',
    ]);
    assert.match(top[3] ?? '', /^Memory — \d+% of the budget \(\d+\.\d MiB of 1\.0 KiB\)$/);
    assert.deepEqual(view.view.badge, { value: 3, tooltip: '3 problems found by the checks' });

    const undeclared = await child(view, undefined, 'Keys outside declared namespaces');
    assert.deepEqual(await rows(view, undeclared), ['orders — 4 keys outside every declared namespace']);
    const orders = await child(view, undeclared, 'orders');
    assert.equal(view.getTreeItem(orders).contextValue, 'check.finding.undeclared');
    assert.deepEqual(await rows(view, orders), ['orders:1', 'orders:2', 'orders:3', '… and 1 more']);

    const caches = await child(view, undefined, 'Cache keys without a TTL');
    assert.deepEqual(await rows(view, caches), [
      'user:search — 5 of 8 keys without a TTL',
      'user:profile — empty',
      'shared:cache — empty',
    ]);
    const search = await child(view, caches, 'user:search');
    const item = view.getTreeItem(search);
    assert.equal(item.contextValue, 'check.finding.cacheTtl');
    assert.match((item.tooltip as vscode.MarkdownString).value, /declared as a cache/);
    const examples = await view.getChildren(search);
    assert.equal(examples.length, 4);
    const example = view.getTreeItem(examples[0] as ChecksRow);
    assert.match(String(example.label), /^user:search:q1[0-4]$/);
    assert.equal(example.command?.command, 'sharedRedis.inspectKey');

    const memory = await child(view, undefined, 'Memory');
    const memoryRows = await view.getChildren(memory);
    assert.equal(view.getTreeItem(memoryRows[0] as ChecksRow).contextValue, 'check.finding.memory');
    assert.equal(view.getTreeItem(memoryRows[0] as ChecksRow).command?.command, 'sharedRedis.info');
  });

  it('opens the keys of a finding in the Keys view, filtered to its namespace', async () => {
    const view = await checksView();
    const orders = await child(view, await child(view, undefined, 'Keys outside declared namespaces'), 'orders');
    const result = await vscode.commands.executeCommand<OpenKeysResult>('sharedRedis.openCheckKeys', orders);
    assert.deepEqual(result, { match: 'orders:*', state: 'complete' });
    const shared = await api();
    assert.equal(shared.views.keys.view.description, 'match orders:*');
    assert.equal(shared.keys.state.kind === 'complete' ? shared.keys.state.model.totalKeys : -1, 4);
    // With the Keys view filtered, the checks still judge the whole keyspace, and leave the filter alone.
    const outcome = await check();
    assert.equal(outcome.report.keys, 18);
    assert.equal(outcome.report.findings.length, 3);
    assert.equal(shared.views.keys.view.description, 'match orders:*');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.clearKeyFilter'), 'complete');
  });

  it('opens the keys of a namespace whose name is not UTF-8: its own keys, not those of another name shown alike', async () => {
    const own = Buffer.from('caf\xe9:1', 'latin1');
    // What the name would become decoded as UTF-8: "caf\uFFFD" (EF BF BD).
    const alike = Buffer.concat([Buffer.from('caf'), Buffer.from('\ufffd', 'utf8'), Buffer.from(':3')]);
    await redis.set(own, 'a');
    await redis.set(alike, 'c');
    try {
      const result = await vscode.commands.executeCommand<OpenKeysResult>(
        'sharedRedis.openCheckKeys',
        Buffer.from('caf\xe9', 'latin1'),
      );
      assert.equal(result?.state, 'complete');
      const shared = await api();
      const model = shared.keys.state.kind === 'complete' ? shared.keys.state.model : undefined;
      assert.ok(
        model?.findNamespace(toBinary(Buffer.from('caf\xe9', 'latin1'))),
        `caf\\xe9 listed under ${result?.match}`,
      );
      assert.equal(
        model?.findNamespace(toBinary(alike.subarray(0, 6))),
        undefined,
        `caf\uFFFD listed under ${result?.match}`,
      );
    } finally {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.clearKeyFilter'), 'complete');
      await redis.del(own, alike);
    }
  });

  it('says there are no keys under a path that has none, instead of that every key there has a TTL', async () => {
    // A typo (or, typed into the path box, a trailing delimiter: the prefix shown then ends in two).
    const result = await vscode.commands.executeCommand<BulkTtlResult>(
      'sharedRedis.setTtlOnKeysWithoutTtl',
      'chkttl:gone',
      '10m',
      { confirm: true },
    );
    assert.equal(result.outcome, 'unchanged', result.message);
    assert.equal(result.message, 'There are no keys under chkttl:gone: (nothing to change).');
  });

  it('refuses the bulk TTL under readOnly and changes nothing', async () => {
    const view = await checksView();
    const search = await child(view, await child(view, undefined, 'Cache keys without a TTL'), 'user:search');
    assert.equal(view.getTreeItem(search).contextValue, 'check.finding.cacheTtl');
    await config().update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await vscode.commands.executeCommand<BulkTtlResult>(
        'sharedRedis.setTtlOnKeysWithoutTtl',
        search,
        '10m',
        { confirm: true },
      );
      assert.equal(result.outcome, 'refused');
      assert.match(result.message, /read-only/);
      assert.equal(await redis.ttl('user:search:q10'), -1);
    } finally {
      await config().update('readOnly', saved['readOnly'], vscode.ConfigurationTarget.Workspace);
    }
  });

  it('sets a TTL on exactly the cache keys without one, and the finding goes away', async () => {
    const view = await checksView();
    const search = await child(view, await child(view, undefined, 'Cache keys without a TTL'), 'user:search');
    assert.equal(view.getTreeItem(search).contextValue, 'check.finding.cacheTtl');
    const bad = await vscode.commands.executeCommand<BulkTtlResult>(
      'sharedRedis.setTtlOnKeysWithoutTtl',
      search,
      '1.5h',
      { confirm: true },
    );
    assert.equal(bad.outcome, 'invalid');
    // user:search:* is the User Service's: its owner is asked first (answered here: a test cannot click).
    const questions: string[] = [];
    const original = vscode.window.showWarningMessage;
    Object.assign(vscode.window, {
      showWarningMessage: (message: string, ...rest: unknown[]): unknown => {
        if (!(rest[0] as vscode.MessageOptions | undefined)?.modal) {
          return (original as (...a: unknown[]) => unknown).apply(vscode.window, [message, ...rest]);
        }
        questions.push(message);
        return Promise.resolve(WRITE);
      },
    });
    let result: BulkTtlResult;
    try {
      result = await vscode.commands.executeCommand<BulkTtlResult>(
        'sharedRedis.setTtlOnKeysWithoutTtl',
        search,
        '10m',
        { confirm: true },
      );
    } finally {
      Object.assign(vscode.window, { showWarningMessage: original });
    }
    assert.deepEqual(questions, ['user:search:* belongs to User Service. Set TTL on user:search:* keys without one?']);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.count, 5);
    assert.equal(result.message, 'Set a TTL of 10m on 5 keys under user:search:.');
    for (let i = 10; i <= 14; i++) {
      const ttl = await redis.ttl(`user:search:q${i}`);
      assert.ok(ttl > 590 && ttl <= 600, `user:search:q${i} ${ttl}`);
    }
    const kept = await redis.ttl('user:search:q1');
    assert.ok(kept > 200 && kept <= 300, `a key that had a TTL keeps it: ${kept}`);
    assert.equal(await redis.ttl('orders:1'), -1, 'other namespaces are untouched');

    const again = await vscode.commands.executeCommand<BulkTtlResult>(
      'sharedRedis.setTtlOnKeysWithoutTtl',
      'user:search',
      '10m',
      { confirm: true },
    );
    assert.equal(again.outcome, 'unchanged');

    const outcome = await check();
    assert.deepEqual(
      outcome.report.findings.map((f) => f.check),
      ['undeclared', 'memory'],
    );
    assert.deepEqual(await rows(view, await child(view, undefined, 'Cache keys without a TTL')), [
      'user:search — all 8 keys expire',
      'user:profile — empty',
      'shared:cache — empty',
    ]);
  });

  it('takes nested cache namespaces from the setting', async () => {
    await config().update(
      'namespaces',
      [
        { name: 'orders', owner: 'Order Service' },
        { name: 'orders:cache', ttlRequired: true },
        { name: 'auth' },
        { name: 'user' },
        { name: 'shared' },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await redis.set('orders:cache:1', 'c');
    const outcome = await check();
    assert.deepEqual(
      outcome.report.findings.filter((f) => f.check !== 'memory').map((f) => [f.check, f.label, f.description]),
      [['cacheTtl', 'orders:cache', '1 of 1 key without a TTL']],
    );
  });

  it('runs again by itself after a full walk of the Keys view', async () => {
    const view = await checksView();
    const before = view.report;
    await redis.set('legacy:1', 'l');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    // The run starts when the walk completes; wait for its report (the test's timeout bounds the wait).
    while (view.report === before || !view.report?.findings.some((f) => f.label === 'legacy')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const legacy = view.report.findings.find((f) => f.label === 'legacy');
    assert.equal(legacy?.description, '1 key outside every declared namespace');
  });

  it("looks again after the user's own key changes, without a new walk", async () => {
    const shared = await api();
    const view = await checksView();
    await redis.set('legacy:2', 'l');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const walked = shared.keys.state;
    while (
      view.report?.findings.find((f) => f.label === 'legacy')?.description !== '2 keys outside every declared namespace'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = view.report;
    // Delete Key, twice in a row (its modal dialog is clicked at the e2e level; here the deletions and what the command tells the view).
    for (const key of ['legacy:1', 'legacy:2']) {
      assert.equal(await redis.unlink(key), 1);
      await shared.keys.keyChanged(Buffer.from(key), 'deleted');
    }
    while (view.report === before) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(
      view.report?.findings.some((f) => f.label === 'legacy'),
      false,
      'the finding is gone with its keys',
    );
    assert.ok(
      walked.kind === 'complete' && shared.keys.state.kind === 'complete' && shared.keys.state.model === walked.model,
      'no new walk',
    );
  });

  it('says in the view when the checks cannot reach Redis, and keeps the last report below', async () => {
    const port = config().inspect<number>('port')?.workspaceValue;
    await config().update('port', suiteConfig().closedPort, vscode.ConfigurationTarget.Workspace);
    try {
      const outcome = await vscode.commands.executeCommand<RunOutcome>('sharedRedis.checkNamespaces');
      assert.equal(outcome.kind, 'failed');
      assert.match(outcome.kind === 'failed' ? outcome.message : '', /127\.0\.0\.1:\d+ \(db 9\) is unreachable/);
      const view = await checksView();
      const top = await rows(view);
      assert.match(top[0] ?? '', /^The checks could not run — Redis at 127\.0\.0\.1:\d+ \(db 9\) is unreachable/);
      assert.match(top[1] ?? '', /problems? found/);
    } finally {
      await config().update('port', port, vscode.ConfigurationTarget.Workspace);
    }
  });
});

async function clear(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next.toString();
  } while (cursor !== '0');
}
