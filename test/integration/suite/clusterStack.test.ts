import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster } from 'ioredis';
import * as vscode from 'vscode';
import type { BackupOutcome } from '../../../src/commands/backup/backup';
import type { RestoreOutcome } from '../../../src/commands/backup/restore';
import type { ImportOptions, ImportOutcome } from '../../../src/commands/migration/importFromRedis';
import type { ServiceConnectionResult } from '../../../src/commands/security/serviceConnection';
import type { VerifyIsolationResult } from '../../../src/commands/security/verifyIsolation';
import type { InfoPanelState } from '../../../src/views/infoPanel';
import { parseDotenv } from '../../../src/docker/compose/dotenv';
import { nodeKeys } from '../../support/redisCluster';
import { startRedisServer } from '../../support/redisServer';
import { BUNDLED_CLUSTER_STACK } from '../../support/stackFixture';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually } from './extensionApi';
import { stackRows, USERS_ROW } from './stackRows';

/** A cluster client of the test's own, on the stack's published ports. */
async function clusterClient(): Promise<Cluster> {
  const redis = (await api()).stack.snapshot.redis;
  assert.ok(redis?.cluster);
  return new Cluster(
    redis.cluster.seeds.map((s) => ({ ...s })),
    { natMap: { ...redis.cluster.natMap }, redisOptions: { username: redis.username, password: redis.password } },
  );
}

/** Every key of the cluster, by SCAN on each master (test code). */
async function clusterKeys(client: Cluster): Promise<string[]> {
  await client.ping();
  const keys: string[] = [];
  for (const master of client.nodes('master')) keys.push(...(await nodeKeys(master)));
  return keys;
}

/**
 * `REDIS_CLUSTER_NAT_MAP`'s value as ioredis's natMap, parsed as a service would:
 * `announced=reachable` pairs, comma separated.
 */
function parseNatMap(value: string): Record<string, { host: string; port: number }> {
  const natMap: Record<string, { host: string; port: number }> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const [announced = '', reachable = ''] = pair.split('=');
    const at = reachable.lastIndexOf(':');
    natMap[announced] = { host: reachable.slice(0, at), port: Number(reachable.slice(at + 1)) };
  }
  return natMap;
}

/** A connection of the test's own to one node on its published port, not connected yet and never retried. */
function nodeLogin(port: number, username: string | undefined, password: string | undefined): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    username,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

/** What one node of the stack says of itself, asked on its own published port (test code). */
interface NodeState {
  readonly service: string;
  readonly id: string;
  readonly ip: string;
  readonly role: 'master' | 'replica';
  readonly masterId: string | undefined;
  /** A replica's replication source (INFO replication's master_host) and link. */
  readonly masterHost: string | undefined;
  readonly link: string | undefined;
  readonly keys: readonly string[];
}

async function nodeStates(): Promise<NodeState[]> {
  const shared = await api();
  const redis = shared.stack.snapshot.redis;
  const states: NodeState[] = [];
  for (const node of shared.stack.snapshot.services.filter((s) => s.service.startsWith('redis-node-'))) {
    const client = nodeLogin(node.ports[0]?.hostPort ?? 0, redis?.username, redis?.password);
    try {
      await client.connect();
      const myself = String(await client.cluster('NODES'))
        .split('\n')
        .find((l) => l.split(' ')[2]?.split(',').includes('myself'));
      const [id = '', address = '', flags = '', master = '-'] = (myself ?? '').split(' ');
      const replication = await client.info('replication');
      states.push({
        service: node.service,
        id,
        ip: address.split(':')[0] ?? '',
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        masterHost: /^master_host:(.*)$/m.exec(replication)?.[1]?.trim(),
        link: /^master_link_status:(.*)$/m.exec(replication)?.[1]?.trim(),
        keys: (await nodeKeys(client)).sort(),
      });
    } catch (error) {
      states.push({
        service: node.service,
        id: '',
        ip: '',
        role: 'replica',
        masterId: undefined,
        masterHost: `unreachable: ${String(error)}`,
        link: undefined,
        keys: [],
      });
    } finally {
      client.disconnect();
    }
  }
  return states;
}

