import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStackFiles } from '../../../../src/docker/stack/location';
import { addServiceUsers, readStackAccess, stackAclFile } from '../../../../src/docker/stack/serviceAccess';
import { aclFileUsers } from '../../../../src/redis/acl/rules';
import { BUNDLED_STACK } from '../../../support/stackFixture';

/**
 * user_profile has its password under REDIS_SERVICE_PASSWORD_USER_PROFILE, which is also the
 * legacy key of user-profile. readStackAccess (every namespace) says user-profile has none;
 * addServiceUsers hands addServicePasswords only the namespaces being added, so the legacy key
 * looks unclaimed, no password is generated, and no user is added: Add Service Users reports
 * "added" with nothing in its message, and reloads the ACL for nothing.
 */
describe('Add Service Users for a namespace whose legacy .env key another namespace holds', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds user-profile-service beside user_profile-service', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rev1-legacy-'));
    writeStackFiles(BUNDLED_STACK, dir, { declared: ['user_profile'], delimiter: ':' });
    const files = { envFile: join(dir, '.env'), aclFile: stackAclFile(dir) };
    const policy = { declared: ['user_profile', 'user-profile'], delimiter: ':' };
    assert.deepEqual(readStackAccess(files, policy).missing, ['user-profile']);
    const added = await addServiceUsers(files, ['user-profile'], policy, []);
    assert.deepEqual(added, ['user-profile']);
    assert.ok(aclFileUsers(readFileSync(files.aclFile, 'utf8')).includes('user-profile-service'));
    assert.deepEqual(readStackAccess(files, policy).missing, []);
  });
});
