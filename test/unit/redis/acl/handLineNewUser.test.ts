import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { writeStackFiles } from '../../../../src/docker/stack/location';
import { aclFileDifferences, addServiceUsers, stackAclFile } from '../../../../src/docker/stack/serviceAccess';
import { aclLine, serviceRules, serviceUser } from '../../../../src/redis/acl/rules';
import { startRedisServer } from '../../../support/redisServer';
import { BUNDLED_STACK } from '../../../support/stackFixture';

/** What a service logging in as `username` with `password` gets from a Redis reading the stack's users.acl. */
async function logIn(aclFile: string, username: string, password: string): Promise<string> {
  const server = await startRedisServer({ extraArgs: ['--aclfile', aclFile] });
  const client = new Redis({
    host: server.host,
    port: server.port,
    username,
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
  try {
    return await client
      .connect()
      .then(() => client.ping())
      .catch((error: Error) => refusal || error.message);
  } finally {
    client.disconnect();
    await server.stop();
  }
}

/**
 * A team wrote billing-service's line in users.acl by hand (its own password) before declaring
 * the billing namespace, so .env holds no password for it. Add Service Users used to generate one
 * for .env, keep the hand line, and report the user added: "Copy Service Connection" then handed
 * the service a password Redis refuses.
 */
describe('Add Service Users for a user whose line the team wrote by hand', function () {
  this.timeout(30_000);
  const policy = { declared: ['auth', 'billing'], delimiter: ':' };
  // Shared Redis's own rules, with the password the team chose.
  const handLine = `${aclLine({ username: 'billing-service', password: 'team-chosen', rules: serviceRules('billing', ':') })}\n`;
  let dir: string;
  let files: { envFile: string; aclFile: string };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acl-hand-new-'));
    writeStackFiles(BUNDLED_STACK, dir, { declared: ['auth'], delimiter: ':' });
    files = { envFile: join(dir, '.env'), aclFile: stackAclFile(dir) };
    appendFileSync(files.aclFile, handLine);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const envPassword = (): string | undefined =>
    parseDotenv(readFileSync(files.envFile, 'utf8'))[serviceUser('billing').envKey];

  it('is named among the lines to replace, as a password change', () => {
    const differing = aclFileDifferences(files, policy, ['billing']);
    assert.deepEqual(
      differing.map((d) => [d.username, d.parts]),
      [['billing-service', ['password']]],
    );
  });

  it('kept: no password is written to .env that its line would refuse, and the team password still logs in', async () => {
    const added = await addServiceUsers(files, ['billing'], policy, []);
    assert.deepEqual(added, [], 'billing-service is not reported as added');
    assert.equal(envPassword(), undefined, '.env holds no password Redis would refuse');
    assert.ok(readFileSync(files.aclFile, 'utf8').includes(handLine), 'the hand line is kept');
    assert.equal(await logIn(files.aclFile, 'billing-service', 'team-chosen'), 'PONG');
  });

  it('replaced: the password in .env logs in', async () => {
    const added = await addServiceUsers(files, ['billing'], policy, ['billing-service']);
    assert.deepEqual(added, ['billing']);
    const password = envPassword();
    assert.ok(password, '.env has its password');
    assert.equal(await logIn(files.aclFile, 'billing-service', password), 'PONG');
  });
});
