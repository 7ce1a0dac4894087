import * as assert from 'node:assert/strict';
import { connectRedis } from '../../../../src/redis/connection';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { walkKeyspace } from '../../../../src/redis/keyspace';
import { RespScanSource } from '../../../../src/redis/keyspace/respScanSource';
import { CountingProxy, sleep, startCountingProxy, startRedis, TestRedis } from './fixtures';
import { connectionFailure as failure } from '../../../support/connectionFailure';

const PASSWORD = 'tls-unit-password-41c9';
const FAST = { timeoutMs: 2000, maxReconnects: 5, connectionName: 'shared-redis-auth-unit' };

describe('wrong and missing passwords: one message, one connection attempt', function () {
  this.timeout(30_000);
  let guarded: TestRedis;
  let via: CountingProxy;

  before(async () => {
    guarded = await startRedis({ password: PASSWORD });
  });
  beforeEach(async () => {
    via = await startCountingProxy(guarded);
  });
  afterEach(async () => {
    await via.close();
  });
  after(async () => {
    await guarded?.stop();
  });

  const endpoint = (): { host: string; port: number; db: number; tls: false } => ({
    host: via.host,
    port: via.port,
    db: 0,
    tls: false,
  });

  it('a wrong password', async () => {
    const error = await failure(connectRedis(endpoint(), { password: 'not-it' }, FAST));
    assert.equal(error.kind, 'auth-failed');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} rejected the password. Set the password with "Shared Redis: Set Password", or check REDIS_PASSWORD in the stack's .env.`,
    );
    await sleep(2500);
    assert.equal(via.connections, 1);
  });

  it('no password', async () => {
    const error = await failure(connectRedis(endpoint(), {}, FAST));
    assert.equal(error.kind, 'auth-failed');
    assert.match(error.message, /requires a password and none was given\. Set the password/);
    await sleep(2500);
    assert.equal(via.connections, 1);
  });

  it("each user action is one attempt, also for the keyspace walk's connection", async () => {
    for (let i = 0; i < 3; i++) await failure(connectRedis(endpoint(), { password: 'not-it' }, FAST));
    await assert.rejects(
      RespScanSource.open(endpoint(), { password: 'not-it' }, FAST),
      (e: unknown) => e instanceof RedisConnectionError && e.kind === 'auth-failed',
    );
    await sleep(1500);
    assert.equal(via.connections, 4);
  });

  it('a keyspace walk (Refresh Keys) with a wrong password is one attempt, though it walks on two connections', async () => {
    const walk = walkKeyspace(
      { endpoint: endpoint(), credentials: { password: 'not-it' }, tuning: FAST },
      { parts: 2 },
    );
    await assert.rejects(walk.done, (e: unknown) => e instanceof RedisConnectionError && e.kind === 'auth-failed');
    await sleep(1500);
    assert.equal(via.connections, 1);
    // With the right password it does open both.
    const ok = walkKeyspace({ endpoint: endpoint(), credentials: { password: PASSWORD }, tuning: FAST }, { parts: 2 });
    await ok.done;
    assert.equal(via.connections, 3);
  });

  it('the right password still connects through the same path', async () => {
    const client = await connectRedis(endpoint(), { password: PASSWORD }, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });
});
