import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aclFileDifferences, syncAclFile } from '../../../../src/docker/stack/serviceAccess';

/**
 * A service user's line the team changed by hand (another key pattern, a new password), or
 * one a window with another delimiter would write otherwise, is the team's: Start keeps it
 * and says which users differ; only a named replacement (Add Service Users, asked) writes ours.
 */
describe("service users' lines changed by hand in users.acl", () => {
  let dir: string;
  let files: { envFile: string; aclFile: string };
  const policy = { declared: ['auth', 'user'], delimiter: ':' };
  const line = (name: string): string | undefined =>
    readFileSync(files.aclFile, 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith(`user ${name} `));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acl-hand-'));
    mkdirSync(join(dir, 'acl'));
    files = { envFile: join(dir, '.env'), aclFile: join(dir, 'acl', 'users.acl') };
    writeFileSync(
      files.envFile,
      'REDIS_PASSWORD=op\nREDIS_SERVICE_PASSWORD_AUTH=pw-auth\nREDIS_SERVICE_PASSWORD_USER=pw-user\n',
    );
    assert.equal(syncAclFile(files, policy), 'created');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps an extra key pattern and a new password on Start, and names both users with what differs', () => {
    const auth = `${line('auth-service')} ~billing:*`;
    const user = line('user-service')?.replace(/#[0-9a-f]{64}/, '>hand-password') ?? '';
    const text = readFileSync(files.aclFile, 'utf8')
      .replace(line('auth-service') ?? '', auth)
      .replace(line('user-service') ?? '', user);
    writeFileSync(files.aclFile, text);
    assert.equal(syncAclFile(files, policy), 'unchanged');
    assert.equal(readFileSync(files.aclFile, 'utf8'), text);
    assert.deepEqual(
      aclFileDifferences(files, policy).map(({ username, parts, opens }) => ({ username, parts, opens })),
      [
        { username: 'auth-service', parts: ['key patterns'], opens: [] },
        { username: 'user-service', parts: ['password'], opens: [] },
      ],
    );
  });

  it('a window with delimiter "." keeps the other window\'s ~auth:* and says the key patterns differ', () => {
    const before = readFileSync(files.aclFile, 'utf8');
    assert.equal(syncAclFile(files, { ...policy, delimiter: '.' }), 'unchanged');
    assert.equal(readFileSync(files.aclFile, 'utf8'), before);
    assert.deepEqual(
      aclFileDifferences(files, { ...policy, delimiter: '.' }).map((d) => `${d.username}: ${d.parts.join(', ')}`),
      ['auth-service: key patterns', 'user-service: key patterns'],
    );
  });

  it('replaces only the lines it is told to, and adds a new service user meanwhile', () => {
    const auth = `${line('auth-service')} ~billing:*`;
    const user = `${line('user-service')} ~reports:*`;
    writeFileSync(
      files.aclFile,
      readFileSync(files.aclFile, 'utf8')
        .replace(line('auth-service') ?? '', auth)
        .replace(line('user-service') ?? '', user),
    );
    writeFileSync(files.envFile, `${readFileSync(files.envFile, 'utf8')}REDIS_SERVICE_PASSWORD_SHARED=pw-shared\n`);
    assert.equal(
      syncAclFile(files, { ...policy, declared: ['auth', 'user', 'shared'] }, { replace: ['auth-service'] }),
      'updated',
    );
    assert.doesNotMatch(line('auth-service') ?? '', /billing/);
    assert.equal(line('user-service'), user);
    assert.match(line('shared-service') ?? '', /~shared:\*/);
    assert.deepEqual(
      aclFileDifferences(files, policy).map(({ username, parts }) => ({ username, parts })),
      [{ username: 'user-service', parts: ['key patterns'] }],
    );
  });
});
