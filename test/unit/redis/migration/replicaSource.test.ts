import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { dataRelation, sameDatabase, serverIdentity, ServerIdentity } from '../../../../src/redis/migration';
import { eventually } from '../../../support/eventually';
import { useRedisServer } from '../../../support/useRedisServer';
import { endpointOf } from '../keyspace/support';

/** Three real servers: a master, its replica, and one that has nothing to do with them. */
describe('migration: a source that holds the target’s data through replication (a replica or the master)', function () {
  this.timeout(60_000);
  const masterServer = useRedisServer({ config: 'repl-diskless-sync-delay 0\n' });
  // Read when the replica starts, after the master's own before hook.
  const replicaServer = useRedisServer(() => ({ config: `replicaof 127.0.0.1 ${masterServer.port}\n` }));
  const otherServer = useRedisServer();
  let master: Redis;
  let replica: Redis;
  let other: Redis;

  before(async () => {
    master = await masterServer.connect();
    replica = await replicaServer.connect();
    other = await otherServer.connect();
    await master.set('auth:session:1', 'v');
    await eventually('the replica holds the master’s data', async () => (await replica.get('auth:session:1')) === 'v');
  });

  it('a replica of the target (the same data under another port) counts as the same database, and so does its master', async () => {
    const [m, r, o] = await Promise.all([
      serverIdentity(master, endpointOf(masterServer)),
      serverIdentity(replica, endpointOf(replicaServer)),
      serverIdentity(other, endpointOf(otherServer)),
    ]);
    assert.notEqual(r.runId, m.runId, 'two processes: run_id alone cannot tell');
    assert.equal(sameDatabase(r, m), true, 'the source is a replica of the target');
    assert.equal(sameDatabase(m, r), true, 'the source is the master of the target');
    assert.equal(sameDatabase(o, m), false);
    assert.equal(sameDatabase(r, o), false);
    // Another database of the replica is not the data the target's database 0 holds.
    const r1 = await serverIdentity(replica, endpointOf(replicaServer, 1));
    assert.equal(sameDatabase(r1, m), false);
    // What the refusal says.
    assert.equal(dataRelation(r, m), 'replica-of-target');
    assert.equal(dataRelation(m, r), 'master-of-target');
    assert.equal(dataRelation(m, m), 'same-server');
    assert.equal(dataRelation(o, m), 'different');
  });

  it('a server that does not say who it is (no run_id, no replication id) is unknown, not another server', async () => {
    const m = await serverIdentity(master, endpointOf(masterServer));
    const blank: ServerIdentity = { ...m, runId: '', replicationId: '', role: '' };
    assert.equal(dataRelation(blank, m), 'unknown');
    assert.equal(dataRelation(m, blank), 'unknown');
    assert.equal(sameDatabase(blank, m), false);
  });
});
