import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { writeStackFiles } from '../../../../src/docker/stack/location';
import { stackAclFile } from '../../../../src/docker/stack/serviceAccess';
import { checkDelimiter } from '../../../../src/redis/delimiter';
import { startRedisServer } from '../../../support/redisServer';
import { BUNDLED_STACK, OPERATOR } from '../../../support/stackFixture';

/**
 * Every delimiter a user may type, through the generated users.acl loaded by a real
 * redis-server and checked with ACL DRYRUN: a service reaches its own namespace and the
 * shared one (read only), never a look-alike prefix such as `authority:x`.
 */
describe('the namespace delimiter in the ACL file, on a real Redis', function () {
  this.timeout(60_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'acl-delimiter-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const accepted = ['*', '?', '[', ']', '\\', '^', '-', '::', '.', '/', '|', '#', '[a]', '\\*', '%R~', 'é'];
  for (const delimiter of accepted) {
    it(`${JSON.stringify(delimiter)}: auth-service gets auth${delimiter}… and reads shared${delimiter}…, nothing that only looks alike`, async () => {
      const dir = mkdtempSync(join(root, 'stack-'));
      writeStackFiles(BUNDLED_STACK, dir, { declared: ['auth', 'user', 'shared'], delimiter });
      const env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
      const server = await startRedisServer({ extraArgs: ['--aclfile', stackAclFile(dir)] });
      const operator = new Redis({
        host: server.host,
        port: server.port,
        username: OPERATOR,
        password: env['REDIS_PASSWORD'],
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await operator.connect();
        const dryRun = async (user: string, ...args: string[]): Promise<string> =>
          String(await operator.call('ACL', 'DRYRUN', user, ...args));
        const allowed = (user: string, ...args: string[]): Promise<void> =>
          dryRun(user, ...args).then((r) => assert.equal(r, 'OK', `${user} ${args.join(' ')}`));
        const denied = (user: string, ...args: string[]): Promise<void> =>
          dryRun(user, ...args).then((r) => assert.notEqual(r, 'OK', `${user} ${args.join(' ')} must be refused`));
        const d = delimiter;
        await allowed('auth-service', 'SET', `auth${d}session${d}1`, 'v');
        await allowed('auth-service', 'GET', `auth${d}x`);
        await allowed('auth-service', 'GET', `shared${d}config`);
        await allowed('auth-service', 'PUBLISH', `auth${d}events`, 'x');
        await denied('auth-service', 'SET', `shared${d}config`, 'v');
        // Keys that only look like the namespace: a longer first segment, another character, a partial delimiter.
        const lookAlikes = [
          'authority:x',
          `authority${d}x`,
          `authZ${d}x`,
          'auth?x',
          'auth*x',
          'auth',
          `auth${d.slice(0, -1)}`,
          `auth${d.slice(0, -1)}Z`,
        ].filter((key) => !key.startsWith(`auth${d}`));
        for (const key of lookAlikes) await denied('auth-service', 'SET', key, 'v');
        for (const key of ['sharedX', `sharedX${d}x`, `shared${d.slice(0, -1)}Z`]) {
          await denied('auth-service', 'GET', key);
        }
        await denied('auth-service', 'PUBLISH', `authority${d}events`, 'x');
        await denied('auth-service', 'PUBLISH', `user${d}events`, 'x');
        await allowed('user-service', 'GET', `user${d}profile${d}1`);
        await denied('user-service', 'GET', `userX${d}1`);
      } finally {
        operator.disconnect();
        await server.stop();
      }
    });
  }

  for (const [delimiter, what] of [
    ['', /is empty/],
    [' ', /contains a space/],
    ['\n', /contains a line break/],
    ['\t', /contains a blank character/],
    [': ', /contains a space/],
    ['\u0000', /contains a control character/],
  ] as const) {
    it(`${JSON.stringify(delimiter)} is refused with one message naming the setting, and no file is written`, () => {
      const checked = checkDelimiter(delimiter);
      assert.equal(checked.ok, false);
      const message = checked.ok ? '' : checked.message;
      assert.match(message, /^The setting sharedRedis\.delimiter /);
      assert.match(message, what);
      const dir = join(root, `refused-${Buffer.from(delimiter).toString('hex') || 'empty'}`);
      assert.throws(
        () => writeStackFiles(BUNDLED_STACK, dir, { declared: ['auth', 'user', 'shared'], delimiter }),
        (error: Error) => error.message === message,
      );
      assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'nothing was written');
    });
  }

  it('a value that is not text is refused too', () => {
    assert.deepEqual(checkDelimiter(3), {
      ok: false,
      message: 'The setting sharedRedis.delimiter must be text, such as ":" (the default). Nothing was changed.',
    });
    assert.deepEqual(checkDelimiter('::'), { ok: true, delimiter: '::' });
  });
});

describe('the Settings UI says what checkDelimiter says', () => {
  it("package.json's pattern for sharedRedis.delimiter accepts and refuses the same values", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifest = require('../../../../../package.json') as {
      contributes: {
        configuration:
          | { properties: Record<string, { pattern?: string; minLength?: number; patternErrorMessage?: string }> }
          | { properties: Record<string, { pattern?: string; minLength?: number }> }[];
      };
    };
    const sections = Array.isArray(manifest.contributes.configuration)
      ? manifest.contributes.configuration
      : [manifest.contributes.configuration];
    const schema = sections.map((s) => s.properties['sharedRedis.delimiter']).find((p) => p !== undefined);
    assert.ok(schema?.pattern, 'a pattern in the schema');
    const pattern = new RegExp(schema.pattern, 'u');
    for (const value of [
      ':',
      '::',
      '*',
      '?',
      '[',
      '\\',
      '.',
      '/',
      '|',
      '#',
      'é',
      '',
      ' ',
      'a b',
      '\n',
      '\t',
      ':\r',
      '\u0000',
      '\u007f',
      '\u0085',
      '\u00a0',
      '\u2028',
    ]) {
      const schemaAccepts: boolean = value.length >= (schema.minLength ?? 0) && pattern.test(value);
      assert.equal(schemaAccepts, checkDelimiter(value).ok, JSON.stringify(value));
    }
  });
});
