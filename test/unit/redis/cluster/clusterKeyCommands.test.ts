import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { crossSlotRefusal, namespaceMoveRefusal } from '../../../../src/redis/cluster/clusterRefusals';
import { planTtlForKeysWithoutOne } from '../../../../src/redis/checks/cacheTtl';
import { exportClusterNamespace } from '../../../../src/redis/cluster/clusterExport';
import { expireClusterKeysWithoutTtl, planClusterTtlForKeysWithoutOne } from '../../../../src/redis/cluster/clusterTtl';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { exportNamespace, importNamespace, planImport } from '../../../../src/redis/transfer';
import { renameKey } from '../../../../src/redis/mutations';
import { useClusterTopology } from '../../../support/clusterTopology';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-key-commands-3e9d';

/** Key commands that act on many keys or on two names, on a real six-node cluster. */
describe('key commands on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const cluster = (): Redis => connection.cluster as unknown as Redis;

  it('Rename Key / Copy Key / Move to Namespace of one key across slots: one message naming both slots and their nodes, and what to do', async () => {
    const [from, to] = [Buffer.from('auth:session:42'), Buffer.from('legacy:session:42')];
    assert.notEqual(keySlot(from), keySlot(to));
    await cluster().set(from, 'v');
    // What the command did before: Redis's own CROSSSLOT, said of MULTI.
    const own = cluster().duplicate();
    await own.connect();
    await assert.rejects(
      renameKey(own, from, to).finally(() => own.disconnect()),
      /CROSSSLOT/,
    );
    const message = crossSlotRefusal(connection.cluster, 'Rename Key', from, to);
    assert.ok(message);
    assert.match(message, /^Rename Key works on a Redis Cluster only within one hash slot/);
    assert.ok(message.includes(`auth:session:42 is in slot ${keySlot(from)} (on 127.0.0.1:`), message);
    assert.ok(message.includes(`legacy:session:42 would be in slot ${keySlot(to)} (on 127.0.0.1:`), message);
    assert.match(message, /Nothing was changed\. Keep both names in one slot with the same hash tag/);
    assert.doesNotMatch(message, /does not support Redis Cluster yet/);
    assert.match(
      crossSlotRefusal(connection.cluster, 'Copy Key', from, to) ?? '',
      /refuses COPY across slots.*New Key instead/,
    );
    // Same slot (a shared hash tag): no refusal, and the rename works.
    const [tagged, renamed] = [Buffer.from('auth:{42}:session'), Buffer.from('legacy:{42}:session')];
    assert.equal(crossSlotRefusal(connection.cluster, 'Rename Key', tagged, renamed), undefined);
    await cluster().set(tagged, 'v');
    const second = cluster().duplicate();
    await second.connect();
    assert.equal((await renameKey(second, tagged, renamed).finally(() => second.disconnect())).kind, 'written');
    assert.equal(await cluster().get(renamed), 'v');
    assert.match(
      namespaceMoveRefusal(Buffer.from('auth:'), Buffer.from('legacy:')),
      /^Move to Namespace cannot move auth:\* to legacy: on a Redis Cluster: .* Nothing was moved\. .*Delete Namespace/,
    );
  });

  it('Export Namespace: one file with the keys of every master, which Import Namespace writes back into the cluster', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'cluster-export-'));
    try {
      const keys = Array.from({ length: 60 }, (_, i) => `user:profile:${i}`);
      for (const key of keys) await cluster().set(key, `value of ${key}`);
      await cluster().hset('user:settings:1', 'theme', 'dark');
      await cluster().set('user:token:1', 't', 'EX', 3600);
      await cluster().set('users:not-this-one', 'x');
      const masters = connection.topology().masters();
      const holding = new Set(
        keys.map(
          (key) => masters.find((m) => m.slots.some(([a, b]) => keySlot(key) >= a && keySlot(key) <= b))?.address,
        ),
      );
      assert.equal(holding.size, 3, 'the keys live on every master');
      const file = join(folder, 'user.jsonl');
      // Before: the export read one server, and the cluster client refused its INFO and SCAN.
      await assert.rejects(
        exportNamespace(cluster(), Buffer.from('user:'), join(folder, 'refused.jsonl'), {
          delimiter: Buffer.from(':'),
        }),
        /answers for one node only/,
      );
      const exported = await exportClusterNamespace(connection.topology(), Buffer.from('user:'), file, {
        delimiter: Buffer.from(':'),
      });
      assert.equal(exported.cancelled, false);
      assert.equal(exported.keys, 62);
      assert.deepEqual(exported.byType, { string: 61, hash: 1 });
      const plan = await planImport(cluster(), file, Buffer.from('copy:'));
      assert.equal(plan.keys, 62);
      const imported = await importNamespace(cluster(), plan);
      assert.equal(imported.created, 62);
      assert.equal(await cluster().get('copy:profile:59'), 'value of user:profile:59');
      assert.equal(await cluster().hget('copy:settings:1', 'theme'), 'dark');
      assert.ok((await cluster().ttl('copy:token:1')) > 3000);
      assert.equal(await cluster().exists('copy:not-this-one'), 0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('Set TTL on Keys Without One: counts the keys without a TTL on every master, then gives exactly those the TTL', async () => {
    const without = Array.from({ length: 45 }, (_, i) => `cache:search:${i}`);
    for (const key of without) await cluster().set(key, 'r');
    for (let i = 0; i < 15; i++) await cluster().set(`cache:search:ttl:${i}`, 'r', 'EX', 600);
    // Before: the count SCANned through the cluster client, which refuses SCAN.
    await assert.rejects(planTtlForKeysWithoutOne(cluster(), Buffer.from('cache:')), /SCAN answers for one node only/);
    const progress: [number, number][] = [];
    const plan = await planClusterTtlForKeysWithoutOne(connection.topology(), Buffer.from('cache:'), {
      onProgress: (found, scanned) => progress.push([found, scanned]),
    });
    assert.equal(plan.count, 45);
    assert.equal(plan.scanned, 60);
    assert.equal(plan.perMaster.length, 3);
    assert.ok(
      plan.perMaster.every((part) => part.plan.count > 0),
      'the keys live on every master',
    );
    assert.deepEqual(progress.at(-1), [45, 60]);
    const result = await expireClusterKeysWithoutTtl(plan, 3600);
    assert.deepEqual(
      { expired: result.expired, total: result.total, skipped: result.skipped, remaining: result.remaining },
      { expired: 45, total: 45, skipped: 0, remaining: 0 },
    );
    for (const key of without) assert.ok((await cluster().ttl(key)) > 3500, key);
    assert.ok((await cluster().ttl('cache:search:ttl:3')) <= 600, 'a key that had a TTL keeps it');
  });
});
