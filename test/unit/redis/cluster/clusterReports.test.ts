import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { aclLine, serviceRules } from '../../../../src/redis/acl/rules';
import {
  clusterSlowLogLengths,
  readClusterAclLog,
  readClusterSlowLog,
  resetClusterSlowLogs,
} from '../../../../src/redis/cluster/clusterLogs';
import { clusterDeniedAccessesMarkdown, clusterSlowLogMarkdown } from '../../../../src/redis/cluster/clusterReports';
import { readClusterServerSample } from '../../../../src/redis/cluster/clusterSample';
import { publishOnCluster, publishedText } from '../../../../src/redis/cluster/clusterPublish';
import { serviceOfUser } from '../../../../src/redis/observe/clientList';
import { useClusterTopology } from '../../../support/clusterTopology';
import { eventually } from '../../../support/eventually';
import { nodeClient } from '../../../support/redisClient';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-logs-password-5c1a';
const AUTH_PASSWORD = randomBytes(16).toString('hex');
const ACL = [
  `user default on >${PASSWORD} ~* &* +@all`,
  aclLine({ username: 'auth-service', password: AUTH_PASSWORD, rules: serviceRules('auth', ':') }),
].join('\n');
const OWNERS = [{ prefix: 'auth', owner: 'Auth Service' }];
const NOW = new Date('2026-12-03T07:00:00Z');

/**
 * Show Slow Log, Reset Slow Log, Show Denied Accesses and the INFO view's charts on a real six-node
 * cluster: every node's own log or figures, each entry naming its node.
 */