/** Three masters and three replicas, each replica linked to its own master at its current address and holding the same keys. */
function replicasAgree(nodes: readonly NodeState[]): boolean {
  const masters = nodes.filter((n) => n.role === 'master');
  const replicas = nodes.filter((n) => n.role === 'replica');
  if (masters.length !== 3 || replicas.length !== 3) return false;
  return replicas.every((r) => {
    const master = masters.find((m) => m.id === r.masterId);
    return (
      master !== undefined && r.masterHost === master.ip && r.link === 'up' && r.keys.join() === master.keys.join()
    );
  });
}

/** One line per node, for a failure message. */
function describeNodes(nodes: readonly NodeState[]): string {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const at = (ip: string | undefined): string => nodes.find((n) => n.ip === ip)?.service ?? 'no node';
  return nodes
    .map((n) =>
      n.role === 'master'
        ? `${n.service} master at ${n.ip}: ${n.keys.length} keys`
        : `${n.service} replica of ${byId.get(n.masterId ?? '')?.service ?? n.masterId} (at ${byId.get(n.masterId ?? '')?.ip}), replicating from ${n.masterHost} (${at(n.masterHost)}), link ${n.link}: ${n.keys.length} keys`,
    )
    .join('\n');
}

/** A node's row once it is healthy: role and slots, nothing else. */
const NODE_ROW = /^redis-node-\d — (master · [\d-]+|replica of redis-node-[123])$/;

