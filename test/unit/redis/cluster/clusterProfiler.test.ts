import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { RunningProfile, startProfile } from '../../../../src/redis/cluster/clusterProfiler';
import { keySlot, nodeForSlot } from '../../../../src/redis/cluster/topology';
import { listClients } from '../../../../src/redis/observe/clientList';
import { ProfiledCommand, ProfilerEnded } from '../../../../src/redis/observe/profiler';
import { eventually } from '../../../support/eventually';
import { useClusterTopology } from '../../../support/clusterTopology';
import { nodeClient } from '../../../support/redisClient';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-profiler-password-7d21';

describe('the Profiler on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD });
  const running: RunningProfile[] = [];

  const connection = useClusterTopology(() => fixture.cluster, PASSWORD);
  const topology = () => connection.topology();
  afterEach(() => running.splice(0).forEach((profile) => profile.stop()));

  async function profile(maxLines = 10_000) {
    const commands: ProfiledCommand[] = [];
    let resolveEnded: (ended: ProfilerEnded) => void = () => undefined;
    const ended = new Promise<ProfilerEnded>((resolve) => (resolveEnded = resolve));
    const started = await startProfile(
      topology(),
      connection.endpoint,
      { password: PASSWORD },
      {
        maxSeconds: 60,
        maxLines,
        delimiter: ':',
        listClientsOn: (client: Redis) => listClients(client),
        onCommand: (command) => commands.push(command),
        onEnd: resolveEnded,
      },
    );
    running.push(started);
    return { profile: started, commands, ended };
  }

  /** MONITOR connections open on every node, masters and replicas. */
  async function monitors(): Promise<number> {
    let count = 0;
    for (const node of fixture.cluster.nodes) {
      const client = await nodeClient(`${node.host}:${node.port}`, { password: PASSWORD });
      try {
        count += (await listClients(client)).filter((c) => c.flags.includes('O')).length;
      } finally {
        client.disconnect();
      }
    }
    return count;
  }

  it('watches every node, masters and replicas, and names the node of each command; a write replayed on a replica is shown once, on its master', async () => {
    const { profile: started, commands } = await profile();
    const masters = topology()
      .masters()
      .map((m) => m.address);
    assert.equal(masters.length, 3);
    const every = fixture.cluster.nodes.map((n) => `${n.host}:${n.port}`);
    assert.deepEqual([...started.nodes].sort(), [...every].sort());
    assert.equal(started.replicas, 3);
    const keys = Array.from({ length: 30 }, (_, i) => `user:profile:${i}`);
    for (const key of keys) await connection.cluster.set(key, 'x');
    await eventually('every SET profiled', () =>
      keys.every((key) => commands.some((c) => c.command === 'SET' && c.key === key)),
    );
    // The replicas have applied them (WAIT on every master) before the profile is looked at.
    for (const master of topology().masters()) await master.client?.call('WAIT', '1', '2000');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const key of keys) {
      const seen = commands.filter((c) => c.command === 'SET' && c.key === key);
      assert.deepEqual(
        seen.map((c) => [c.node, c.role]),
        [[nodeForSlot(connection.cluster, keySlot(key))?.master, 'master']],
        key,
      );
    }
    assert.equal(new Set(commands.filter((c) => c.command === 'SET').map((c) => c.node)).size, 3);
    started.stop();
    assert.equal(started.running, false);
    await eventually('no MONITOR left on any node', async () => (await monitors()) === 0);
  });

  it("a READONLY client's read on a replica is profiled naming the replica and its role", async () => {
    const { commands } = await profile();
    const masters = await fixture.cluster.masterPorts();
    const replica = fixture.cluster.nodes.find((n) => !masters.includes(n.port));
    assert.ok(replica);
    const address = `${replica.host}:${replica.port}`;
    const reader = await nodeClient(address, { password: PASSWORD });
    try {
      await reader.call('READONLY');
      await reader.call('ECHO', 'replica-read-marker');
      const seen = await eventually('the replica read profiled', () =>
        commands.find((c) => c.command === 'ECHO' && c.args.includes('replica-read-marker')),
      );
      assert.deepEqual([seen.node, seen.role], [address, 'replica']);
    } finally {
      reader.disconnect();
    }
  });

  it('stops every MONITOR at its line limit, counted over all masters', async () => {
    const { profile: started, commands, ended } = await profile(12);
    for (let i = 0; i < 60; i++) await connection.cluster.get(`auth:limit:${i}`);
    const end = await ended;
    assert.deepEqual([end.end, end.lines, commands.length], [{ reason: 'line-limit', lines: 12 }, 12, 12]);
    assert.equal(started.running, false);
    await eventually('no MONITOR left on any node', async () => (await monitors()) === 0);
  });

  it('refuses when one master refuses MONITOR, naming +monitor, and leaves no MONITOR open on the others', async () => {
    const [, denied] = topology().masters();
    assert.ok(denied?.client);
    // A real refusal on one node only (ACLs are per node).
    await denied.client.call('ACL', 'SETUSER', 'default', '-monitor');
    try {
      await assert.rejects(profile(), (error: Error) => {
        assert.match(error.message, /MONITOR/);
        assert.match(error.message, /\+monitor/);
        assert.ok(error.message.includes(denied.address), error.message);
        return true;
      });
    } finally {
      await denied.client.call('ACL', 'SETUSER', 'default', '+monitor');
    }
    await eventually('no MONITOR left on any node', async () => (await monitors()) === 0);
  });
});
