import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillEnvTemplate } from '../../../../src/docker/stack/dotenvFile';
import { prepareBundledStack, resolveStackLocation, syncDefaultUserAcl, writeStackFiles } from '../../../../src/docker/stack/location';
import { BUNDLED_STACK } from '../../../support/stackFixture';

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
    const first = writeStackFiles(BUNDLED_STACK, target);
    assert.equal(first.written.length, 3);
    const env = readFileSync(join(target, '.env'), 'utf8');
    const password = /^REDIS_PASSWORD=(.+)$/m.exec(env)?.[1] ?? '';
    assert.ok(password.length >= 32, `password of ${password.length} characters`);
    assert.match(env, /^COMMANDER_PASSWORD=.{32,}$/m);
    assert.equal(statSync(join(target, '.env')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(target, 'users.acl'), 'utf8'),
      `user default on #${createHash('sha256').update(password).digest('hex')} ~* &* +@all\n`);
    assert.ok(!readFileSync(join(target, 'users.acl'), 'utf8').includes(password), 'the ACL file holds a hash, not the password');

    const again = writeStackFiles(BUNDLED_STACK, join(dir, 'other'));
    assert.notEqual(/^REDIS_PASSWORD=(.+)$/m.exec(readFileSync(join(dir, 'other/.env'), 'utf8'))?.[1], password, 'never a fixed password');
    assert.equal(again.written.length, 3);

    writeFileSync(join(target, 'docker-compose.yml'), '# mine\n');
    const refused = writeStackFiles(BUNDLED_STACK, target);
    assert.deepEqual(refused.written, []);
    assert.equal(refused.existing.length, 3);
    assert.equal(readFileSync(join(target, 'docker-compose.yml'), 'utf8'), '# mine\n');
    assert.equal(readFileSync(join(target, '.env'), 'utf8'), env);
  });

  it('keeps the bundled stack\'s .env once made, and follows the shipped compose file', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: dir });
    prepareBundledStack(BUNDLED_STACK, location);
    const env = readFileSync(location.envFile, 'utf8');
    writeFileSync(location.composeFile, '# stale\n');
    prepareBundledStack(BUNDLED_STACK, location);
    assert.equal(readFileSync(location.envFile, 'utf8'), env);
    assert.equal(readFileSync(location.composeFile, 'utf8'), readFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), 'utf8'));
  });

  it('brings users.acl in line with REDIS_PASSWORD, keeping other users', () => {
    const acl = join(dir, 'users.acl');
    assert.equal(syncDefaultUserAcl(acl, 'first-password-0123456789abcdef0123'), 'created');
    assert.equal(syncDefaultUserAcl(acl, 'first-password-0123456789abcdef0123'), 'unchanged');
    writeFileSync(acl, `${readFileSync(acl, 'utf8')}user auth-service on #abc ~auth:* +@read\n`);
    assert.equal(syncDefaultUserAcl(acl, 'second-password-0123456789abcdef012'), 'updated');
    const lines = readFileSync(acl, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', new RegExp(`^user default on #${createHash('sha256').update('second-password-0123456789abcdef012').digest('hex')} `));
    assert.equal(lines[1], 'user auth-service on #abc ~auth:* +@read');
  });

  it('fills an .env template, keeping comments and order', () => {
    assert.equal(fillEnvTemplate('# c\nA=\nB=keep\n', { A: '1', C: '3' }), '# c\nA=1\nB=keep\n\nC=3');
  });
});
