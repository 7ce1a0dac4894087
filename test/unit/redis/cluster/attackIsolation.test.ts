import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { verifyIsolation } from '../../../../src/redis/acl/isolation';
import { aclLine, serviceRules } from '../../../../src/redis/acl/rules';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { slotOwners, useRedisCluster } from '../../../support/redisCluster';

const SERVICES = ['auth', 'user'].map((namespace) => ({
  namespace,
  username: `${namespace}-service`,
  password: randomBytes(16).toString('hex'),
}));
const ACL = [
  'user default on nopass ~* &* +@all',
  ...SERVICES.map((s) =>
    aclLine({ username: s.username, password: s.password, rules: serviceRules(s.namespace, ':') }),
  ),
].join('\n');

/*
 * DEFECT (attack: an ACL user that differs on one node only, that node a replica).
 * Each node of a cluster keeps its own ACL users, replicas included (ACL SETUSER is not
 * replicated), and a replica serves reads to a client that sent READONLY (ioredis
 * `scaleReads: 'slave'`, Lettuce ReadFrom.REPLICA …). isolationNodes
 * (src/redis/cluster/clusterIsolation.ts:48-60) checks the masters only
 * (clusterMasters), so a service user widened on a replica reads other services'
 * namespaces there while Verify Namespace Isolation reports no breach.
 */
describe('attack: Verify Namespace Isolation on a Redis Cluster whose replica has a widened user (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ acl: `${ACL}\n` });
  const opened: Redis[] = [];
  const node = (port: number, options: { username?: string; password?: string } = {}): Redis => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, ...options });
    client.on('error', () => undefined);
    opened.push(client);
    return client;
  };
  after(() => {
    for (const client of opened.splice(0)) client.disconnect();
  });

  it('finds the breach of a service user widened on a replica only', async () => {
    const masters = await fixture.cluster.masterPorts();
    const replicaPort = fixture.cluster.nodes.map((n) => n.port).find((port) => !masters.includes(port));
    assert.ok(replicaPort);
    const replica = node(replicaPort);
    const masterPort = Number(/master_port:(\d+)/.exec(await replica.info('replication'))?.[1]);
    assert.ok(masters.includes(masterPort));

    // user-service's key, on the replica's master and replicated to the replica.
    const owners = await slotOwners(fixture.cluster);
    // Starts at user:0 (it started at '', whose slot 0 the replica's master serves one run in
    // three: the empty key, outside ~user:*, made the intruder's read fail with NOPERM).
    let key = 'user:0';
    for (let i = 1; owners[keySlot(key)] !== masterPort; i++) key = `user:${i}`;
    const master = node(masterPort);
    await master.set(key, 'private to user-service');
    assert.equal(Number(await master.call('WAIT', '1', '2000')), 1);

    // auth-service widened on the replica only.
    await replica.call('ACL', 'SETUSER', 'auth-service', '~user:*');
    const auth = SERVICES[0];
    assert.ok(auth);
    const intruder = node(replicaPort, { username: auth.username, password: auth.password });
    await intruder.call('READONLY');
    assert.equal(await intruder.get(key), 'private to user-service', 'the breach is real: auth-service reads user:');

    const report = await verifyIsolation({
      endpoint: { host: '127.0.0.1', port: masters[0] as number, db: 0, tls: false },
      operator: node(masters[0] as number),
      services: SERVICES,
      delimiter: ':',
    });
    assert.deepEqual(report.errors, []);
    assert.ok(
      report.breaches.some((b) => b.service === 'auth-service' && b.node === `127.0.0.1:${replicaPort}`),
      `no breach named on the replica 127.0.0.1:${replicaPort}; nodes checked: ${[...new Set(report.checks.map((c) => c.node))].join(', ')}`,
    );
  });
});
