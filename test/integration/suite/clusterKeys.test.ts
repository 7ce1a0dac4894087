import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/checksRunner';
import type { KeyOperationResult } from '../../../src/commands/keys/operations';
import { WRITE } from '../../../src/keyChanges';
import { keySlot } from '../../../src/redis/cluster/topology';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually } from './extensionApi';
import { child, rows } from './keysTree';
import { stackRows } from './stackRows';

/** Clicks a row: runs its command with its arguments, as VS Code does. */
async function click(shared: SharedRedisInternals, parent: Parameters<typeof child>[1], label: string): Promise<void> {
  const command = shared.views.keys.getTreeItem(await child(shared, parent, label)).command;
  assert.ok(command, `the row "${label}" has a command`);
  await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
}

/**
 * The rows once the view has found the namespace's first page: a page found by SCAN is
 * listed in the background (a "Listing N keys…" row meanwhile), and the view fires a change
 * when it is there; then it is read again, as VS Code does.
 */
async function listedRows(shared: SharedRedisInternals, parent: Parameters<typeof child>[1]): Promise<string[]> {
  for (;;) {
    let subscription: vscode.Disposable | undefined;
    const changed = new Promise<void>((resolve) => {
      subscription = shared.views.keys.onDidChangeTreeData(() => resolve());
    });
    try {
      const shown = await rows(shared, parent);
      if (!shown.some((row) => /^Listing [\d,]+ keys?… — $/.test(row))) return shown;
      await changed;
    } finally {
      subscription?.dispose();
    }
  }
}

/** Keys under `match` on every master, counted with SCAN through the test's own client (replicas hold copies). */
async function countOnMasters(client: Cluster, match: string): Promise<number> {
  let total = 0;
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      total += keys.length;
    } while (cursor !== '0');
  }
  return total;
}

/** 100,000 keys, spread over every slot: nested namespaces and look-alike prefixes. */
const LAYOUT: readonly [prefix: string, count: number][] = [
  ['shop:order:eu:', 40_000],
  ['shop:order:us:', 30_000],
  ['shop:cart:', 20_000],
  ['shop:orders:', 5_000], // a sibling whose name starts like "order"
  ['shopping:', 5_000], // a root namespace whose name starts like "shop"
];

/** Our namespaces' rows (not key rows), without the declared (settings) namespaces other than auth. */
async function ownRows(shared: SharedRedisInternals, parent?: Parameters<typeof child>[1]): Promise<string[]> {
  return (await rows(shared, parent)).filter((row) =>
    /^(shop|shopping|order|orders|eu|us|cart|auth|auth2|auth\*) — [\d,]+ keys?( · .*)?$/.test(row),
  );
}

