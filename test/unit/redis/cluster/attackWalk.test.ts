import * as assert from 'node:assert/strict';
import { clusterNamespaceStats } from '../../../../src/redis/cluster/clusterStatistics';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { clusterMasters } from '../../../../src/redis/cluster/topology';
import { fillCluster } from '../../../support/redisCluster';
import { SlotMigration, startSlotMigration } from '../../../support/slotMigration';
import { FAST, tagFor, useAttackCluster } from './attackFixture';

const PASSWORD = 'cluster-attack-walk-password-71c4';

/*
 * DEFECT (attack: a slot migrating during the Keys view's walk). walkCluster only compares
 * the slot map (CLUSTER SLOTS) before and after the walk (ClusterScanSource.scanAll,
 * src/redis/cluster/clusterWalk.ts). While `redis-cli --cluster reshard` is moving a slot,
 * the slot map does not change: the slot stays with its source until the very last
 * SETSLOT … NODE. Keys MIGRATEd from the source (not walked that far yet) to the target
 * (already walked past them) are seen by no SCAN, and the walk still ends `complete` with
 * a total that is short: the Keys view shows wrong counts and says nothing (no silent
 * truncation, DESIGN). Delete Namespace and the pager handle this with readSlotState /
 * receivingMasters (IMPORTING slots → scan the receiving master again); the walk does not.
 */
describe('attack: walking a Redis Cluster while a slot migrates (a real six-node cluster)', function () {
  this.timeout(120_000);
  const attack = useAttackCluster(PASSWORD);

  it('counts every key, or fails saying a slot moved, when keys of a migrating slot move mid-walk', async () => {
    const [source, target] = clusterMasters(attack.cluster, attack.endpoint);
    assert.ok(source && target);
    const [from] = source.slots[0] ?? [];
    assert.ok(from !== undefined);
    // All keys on the first master: the others' SCANs end at once; the first master's takes many calls.
    const moving = tagFor(from + 7);
    const staying = tagFor(from + 8);
    const keys: string[] = [];
    for (let i = 0; i < 1000; i++) keys.push(`moving:{${moving}}:${i}`);
    for (let i = 0; i < 20_000; i++) keys.push(`staying:{${staying}}:${i}`);
    await fillCluster(attack.fixture, keys);

    // A resharding under way: the slot is MIGRATING on the source, IMPORTING on the target.
    const migration: SlotMigration = await startSlotMigration(
      attack.fixture,
      from + 7,
      source.endpoint.port,
      target.endpoint.port,
    );
    let moved: Promise<number> | undefined;
    try {
      const walk = walkCluster(
        attack.cluster,
        attack.endpoint,
        { password: PASSWORD },
        {
          count: 10,
          tuning: FAST,
          progressIntervalMs: 0,
          // As soon as the walk runs, the reshard moves the slot's keys (it does not finish: no SETSLOT … NODE yet).
          onProgress: () => {
            moved ??= migration.step(1000);
          },
        },
      );
      let total: number | undefined;
      let failure: unknown;
      try {
        total = (await walk.done).totalKeys;
      } catch (error) {
        failure = error;
      }
      assert.equal(await moved, 1000, 'the migration moved the slot’s keys during the walk');
      // Either every key is counted, or the walk says that keys moved and asks for a refresh; never a short total.
      if (failure === undefined) {
        assert.equal(total, keys.length, `the walk ended "complete" with ${total} of ${keys.length} keys`);
      } else {
        assert.match(String(failure), /slot|moved|migrat/i);
      }
    } finally {
      migration.close();
    }
  });

  /*
   * DEFECT (same attack, Namespace Statistics and the checks built on it). clusterNamespaceStats
   * (src/redis/cluster/clusterStatistics.ts:52-70) sums each master's own SCAN count and calls
   * the sum exact (`keysExact`) when every SCAN ended, with no look at MIGRATING/IMPORTING slots:
   * keys a reshard moves from a master not yet scanned past them to one already scanned past are
   * counted by neither, keys moving the other way by both, and the table shows the wrong number
   * without the "≥" of an estimate. Depending on timing it fails the other way: the sample's
   * PTTL/MEMORY USAGE, sent on the master's own connection (namespaceStats), is answered
   * "ASK 21 127.0.0.1:…" for a key that just moved, and Namespace Statistics fails with
   * "Redis refused PTTL/MEMORY USAGE: ASK …" during any reshard (no redirection followed).
   */
  it('Namespace Statistics does not call a count exact when keys of a migrating slot moved during it', async () => {
    const [source, target] = clusterMasters(attack.cluster, attack.endpoint);
    assert.ok(source && target);
    const [from] = source.slots[0] ?? [];
    assert.ok(from !== undefined);
    const [moving, staying] = [from + 21, from + 22].map(tagFor);
    const keys: string[] = [];
    for (let i = 0; i < 1000; i++) keys.push(`stats:{${moving}}:${i}`);
    for (let i = 0; i < 20_000; i++) keys.push(`stats:{${staying}}:${i}`);
    await fillCluster(attack.fixture, keys);
    const migration = await startSlotMigration(attack.fixture, from + 21, source.endpoint.port, target.endpoint.port);
    try {
      const counting = clusterNamespaceStats(
        clusterMasters(attack.cluster, attack.endpoint),
        { name: 'stats', prefix: Buffer.from('stats:') },
        { totalKeys: keys.length, scanCount: 10, maxScanCalls: 1_000_000, sampleSize: 10 },
      );
      // The reshard moves the slot's keys while the masters count (the empty target has finished at once).
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await migration.step(1000), 1000);
      const stats = await counting;
      if (stats.keysExact) {
        assert.equal(stats.keys, keys.length, `"exactly" ${stats.keys} keys of ${keys.length}`);
      }
    } finally {
      migration.close();
    }
  });
});
