import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { writeStackFiles } from '../../../../src/docker/stack/location';
import { addServicePasswords, readStackAccess, stackAclFile } from '../../../../src/docker/stack/serviceAccess';
import { serviceEnvKey, serviceUser } from '../../../../src/redis/acl/rules';
import { startRedisServer } from '../../../support/redisServer';
import { BUNDLED_STACK } from '../../../support/stackFixture';

describe('one .env password per service user', function () {
  this.timeout(30_000);

  it("keeps today's keys for lowercase namespaces, so existing stacks' .env still works", () => {
    assert.equal(serviceEnvKey('auth'), 'REDIS_SERVICE_PASSWORD_AUTH');
    assert.equal(serviceEnvKey('shared'), 'REDIS_SERVICE_PASSWORD_SHARED');
    assert.equal(serviceEnvKey('cache2'), 'REDIS_SERVICE_PASSWORD_CACHE2');
    assert.equal(serviceEnvKey('user_profile'), 'REDIS_SERVICE_PASSWORD_USER_PROFILE');
  });

  it('gives names that differ only in case or punctuation different keys', () => {
    const names = [
      'user-profile',
      'user_profile',
      'USER.PROFILE',
      'user.profile',
      'User_Profile',
      'user__profile',
      'user_-profile',
      'auth',
      'Auth',
      'AUTH',
      'a_2D',
      'a-',
      'a_',
      'a__2D',
      'a_2d',
    ];
    const keys = names.map(serviceEnvKey);
    assert.equal(new Set(keys).size, names.length, keys.join('\n'));
    for (const key of keys) assert.match(key, /^[A-Z][A-Z0-9_]*$/, 'a name Compose and every shell accept');
  });

  it('two service users whose names differ only in punctuation log in with their own passwords on a real Redis', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-passwords-'));
    const namespaces = ['user-profile', 'user_profile', 'auth', 'Auth'];
    writeStackFiles(BUNDLED_STACK, dir, { declared: namespaces, delimiter: ':' });
    const env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
    const passwords = namespaces.map((ns) => env[serviceUser(ns).envKey] ?? '');
    assert.equal(new Set(passwords).size, namespaces.length, 'four passwords');
    const server = await startRedisServer({ extraArgs: ['--aclfile', stackAclFile(dir)] });
    try {
      for (const [i, ns] of namespaces.entries()) {
        for (const [j, password] of passwords.entries()) {
          const client = new Redis({
            host: server.host,
            port: server.port,
            username: serviceUser(ns).username,
            password,
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            enableReadyCheck: false,
            retryStrategy: () => null,
          });
          let refusal = '';
          client.on('error', (error: Error) => {
            refusal = error.message;
          });
          const outcome = await client
            .connect()
            .then(() => client.set(`${ns}:k`, 'v'))
            .catch((error: Error) => refusal || error.message);
          client.disconnect();
          if (i === j) assert.equal(outcome, 'OK', `${ns}-service with its own password`);
          else {
            assert.match(
              String(outcome),
              /WRONGPASS/,
              `${ns}-service with ${namespaces[j]}-service's password: ${String(outcome)}`,
            );
          }
        }
      }
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a stack's .env from before the collision-free keys", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'legacy-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps a hyphenated namespace's password under its old key, so its running service is not locked out", () => {
    const files = { envFile: join(dir, '.env'), aclFile: join(dir, 'users.acl') };
    // What the previous version wrote for `user-profile` (its key then: anything but [A-Z0-9] became `_`).
    writeFileSync(
      files.envFile,
      'REDIS_PASSWORD=operator-password-0123456789abcdef\nREDIS_SERVICE_PASSWORD_USER_PROFILE=the-old-service-password-0123456\n',
      { mode: 0o600 },
    );
    const policy = { declared: ['user-profile'], delimiter: ':' };
    const access = readStackAccess(files, policy);
    assert.deepEqual(
      access.services.map((s) => [s.user.username, s.password]),
      [['user-profile-service', 'the-old-service-password-0123456']],
    );
    assert.deepEqual(access.missing, []);
    assert.deepEqual(
      addServicePasswords(files.envFile, ['user-profile']),
      [],
      'no new password replaces the one the service uses',
    );
  });

  it('does not hand that old key to a namespace when another one now owns it', () => {
    const files = { envFile: join(dir, '.env'), aclFile: join(dir, 'users.acl') };
    writeFileSync(
      files.envFile,
      'REDIS_PASSWORD=operator-password-0123456789abcdef\nREDIS_SERVICE_PASSWORD_USER_PROFILE=belongs-to-user_profile-0123456789\n',
      { mode: 0o600 },
    );
    const access = readStackAccess(files, { declared: ['user-profile', 'user_profile'], delimiter: ':' });
    assert.deepEqual(
      access.services.map((s) => s.user.username),
      ['user_profile-service'],
    );
    assert.deepEqual(access.missing, ['user-profile']);
  });
});
