import * as assert from 'node:assert/strict';
import { aclFileUsers, aclLine, mergeAclFile, serviceRules } from '../../../../src/redis/acl/rules';

/**
 * users.acl as a team edits it by hand. Redis trims every line (spaces, tabs, `\r`) before
 * reading it, so the merge must see the same users Redis sees: a second line for a user is
 * "Duplicate user" to ACL LOAD, and a Redis that restarts on such a file does not start.
 */
describe('users.acl lines written by hand', () => {
  const managed = [{ username: 'auth-service', password: 'pw-auth', rules: serviceRules('auth', ':') }];
  const userLines = (text: string): string[] => text.split('\n').filter((l) => /^\s*user\s/.test(l));

  for (const [what, line] of [
    ['indented with spaces', '  user auth-service on >handpw ~auth:* +@all'],
    ['indented with a tab', '\tuser auth-service on >handpw ~auth:* +@all'],
    ['a tab after "user"', 'user\tauth-service on >handpw ~auth:* +@all'],
    ['ending in \\r (CRLF)', 'user auth-service on >handpw ~auth:* +@all\r'],
  ] as const) {
    it(`a line ${what} is that user's line: the merge leaves exactly one auth-service line`, () => {
      const merged = mergeAclFile(`user other on >x ~other:* +@all\n${line}\n`, managed);
      assert.deepEqual(
        userLines(merged).map((l) => l.trim().split(/\s+/)[1]),
        ['other', 'auth-service'],
        merged,
      );
      assert.deepEqual(aclFileUsers(`${line}\n`), ['auth-service']);
    });
  }

  it('a file without the user still gets its line appended', () => {
    const merged = mergeAclFile('  user other on >x ~other:* +@all\n', managed);
    assert.deepEqual(userLines(merged), ['  user other on >x ~other:* +@all', aclLine(managed[0]!)]);
  });
});
