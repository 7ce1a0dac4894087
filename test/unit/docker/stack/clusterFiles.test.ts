import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClusterProject, replicationConfFile, syncReplicationConf } from '../../../../src/docker/stack/clusterStack';
import { fillEnvTemplate } from '../../../../src/docker/stack/dotenvFile';
import { loadStackProject, prepareBundledStack, resolveStackLocation, writeStackFiles } from '../../../../src/docker/stack/location';
import { readSettings } from '../../../../src/settingsModel';
import { BUNDLED_CLUSTER_STACK, BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

describe('the cluster stack\'s files', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'cluster-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sharedRedis.stackVariant "cluster" makes the bundled stack its own project folder; anything else is refused with the allowed values', () => {
    const storage = join(dir, 'storage');
    assert.equal(resolveStackLocation({ workspaceFolders: [], globalStorageDir: storage, env: {}, variant: 'cluster' }).composeFile, join(storage, 'shared-redis-cluster/docker-compose.yml'));
    assert.equal(resolveStackLocation({ workspaceFolders: [], globalStorageDir: storage, env: {}, variant: 'single' }).composeFile, join(storage, 'shared-redis/docker-compose.yml'));
    assert.equal(readSettings((key) => (key === 'stackVariant' ? 'cluster' : undefined)).values.stackVariant, 'cluster');
    const wrong = readSettings((key) => (key === 'stackVariant' ? 'sentinel' : undefined));
    assert.equal(wrong.values.stackVariant, 'single');
    assert.deepEqual(wrong.problems.map((p) => p.message), ['The setting sharedRedis.stackVariant must be "single" or "cluster"; the default is used until then.']);
  });

  it('writes the cluster stack with the replicas\' login in a 0600 replication.conf, no Commander password, and reads as a cluster', async () => {
    const target = join(dir, 'shared-redis');
    const { written } = writeStackFiles(BUNDLED_CLUSTER_STACK, target, DEFAULT_POLICY);
    const conf = replicationConfFile(target);
    assert.ok(written.includes(conf));
    const env = readFileSync(join(target, '.env'), 'utf8');
    const password = /^REDIS_PASSWORD=(.+)$/m.exec(env)?.[1] ?? '';
    assert.ok(password.length >= 32);
    assert.doesNotMatch(env, /COMMANDER/);
    assert.equal(readFileSync(conf, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n'), `masterauth "${password}"\n`);
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    const project = await loadStackProject({ composeFile: join(target, 'docker-compose.yml'), envFile: join(target, '.env'), source: 'workspace' }, { env: {} });
    assert.ok(isClusterProject(project));
    assert.deepEqual(project.services.map((s) => s.name).sort(), ['redis-cluster-init', ...[1, 2, 3, 4, 5, 6].map((n) => `redis-node-${n}`)]);
    assert.deepEqual(project.volumes.map((v) => v.name).sort(), [1, 2, 3, 4, 5, 6].map((n) => `shared-redis_redis-node-${n}`));
    // Every port is published on loopback only.
    assert.ok(project.services.flatMap((s) => s.ports).every((p) => p.hostIp === '127.0.0.1'));
  });

  it('both bundled stacks give a slow machine\'s healthcheck time: 10 s per probe, 30 s to start', async () => {
    // CI on a throttled machine (a 1e8-step loop 4-23 s instead of a fraction of one) failed
    // Start with "redis-node-4 turned unhealthy (its healthcheck said: Health check exceeded
    // timeout (3s))": a redis-cli ping run through the engine, not Redis, took the 3 s.
    for (const source of [BUNDLED_STACK, BUNDLED_CLUSTER_STACK]) {
      const target = join(dir, source === BUNDLED_STACK ? 'single' : 'cluster');
      writeStackFiles(source, target, DEFAULT_POLICY);
      const project = await loadStackProject({ composeFile: join(target, 'docker-compose.yml'), envFile: join(target, '.env'), source: 'workspace' }, { env: {} });
      const checked = project.services.filter((s) => s.healthcheck !== undefined);
      assert.ok(checked.length >= 1, source);
      for (const service of checked) {
        assert.equal(service.healthcheck?.timeout, 10e9, `${service.name} probe timeout`);
        assert.equal(service.healthcheck?.startPeriod, 30e9, `${service.name} start period`);
        assert.equal(service.healthcheck?.interval, 2e9, `${service.name} interval: health shows within seconds`);
      }
    }
  });

  it('the single stack gets no replication.conf; the bundled cluster stack in storage does', () => {
    writeStackFiles(BUNDLED_STACK, join(dir, 'single'), DEFAULT_POLICY);
    assert.equal(existsSync(replicationConfFile(join(dir, 'single'))), false);
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: join(dir, 'storage'), env: {}, variant: 'cluster' });
    prepareBundledStack(BUNDLED_CLUSTER_STACK, location, DEFAULT_POLICY);
    assert.ok(existsSync(replicationConfFile(join(dir, 'storage', 'shared-redis-cluster'))));
  });

  it('replication.conf follows a new REDIS_PASSWORD, quoting what Redis\'s config syntax needs, and is left alone when it agrees', () => {
    const envFile = join(dir, '.env');
    const conf = replicationConfFile(dir);
    writeFileSync(envFile, fillEnvTemplate('REDIS_PASSWORD=\n', { REDIS_PASSWORD: 'first' }));
    assert.equal(syncReplicationConf(envFile, conf), 'created');
    assert.equal(syncReplicationConf(envFile, conf), 'unchanged');
    writeFileSync(envFile, 'REDIS_PASSWORD=\'a"b\\c\'\n');
    assert.equal(syncReplicationConf(envFile, conf), 'updated');
    assert.match(readFileSync(conf, 'utf8'), /^masterauth "a\\"b\\\\c"$/m);
    writeFileSync(envFile, 'REDIS_PASSWORD=\n');
    assert.equal(syncReplicationConf(envFile, conf), 'no-password');
  });
});
