import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { verifyIsolation } from '../../../../src/redis/acl/isolation';
import { aclLine, serviceRules } from '../../../../src/redis/acl/rules';
import { eventually } from '../../../support/eventually';
import { useRedisCluster } from '../../../support/redisCluster';

const SERVICES = ['auth', 'user'].map((namespace) => ({
  namespace,
  username: `${namespace}-service`,
  password: randomBytes(16).toString('hex'),
}));

const ACL = [
  'user default on nopass ~* &* +@all',
  // An operator that may not list a master's replicas (CLUSTER REPLICAS): the slot map's replicas are checked instead.
  'user narrow on nopass ~* &* +@all -cluster|replicas',
  ...SERVICES.map((s) =>
    aclLine({ username: s.username, password: s.password, rules: serviceRules(s.namespace, ':') }),
  ),
].join('\n');

/**
 * Verify Namespace Isolation on a cluster with a replica that is down: the other five nodes
 * can be checked, and the one that cannot must be named, not dropped and not allowed to
 * sink the whole check.
 */
describe('attack: Verify Namespace Isolation with a replica down (a real six-node cluster)', function () {
  this.timeout(90_000);
  const fixture = useRedisCluster({ acl: `${ACL}\n` });
  const opened: Redis[] = [];
  const node = (port: number, login: { username?: string; password?: string } = {}): Redis => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, ...login });
    client.on('error', () => undefined);
    opened.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of opened.splice(0)) client.disconnect();
  });

  const verify = async (operator: { username?: string } = {}) => {
    const [first] = await fixture.cluster.masterPorts();
    return verifyIsolation({
      endpoint: { host: '127.0.0.1', port: first as number, db: 0, tls: false },
      operator: node(first as number, operator),
      services: SERVICES,
      delimiter: ':',
    });
  };

  it('without the right to run CLUSTER REPLICAS, still checks every node, replicas from the slot map', async () => {
    // Once CLUSTER SLOTS (the slot map) lists every replica: it leaves out one that has replicated nothing yet.
    const [first] = await fixture.cluster.masterPorts();
    const seed = node(first as number);
    await eventually(
      'CLUSTER SLOTS lists each master with its replica',
      async () => ((await seed.call('CLUSTER', 'SLOTS')) as unknown[][]).every((range) => range.length >= 4),
      20_000,
    );
    const report = await verify({ username: 'narrow' });
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.breaches, []);
    assert.deepEqual(
      [...new Set(report.checks.map((c) => c.node))].sort(),
      fixture.cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort(),
    );
  });

  // Runs last: it stops one replica of the suite's cluster.
  it('with a replica just stopped (not yet flagged fail), checks the other nodes and names the replica it could not reach', async () => {
    // DEFECT: one replica restarting (stopped, the cluster has not flagged it `fail` yet) makes
    // "Verify Namespace Isolation" fail as a whole: the user gets a connection error and no
    // report at all, not even for the masters and replicas that answer; the masters-only
    // check before this change reported on them. Suspect: clusterIsolation.ts isolationNodes(),
    // where a replica's connectRedis failure is thrown (classifyRedisError) instead of being
    // recorded as that node's "could not run" check, as a refused service login is.
    const masters = await fixture.cluster.masterPorts();
    const replica = fixture.cluster.nodes.find((n) => !masters.includes(n.port));
    assert.ok(replica);
    const address = `127.0.0.1:${replica.port}`;
    await replica.stop();

    let report: Awaited<ReturnType<typeof verify>>;
    try {
      report = await verify();
    } catch (error) {
      assert.fail(`Verify Namespace Isolation failed as a whole for one stopped replica: ${String(error)}`);
    }
    const others = fixture.cluster.nodes.filter((n) => n !== replica).map((n) => `127.0.0.1:${n.port}`);
    for (const other of others) {
      assert.ok(
        report.checks.some((c) => c.node === other && c.actual !== 'error'),
        `${other} is checked`,
      );
    }
    assert.ok(
      report.errors.some((c) => c.node === address),
      `the stopped replica ${address} is named as not checked: ${JSON.stringify(report.errors)}`,
    );
  });

  it('with a replica the cluster flagged fail, says that replica was not checked (not "every node" with one left out)', async () => {
    // DEFECT: a replica that is down and flagged `fail` is silently left out: the report has
    // no line for it, and the command then says "Namespace isolation holds on … and every
    // node of its cluster (5, masters and replicas)" for a six-node cluster; that node's users
    // (in force again when it comes back, or after it is promoted) were never checked.
    // Suspect: clusterIsolation.ts replicaAddresses() (`continue` on fail/noaddr, nothing
    // reported) and verifyIsolation.ts's success message, which counts the nodes that ran.
    const masters = await fixture.cluster.masterPorts();
    const stopped = fixture.cluster.nodes.find((n) => !masters.includes(n.port));
    assert.ok(stopped);
    const address = `127.0.0.1:${stopped.port}`;
    const master = node(masters[0] as number);
    await eventually(
      `${address} flagged fail`,
      async () => {
        const nodes = String(await master.call('CLUSTER', 'NODES'));
        const line = nodes.split('\n').find((l) => l.includes(` ${address}@`));
        return / (\S+,)?fail(,\S+)? /.test(line ?? '');
      },
      20_000,
    );

    const report = await verify();
    const checked = new Set(report.checks.map((c) => c.node));
    assert.ok(
      checked.has(address) || report.errors.some((c) => c.node === address),
      `the report says nothing about the failed replica ${address}: ${[...checked].join(', ')}`,
    );
  });
});
