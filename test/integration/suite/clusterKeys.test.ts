import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import * as vscode from 'vscode';
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

/** 100,000 keys, spread over every slot: nested namespaces and look-alike prefixes. */
const LAYOUT: readonly [prefix: string, count: number][] = [
  ['shop:order:eu:', 40_000],
  ['shop:order:us:', 30_000],
  ['shop:cart:', 20_000],
  ['shop:orders:', 5_000], // a sibling whose name starts like "order"
  ['shopping:', 5_000], // a root namespace whose name starts like "shop"
];

/** Our namespaces' rows, without the declared (settings) namespaces every workspace shows. */
async function ownRows(shared: SharedRedisInternals, parent?: Parameters<typeof child>[1]): Promise<string[]> {
  return (await rows(shared, parent)).filter((row) => /^(shop|shopping|order|orders|eu|us|cart) — /.test(row));
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
      const healthy = (await stackRows(shared)).filter((r) => /^redis-node-\d — .* · running · healthy · /.test(r));
      return healthy.length === 6;
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
    assert.deepEqual(await ownRows(shared), ['shop — 95,000 keys', 'shopping — 5,000 keys']);
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
      const listed = await rows(shared, cart);
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