describe('the Keys view on the cluster stack the extension started', function () {
  // Six containers on a small machine: one cluster for the suite.
  this.timeout(300_000);
  const stack = useWorkspaceStack({ cluster: true, settings: { port: undefined, host: undefined, pageSize: 5000 } });
  let client: Cluster | undefined;

  after(() => client?.disconnect());

  it('fills 100,000 keys over every slot of the started cluster; the view shows the exact summed counts at every depth', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually('the Stack view to show six healthy nodes', async () => {
      // A healthy node's row says its role and slots only (its icon says healthy).
      const rows = (await stackRows(shared)).filter((r) =>
        /^redis-node-\d — (master · [\d-]+|replica of redis-node-\d)$/.test(r),
      );
      return rows.length === 6 && shared.stack.snapshot.services.filter((s) => s.health === 'healthy').length === 6;
    });
    const redis = shared.stack.snapshot.redis;
    assert.ok(redis?.cluster, 'the stack hands the connection its cluster addresses');
    client = new Cluster(
      redis.cluster.seeds.map((s) => ({ ...s })),
      {
        natMap: { ...redis.cluster.natMap },
        enableAutoPipelining: true,
        redisOptions: { username: redis.username, password: redis.password },
      },
    );
    const filled = client;
    for (const [prefix, count] of LAYOUT) {
      for (let start = 0; start < count; start += 5000) {
        const batch: Promise<unknown>[] = [];
        for (let i = start; i < Math.min(count, start + 5000); i++) batch.push(filled.set(`${prefix}${i}`, 'v'));
        await Promise.all(batch);
      }
    }
    // Every master holds part of them (the keys really are spread over the slots).
    const perMaster = await Promise.all(filled.nodes('master').map((node) => node.dbsize()));
    assert.equal(perMaster.length, 3);
    assert.equal(
      perMaster.reduce((a, b) => a + b, 0),
      100_000,
    );
    for (const size of perMaster) assert.ok(size > 20_000, `a master holds ${size} keys`);

    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.deepEqual(await ownRows(shared), [
      'auth — 0 keys · Auth Service',
      'shop — 95,000 keys',
      'shopping — 5,000 keys',
    ]);
    const shop = await child(shared, undefined, 'shop');
    assert.deepEqual((await ownRows(shared, shop)).sort(), [
      'cart — 20,000 keys',
      'order — 70,000 keys',
      'orders — 5,000 keys',
    ]);
    const order = await child(shared, shop, 'order');
    assert.deepEqual(await ownRows(shared, order), ['eu — 40,000 keys', 'us — 30,000 keys']);
  });

  it('pages a namespace spread over the three masters: every key listed once, and none of the look-alikes', async () => {
    const shared = await api();
    const shop = await child(shared, undefined, 'shop');
    const cart = await child(shared, shop, 'cart');
    for (let page = 1; page < 4; page++) {
      const listed = page === 1 ? await listedRows(shared, cart) : await rows(shared, cart);
      assert.equal(listed.at(-1), `Load more… — ${(page * 5000).toLocaleString('en-US')} of 20,000 shown`);
      await click(shared, cart, 'Load more…');
    }
    const all = await rows(shared, cart);
    assert.equal(all.length, 20_000, `the last page has no Load more… row (${all.at(-1)})`);
    const names = all.map((row) => row.split(' — ')[0]);
    assert.equal(new Set(names).size, 20_000, 'no key is listed twice');
    const expected = new Set(Array.from({ length: 20_000 }, (_, i) => String(i)));
    assert.deepEqual(
      names.filter((name) => !expected.has(name ?? '')),
      [],
    );
    for (const row of all.slice(0, 50)) assert.match(row, /^\d+ — string · no TTL$/);
  });

  it('Delete Namespace on auth: removes exactly its keys on every master, and keeps auth2: and auth*: beside it', async () => {
    const shared = await api();
    const filled = client;
    assert.ok(filled, 'the first test connected the test client');
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) writes.push(filled.set(`auth:session:${i}`, 's'));
    for (let i = 0; i < 1000; i++) writes.push(filled.set(`auth:token:${i}`, 't'));
    for (let i = 0; i < 500; i++) writes.push(filled.set(`auth2:session:${i}`, 's'));
    // A literal `*` in the name: a MATCH pattern built from `auth` without escaping would take these too.
    for (let i = 0; i < 200; i++) writes.push(filled.set(`auth*:session:${i}`, 's'));
    writes.push(filled.set('auth', 'no delimiter: not in the namespace'));
    await Promise.all(writes);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.deepEqual((await ownRows(shared)).sort(), [
      'auth — 4,000 keys · Auth Service',
      'auth* — 200 keys',
      'auth2 — 500 keys',
      'shop — 95,000 keys',
      'shopping — 5,000 keys',
    ]);

    // The two modal questions (the namespace's owner, then the exact count) get their answers here.
    const questions: string[] = [];
    const original = vscode.window.showWarningMessage;
    Object.assign(vscode.window, {
      showWarningMessage: (message: string, ...rest: unknown[]): unknown => {
        const options = rest[0] as vscode.MessageOptions | undefined;
        if (!options?.modal) return (original as (...a: unknown[]) => unknown).apply(vscode.window, [message, ...rest]);
        questions.push(message);
        return Promise.resolve(/ belongs to /.test(message) ? WRITE : 'Delete');
      },
    });
    let result: KeyOperationResult;
    try {
      result = await vscode.commands.executeCommand<KeyOperationResult>('sharedRedis.deleteNamespace', 'auth');
    } finally {
      Object.assign(vscode.window, { showWarningMessage: original });
    }
    assert.deepEqual(questions, ['auth:* belongs to Auth Service. Delete auth:*?', 'Delete 4,000 keys under auth:?']);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.message, 'Deleted 4,000 keys under auth:.');

    const filledNow = filled;
    assert.equal(await countOnMasters(filledNow, 'auth:*'), 0);
    assert.equal(await countOnMasters(filledNow, 'auth2:*'), 500);
    assert.equal(await countOnMasters(filledNow, 'auth\\*:*'), 200);
    assert.equal(await filledNow.get('auth'), 'no delimiter: not in the namespace');
    // The view dropped the namespace's keys without walking again; a new walk agrees.
    const expected = [
      'auth — 0 keys · Auth Service',
      'auth* — 200 keys',
      'auth2 — 500 keys',
      'shop — 95,000 keys',
      'shopping — 5,000 keys',
    ];
    assert.deepEqual((await ownRows(shared)).sort(), expected);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.deepEqual((await ownRows(shared)).sort(), expected);
  });

  it("Cluster advice finds one id's keys spread over hash slots, with the slot of each key and the hash tag that fixes it", async () => {
    const filled = client;
    assert.ok(filled, 'the first test connected the test client');
    // One user's data, used together: on the cluster they land in different slots (CROSSSLOT for MGET).
    const together = ['user:42:profile', 'user:42:settings', 'user:42:cart'];
    assert.ok(new Set(together.map((key) => keySlot(key))).size > 1, 'the keys really are in different slots');
    await Promise.all(together.map((key) => filled.set(key, 'v')));
    // Asked of the master that serves the first key (the test client itself refuses such a pipeline).
    const owner = filled
      .nodes('master')
      .find((node) => `${node.options.host}:${node.options.port}` === filled.slots[keySlot(together[0] ?? '')]?.[0]);
    assert.ok(owner, 'the master serving user:42:profile');
    await assert.rejects(owner.mget(...together), /^ReplyError: CROSSSLOT/);
    // With the id as a hash tag, the same keys share one slot: no finding for these.
    const tagged = ['user:{7}:profile', 'user:{7}:settings'];
    await Promise.all(tagged.map((key) => filled.set(key, 'v')));
    assert.deepEqual(await filled.mget(...tagged), ['v', 'v']);
    try {
      const outcome = await vscode.commands.executeCommand<RunOutcome>('sharedRedis.checkNamespaces');
      assert.equal(outcome.kind, 'complete', JSON.stringify(outcome));
      const report = (outcome as Extract<RunOutcome, { kind: 'complete' }>).report;
      assert.equal(report.errors.clusterSlots, undefined, `the check ran: ${report.errors.clusterSlots ?? ''}`);
      const findings = report.findings.filter((f) => f.check === 'clusterSlots');
      assert.deepEqual(
        findings.map((f) => f.label),
        ['user:<id>:…'],
      );
      assert.match(findings[0]?.description ?? '', /^1 id whose keys span hash slots · 3 keys/);
      const detail = findings[0]?.detail ?? '';
      assert.match(detail, /CROSSSLOT/);
      for (const key of together) assert.ok(detail.includes(`${key} → slot ${keySlot(key)}`), detail);
      assert.ok(detail.includes(`map to slot ${keySlot('42')}`), detail);
      assert.match(detail, /user:\{42\}:cart/);
    } finally {
      for (const key of [...together, ...tagged]) await filled.del(key);
    }
  });

  it('names the master stopped in the middle of a walk in what the Keys view shows', async () => {
    const shared = await api();
    const victim = 'redis-node-2';
    const container = execFileSync(
      'docker',
      [
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${stack.fixture.project}`,
        '--filter',
        `label=com.docker.compose.service=${victim}`,
      ],
      { encoding: 'utf8' },
    ).trim();
    assert.match(container, /^[0-9a-f]+$/, `one running container of ${victim}`);
    let stopped = false;
    const watching = shared.keys.onDidChange((state) => {
      if (stopped || state.kind !== 'walking' || (state.progress?.keysCounted ?? 0) === 0) return;
      stopped = true;
      // Synchronous on purpose: the walk runs in this same process, so it cannot finish
      // while the master is being stopped; the stop lands in the middle of the walk.
      execFileSync('docker', ['stop', '-t', '1', container]);
    });
    try {
      const outcome = await vscode.commands.executeCommand('sharedRedis.refreshKeys');
      assert.ok(stopped, 'the master was stopped during the walk');
      assert.equal(outcome, 'failed');
    } finally {
      watching.dispose();
    }
    const shown = await rows(shared);
    const port = shared.stack.snapshot.services.find((s) => s.service === victim)?.ports[0]?.hostPort;
    const failure = shown[0] ?? '';
    assert.ok(
      failure.includes(victim) || failure.includes(`127.0.0.1:${port}`),
      `the first row names ${victim} (or its published address 127.0.0.1:${port}): ${shown.join('\n')}`,
    );
    assert.ok(shown.includes('Retry — '), shown.join('\n'));
  });
});
