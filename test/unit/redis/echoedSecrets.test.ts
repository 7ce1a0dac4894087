import * as assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { connectRedis } from '../../../src/redis/connection';
import type { RedisEndpoint } from '../../../src/redis/endpoint';
import { firstGlance } from '../../../src/redis/keyspace/firstGlance';
import { RespScanSource } from '../../../src/redis/keyspace/respScanSource';
import { withoutEchoedArguments } from '../../../src/redis/replyText';
import { useRedisServer } from '../../support/useRedisServer';

const SECRET = 'hunter2-echoed-SECRET';

/**
 * Redis repeats the first arguments of a command it does not know: with AUTH or ACL renamed
 * away (or a proxy that lacks them), `ERR unknown command 'auth', with args beginning with:
 * 'bob' '<password>'`. Those messages reach the user and the log.
 */
describe('a server that repeats what it was sent never puts a password into our messages', function () {
  this.timeout(20_000);
  const redis = useRedisServer({ config: 'rename-command AUTH ""\nrename-command ACL ""\n' });
  const endpoint = (): RedisEndpoint => ({
    host: redis.host,
    port: redis.port,
    db: 0,
    username: 'bob',
    tls: false,
    tlsSettings: { verifyCertificate: true },
    sentinel: undefined,
  });
  // The message, and the whole error as a logger prints it (its stack, and what ioredis
  // attaches: the command with its arguments).
  const failure = async (attempt: Promise<unknown>): Promise<string> => {
    const error = await attempt.then(
      () => assert.fail('it succeeded'),
      (e: unknown) => e,
    );
    assert.ok(!inspect(error).includes(SECRET), `the password is in: ${inspect(error)}`);
    return error instanceof Error ? error.message : String(error);
  };
  const assertNoSecret = (message: string): void => {
    assert.ok(!message.includes(SECRET), `the password is in: ${message}`);
    assert.match(message, /unknown command/i, 'still says what went wrong');
  };

  it('when logging in with the shared connection', async () => {
    assertNoSecret(await failure(connectRedis(endpoint(), { password: SECRET })));
  });

  it("when a command's arguments hold a password (ACL SETUSER)", async () => {
    const client = await connectRedis({ ...endpoint(), username: undefined }, { password: undefined });
    try {
      assertNoSecret(await failure(client.call('ACL', 'SETUSER', 'svc', 'on', `>${SECRET}`)));
    } finally {
      client.disconnect();
    }
  });

  it("when a copy of the shared connection (a transaction's own) sends one", async () => {
    const client = await connectRedis({ ...endpoint(), username: undefined }, { password: undefined });
    const copy = client.duplicate({ lazyConnect: true });
    try {
      await copy.connect();
      assertNoSecret(await failure(copy.call('ACL', 'SETUSER', 'svc', 'on', `>${SECRET}`)));
    } finally {
      copy.disconnect();
      client.disconnect();
    }
  });

  it("when the walk's own connection logs in", async () => {
    assertNoSecret(await failure(RespScanSource.open(endpoint(), { password: SECRET })));
  });

  it("when the Keys view's first rows log in (firstGlance)", async () => {
    const message = await failure(
      firstGlance({
        host: redis.host,
        port: redis.port,
        db: 0,
        username: 'bob',
        password: SECRET,
        count: 100,
        delimiter: ':',
        connectionName: 'shared-redis-vscode',
        timeoutMs: 2_000,
      }),
    );
    assertNoSecret(message);
  });
});

describe('a refused password in an error a logger prints', function () {
  this.timeout(20_000);
  const redis = useRedisServer({ password: 'the-right-one' });

  it('is not among the arguments ioredis attaches to the error', async () => {
    const endpoint: RedisEndpoint = {
      host: redis.host,
      port: redis.port,
      db: 0,
      username: undefined,
      tls: false,
      tlsSettings: { verifyCertificate: true },
      sentinel: undefined,
    };
    const client = await connectRedis(endpoint, { password: 'the-right-one' });
    try {
      const error = await client.call('AUTH', SECRET).then(
        () => assert.fail('a wrong password was taken'),
        (e: unknown) => e,
      );
      assert.match(String(error), /WRONGPASS|invalid password/);
      assert.ok(!inspect(error).includes(SECRET), `the password is in: ${inspect(error)}`);
    } finally {
      client.disconnect();
    }
  });
});

describe('withoutEchoedArguments', () => {
  it('drops what Redis repeats of a command, also a password holding quotes and colons, and keeps what went wrong', () => {
    const password = "pa'ss: w\"ord'";
    assert.equal(
      withoutEchoedArguments(`ERR unknown command 'auth', with args beginning with: 'bob' '${password}' `),
      "ERR unknown command 'auth', with args beginning with: …",
    );
    // Redis 6.0 quoted with backticks.
    assert.equal(
      withoutEchoedArguments('ERR unknown command `auth`, with args beginning with: `bob`, `secret`, '),
      'ERR unknown command `auth`, with args beginning with: …',
    );
    assert.equal(
      withoutEchoedArguments(`ERR Error in ACL SETUSER modifier '#${password}': Syntax error`),
      'ERR Error in ACL SETUSER modifier …',
    );
    assert.equal(withoutEchoedArguments('WRONGTYPE Operation against a key'), 'WRONGTYPE Operation against a key');
  });
});
