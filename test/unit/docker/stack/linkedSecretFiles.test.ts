import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillEnvFile } from '../../../../src/docker/stack/checkoutEnv';
import { replicationConfFile, syncReplicationConf } from '../../../../src/docker/stack/clusterStack';
import { addServicePasswords, addServiceUsers, stackAclFile, syncAclFile } from '../../../../src/docker/stack/serviceAccess';
import { DEFAULT_POLICY } from '../../../support/stackFixture';

const SECRET = '[default]\naws_secret_access_key=AKIA-TOP-SECRET\n';

/**
 * A stack folder from a cloned repository whose secret files are symbolic links to a private
 * file of the user (~/.aws/credentials, 0600): the extension must refuse to write through them.
 */
describe('a stack secret file that is a symbolic link (planted in a cloned repository)', () => {
  let root = '';
  let stack = '';
  let secret = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'linked-secret-'));
    [stack, secret] = [join(root, 'repo', 'shared-redis'), join(root, 'home', '.aws', 'credentials')];
    for (const folder of [join(stack, 'acl'), join(root, 'home', '.aws')]) mkdirSync(folder, { recursive: true });
    writeFileSync(secret, SECRET, { mode: 0o600 });
    writeFileSync(join(stack, '.env'), 'REDIS_PASSWORD=operator-password-0123456789abcdef\n', { mode: 0o600 });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const untouched = (): void => {
    assert.equal(statSync(secret).mode & 0o777, 0o600, 'the file it points to stays private');
    assert.equal(readFileSync(secret, 'utf8'), SECRET, 'the file it points to keeps its text');
    assert.deepEqual(readdirSync(join(root, 'home', '.aws')), ['credentials'], 'no temporary file beside it');
  };
  const refusal = (file: string): RegExp =>
    new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is a symbolic link; replace it with a regular file\\b.*Nothing was changed\\.$`);

  it("Start's ACL sync refuses a users.acl that links elsewhere, naming it; the file it points to keeps its mode and text", () => {
    const acl = stackAclFile(stack);
    symlinkSync(secret, acl);
    assert.throws(() => syncAclFile({ envFile: join(stack, '.env'), aclFile: acl }, DEFAULT_POLICY), { message: refusal(acl) });
    untouched();
    // An older stack that mounts the file alone is rewritten in place: refused the same way.
    assert.throws(() => syncAclFile({ envFile: join(stack, '.env'), aclFile: acl, aclMountedAlone: true }, DEFAULT_POLICY), {
      message: refusal(acl),
    });
    untouched();
    assert.deepEqual(readdirSync(join(stack, 'acl')), ['users.acl']);
  });

  it('Add Service Users refuses a linked .env or users.acl before writing either', async () => {
    const env = join(stack, '.env');
    const envText = readFileSync(env, 'utf8');
    symlinkSync(secret, stackAclFile(stack));
    await assert.rejects(addServiceUsers({ envFile: env, aclFile: stackAclFile(stack) }, ['auth'], DEFAULT_POLICY), {
      message: refusal(stackAclFile(stack)),
    });
    assert.equal(readFileSync(env, 'utf8'), envText, '.env was not changed either');
    untouched();

    rmSync(env);
    writeFileSync(secret, `${SECRET}REDIS_PASSWORD=x\n`, { mode: 0o600 });
    symlinkSync(secret, env);
    assert.throws(() => addServicePasswords(env, ['auth']), { message: refusal(env) });
    assert.equal(statSync(secret).mode & 0o777, 0o600);
    assert.equal(readFileSync(secret, 'utf8'), `${SECRET}REDIS_PASSWORD=x\n`);
  });

  it("writing missing passwords into a linked .env, or the cluster's replication.conf through a link, is refused", () => {
    const env = join(stack, '.env');
    rmSync(env);
    writeFileSync(secret, `${SECRET}REDIS_PASSWORD=\n`, { mode: 0o600 });
    symlinkSync(secret, env);
    assert.throws(() => fillEnvFile({ file: env, exists: true, passwords: ['REDIS_PASSWORD'] }), { message: refusal(env) });
    assert.equal(readFileSync(secret, 'utf8'), `${SECRET}REDIS_PASSWORD=\n`);

    rmSync(env);
    writeFileSync(env, 'REDIS_PASSWORD=operator-password-0123456789abcdef\n', { mode: 0o600 });
    writeFileSync(secret, SECRET, { mode: 0o600 });
    const conf = replicationConfFile(stack);
    symlinkSync(secret, conf);
    assert.throws(() => syncReplicationConf(env, conf), { message: refusal(conf) });
    untouched();
  });
});
