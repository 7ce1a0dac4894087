import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { connectRedis } from '../../../../src/redis/connection';
import { readKeyValue } from '../../../../src/redis/keyValue/read';
import { typeDisplayName } from '../../../../src/redis/keyspace/format';
import { NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { pingServer } from '../../../../src/redis/ping';
import { RedisServer, startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf } from './support';

const FAST = { timeoutMs: 1000, maxReconnects: 0, connectionName: 'shared-redis-unit' };
const PASSWORD = 'reader-password';

/**
 * A user who may read every key and nothing else (`~* +@read`): no CLIENT SETNAME,
 * no INFO, no SELECT. Such a user must still see the Keys view.
 */
describe('a read-only ACL user (~* +@read) against a real redis-server', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let admin: Redis;
  const reader = (): ReturnType<typeof endpointOf> & { username: string } => ({
    ...endpointOf(server),
    username: 'reader',
  });

  before(async () => {
    server = await startRedisServer();
    admin = await clientOf(server);
    await admin.call('ACL', 'SETUSER', 'reader', 'on', `>${PASSWORD}`, '~*', '+@read');
    const pipeline = admin.pipeline();
    for (let i = 0; i < 300; i++) pipeline.set(`auth:session:${i}`, `v${i}`);
    pipeline.hset('user:profile:1', 'name', 'Ada');
    await pipeline.exec();
    // The premise: this user may not name its connection.
    const probe = await connectRedis(reader(), { password: PASSWORD }, FAST);
    try {
      await assert.rejects(probe.call('CLIENT', 'SETNAME', 'x'), /NOPERM/);
    } finally {
      probe.disconnect();
    }
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  for (const parts of [1, 2] as const) {
    it(`walks the keyspace in ${parts} part(s) on connections of the walk's own`, async () => {
      const model = await walkKeyspace(
        { endpoint: reader(), credentials: { password: PASSWORD }, tuning: FAST },
        { parts },
      ).done;
      assert.equal(model.totalKeys, 301);
      assert.equal(model.findNamespace('auth')?.count, 300);
      assert.equal(model.findNamespace('user')?.count, 1);
    });
  }

  it('walks, pages and reads keys through the shared ioredis connection (connectionName set)', async () => {
    const client = await connectRedis(reader(), { password: PASSWORD }, FAST);
    try {
      const model = await walkKeyspace({ client }).done;
      assert.equal(model.totalKeys, 301);
      const session = model.findNamespace('auth:session');
      assert.ok(session);
      const page = await new NamespaceKeyPager(client, session, { pageSize: 50 }).next();
      assert.equal(page.keys.length, 50);
      assert.ok(page.keys.every((key) => key.type === 'string'));
      const value = await readKeyValue(client, Buffer.from('user:profile:1'));
      assert.equal(value.kind, 'hash');
      assert.deepEqual(value.kind === 'hash' ? value.entries.map(([f, v]) => `${f.toString()}=${v.toString()}`) : [], [
        'name=Ada',
      ]);
      const text = await readKeyValue(client, Buffer.from('auth:session:7'));
      assert.equal(text.kind === 'string' ? text.bytes.toString() : text.kind, 'v7');
    } finally {
      client.disconnect();
    }
  });

  it("lists the keys a service user may not read by name, as 'no access', instead of failing their page", async () => {
    // A service's own user: its namespace only. SCAN names every key; TYPE refuses the others.
    await admin.call('ACL', 'SETUSER', 'auth-service', 'on', `>${PASSWORD}`, '~auth:*', '+@all');
    await admin.hset('user:profile:2', 'name', 'Grace');
    const client = await connectRedis(
      { ...endpointOf(server), username: 'auth-service' },
      { password: PASSWORD },
      FAST,
    );
    try {
      const model = await walkKeyspace({ client }).done;
      const profiles = model.findNamespace('user:profile');
      assert.ok(profiles);
      const page = await new NamespaceKeyPager(client, profiles, { pageSize: 50 }).next();
      assert.deepEqual(
        page.keys
          .map((key) => `${key.key.toString()} ${typeDisplayName(key.type)} ${key.gone ? 'gone' : 'listed'}`)
          .sort(),
        ['user:profile:1 no access listed', 'user:profile:2 no access listed'],
      );
      const own = model.findNamespace('auth:session');
      assert.ok(own);
      const ownPage = await new NamespaceKeyPager(client, own, { pageSize: 10 }).next();
      assert.ok(ownPage.keys.every((key) => key.type === 'string'));
    } finally {
      await admin.del('user:profile:2');
      client.disconnect();
    }
  });

  it("a user without the TYPE command gets the page's refusal naming it, not every key as 'no access'", async () => {
    await admin.call('ACL', 'SETUSER', 'notype', 'on', `>${PASSWORD}`, '~*', '+@all', '-type');
    const client = await connectRedis({ ...endpointOf(server), username: 'notype' }, { password: PASSWORD }, FAST);
    try {
      const model = await walkKeyspace({ client }).done;
      const profiles = model.findNamespace('user:profile');
      assert.ok(profiles);
      await assert.rejects(new NamespaceKeyPager(client, profiles, { pageSize: 50 }).next(), /NOPERM .*'type' command/);
    } finally {
      client.disconnect();
    }
  });

  it('pings without INFO permission (the version is then unknown)', async () => {
    // PING is not a @read command: this user has it besides.
    await admin.call('ACL', 'SETUSER', 'pinger', 'on', `>${PASSWORD}`, '~*', '+@read', '+ping');
    const client = await connectRedis({ ...endpointOf(server), username: 'pinger' }, { password: PASSWORD }, FAST);
    try {
      const result = await pingServer(client);
      assert.equal(result.reply, 'PONG');
      assert.equal(result.version, undefined);
    } finally {
      client.disconnect();
    }
  });
});