describe('node-local reports on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD, acl: `${ACL}\n` });
  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const opened: Redis[] = [];
  afterEach(() => opened.splice(0).forEach((client) => client.disconnect()));
  // CLUSTER SLOTS lists a replica once it has replicated: the client's slot map read again until it has all three.
  before(async () => {
    await eventually('every replica in the slot map', async () => {
      await new Promise<void>((resolve) => connection.cluster.refreshSlotsCache(() => resolve()));
      return nodeAddresses().length === 6;
    });
  });

  /** A connection straight to one node, as a service (or a person with redis-cli) would have. */
  async function direct(address: string, username = 'default', password = PASSWORD): Promise<Redis> {
    const client = await nodeClient(address, { username, password });
    opened.push(client);
    return client;
  }

  /** `ECHO marker` logged as slow on the node at `address` (every command is slow for a moment). */
  async function slowCommandOn(address: string, marker: string): Promise<void> {
    const client = await direct(address);
    await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await client.call('ECHO', marker);
    await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  }

  /** Every node of the slot map: masters and their replicas. */
  function nodeAddresses(): string[] {
    return connection
      .topology()
      .masters()
      .flatMap((master) => [master.address, ...master.replicas]);
  }

  it('Show Slow Log: the entries of every master and replica, newest first, each naming the node that logged it', async () => {
    const nodes = nodeAddresses();
    assert.equal(nodes.length, 6);
    for (const [i, address] of nodes.entries()) await slowCommandOn(address, `slow-marker-${i}`);
    const log = await readClusterSlowLog(connection.topology(), OWNERS, ':');
    assert.equal(log.nodes.length, 6);
    for (const [i, address] of nodes.entries()) {
      const found = log.entries.filter((entry) => entry.args.join(' ') === `ECHO slow-marker-${i}`);
      assert.deepEqual(
        found.map((entry) => entry.node),
        [address],
      );
    }
    const times = log.entries.map((entry) => entry.time.getTime());
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const markdown = clusterSlowLogMarkdown(log, '127.0.0.1:7001 (Redis Cluster)', NOW);
    assert.match(markdown, /^# Slow log of 127\.0\.0\.1:7001 \(Redis Cluster\)/);
    assert.match(markdown, /from 6 nodes/);
    assert.match(markdown, /\| Time \| Node \| Service \| Duration \| Command \| Client \|/);
    for (const [i, address] of nodes.entries()) {
      const row = markdown.split('\n').find((line) => line.includes(`ECHO slow-marker-${i}`));
      assert.ok(row, `a row for the slow command on ${address}`);
      assert.ok(row.includes(`| ${address} |`), `${row} names ${address}`);
      // Each node is listed with what it keeps, replicas as replicas of their master.
      assert.ok(markdown.includes(`- ${address} (`), `the header lists ${address}`);
    }
    assert.match(markdown, /replica of 127\.0\.0\.1:\d+/);
  });

  it('Reset Slow Log: empties the slow log of every node Show Slow Log read, and counts them first', async () => {
    const nodes = nodeAddresses();
    await slowCommandOn(nodes[0] as string, 'before-reset-a');
    await slowCommandOn(nodes[5] as string, 'before-reset-b');
    const before = await clusterSlowLogLengths(connection.topology());
    assert.deepEqual(before.map((node) => node.node).sort(), [...nodes].sort());
    assert.ok((before.find((node) => node.node === nodes[0])?.length ?? 0) > 0);
    assert.ok((before.find((node) => node.node === nodes[5])?.length ?? 0) > 0);
    const reset = await resetClusterSlowLogs(connection.topology());
    assert.deepEqual([...reset].sort(), [...nodes].sort());
    for (const address of nodes) {
      assert.equal(Number(await (await direct(address)).call('SLOWLOG', 'LEN')), 0, `${address} is empty`);
    }
    const after = await readClusterSlowLog(connection.topology(), OWNERS, ':');
    assert.equal(after.entries.length, 0);
    assert.match(clusterSlowLogMarkdown(after, 'the cluster', NOW), /The slow logs of the 6 nodes are empty\./);
  });

  it("Show Denied Accesses: every node's ACL LOG, each refusal naming the node that refused it", async () => {
    const [first, second] = connection
      .topology()
      .masters()
      .map((master) => master.address);
    assert.ok(first && second);
    // The auth service reaching into the user namespace on one master; a wrong password on another.
    const service = await direct(first, 'auth-service', AUTH_PASSWORD);
    await assert.rejects(service.get('user:profile:7'), /NOPERM/);
    await assert.rejects((await direct(second)).call('AUTH', 'auth-service', 'not-the-password'), /WRONGPASS/);
    const denied = await readClusterAclLog(connection.topology(), OWNERS, ':');
    assert.equal(denied.nodes.length, 6);
    const keyRefusal = denied.entries.find((entry) => entry.reason === 'key' && entry.object === 'user:profile:7');
    assert.equal(keyRefusal?.node, first);
    const login = denied.entries.find((entry) => entry.reason === 'auth' && entry.username === 'auth-service');
    assert.equal(login?.node, second);
    const ages = denied.entries.map((entry) => entry.ageSeconds);
    assert.deepEqual(
      ages,
      [...ages].sort((a, b) => a - b),
    );
    const markdown = clusterDeniedAccessesMarkdown(denied, 'the cluster', NOW);
    assert.match(markdown, /^# Denied accesses on the cluster/);
    assert.match(markdown, /from 6 nodes/);
    const keyLine = markdown.split('\n').find((line) => line.includes('GET user:profile:7'));
    assert.ok(keyLine?.includes(`on ${first}`), keyLine);
    assert.ok(keyLine?.includes('**auth-service** (Auth Service)'), keyLine);
    const loginLine = markdown.split('\n').find((line) => line.includes('failed to log in'));
    assert.ok(loginLine?.includes(`on ${second}`), loginLine);
  });

  it("the INFO view's charts: one sample of the whole cluster, every node's counters and memory summed, clients per service on every node", async () => {
    const nodes = nodeAddresses();
    const [first, second] = connection
      .topology()
      .masters()
      .map((master) => master.address);
    assert.ok(first && second);
    // The auth service connected to two masters: two connections of one service.
    await direct(first, 'auth-service', AUTH_PASSWORD);
    await direct(second, 'auth-service', AUTH_PASSWORD);
    const serviceOf = (user: string): string | undefined => serviceOfUser(user, OWNERS, ':');
    const infos = await Promise.all(nodes.map(async (address) => String(await (await direct(address)).info())));
    const field = (info: string, name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
    const sample = await readClusterServerSample(connection.topology(), serviceOf);
    const commandsBefore = infos.reduce((sum, info) => sum + field(info, 'total_commands_processed'), 0);
    assert.ok((sample.reading.totalCommands ?? 0) >= commandsBefore, 'every node counted');
    assert.ok((sample.reading.totalCommands ?? 0) < commandsBefore + 1000);
    const memory = infos.reduce((sum, info) => sum + field(info, 'used_memory'), 0);
    assert.ok(
      Math.abs((sample.reading.usedMemory ?? 0) - memory) < memory * 0.2,
      `${sample.reading.usedMemory} ≈ ${memory}`,
    );
    assert.equal(sample.reading.runId?.split(',').length, 6);
    assert.ok('counts' in sample.clients, JSON.stringify(sample.clients));
    assert.equal(sample.clients.counts['Auth Service'], 2);
  });

  it('Publish Message: sent through one known master, the message says how many of its subscribers got it and that other nodes do not report theirs', async () => {
    const [first, second] = connection
      .topology()
      .masters()
      .map((master) => master.address);
    assert.ok(first && second);
    const here = await direct(first);
    const there = await direct(second);
    const received: string[] = [];
    here.on('message', (_channel: string, message: string) => received.push(`${first} ${message}`));
    there.on('message', (_channel: string, message: string) => received.push(`${second} ${message}`));
    await here.subscribe('orders:events');
    await there.subscribe('orders:events');
    const published = await publishOnCluster(connection.topology(), 'orders:events', 'created 42');
    assert.deepEqual(published, { receivers: 1, node: first });
    await eventually('both subscribers got it', () => received.length === 2);
    assert.deepEqual([...received].sort(), [`${first} created 42`, `${second} created 42`].sort());
    assert.equal(
      publishedText('orders:events', published),
      `Published to orders:events through ${first}: 1 subscriber there received it; the cluster forwards it to every node, whose subscribers Redis does not count.`,
    );
    assert.equal(
      publishedText('orders:events', { receivers: 2 }),
      'Published to orders:events: 2 subscribers received it.',
    );
  });
});
