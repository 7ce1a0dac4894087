import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillEnvTemplate } from '../../../../src/docker/stack/dotenvFile';
import { loadStackProject, prepareBundledStack, resolveStackLocation, writeStackFiles } from '../../../../src/docker/stack/location';
import { addServicePasswords, readStackAccess, stackAclFile, syncAclFile } from '../../../../src/docker/stack/serviceAccess';
import { BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('which compose file is the stack, and its files', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'stack-location-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the setting first (relative to the first folder), then the workspace, then the bundled stack', () => {
    const folder = join(dir, 'project');
    const storage = join(dir, 'storage');
    mkdirSync(join(folder, 'shared-redis'), { recursive: true });
    assert.deepEqual(resolveStackLocation({ setting: 'infra/compose.yml', workspaceFolders: [folder], globalStorageDir: storage, env: {} }),
      { composeFile: join(folder, 'infra/compose.yml'), composeFiles: [join(folder, 'infra/compose.yml')], envFile: join(folder, 'infra/.env'), source: 'setting', warnings: [] });
    assert.equal(resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: storage, env: {} }).source, 'bundled');
    writeFileSync(join(folder, 'shared-redis/docker-compose.yml'), 'services: {}\n');
    assert.deepEqual(resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: storage, env: {} }),
      { composeFile: join(folder, 'shared-redis/docker-compose.yml'), composeFiles: [join(folder, 'shared-redis/docker-compose.yml')], envFile: join(folder, 'shared-redis/.env'), source: 'workspace', warnings: [] });
    assert.deepEqual(resolveStackLocation({ workspaceFolders: [], globalStorageDir: storage, env: {} }),
      { composeFile: join(storage, 'shared-redis/docker-compose.yml'), composeFiles: [join(storage, 'shared-redis/docker-compose.yml')], envFile: join(storage, 'shared-redis/.env'), source: 'bundled', warnings: [] });
  });

  it('a workspace folder with only compose.yaml is the stack, never the bundled one; its override comes along', () => {
    const folder = join(dir, 'project');
    const stackDir = join(folder, 'shared-redis');
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(stackDir, 'compose.yaml'), 'services: {}\n');
    const only = resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: join(dir, 'storage'), env: {} });
    assert.equal(only.source, 'workspace');
    assert.equal(only.composeFile, join(stackDir, 'compose.yaml'));
    writeFileSync(join(stackDir, 'compose.override.yaml'), 'services: {}\n');
    writeFileSync(join(stackDir, 'docker-compose.yml'), 'services: {}\n');
    const both = resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: join(dir, 'storage'), env: {} });
    assert.deepEqual(both.composeFiles, [join(stackDir, 'compose.yaml'), join(stackDir, 'compose.override.yaml')]);
    assert.equal(both.composeFile, join(stackDir, 'compose.yaml'));
    assert.deepEqual(both.warnings, [
      `Found multiple config files with supported names: ${join(stackDir, 'compose.yaml')}, ${join(stackDir, 'docker-compose.yml')}`,
      `Using ${join(stackDir, 'compose.yaml')}`,
    ]);
  });

  it('COMPOSE_FILE in the stack folder\'s .env chooses the files; the setting may list several, and names no override', () => {
    const folder = join(dir, 'project');
    const stackDir = join(folder, 'shared-redis');
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(stackDir, 'base.yml'), 'services: {}\n');
    writeFileSync(join(stackDir, '.env'), 'COMPOSE_FILE=base.yml:dev.yml\n');
    const fromEnv = resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: join(dir, 'storage'), env: {} });
    assert.deepEqual(fromEnv.composeFiles, [join(stackDir, 'base.yml'), join(stackDir, 'dev.yml')]);
    assert.equal(fromEnv.envFile, join(stackDir, '.env'));
    writeFileSync(join(folder, 'compose.override.yaml'), 'services: {}\n');
    const listed = resolveStackLocation({ setting: ['compose.yaml', 'extra.yml'], workspaceFolders: [folder], globalStorageDir: join(dir, 'storage'), env: {} });
    assert.deepEqual(listed.composeFiles, [join(folder, 'compose.yaml'), join(folder, 'extra.yml')]);
    assert.equal(listed.envFile, join(folder, '.env'));
  });

  it('a setting that is not a path or a list of paths fails the load with one message, naming the setting', async () => {
    const location = resolveStackLocation({ setting: ['compose.yaml', 7], workspaceFolders: [dir], globalStorageDir: join(dir, 'storage'), env: {} });
    await assert.rejects(loadStackProject(location), {
      message: 'sharedRedis.composeFile: expected a compose file path or a list of paths, but item 2 is 7: give each file\'s path, or remove the item (set it to a file path or a list of file paths, or clear it)',
    });
  });

  it('does not write docker-compose.yml beside a compose.yaml (Compose would warn about two files)', () => {
    const target = join(dir, 'shared-redis');
    mkdirSync(target);
    writeFileSync(join(target, 'compose.yaml'), '# mine\n');
    const refused = writeStackFiles(BUNDLED_STACK, target, DEFAULT_POLICY);
    assert.deepEqual(refused.existing, [join(target, 'compose.yaml')]);
    assert.ok(!existsSync(join(target, 'docker-compose.yml')));
  });

  it('writes the stack with fresh generated passwords, private .env, and never overwrites', () => {
    const target = join(dir, 'shared-redis');
    const first = writeStackFiles(BUNDLED_STACK, target, DEFAULT_POLICY);
    assert.equal(first.written.length, 3);
    const env = readFileSync(join(target, '.env'), 'utf8');
    const password = /^REDIS_PASSWORD=(.+)$/m.exec(env)?.[1] ?? '';
    assert.ok(password.length >= 32, `password of ${password.length} characters`);
    assert.match(env, /^COMMANDER_PASSWORD=.{32,}$/m);
    assert.equal(statSync(join(target, '.env')).mode & 0o777, 0o600);
    const acl = readFileSync(stackAclFile(target), 'utf8').trim().split('\n');
    assert.deepEqual(acl.map((line) => line.split(' ')[1]), ['default', 'operator', 'auth-service', 'user-service', 'shared-service']);
    assert.match(acl[0] ?? '', new RegExp(`^user default on #${sha(password)} resetkeys resetchannels ~\\* &\\* \\+@all -flushall -flushdb -keys `));
    assert.match(acl[1] ?? '', new RegExp(`^user operator on #${sha(password)} ~\\* &\\* \\+@all -flushall -flushdb -keys `));
    for (const ns of ['auth', 'user', 'shared']) {
      const servicePassword = new RegExp(`^REDIS_SERVICE_PASSWORD_${ns.toUpperCase()}=(.+)$`, 'm').exec(env)?.[1] ?? '';
      assert.ok(servicePassword.length >= 32, `${ns}-service password of ${servicePassword.length} characters`);
      assert.notEqual(servicePassword, password);
      assert.ok(acl.some((line) => line.startsWith(`user ${ns}-service on #${sha(servicePassword)} resetkeys ~${ns}:* `)), `${ns}-service line`);
      assert.ok(!acl.join('\n').includes(servicePassword), 'the ACL file holds hashes, not passwords');
    }
    assert.ok(!acl.join('\n').includes(password), 'the ACL file holds a hash, not the password');

    const again = writeStackFiles(BUNDLED_STACK, join(dir, 'other'), DEFAULT_POLICY);
    assert.notEqual(/^REDIS_PASSWORD=(.+)$/m.exec(readFileSync(join(dir, 'other/.env'), 'utf8'))?.[1], password, 'never a fixed password');
    assert.equal(again.written.length, 3);

    writeFileSync(join(target, 'docker-compose.yml'), '# mine\n');
    const refused = writeStackFiles(BUNDLED_STACK, target, DEFAULT_POLICY);
    assert.deepEqual(refused.written, []);
    assert.equal(refused.existing.length, 3);
    assert.equal(readFileSync(join(target, 'docker-compose.yml'), 'utf8'), '# mine\n');
    assert.equal(readFileSync(join(target, '.env'), 'utf8'), env);
  });

  it('keeps the bundled stack\'s .env once made, and follows the shipped compose file', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: dir });
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    const env = readFileSync(location.envFile, 'utf8');
    writeFileSync(location.composeFile, '# stale\n');
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    assert.equal(readFileSync(location.envFile, 'utf8'), env);
    assert.equal(readFileSync(location.composeFile, 'utf8'), readFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), 'utf8'));
  });

  it('completes a bundled stack whose first writing stopped after the compose file (a crash): the next activation writes .env and the ACL file', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: dir });
    // What a process killed between the copy of the compose file and the .env left behind.
    mkdirSync(join(location.composeFile, '..'), { recursive: true });
    writeFileSync(location.composeFile, readFileSync(join(BUNDLED_STACK, 'docker-compose.yml')));
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    assert.ok(existsSync(location.envFile), 'the .env was written');
    assert.match(readFileSync(location.envFile, 'utf8'), /^REDIS_PASSWORD=\S{16,}$/m);
    assert.equal(statSync(location.envFile).mode & 0o777, 0o600);
    const acl = readFileSync(stackAclFile(join(location.composeFile, '..')), 'utf8');
    assert.match(acl, /^user operator /m);
  });

  it('upgrading the bundled stack to the acl folder leaves the old users.acl in place for the container that still mounts it', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: dir });
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    // A bundled stack from before the acl folder: users.acl beside the compose file, mounted alone
    // into a container that keeps running across the upgrade (and is restarted by the engine).
    const stackDir = join(dir, 'shared-redis');
    const legacy = join(stackDir, 'users.acl');
    const users = readFileSync(stackAclFile(stackDir), 'utf8') + 'user reporting on #abc ~report:* +@read\n';
    rmSync(join(stackDir, 'acl'), { recursive: true, force: true });
    writeFileSync(legacy, users);
    writeFileSync(location.composeFile, '# the compose file of the previous version\n');
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    assert.equal(readFileSync(legacy, 'utf8'), users, 'the running container\'s bind mount source is still the file it was');
    assert.equal(readFileSync(stackAclFile(stackDir), 'utf8'), users, 'the acl folder has the same users, hand-added ones too');
  });

  it('brings an older stack\'s users.acl (mounted alone) in line with .env in place, keeping users the team added by hand', () => {
    const files = { envFile: join(dir, '.env'), aclFile: join(dir, 'users.acl'), aclMountedAlone: true };
    writeFileSync(files.envFile, '# mine\nREDIS_PASSWORD=first-password-0123456789abcdef0123\n', { mode: 0o600 });
    assert.equal(syncAclFile(files, DEFAULT_POLICY), 'created');
    assert.deepEqual(readFileSync(files.aclFile, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]), ['default', 'operator'],
      'no service user without a password in .env');
    assert.deepEqual(readStackAccess(files, DEFAULT_POLICY).missing, ['auth', 'user', 'shared']);
    assert.equal(syncAclFile(files, DEFAULT_POLICY), 'unchanged');

    writeFileSync(files.aclFile, `${readFileSync(files.aclFile, 'utf8')}user reporting on #abc ~report:* +@read\n`);
    const inode = statSync(files.aclFile).ino;
    assert.deepEqual(addServicePasswords(files.envFile, ['auth', 'billing']), ['auth', 'billing']);
    assert.deepEqual(addServicePasswords(files.envFile, ['auth']), [], 'an existing password is kept');
    const env = readFileSync(files.envFile, 'utf8');
    assert.match(env, /^# mine\nREDIS_PASSWORD=first-password-0123456789abcdef0123\nREDIS_SERVICE_PASSWORD_AUTH=.{48}\nREDIS_SERVICE_PASSWORD_BILLING=.{48}\n$/);
    assert.equal(statSync(files.envFile).mode & 0o777, 0o600);

    const policy = { declared: ['auth', 'user', 'shared', 'billing'], delimiter: ':' };
    assert.equal(syncAclFile(files, policy), 'updated');
    assert.equal(statSync(files.aclFile).ino, inode, 'rewritten in place: the container bind-mounts this inode');
    const lines = readFileSync(files.aclFile, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['default', 'operator', 'reporting', 'auth-service', 'billing-service']);
    assert.equal(lines[2], 'user reporting on #abc ~report:* +@read');
    assert.deepEqual(readStackAccess(files, policy).missing, ['user', 'shared']);

    writeFileSync(files.envFile, env.replace('first-password-0123456789abcdef0123', 'second-password-0123456789abcdef012'));
    assert.equal(syncAclFile(files, policy), 'updated');
    assert.match(readFileSync(files.aclFile, 'utf8'), new RegExp(`^user default on #${sha('second-password-0123456789abcdef012')} `));
  });

  it('fills an .env template, keeping comments and order', () => {
    assert.equal(fillEnvTemplate('# c\nA=\nB=keep\n', { A: '1', C: '3' }), '# c\nA=1\nB=keep\n\nC=3');
  });
});
