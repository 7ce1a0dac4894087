import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  breachedOnlySomeNodes,
  IsolationCheck,
  IsolationReport,
  isolationMarkdown,
  verifyIsolation,
} from '../../../../src/redis/acl/isolation';
import { aclLine, serviceRules } from '../../../../src/redis/acl/rules';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { slotOwners, useRedisCluster } from '../../../support/redisCluster';

const SERVICES = ['auth', 'user'].map((namespace) => ({
  namespace,
  username: `${namespace}-service`,
  password: randomBytes(16).toString('hex'),
}));

/** The stack's rules for each service on every node; the default user stays open (the test's operator). */
const ACL = [
  'user default on nopass ~* &* +@all',
  ...SERVICES.map((s) =>
    aclLine({ username: s.username, password: s.password, rules: serviceRules(s.namespace, ':') }),
  ),
].join('\n');

/**
 * ACL users live on each node of a Redis Cluster, replicas included (ACL SETUSER is not
 * replicated, and a replica serves reads to clients that sent READONLY): Verify Namespace
 * Isolation logs in as each service on every node, and a user that differs on one node is
 * found there, named by its node.
 */
describe('Verify Namespace Isolation on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
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

  const verify = async () => {
    const [first] = await fixture.cluster.masterPorts();
    return verifyIsolation({
      endpoint: { host: '127.0.0.1', port: first as number, db: 0, tls: false },
      operator: node(first as number),
      services: SERVICES,
      delimiter: ':',
    });
  };

  it('checks each service user on every node, masters and replicas, once each, and finds no breach when the nodes agree', async () => {
    const masters = await fixture.cluster.masterPorts();
    const report = await verify();
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.breaches, []);
    assert.deepEqual(
      [...new Set(report.checks.map((c) => c.node))].sort(),
      fixture.cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort(),
    );
    assert.match(
      isolationMarkdown(report, 'the cluster', new Date()),
      /each service was checked on each of the 6 nodes \(3 masters and 3 replicas;/,
    );
    for (const { port } of fixture.cluster.nodes) {
      for (const service of SERVICES) {
        const own = report.checks.filter(
          (c) => c.node === `127.0.0.1:${port}` && c.service === service.username && /its own namespace/.test(c.check),
        );
        assert.deepEqual(
          own.map((c) => c.check.split(' ')[0]),
          ['SET', 'GET', 'UNLINK', 'PUBLISH'],
          `SET, GET, UNLINK and PUBLISH of ${service.username} on 127.0.0.1:${port}`,
        );
      }
    }
    // The probe keys are gone from every master.
    for (const port of masters) assert.equal(await node(port).dbsize(), 0, `127.0.0.1:${port} keeps no probe key`);
  });

  it('names the master where a service user was widened by ACL SETUSER on that node only', async () => {
    const masters = await fixture.cluster.masterPorts();
    const second = masters[1] as number;
    const operator = node(second);
    await operator.call('ACL', 'SETUSER', 'auth-service', '~user:*');
    try {
      const report = await verify();
      assert.deepEqual(report.errors, []);
      assert.ok(report.breaches.length > 0, 'the widened user is a breach');
      assert.deepEqual(
        [...new Set(report.breaches.map((b) => `${b.service} on ${b.node}`))],
        [`auth-service on 127.0.0.1:${second}`],
      );
      assert.deepEqual(breachedOnlySomeNodes(report), [`127.0.0.1:${second}`]);
      assert.ok(
        report.breaches.some(
          (b) => /^GET user:\S+ \(user-service's namespace\)$/.test(b.check) && /~user:\*/.test(b.rule ?? ''),
        ),
        JSON.stringify(report.breaches),
      );
      const markdown = isolationMarkdown(report, 'the cluster', new Date());
      assert.match(
        markdown,
        new RegExp(`^- \\*\\*Breach:\\*\\* auth-service on 127\\.0\\.0\\.1:${second} — GET user:`, 'm'),
      );
      assert.match(markdown, new RegExp(`^## auth-service on 127\\.0\\.0\\.1:${second}$`, 'm'));
    } finally {
      await operator.call('ACL', 'SETUSER', 'auth-service', 'resetkeys', '~auth:*', '%R~shared:*');
    }
  });

  it('names the replica where a service user was widened on that replica only (it serves READONLY reads)', async () => {
    const masters = await fixture.cluster.masterPorts();
    const replicaPort = fixture.cluster.nodes.map((n) => n.port).find((port) => !masters.includes(port));
    assert.ok(replicaPort);
    const replica = node(replicaPort);
    const masterPort = Number(/master_port:(\d+)/.exec(await replica.info('replication'))?.[1]);
    assert.ok(masters.includes(masterPort));
    // user-service's key, on the replica's master and replicated to the replica (user:0 onwards:
    // the empty key, outside ~user:*, would make the intruder's read fail with NOPERM).
    const owners = await slotOwners(fixture.cluster);
    let key = 'user:0';
    for (let i = 1; owners[keySlot(key)] !== masterPort; i++) key = `user:${i}`;
    const master = node(masterPort);
    await master.set(key, 'private to user-service');
    assert.equal(Number(await master.call('WAIT', '1', '2000')), 1);
    await replica.call('ACL', 'SETUSER', 'auth-service', '~user:*');
    try {
      const auth = SERVICES[0];
      assert.ok(auth);
      const intruder = node(replicaPort, { username: auth.username, password: auth.password });
      await intruder.call('READONLY');
      assert.equal(await intruder.get(key), 'private to user-service', 'the breach is real: auth-service reads user:');

      const report = await verify();
      assert.deepEqual(report.errors, []);
      assert.deepEqual(
        [...new Set(report.breaches.map((b) => `${b.service} on ${b.node}`))],
        [`auth-service on 127.0.0.1:${replicaPort}`],
      );
    } finally {
      await replica.call('ACL', 'SETUSER', 'auth-service', 'resetkeys', '~auth:*', '%R~shared:*');
      await master.del(key);
    }
  });

  it('names the master where a service user is missing', async () => {
    const masters = await fixture.cluster.masterPorts();
    const third = masters[2] as number;
    const operator = node(third);
    const rules = (await operator.call('ACL', 'LIST')) as string[];
    const line = rules.find((l) => l.startsWith('user user-service '));
    assert.ok(line);
    await operator.call('ACL', 'DELUSER', 'user-service');
    try {
      const report = await verify();
      assert.deepEqual(report.breaches, []);
      assert.deepEqual(
        report.errors.map((e) => `${e.service} on ${e.node}: ${e.check}`),
        [`user-service on 127.0.0.1:${third}: log in with its password from .env`],
      );
    } finally {
      await operator.call('ACL', 'SETUSER', 'user-service', ...line.split(' ').slice(2));
    }
  });
});

describe('which masters a breach is on only', () => {
  const check = (node: string, breach: boolean): IsolationCheck => ({
    service: 'user-service',
    check: "GET auth:… (auth-service's namespace)",
    expected: 'refused',
    actual: breach ? 'allowed' : 'refused',
    answer: breach ? '(nil)' : 'NOPERM',
    node,
  });
  const report = (checks: IsolationCheck[]): IsolationReport => ({
    checks,
    breaches: checks.filter((c) => c.actual !== c.expected),
    errors: [],
  });

  it('names the masters with breaches when others passed, and none when every master (or the single server) has them', () => {
    assert.deepEqual(breachedOnlySomeNodes(report([check('a:1', false), check('b:2', true), check('c:3', false)])), [
      'b:2',
    ]);
    assert.equal(breachedOnlySomeNodes(report([check('a:1', true), check('b:2', true)])), undefined);
    assert.equal(breachedOnlySomeNodes(report([check('a:1', false), check('b:2', false)])), undefined);
    const single = { ...check('a:1', true), node: undefined };
    assert.equal(breachedOnlySomeNodes(report([single])), undefined);
  });
});
