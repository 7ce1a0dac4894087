import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillEnvTemplate } from '../../../../src/docker/stack/dotenvFile';
import { prepareBundledStack, resolveStackLocation, writeStackFiles } from '../../../../src/docker/stack/location';
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
    assert.deepEqual(resolveStackLocation({ setting: 'infra/compose.yml', workspaceFolders: [folder], globalStorageDir: storage }),
      { composeFile: join(folder, 'infra/compose.yml'), envFile: join(folder, 'infra/.env'), source: 'setting' });
    assert.equal(resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: storage }).source, 'bundled');
    writeFileSync(join(folder, 'shared-redis/docker-compose.yml'), 'services: {}\n');
    assert.deepEqual(resolveStackLocation({ workspaceFolders: [folder], globalStorageDir: storage }),
      { composeFile: join(folder, 'shared-redis/docker-compose.yml'), envFile: join(folder, 'shared-redis/.env'), source: 'workspace' });
    assert.deepEqual(resolveStackLocation({ workspaceFolders: [], globalStorageDir: storage }),
      { composeFile: join(storage, 'shared-redis/docker-compose.yml'), envFile: join(storage, 'shared-redis/.env'), source: 'bundled' });
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
