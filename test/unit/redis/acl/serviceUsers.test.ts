import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { writeStackFiles } from '../../../../src/docker/stack/location';
import { stackAclFile } from '../../../../src/docker/stack/serviceAccess';
import { isolationMarkdown, verifyIsolation } from '../../../../src/redis/acl/isolation';
import { reloadAcl } from '../../../../src/redis/acl/reload';
import { serviceUser } from '../../../../src/redis/acl/rules';
import { useRedisServer } from '../../../support/useRedisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, OPERATOR } from '../../../support/stackFixture';

/**
 * The stack's generated users.acl loaded by a real redis-server: each service user is held
 * to its namespace by Redis itself. This server is a throwaway, so the refused commands
 * (FLUSHALL, KEYS, CONFIG SET, ACL LIST) are really sent here.
 */
describe('one ACL user per service, enforced by a real Redis', function () {
  this.timeout(30_000);
  let dir: string;
  let env: Record<string, string>;
  const server = useRedisServer(() => {
    dir = mkdtempSync(join(tmpdir(), 'acl-'));
    writeStackFiles(BUNDLED_STACK, dir, DEFAULT_POLICY);
    env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
    // DEBUG enabled, so that only the ACL stands between a service and it.
    return { extraArgs: ['--aclfile', stackAclFile(dir), '--enable-debug-command', 'yes'] };
  });

  const login = async (username: string | undefined, password: string): Promise<Redis> => {
    const client = server.keep(
      new Redis({
        host: server.host,
        port: server.port,
        username,
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        enableReadyCheck: false,
        retryStrategy: () => null,
      }),
    );
    await client.connect();
    return client;
  };
  const as = (namespace: string): Promise<Redis> =>
    login(serviceUser(namespace).username, env[serviceUser(namespace).envKey] ?? '');
  const refusal = async (promise: Promise<unknown>): Promise<string> => {
    try {
      const reply = await promise;
      return assert.fail(`expected a refusal, got ${JSON.stringify(reply)}`);
    } catch (error) {
      assert.ok(error instanceof Error);
      return error.message;
    }
  };

  before(async () => {
    const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
    await operator.mset('auth:session:1', 'a', 'user:profile:1', 'u', 'shared:config:app', '{"theme":"dark"}');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [ns, other] of [
    ['auth', 'user'],
    ['user', 'auth'],
  ] as const) {
    it(`${ns}-service reads and writes ${ns}:*, reads shared:*, and gets NOPERM on ${other}:* for read, write and delete`, async () => {
      const client = await as(ns);
      assert.equal(await client.set(`${ns}:k`, 'v'), 'OK');
      assert.equal(await client.get(`${ns}:k`), 'v');
      assert.equal(await client.del(`${ns}:k`), 1);
      assert.equal(await client.get('shared:config:app'), '{"theme":"dark"}');
      assert.match(await refusal(client.set('shared:config:app', 'mine')), /^NOPERM .*keys?\b/);
      assert.match(await refusal(client.get(`${other}:${other === 'user' ? 'profile' : 'session'}:1`)), /^NOPERM/);
      assert.match(await refusal(client.set(`${other}:x`, 'v')), /^NOPERM/);
      assert.match(await refusal(client.del(`${other === 'user' ? 'user:profile:1' : 'auth:session:1'}`)), /^NOPERM/);
      assert.match(
        await refusal(client.unlink(`${other === 'user' ? 'user:profile:1' : 'auth:session:1'}`)),
        /^NOPERM/,
      );
      assert.match(await refusal(client.publish(`${other}:events`, 'x')), /^NOPERM .*channel/);
      assert.equal(await client.publish(`${ns}:events`, 'x'), 0);
    });

    it(`${ns}-service is refused FLUSHALL, FLUSHDB, KEYS *, CONFIG SET, ACL LIST, DEBUG, SHUTDOWN and MODULE`, async () => {
      const client = await as(ns);
      for (const args of [
        ['FLUSHALL'],
        ['FLUSHDB'],
        ['KEYS', '*'],
        ['CONFIG', 'SET', 'maxmemory', '1'],
        ['ACL', 'LIST'],
        ['DEBUG', 'SLEEP', '0'],
        ['SHUTDOWN', 'NOSAVE'],
        ['MODULE', 'LIST'],
      ]) {
        assert.match(
          await refusal(client.call(args[0] ?? '', ...args.slice(1))),
          // Redis 7.0: "this user has no permissions"; 7.2 and later name the user.
          /^NOPERM (this user|User \S+) has no permissions to run the '/,
          args.join(' '),
        );
      }
      const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
      assert.equal(await operator.dbsize(), 3, 'nothing was flushed');
    });

    it(`${ns}-service cannot reach ${other}:* through EVAL with only its own keys declared`, async () => {
      const client = await as(ns);
      const message = await refusal(
        client.eval(
          "return redis.call('GET', ARGV[1])",
          1,
          `${ns}:probe`,
          `${other === 'user' ? 'user:profile:1' : 'auth:session:1'}`,
        ),
      );
      // Redis 7.0's words, and 7.2's and later.
      assert.match(message, /can't access at least one of the keys|No permissions to access a key/);
      assert.match(
        await refusal(client.eval("return redis.call('SET', ARGV[1], 'x')", 1, `${ns}:probe`, `${other}:planted`)),
        /can't access|No permissions to access a key/,
      );
      const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
      assert.equal(await operator.exists(`${other}:planted`), 0);
    });
  }

  it('shared-service owns shared:* and still cannot touch auth:* or user:*', async () => {
    const client = await as('shared');
    assert.equal(await client.set('shared:cache:x', '1'), 'OK');
    assert.match(await refusal(client.get('auth:session:1')), /^NOPERM/);
  });

  it('the default user matches the operator (healthcheck, Redis Commander); neither may FLUSHALL or KEYS', async () => {
    const legacy = await login(undefined, env['REDIS_PASSWORD'] ?? '');
    assert.equal(await legacy.ping(), 'PONG');
    assert.equal(await legacy.get('auth:session:1'), 'a');
    assert.match(await refusal(legacy.flushdb()), /^NOPERM/);
    assert.match(await refusal(legacy.keys('auth:*')), /^NOPERM/);
    const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
    assert.equal(await operator.get('user:profile:1'), 'u');
    assert.match(await refusal(operator.flushall()), /^NOPERM/);
    assert.match(await refusal(operator.keys('*')), /^NOPERM/);
  });

  it('verifyIsolation finds no breach on the generated users, and runs no denied command for real', async () => {
    const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
    const services = ['auth', 'user', 'shared'].map((ns) => ({
      namespace: ns,
      username: `${ns}-service`,
      password: env[serviceUser(ns).envKey] ?? '',
    }));
    const report = await verifyIsolation({
      endpoint: { host: server.host, port: server.port, db: 0, tls: false },
      operator,
      services,
      delimiter: ':',
    });
    assert.deepEqual(report.breaches, []);
    assert.deepEqual(report.errors, []);
    const auth = report.checks
      .filter((c) => c.service === 'auth-service')
      .map((c) => `${c.check.replace(/[0-9a-f]{12}/g, 'ID')} → ${c.actual}`);
    assert.ok(
      auth.includes('SET auth:__shared_redis_isolation_probe__:ID (its own namespace) → allowed'),
      auth.join('\n'),
    );
    assert.ok(auth.includes('SET shared:__shared_redis_isolation_probe__:ID (write the shared namespace) → refused'));
    assert.ok(auth.includes("UNLINK user:__shared_redis_isolation_probe__:ID (user-service's namespace) → refused"));
    assert.ok(
      auth.includes(
        'EVAL reading user:__shared_redis_isolation_probe__:ID with only auth:__shared_redis_isolation_probe__:ID declared → refused',
      ),
    );
    assert.ok(auth.includes('FLUSHALL (denied command, simulated with ACL DRYRUN) → refused'));
    assert.equal(await operator.dbsize(), 4, 'the probe keys are gone, the data is all there');
    const markdown = isolationMarkdown(report, `${server.host}:${server.port}`, new Date());
    assert.match(
      markdown,
      /^# Namespace isolation on 127\.0\.0\.1:\d+\n\nChecked .*: \d+ checks, 0 breaches, 0 could not run\./,
    );
    for (const [key, password] of Object.entries(env)) {
      if (key.includes('PASSWORD') && password) assert.ok(!markdown.includes(password), `no ${key} in the report`);
    }
  });

  /**
   * verifyIsolation of auth- and user-service after a teammate appended `grants` to user-service's
   * line in users.acl and reloaded it; `check` sees the report; the file and the users are restored after.
   */
  const verifyWidened = async (
    grants: string,
    check: (report: Awaited<ReturnType<typeof verifyIsolation>>, operator: Redis) => Promise<void>,
  ): Promise<void> => {
    const aclFile = stackAclFile(dir);
    const original = readFileSync(aclFile, 'utf8');
    writeFileSync(aclFile, original.replace(/^(user user-service .*)$/m, `$1 ${grants}`));
    try {
      await reloadAcl({ host: server.host, port: server.port, db: 0, tls: false }, env['REDIS_PASSWORD'] ?? '');
      const operator = await login(OPERATOR, env['REDIS_PASSWORD'] ?? '');
      const services = ['auth', 'user'].map((ns) => ({
        namespace: ns,
        username: `${ns}-service`,
        password: env[serviceUser(ns).envKey] ?? '',
      }));
      const report = await verifyIsolation({
        endpoint: { host: server.host, port: server.port, db: 0, tls: false },
        operator,
        services,
        delimiter: ':',
      });
      await check(report, operator);
    } finally {
      writeFileSync(aclFile, original);
      await reloadAcl({ host: server.host, port: server.port, db: 0, tls: false }, env['REDIS_PASSWORD'] ?? '');
    }
  };

  it('verifyIsolation reports a breach with the rule that allowed it, after ACL LOAD of a widened file', async () => {
    // A teammate widens user-service by hand: another key pattern and FLUSHDB back.
    await verifyWidened('~auth:* +flushdb', async (report, operator) => {
      const breaches = report.breaches.map(
        (b) => `${b.service}: ${b.check.split(' (')[0]?.replace(/[0-9a-f]{12}/g, 'ID')} ⇐ ${b.rule}`,
      );
      assert.ok(
        breaches.some((b) =>
          // Redis 7.0 renders the user's rules as `+@all … -flushall` and the grant is the category;
          // 7.2 and later keep `+flushdb` (and `sanitize-payload`) in them.
          /^user-service: FLUSHDB ⇐ (`\+@all` with no `-flushdb` after it|`\+flushdb`) in `user user-service on (sanitize-payload )?#… /.test(
            b,
          ),
        ),
        breaches.join('\n'),
      );
      assert.ok(
        breaches.some((b) =>
          /^user-service: SET auth:__shared_redis_isolation_probe__:ID ⇐ key pattern `~auth:\*` in `user user-service on /.test(
            b,
          ),
        ),
        breaches.join('\n'),
      );
      assert.ok(
        breaches.some((b) =>
          /^user-service: GET auth:__shared_redis_isolation_probe__:ID ⇐ key pattern `~auth:\*`/.test(b),
        ),
        breaches.join('\n'),
      );
      assert.equal(report.breaches.filter((b) => b.service === 'auth-service').length, 0, 'auth-service is unchanged');
      assert.equal(await operator.dbsize(), 4, 'the dry run flushed nothing');
    });
  });

  it("verifyIsolation reports another service's channels and every server-wide command a widened user could run", async () => {
    // Grants a person may add by hand, none of which touches a key of another namespace.
    const widened = 'allchannels +function +script|flush +replicaof +client|pause +save +randomkey +migrate';
    await verifyWidened(widened, async (report, operator) => {
      const breached = report.breaches
        .filter((b) => b.service === 'user-service')
        .map((b) => (b.check.split(' (')[0] ?? '').replace(/[0-9a-f]{12}/g, 'ID'));
      for (const expected of [
        'PUBLISH auth:__shared_redis_isolation_probe__:ID probe',
        'SUBSCRIBE auth:__shared_redis_isolation_probe__:ID',
        'FUNCTION FLUSH',
        'SCRIPT FLUSH',
        'REPLICAOF NO ONE',
        'CLIENT PAUSE 1',
        'SAVE',
        'RANDOMKEY',
      ]) {
        assert.ok(breached.includes(expected), `${expected} is not among the breaches:\n${breached.join('\n')}`);
      }
      assert.ok(
        breached.some((b) => b.startsWith('MIGRATE ')),
        `MIGRATE is not among the breaches:\n${breached.join('\n')}`,
      );
      const auth = report.checks.filter((c) => c.service === 'auth-service');
      assert.deepEqual(
        report.breaches.filter((b) => b.service === 'auth-service'),
        [],
        'auth-service is unchanged',
      );
      assert.ok(
        auth.some(
          (c) =>
            /^PUBLISH auth:__shared_redis_isolation_probe__:\w+ probe \(its own namespace/.test(c.check) &&
            c.actual === 'allowed',
        ),
        auth.map((c) => c.check).join('\n'),
      );
      assert.equal(await operator.dbsize(), 4, 'the dry run changed nothing');
    });
  });
});
