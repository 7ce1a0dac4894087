import * as assert from 'node:assert/strict';
import calculateSlot from 'cluster-key-slot';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/checksRunner';
import type { NamespaceStatsRow } from '../../../src/redis/serverInfo';
import { fillCluster, slotOwners, useRedisCluster } from '../../support/redisCluster';

/**
 * Namespace Statistics and the checks on a real Redis Cluster (local redis-server processes
 * with cluster-enabled), driven through their commands: every master is asked, figures are
 * summed, and a finding about one node names it.
 */
describe('namespace statistics and the checks on a Redis Cluster', function () {
  this.timeout(120_000);
  const fixture = useRedisCluster();
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const saved: Record<string, unknown> = {};
  let masters: number[] = [];
  const a = Array.from({ length: 60 }, (_, i) => `clstats:a:${i}`);
  const b = Array.from({ length: 30 }, (_, i) => `clstats:b:${i}`);

  const node = (port: number): Redis => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  };

  before(async function () {
    for (const key of ['host', 'port', 'db', 'memoryBudget', 'namespaces']) {
      saved[key] = config().inspect(key)?.workspaceValue;
    }
    masters = await fixture.cluster.masterPorts();
    await fillCluster(fixture.cluster, b, 'no ttl');
    await fillCluster(fixture.cluster, a, 'x'.repeat(40));
    // The `a` keys expire: on each master, straight to the node that serves the key.
    const owners = await slotOwners(fixture.cluster);
    for (const port of masters) {
      const client = node(port);
      try {
        for (const key of a.filter((k) => owners[calculateSlot(k)] === port)) await client.expire(key, 3600);
      } finally {
        client.disconnect();
      }
    }
    await config().update('host', '127.0.0.1', vscode.ConfigurationTarget.Workspace);
    await config().update('port', masters[0], vscode.ConfigurationTarget.Workspace);
    await config().update('db', 0, vscode.ConfigurationTarget.Workspace);
    await config().update('memoryBudget', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('namespaces', undefined, vscode.ConfigurationTarget.Workspace);
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
  });

  after(async () => {
    for (const [key, value] of Object.entries(saved)) {
      await config().update(key, value, vscode.ConfigurationTarget.Workspace);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sharedRedis.namespaceStats sums exact figures over every master and says how many keys each holds', async () => {
    const owners = await slotOwners(fixture.cluster);
    const on = (keys: readonly string[], port: number): number =>
      keys.filter((k) => owners[calculateSlot(k)] === port).length;
    // The keys are spread: every master holds some of each namespace.
    for (const port of masters) assert.ok(on(a, port) > 0 && on(b, port) > 0, `master ${port} holds some keys`);
    // In the order of their slots, as the cluster's masters are listed everywhere.
    const bySlot = [...new Set(owners)];
    const where = (keys: readonly string[]): string =>
      bySlot.map((port) => `127.0.0.1:${port} ${on(keys, port)}`).join(', ');

    const rows = await vscode.commands.executeCommand<NamespaceStatsRow[] | undefined>(
      'sharedRedis.namespaceStats',
      'clstats',
    );
    assert.ok(rows, 'the command returned no table (it failed: see the log)');
    assert.deepEqual(
      rows.map((r) => [r.namespace, r.keys, r.share, r.withTtl, r.sample]),
      [
        ['clstats', '90 keys', '100%', '66.7%', `90 of 90 keys sampled on 3 masters (${where([...a, ...b])})`],
        ['clstats:a', '60 keys', '66.7%', '100%', `60 of 60 keys sampled on 3 masters (${where(a)})`],
        ['clstats:b', '30 keys', '33.3%', '0%', `30 of 30 keys sampled on 3 masters (${where(b)})`],
      ],
    );
    // Every key was sampled on its own master: the memory is a sum, not an estimate.
    for (const r of rows) assert.match(r.memory, /^\d+(\.\d)? (B|KiB)$/);
  });

  it('sharedRedis.checkNamespaces runs every check on every master, and a memory finding names the one node that is nearly full', async () => {
    const second = masters[1] as number;
    const client = node(second);
    try {
      const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
      // 90% of this master's maxmemory in use: the others have no limit.
      await client.config('SET', 'maxmemory', String(Math.round(used / 0.9)));
      const outcome = await vscode.commands.executeCommand<RunOutcome>('sharedRedis.checkNamespaces');
      assert.equal(outcome.kind, 'complete', JSON.stringify(outcome));
      const report = (outcome as Extract<RunOutcome, { kind: 'complete' }>).report;
      assert.deepEqual(report.errors, {}, 'no check failed');
      assert.equal(report.keys, 90);
      const memory = report.findings.filter((f) => f.check === 'memory');
      assert.equal(memory.length, 1, JSON.stringify(memory));
      assert.equal(memory[0]?.label, `Memory · 127.0.0.1:${second}`);
      assert.match(memory[0]?.detail ?? '', new RegExp(`127\\.0\\.0\\.1:${second} \\(cluster master, slots `));
    } finally {
      await client.config('SET', 'maxmemory', '0');
      client.disconnect();
    }
  });
});
