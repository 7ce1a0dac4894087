import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { readStackAccess } from '../../../../src/docker/stack/serviceAccess';
import { BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

const SECRET = 's3cr';

/**
 * A malformed `.env` (or compose value) is reported with its file, line and variable,
 * and never with the value: the value is usually a password. Each case's bad value
 * holds SECRET; no message may.
 */
describe('no secret in a message about a malformed .env', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'secret-messages-'));
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const failure = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    return assert.fail('expected the load to fail');
  };

  const cases: Array<[string, string, RegExp]> = [
    ['a "$" that starts no variable', 'REDIS_PASSWORD=s3cr$1t', /line 2: REDIS_PASSWORD: invalid interpolation format/],
    ['an unterminated "${"', 'REDIS_PASSWORD=s3cr${oops', /line 2: REDIS_PASSWORD: invalid interpolation format/],
    ['a "${" with a bad name', 'REDIS_PASSWORD="s3cr${1}"', /line 2: REDIS_PASSWORD: invalid interpolation format/],
    [
      'a required variable whose message is part of the value',
      'REDIS_PASSWORD=s3cr${MISSING:?s3cret-word}',
      /line 2: REDIS_PASSWORD: required variable MISSING is missing a value$/,
    ],
    [
      'an unterminated double quote',
      'REDIS_PASSWORD="s3cr3t\nOTHER=1',
      /line 2: the quoted value of REDIS_PASSWORD has no closing "/,
    ],
    [
      'an unterminated single quote',
      "REDIS_PASSWORD='s3cr3t",
      /line 2: the quoted value of REDIS_PASSWORD has no closing '/,
    ],
    [
      'text after the closing quote',
      'REDIS_PASSWORD="s3cr3t"tail',
      /line 2: unexpected text after the closing quote of REDIS_PASSWORD/,
    ],
    [
      'a password on a line of its own',
      'REDIS_PASSWORD=\ns3cr3t!pa$$',
      /line 3: unexpected character "!" in a variable name/,
    ],
    [
      'a password with a space on a line of its own',
      'REDIS_PASSWORD=\ns3cr3t words',
      /line 3: a variable name contains a space/,
    ],
  ];
  for (const [what, line, expected] of cases) {
    it(`${what}: the file, the line and the variable, not the value`, async () => {
      writeFileSync(join(dir, '.env'), `# the stack's secrets\n${line}\n`, { mode: 0o600 });
      const message = await failure(loadComposeProject(join(dir, 'docker-compose.yml'), { env: {} }));
      assert.ok(message.startsWith(`${join(dir, '.env')} line `), message);
      assert.match(message, expected);
      assert.ok(!message.includes(SECRET), `no value in: ${message}`);
      // The extension's own reader of .env (service users) says the same, with the file.
      const access = await failure(
        Promise.resolve().then(() =>
          readStackAccess({ envFile: join(dir, '.env'), aclFile: join(dir, 'users.acl') }, DEFAULT_POLICY),
        ),
      );
      assert.equal(access, message);
    });
  }

  it('a password written into the compose file itself is not echoed either', async () => {
    writeFileSync(join(dir, '.env'), 'REDIS_PASSWORD=x\nCOMMANDER_PASSWORD=y\n');
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      'services:\n  app:\n    image: redis\n    environment:\n      REDISCLI_AUTH: s3cr$1t\n',
    );
    const message = await failure(loadComposeProject(join(dir, 'docker-compose.yml'), { env: {} }));
    assert.match(message, /line 5: services\.app\.environment\.REDISCLI_AUTH: invalid interpolation format/);
    assert.ok(!message.includes(SECRET), message);
  });
});
