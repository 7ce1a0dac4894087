import * as assert from 'node:assert/strict';
import { pagerFor } from '../../../../src/redis/cluster/clusterPager';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { toBinary } from '../../../../src/redis/keyspace';
import { NamespaceModel } from '../../../../src/redis/keyspace/namespaceModel';
import { useClusterTopology } from '../../../support/clusterTopology';
import { fillCluster, slotOwners, useRedisCluster } from '../../../support/redisCluster';
import { startSlotMigration } from '../../../support/slotMigration';

const PASSWORD = 'cluster-paging-password-4e90';

/** 600 keys of `user` in the slot of `{mover}` (the slot the test moves), 1,200 spread over every master. */
function namespaceKeys(): string[] {
  const keys: string[] = [];
  for (let i = 0; i < 600; i++) keys.push(`user:{mover}${i}`);
  for (let i = 0; i < 1200; i++) keys.push(`user:${i}`);
  return keys;
}

describe('paging a namespace over a Redis Cluster while a slot moves (a real six-node cluster)', function () {
  this.timeout(120_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);

  /** A namespace that pages with SCAN (its names not held), as in a large keyspace. */
  function userNamespace(keys: readonly string[]) {
    const model = new NamespaceModel({ delimiter: ':', keepNamesUpTo: 0 });
    for (const key of keys) model.add(key);
    model.finish('complete');
    const node = model.findNamespace(toBinary(Buffer.from('user')));
    assert.ok(node && !node.hasAllDirectKeyNames);
    return node;
  }

  it('gives every key once when the slot moves between pages (keys listed on the source appear on the target)', async () => {
    const keys = namespaceKeys();
    await fillCluster(fixture.cluster, keys);
    const slot = keySlot('{mover}');
    const owners = await slotOwners(fixture.cluster);
    const from = owners[slot];
    const to = (await fixture.cluster.masterPorts()).find((port) => port !== from);
    assert.ok(from && to);

    const pager = pagerFor(connection.topology(), userNamespace(keys), { pageSize: 90, count: 100 });
    const given: string[] = [];
    const take = async (): Promise<void> => {
      for (const key of (await pager.next()).keys) given.push(Buffer.from(key.id, 'latin1').toString());
    };
    // A third of the namespace is listed, part of the moving slot's keys among it.
    while (given.length < 600) await take();
    assert.ok(given.some((key) => key.startsWith('user:{mover}')));

    // Half the slot's keys move while the next pages are read, the rest after.
    const migration = await startSlotMigration(fixture.cluster, slot, from, to);
    try {
      await migration.step(300);
      await take();
      await migration.finish();
    } finally {
      migration.close();
    }
    while (!pager.done) await take();

    const twice = given.filter((key, i) => given.indexOf(key) !== i);
    assert.deepEqual(twice, [], 'no key is listed twice');
    assert.deepEqual([...given].sort(), [...keys].sort(), 'every key is listed');
  });
});