describe('the cluster stack, driven by commands inside VS Code', function () {
  // Six containers on a small machine: one cluster for the suite.
  this.timeout(240_000);
  // The session follows the stack (the workspace's host and port name the suites' single test server).
  const stack = useWorkspaceStack({ cluster: true, settings: { host: undefined, port: undefined } });

  it('sharedRedis.start brings six nodes up; the Stack view shows each with its role, slots and health, and the init completed', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshStack'), 'absent');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    const port = (service: string): number | undefined =>
      shared.stack.snapshot.services.find((s) => s.service === service)?.ports[0]?.hostPort;
    let rows: string[] = [];
    await eventually('the Stack view to show six healthy nodes in the cluster', async () => {
      rows = await stackRows(shared);
      const healthy = shared.stack.snapshot.services.filter((s) => s.health === 'healthy').length;
      return healthy === 6 && rows.filter((r) => NODE_ROW.test(r)).length === 6 && rows;
    });
    // Role and slots on the row (whole at the side bar's default width), health in its icon;
    // the address and the container's state in words in the tooltip.
    assert.deepEqual(rows.slice(0, 4), [
      `redis-cluster-init — completed`,
      `redis-node-1 — master · 0-5460`,
      `redis-node-2 — master · 5461-10922`,
      `redis-node-3 — master · 10923-16383`,
    ]);
    const nodeRow = shared.views.stack.getChildren()[1];
    assert.ok(nodeRow);
    const item = shared.views.stack.getTreeItem(nodeRow);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    assert.match(
      item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip),
      new RegExp(
        `^\\*\\*redis-node-1\\*\\* — master · slots 0-5460 · running · healthy · 127\\.0\\.0\\.1:${port('redis-node-1')}\n`,
      ),
    );
    // The replicas follow one master each (redis-cli picks which).
    const replicas = rows.slice(4, 7).map((r) => /^redis-node-[456] — replica of (redis-node-[123])$/.exec(r)?.[1]);
    assert.deepEqual(replicas.slice().sort(), ['redis-node-1', 'redis-node-2', 'redis-node-3'], rows.join('\n'));
    assert.equal(rows[7], USERS_ROW);
    assert.equal(rows.length, 8);

    // The connection gets the cluster's addresses: every node's published port, and the natMap.
    const redis = shared.stack.snapshot.redis;
    assert.deepEqual(
      redis?.cluster?.seeds.map((s) => s.port),
      [1, 2, 3, 4, 5, 6].map((n) => port(`redis-node-${n}`)),
    );
    assert.deepEqual(redis?.cluster?.natMap['redis-node-4:6379'], { host: '127.0.0.1', port: port('redis-node-4') });
  });

  it('sharedRedis.info gives each of the six nodes one card, by its published port, replicas found by CLUSTER REPLICAS', async () => {
    const shared = await api();
    const portOf = (service: string): number =>
      shared.stack.snapshot.services.find((s) => s.service === service)?.ports[0]?.hostPort ?? 0;
    const state = await vscode.commands.executeCommand<InfoPanelState>('sharedRedis.info');
    assert.equal(state.error, undefined, state.error);
    const cards = (state.content?.sections ?? []).map((s) => s.title).filter((t) => / · (master|replica)/.test(t));
    // Once each (a replica announces redis-node-N, mapped through the natMap; not also by its container IP).
    assert.deepEqual(
      cards.map((t) => t.split(' · ')[0]).sort(),
      [1, 2, 3, 4, 5, 6].map((n) => `127.0.0.1:${portOf(`redis-node-${n}`)}`).sort(),
      cards.join('\n'),
    );
    assert.equal(cards.filter((t) => t.endsWith(' · replica')).length, 3, cards.join('\n'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sharedRedis.importFromRedis copies a real source redis-server into the cluster, each key to its master, and refuses the cluster itself as the source', async () => {
    const shared = await api();
    const redis = shared.stack.snapshot.redis;
    assert.ok(redis?.cluster);
    const client = await clusterClient();
    const source = await startRedisServer();
    const sourceClient = new Redis({ host: source.host, port: source.port });
    try {
      const pipeline = sourceClient.pipeline();
      for (let i = 0; i < 300; i++) pipeline.set(`session:${i}`, `token ${i}`);
      await pipeline.exec();
      await client.set('auth:session:7', 'already here');
      const run = (mode: 'dry-run' | 'copy'): Thenable<ImportOutcome> =>
        vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', {
          source: { host: source.host, port: source.port },
          mappings: [{ source: 'session', target: 'auth:session' }],
          mode,
          showReport: false,
        } satisfies ImportOptions);
      const dry = await run('dry-run');
      assert.equal(dry.outcome, 'done', dry.message);
      assert.deepEqual([dry.result?.copied, dry.result?.skippedExisting, dry.result?.failed], [299, 1, 0], dry.message);
      assert.equal(await client.exists('auth:session:8'), 0);
      const copy = await run('copy');
      assert.equal(copy.outcome, 'done', copy.message);
      assert.deepEqual(
        [copy.result?.copied, copy.result?.skippedExisting, copy.result?.failed],
        [299, 1, 0],
        copy.message,
      );
      assert.equal(await client.get('auth:session:7'), 'already here');
      assert.equal(await client.get('auth:session:299'), 'token 299');
      // Each master holds its share.
      for (const master of client.nodes('master')) {
        assert.ok(Number(/keys=(\d+)/.exec(await master.info('keyspace'))?.[1]) > 50);
      }

      // A node of this very cluster as the source: refused with one message, nothing copied.
      const node = shared.stack.snapshot.services.find((s) => s.service === 'redis-node-1');
      const refused = await vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', {
        source: {
          host: '127.0.0.1',
          port: node?.ports[0]?.hostPort ?? 0,
          ...(redis.username ? { username: redis.username } : {}),
          password: redis.password ?? '',
        },
        mappings: [{ source: 'auth', target: 'user:auth' }],
        mode: 'copy',
        showReport: false,
      } satisfies ImportOptions);
      assert.equal(refused.outcome, 'refused', refused.message);
      assert.match(refused.message, /is the shared Redis itself/);
      assert.equal(await client.exists('user:auth:session:7'), 0);
    } finally {
      sourceClient.disconnect();
      client.disconnect();
      await source.stop();
    }
  });

  it('sharedRedis.backup writes one checked RDB file per master and a manifest of nodes and slots; sharedRedis.restore puts each back onto its node and its replicas, refusing a manifest whose slots differ', async function () {
    // Two backups of three masters, a stop and a start of six nodes: on a loaded machine
    // this took 214 s, close to the suite's 240 s.
    this.timeout(420_000);
    const client = await clusterClient();
    const folder = mkdtempSync(join(tmpdir(), 'shared-redis-cluster-backup-'));
    try {
      for (let i = 0; i < 90; i++) await client.set(`user:profile:${i}`, `profile ${i}`);
      const before = await clusterKeys(client);
      assert.ok(before.length >= 90 + 300);
      const result = await vscode.commands.executeCommand<BackupOutcome>('sharedRedis.backup', { folder });
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.outcome === 'done' && result.keys, before.length);
      assert.match(result.message, /one file per master/);
      assert.match(result.message, /not one point-in-time snapshot across the nodes/);
      assert.match(result.message, /refuses a cluster whose nodes or slots differ/);
      const files = readdirSync(folder)
        .filter((f) => f.endsWith('.rdb'))
        .sort();
      assert.equal(files.length, 3, files.join(', '));
      for (const [i, file] of files.entries()) assert.match(file, new RegExp(`-redis-node-${i + 1}-.*\\.rdb$`));
      const manifestFile = result.outcome === 'done' ? result.file : '';
      assert.match(manifestFile, /\.cluster\.json$/);
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
        masters: { service: string; nodeId: string; slots: string[]; file: string }[];
      };
      assert.deepEqual(
        manifest.masters.map((m) => [m.service, m.slots, m.file]),
        files.map((file, i) => [`redis-node-${i + 1}`, [['0-5460'], ['5461-10922'], ['10923-16383']][i], file]),
      );

      // Change the data: one key changed, one deleted, one added.
      await client.set('user:profile:1', 'changed');
      await client.del('user:profile:2');
      await client.set('user:profile:new', 'added');

      // A manifest whose slots differ from the live cluster's is refused before anything stops.
      const moved = join(folder, 'moved.cluster.json');
      writeFileSync(
        moved,
        JSON.stringify({
          ...manifest,
          masters: manifest.masters.map((m, i) => (i === 0 ? { ...m, slots: ['0-5000'] } : m)),
        }),
      );
      const refused = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
        file: moved,
        folder,
        confirm: true,
      });
      assert.equal(refused.outcome, 'refused', refused.message);
      assert.match(
        refused.message,
        /^Restore refused: this cluster's nodes or slots differ from the backup's \(redis-node-1 \(node [0-9a-f]{8}\) served slots 0-5000 in the backup and serves slots 0-5460 now\)\. Nothing was changed\./,
      );
      assert.equal(await client.get('user:profile:1'), 'changed');
      assert.equal(await client.get('user:profile:new'), 'added');
      assert.deepEqual(
        readdirSync(folder).filter((f) => f.includes('pre-restore')),
        [],
        'a refused restore backs nothing up',
      );

      const restored = await vscode.commands.executeCommand<RestoreOutcome>('sharedRedis.restore', {
        file: manifestFile,
        folder,
        confirm: true,
      });
      assert.equal(restored.outcome, 'restored', restored.message);
      assert.equal(restored.outcome === 'restored' && restored.keys, before.length);
      assert.doesNotMatch(restored.message, /had not finished syncing/);
      // The data it replaced is a cluster backup of its own: a manifest and one file per master.
      const previous = restored.outcome === 'restored' ? restored.previous : '';
      assert.match(previous, /-pre-restore\.cluster\.json$/);
      const previousManifest = JSON.parse(readFileSync(previous, 'utf8')) as { masters: { file: string }[] };
      assert.equal(previousManifest.masters.length, 3);
      for (const m of previousManifest.masters) assert.ok(statSync(join(folder, m.file)).size > 0, m.file);

      const after = await clusterClient();
      try {
        assert.deepEqual((await clusterKeys(after)).sort(), before.slice().sort());
        assert.equal(await after.get('user:profile:1'), 'profile 1');
        assert.equal(await after.get('user:profile:2'), 'profile 2');
        assert.equal(await after.exists('user:profile:new'), 0);
        // A cluster client connecting now lists every replica: Redis leaves a replica out of
        // CLUSTER SLOTS until it has synced, and ioredis does not read the slot map again by itself.
        assert.equal(after.nodes('slave').length, 3);
      } finally {
        after.disconnect();
      }
      // The restore returns once every replica has synced: each follows its own master (at its
      // current address) and holds the same keys, asked on its own published port.
      const nodes = await nodeStates();
      assert.ok(replicasAgree(nodes), describeNodes(nodes));
    } finally {
      client.disconnect();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('sharedRedis.addServiceUsers loads the new users on every node', async () => {
    const shared = await api();
    const result = await vscode.commands.executeCommand<{ reload: string; message: string }>(
      'sharedRedis.addServiceUsers',
      ['auth', 'user'],
    );
    assert.equal(result.reload, 'reloaded', result.message);
    const env = readFileSync(join(stack.fixture.dir, '.env'), 'utf8');
    for (const namespace of ['auth', 'user']) {
      const password = new RegExp(`^REDIS_SERVICE_PASSWORD_${namespace.toUpperCase()}=(.+)$`, 'm').exec(env)?.[1];
      assert.ok(password, namespace);
      for (const node of shared.stack.snapshot.services.filter((s) => s.service.startsWith('redis-node-'))) {
        const client = nodeLogin(node.ports[0]?.hostPort ?? 0, `${namespace}-service`, password);
        try {
          await client.connect();
          assert.match(await client.info('server'), /redis_version/, node.service);
        } catch (error) {
          assert.fail(`${node.service} does not know ${namespace}-service: ${String(error)}`);
        } finally {
          client.disconnect();
        }
      }
    }
  });

  it('sharedRedis.serviceConnection on the cluster stack copies every node and the natMap, and a cluster client given exactly those lines works as the service', async () => {
    const shared = await api();
    const portOf = (service: string): number =>
      shared.stack.snapshot.services.find((s) => s.service === service)?.ports[0]?.hostPort ?? 0;
    const password = /^REDIS_SERVICE_PASSWORD_AUTH=(.+)$/m.exec(
      readFileSync(join(stack.fixture.dir, '.env'), 'utf8'),
    )?.[1];
    assert.ok(password);
    const nodes = [1, 2, 3, 4, 5, 6].map((n) => `redis-node-${n}`);

    const fromHost = await vscode.commands.executeCommand<ServiceConnectionResult>('sharedRedis.serviceConnection', {
      service: 'auth',
      from: 'host',
    });
    assert.equal(fromHost.outcome, 'copied', fromHost.message);
    const copied = await vscode.env.clipboard.readText();
    const env = parseDotenv(copied);
    // Every node by its published port, never one node's REDIS_HOST/REDIS_PORT (a plain client there gets MOVED).
    assert.deepEqual(
      fromHost.variables,
      [
        'REDIS_CLUSTER',
        'REDIS_CLUSTER_NODES',
        'REDIS_CLUSTER_NAT_MAP',
        'REDIS_USERNAME',
        'REDIS_PASSWORD',
        'REDIS_KEY_PREFIX',
      ],
      copied.replace(password, '<password>'),
    );
    assert.equal(env['REDIS_CLUSTER'], 'true');
    assert.equal(env['REDIS_CLUSTER_NODES'], nodes.map((n) => `127.0.0.1:${portOf(n)}`).join(','));
    assert.equal(env['REDIS_CLUSTER_NAT_MAP'], nodes.map((n) => `${n}:6379=127.0.0.1:${portOf(n)}`).join(','));
    assert.deepEqual(
      [env['REDIS_USERNAME'], env['REDIS_PASSWORD'], env['REDIS_KEY_PREFIX']],
      ['auth-service', password, 'auth:'],
    );
    assert.match(copied, /^# .*cluster client is required \(ioredis `new Redis\.Cluster\(nodes, \{ natMap \}\)`/m);
    assert.doesNotMatch(copied, /^REDIS_(HOST|PORT)=/m);
    assert.ok(!(fromHost.message ?? '').includes(password), 'the password is not in the message');
    assert.match(fromHost.message ?? '', /REDIS_PASSWORD \(hidden\)/);
    assert.match(fromHost.message ?? '', /Redis Cluster \(6 nodes\)/);

    // The lines work: a cluster client given exactly them, as the service, writes and reads
    // keys of its namespace on every master, and is refused another service's.
    const service = new Cluster(
      (env['REDIS_CLUSTER_NODES'] ?? '').split(',').map((address) => {
        const [host = '', port = ''] = address.split(':');
        return { host, port: Number(port) };
      }),
      {
        natMap: parseNatMap(env['REDIS_CLUSTER_NAT_MAP'] ?? ''),
        redisOptions: { username: env['REDIS_USERNAME'], password: env['REDIS_PASSWORD'] },
        clusterRetryStrategy: () => null,
      },
    );
    try {
      const keys = Array.from({ length: 12 }, (_, i) => `${env['REDIS_KEY_PREFIX']}connection-check:${i}`);
      for (const key of keys) assert.equal(await service.set(key, `from the copied lines ${key}`), 'OK', key);
      for (const key of keys) assert.equal(await service.get(key), `from the copied lines ${key}`, key);
      // The keys spread over the three masters (no MOVED error reached the service).
      assert.equal(new Set(keys.map((key) => service.slots[calculateSlot(key)]?.[0])).size, 3);
      await assert.rejects(service.get('user:profile:1'), /NOPERM/);
      for (const key of keys) await service.del(key);
    } finally {
      service.disconnect();
    }

    // From a container on the stack's network: the names the nodes announce, no natMap.
    const fromNetwork = await vscode.commands.executeCommand<ServiceConnectionResult>('sharedRedis.serviceConnection', {
      service: 'auth-service',
      from: 'network',
    });
    assert.equal(fromNetwork.outcome, 'copied', fromNetwork.message);
    const inNetwork = parseDotenv(await vscode.env.clipboard.readText());
    assert.equal(inNetwork['REDIS_CLUSTER_NODES'], nodes.map((n) => `${n}:6379`).join(','));
    assert.equal(inNetwork['REDIS_CLUSTER_NAT_MAP'], undefined);
    assert.equal(inNetwork['REDIS_USERNAME'], 'auth-service');
  });

  it('sharedRedis.verifyIsolation checks every service user on every node, each once by its published port; a user changed on one master only is a breach named on that node', async () => {
    const shared = await api();
    const redis = shared.stack.snapshot.redis;
    const portOf = (service: string): number =>
      shared.stack.snapshot.services.find((s) => s.service === service)?.ports[0]?.hostPort ?? 0;
    const states = await nodeStates();
    const masters = states.filter((n) => n.role === 'master').map((n) => `127.0.0.1:${portOf(n.service)}`);
    const replicas = states.filter((n) => n.role === 'replica').map((n) => `127.0.0.1:${portOf(n.service)}`);
    assert.equal(masters.length, 3);
    assert.equal(replicas.length, 3);
    // Every node once, by the port published on this machine (not also by its container address).
    const addresses = [...masters, ...replicas];
    const users = ['auth-service', 'user-service'];

    const verified = await vscode.commands.executeCommand<VerifyIsolationResult>('sharedRedis.verifyIsolation');
    assert.equal(verified.outcome, 'verified', verified.message);
    assert.match(
      verified.message,
      /^Namespace isolation holds on .* and every node of its cluster \(3 masters and 3 replicas\): 2 service users, \d+ checks, no breach\.$/,
    );
    const checks = verified.report?.checks ?? [];
    assert.deepEqual(
      checks.filter((c) => c.actual === 'error'),
      [],
    );
    // Each user got the same checks on each master (its own namespace, the shared one, the other
    // service's, denied commands), and the same on each replica (writes simulated with ACL DRYRUN).
    const perNode = (user: string, node: string): string[] =>
      checks.filter((c) => c.service === user && c.node === node).map((c) => c.check.replace(/\{[^}]*\}/g, '{tag}'));
    for (const user of users) {
      assert.deepEqual(
        [...new Set(checks.filter((c) => c.service === user).map((c) => c.node))].sort(),
        addresses.slice().sort(),
        user,
      );
      for (const group of [masters, replicas]) {
        const first = perNode(user, group[0] ?? '');
        assert.ok(
          first.some((c) => /\(auth-service's namespace\)|\(user-service's namespace\)/.test(c)),
          first.join('\n'),
        );
        for (const address of group) assert.deepEqual(perNode(user, address), first, `${user} on ${address}`);
      }
      assert.ok(
        perNode(user, replicas[0] ?? '').some((c) =>
          /^SET \S+ \(write the shared namespace\) \(simulated with ACL DRYRUN/.test(c),
        ),
        perNode(user, replicas[0] ?? '').join('\n'),
      );
    }
    // The report names each user on each master.
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    for (const user of users) {
      for (const address of addresses) {
        assert.match(text, new RegExp(`^## ${user} on ${address.replace(/\./g, '\\.')}$`, 'm'));
      }
    }
    assert.match(text, /each service was checked on each of the 6 nodes \(3 masters and 3 replicas;/);

    // One master's users differ: user-service may read and write auth:* there, and only there
    // (ACL SETUSER is not replicated: its replica keeps the file's users).
    const tampered = nodeLogin(portOf('redis-node-2'), redis?.username, redis?.password);
    await tampered.connect();
    try {
      await tampered.call('ACL', 'SETUSER', 'user-service', '~auth:*');
      const breach = await vscode.commands.executeCommand<VerifyIsolationResult>('sharedRedis.verifyIsolation');
      assert.equal(breach.outcome, 'breach', breach.message);
      const node2 = `127.0.0.1:${portOf('redis-node-2')}`;
      const breaches = breach.report?.breaches ?? [];
      assert.deepEqual(
        breaches.map((b) => [b.service, b.node, b.check.replace(/ (auth|user):\S+/g, ' $1:…')]),
        [
          ['user-service', node2, "GET auth:… (auth-service's namespace)"],
          ['user-service', node2, "SET auth:… (auth-service's namespace)"],
          ['user-service', node2, "UNLINK auth:… (auth-service's namespace)"],
          ['user-service', node2, 'EVAL reading auth:… with only user:… declared'],
        ],
      );
      // Only node 2 drifted from users.acl: the message says so, and what brings the file's users back.
      assert.match(
        breach.message,
        new RegExp(
          `^Isolation breach on ${node2.replace(/\./g, '\\.')} only: 4 checks failed\\. user-service on ${node2.replace(/\./g, '\\.')} — GET auth:\\S+ \\(auth-service's namespace\\): allowed, allowed by key pattern \`~auth:\\*\` in \`user user-service .*\`\\. The other nodes refuse the same, so that node's users differ from users\\.acl \\(changed there with ACL SETUSER\\?\\): restart the stack to load users\\.acl on every node again\\.$`,
        ),
      );
      // The same user on the other masters still holds.
      assert.equal(
        breach.report?.checks.filter((c) => c.service === 'user-service' && c.node !== node2 && c.actual !== c.expected)
          .length,
        0,
      );
      // No probe key a breach let through is left behind.
      assert.equal((await nodeKeys(tampered)).filter((k) => k.includes('__shared_redis_isolation_probe__')).length, 0);
    } finally {
      // users.acl is unchanged: loading it again gives node 2 the file's users back.
      await tampered.call('ACL', 'LOAD');
      tampered.disconnect();
    }
    const again = await vscode.commands.executeCommand<VerifyIsolationResult>('sharedRedis.verifyIsolation');
    assert.equal(again.outcome, 'verified', again.message);
  });

  it('sharedRedis.stop stops every node and keeps the init as completed', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.stop'), 'stopped');
    await eventually('the Stack view to show the nodes stopped', async () => {
      const rows = await stackRows(shared);
      return (
        rows.filter((r) => /^redis-node-\d — exited$/.test(r)).length === 6 &&
        rows[0] === 'redis-cluster-init — completed'
      );
    });
  });

  it('sharedRedis.createStack with "cluster" writes the cluster stack, its replicas\' login 0600 and kept out of git', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder);
    const dir = join(folder, 'shared-redis');
    try {
      const composeFile = await vscode.commands.executeCommand<string>('sharedRedis.createStack', 'cluster');
      assert.equal(composeFile, join(dir, 'docker-compose.yml'));
      assert.equal(
        readFileSync(composeFile, 'utf8'),
        readFileSync(join(BUNDLED_CLUSTER_STACK, 'docker-compose.yml'), 'utf8'),
      );
      const env = readFileSync(join(dir, '.env'), 'utf8');
      const password = /^REDIS_PASSWORD=(.*)$/m.exec(env)?.[1] ?? '';
      assert.ok(password.length >= 32);
      assert.match(env, /^REDIS_CLUSTER_PORT_6=7006$/m);
      assert.doesNotMatch(env, /COMMANDER/);
      const conf = join(dir, 'acl', 'replication.conf');
      assert.match(readFileSync(conf, 'utf8'), new RegExp(`^masterauth "${password}"$`, 'm'));
      assert.equal(statSync(conf).mode & 0o777, 0o600);
      const gitignore = readFileSync(join(folder, '.gitignore'), 'utf8');
      assert.match(gitignore, /^shared-redis\/\.env$/m);
      assert.match(gitignore, /^shared-redis\/acl\/replication\.conf$/m);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(folder, '.gitignore'), { force: true });
    }
  });
});
