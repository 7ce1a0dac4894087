import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import {
  compileMappings,
  dataRelation,
  hintFor,
  migrateKeys,
  MigrationResult,
  renderMigrationReport,
  sameDatabase,
  serverIdentity,
  ServerIdentity,
} from '../../../../src/redis/migration';
import { eventually } from '../../../support/eventually';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf, endpointOf } from '../keyspace/support';

/** Three real servers: a master, its replica, and one that has nothing to do with them. */
describe('migration: servers linked by replication (a replica or the master as source or target) and what the copy will be refused', function () {
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

  /** Only `count` keys `session:0`… in the client's database. */
  async function sessions(client: Redis, count: number): Promise<void> {
    await client.flushdb();
    await client.mset(...Array.from({ length: count }, (_, i) => [`session:${i}`, 'v']).flat());
  }

  /** What a user compares: the dry run's counts and reasons, and the copy's. */
  const outcome = (r: MigrationResult): unknown => ({
    copied: r.copied,
    failed: r.failed,
    reasons: r.reasons.map((g) => [g.kind, g.reason, g.count]),
  });

  it('the dry run reports the keys a copy will fail because the source user may not DUMP, as the copy does', async () => {
    await Promise.all([master.flushdb(), sessions(other, 50)]);
    await other.call('ACL', 'SETUSER', 'nodump', 'on', '>pw2', '~*', '+@read', '+info', '-dump');
    const limited = await clientOf(otherServer);
    try {
      await limited.call('AUTH', 'nodump', 'pw2');
      const mappings = compileMappings([{ source: 'session', target: 'auth:session' }]);
      const dry = await migrateKeys(limited, master, mappings, { mode: 'dry-run' });
      const copy = await migrateKeys(limited, master, mappings, { mode: 'copy' });
      assert.equal(copy.failed, 50, 'the copy fails every key');
      assert.deepEqual(outcome(dry), outcome(copy), 'the dry run says what the copy then does');
      assert.equal(await master.dbsize(), 0);
    } finally {
      limited.disconnect();
      await other.call('ACL', 'DELUSER', 'nodump');
    }
  });

  it('the dry run into a read-only replica reports the keys as failed (READONLY) as the copy does, with what to do', async () => {
    await sessions(other, 30);
    const mappings = compileMappings([{ source: 'session', target: 'auth:session' }]);
    const dry = await migrateKeys(other, replica, mappings, { mode: 'dry-run' });
    const copy = await migrateKeys(other, replica, mappings, { mode: 'copy' });
    assert.equal(copy.failed, 30);
    assert.deepEqual(outcome(dry), outcome(copy));
    const reason = copy.reasons[0]?.reason ?? '';
    assert.match(reason, /^READONLY/);
    assert.match(hintFor(reason) ?? '', /read-only replica: import into its master/);
    assert.match(renderMigrationReport(dry, { source: 'a', target: 'b' }), /read-only replica: import into its master/);
  });

  it('a least-privilege source user (no INFO) gets an unknown identity to ask about, not a refusal; the hint lists what it needs', async () => {
    await other.call('ACL', 'SETUSER', 'mig', 'on', '>migpw', '~*', '+@read', '+scan', '+dump', '+ping', '-info');
    const limited = await clientOf(otherServer);
    try {
      await limited.call('AUTH', 'mig', 'migpw');
      const source = await serverIdentity(limited, endpointOf(otherServer));
      assert.equal(dataRelation(source, await serverIdentity(master, endpointOf(masterServer))), 'unknown');
    } finally {
      limited.disconnect();
      await other.call('ACL', 'DELUSER', 'mig');
    }
    const hint = hintFor("source refused: NOPERM this user has no permissions to run the 'dump' command") ?? '';
    for (const command of ['SCAN', 'PTTL', 'TYPE', 'DUMP', 'INFO']) assert.match(hint, new RegExp(`\\b${command}\\b`));
  });
});
