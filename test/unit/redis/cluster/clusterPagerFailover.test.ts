import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { ClusterKeyPager, pagerFor } from '../../../../src/redis/cluster/clusterPager';
import { walkCluster } from '../../../../src/redis/cluster/clusterWalk';
import { clusterMasters } from '../../../../src/redis/cluster/topology';
import { toBinary } from '../../../../src/redis/keyspace';
import { fillCluster } from '../../../support/redisCluster';
import { FAST, useAttackCluster } from './attackFixture';

const PASSWORD = 'cluster-pager-outage-password-5c1d';
const KEYS = 3000;
const PAGE = 100;

/** A command on one node of the fixture, on a connection of its own. */
async function onNode(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    password: PASSWORD,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return await client.call(args[0] ?? 'PING', ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** The port of a master's replica, once it holds as many keys as the master (CLUSTER SLOTS may not list it yet). */
async function syncedReplicaOf(masterPort: number): Promise<number> {
  for (let i = 0; ; i++) {
    const nodes = String(await onNode(masterPort, 'CLUSTER', 'NODES')).split('\n');
    const id = nodes.find((line) => line.includes('myself'))?.split(' ')[0];
    const replica = nodes.map((line) => line.split(' ')).find((fields) => fields[3] === id && id !== undefined);
    const port = Number(/:(\d+)@/.exec(replica?.[1] ?? '')?.[1]);
    if (port > 0 && Number(await onNode(port, 'DBSIZE')) === Number(await onNode(masterPort, 'DBSIZE'))) return port;
    assert.ok(i < 100, 'the master has a replica in sync within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/*
 * A master that stays down for a while (its replica may not fail over, and the other masters
 * keep serving their slots: cluster-require-full-coverage no), then its replica takes over by
 * hand. Meanwhile `Load more…` pages the other masters' keys and, for the stopped one, says
 * which cluster master did not answer and to wait for a replica; the keys held over from
 * failed rounds stay under two pages however often it is tried (each retry's round runs only
 * while the page is not full). After the takeover the pager finds the new master itself (no
 * slot map refresh by the test) and every key comes exactly once.
 */
describe('paging a namespace while a cluster master stays down, then is taken over (a real six-node cluster)', function () {
  this.timeout(120_000);
  const attack = useAttackCluster(PASSWORD);

  it('says which master is down, holds over at most a page, and gives every key once after the takeover', async () => {
    const keys = Array.from({ length: KEYS }, (_, i) => `page:${i}`);
    await fillCluster(attack.fixture, keys);
    const walk = walkCluster(
      attack.cluster,
      attack.endpoint,
      { password: PASSWORD },
      { tuning: FAST, keepNamesUpTo: 0 },
    );
    const node = (await walk.done).findNamespace(toBinary(Buffer.from('page')));
    assert.ok(node && !node.hasAllDirectKeyNames, 'the namespace pages by SCAN on every master');
    const pager = pagerFor(attack.topology(), node, { pageSize: PAGE, count: 100 });
    assert.ok(pager instanceof ClusterKeyPager);
    const given: string[] = [];
    for (const key of (await pager.next()).keys) given.push(key.id);

    const [victim] = clusterMasters(attack.cluster, attack.endpoint);
    assert.ok(victim);
    const replicaPort = await syncedReplicaOf(victim.endpoint.port);
    for (const server of attack.fixture.nodes) {
      await onNode(server.port, 'CONFIG', 'SET', 'cluster-require-full-coverage', 'no');
    }
    await onNode(replicaPort, 'CONFIG', 'SET', 'cluster-replica-no-failover', 'yes');
    const server = attack.fixture.nodes.find((n) => n.port === victim.endpoint.port);
    assert.ok(server);
    await server.stop();

    // The master stays down: twenty tries, each a page of the others' keys or the clear failure.
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const page = await pager.next();
        assert.ok(page.keys.length <= PAGE);
        for (const key of page.keys) given.push(key.id);
      } catch (error) {
        failures++;
        assert.match(String(error), new RegExp(`${victim.endpoint.port} \\(cluster master, slots `));
        assert.match(String(error), /wait for a replica to take over its slots, then try again/);
      }
      // White box: the keys held over from failed rounds (no public view of them).
      const heldOver = (pager as unknown as { carried: unknown[] }).carried.length;
      assert.ok(heldOver < 2 * PAGE, `held over ${heldOver} keys after ${i + 1} tries`);
    }
    // Tries fail and give pages (of the held-over keys) by turns while the others have keys.
    assert.ok(failures > 0, 'the stopped master failed tries');
    assert.ok(!pager.done && given.length < KEYS);

    // Its replica takes over; the pager, not the test, reads the new slot map.
    await onNode(replicaPort, 'CLUSTER', 'FAILOVER', 'TAKEOVER');
    for (let i = 0; ; i++) {
      const masters = await attack.fixture.masterPorts();
      if (masters.includes(replicaPort) && !masters.includes(victim.endpoint.port)) break;
      assert.ok(i < 100, 'the replica took over within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    let after = 0;
    let last: unknown;
    while (!pager.done && after < 10) {
      try {
        for (const key of (await pager.next()).keys) given.push(key.id);
      } catch (error) {
        after++;
        last = error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    assert.ok(pager.done, `Load more failed ${after} times after the takeover, last: ${String(last)}`);
    assert.equal(new Set(given).size, given.length, 'no key came twice');
    assert.equal(given.length, KEYS);
  });
});
