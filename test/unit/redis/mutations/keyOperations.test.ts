import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { KeyspaceCommandError } from '../../../../src/redis/keyspace/errors';
import { connectRedis } from '../../../../src/redis/connection';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { keyPttl, parseTtl, persistKey, setKeyTtl, unlinkKey } from '../../../../src/redis/mutations';
import { startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf } from '../keyspace/support';

describe('key operations against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;
  const binary = Buffer.from([0x6f, 0x70, 0x3a, 0xff, 0x00, 0xfe, 0x0a, 0x2a]); // op:\xff\x00\xfe\n*
  const latin1Lookalike = Buffer.from('op:\u00ff\u0000\u00fe\n*', 'utf8'); // the same text as UTF-8: other bytes

  before(async () => {
    client = await server.connect();
  });
  beforeEach(() => client.flushdb()); // this test's own server

  it('sets each accepted TTL form on a key', async () => {
    for (const [input, seconds] of [
      ['90', 90],
      ['90s', 90],
      ['30m', 1800],
      ['1h', 3600],
      ['2d', 172_800],
    ] as const) {
      await client.set('op:ttl', 'v');
      const parsed = parseTtl(input);
      assert.ok(parsed.ok);
      assert.equal(await setKeyTtl(client, Buffer.from('op:ttl'), parsed.seconds), 'changed');
      const ttl = await client.ttl('op:ttl');
      assert.ok(ttl <= seconds && ttl >= seconds - 1, `${input}: ${ttl}`);
    }
  });

  it('changes nothing when the input is rejected', async () => {
    await client.set('op:keep', 'v', 'EX', 500);
    for (const input of ['abc', '-5', '1.5h', '', '99999999999999999999', '0']) {
      const parsed = parseTtl(input);
      assert.equal(parsed.ok, false, input);
      // The command layer stops here: nothing reaches the server.
    }
    const ttl = await client.ttl('op:keep');
    assert.ok(ttl > 498 && ttl <= 500);
    await assert.rejects(setKeyTtl(client, Buffer.from('op:keep'), 0), RangeError);
    await assert.rejects(setKeyTtl(client, Buffer.from('op:keep'), -5), RangeError);
    assert.ok((await client.ttl('op:keep')) > 498);
    assert.equal(await client.get('op:keep'), 'v');
  });

  it('says a key is gone instead of creating it', async () => {
    assert.equal(await setKeyTtl(client, Buffer.from('op:missing'), 60), 'gone');
    assert.equal(await persistKey(client, Buffer.from('op:missing')), 'gone');
    assert.equal(await unlinkKey(client, Buffer.from('op:missing')), 'gone');
    assert.equal(await client.exists('op:missing'), 0);
  });

  it('persists: removes a TTL, and says when there was none', async () => {
    await client.hset('op:hash', 'f', 'v');
    await client.expire('op:hash', 100);
    assert.equal(await persistKey(client, Buffer.from('op:hash')), 'changed');
    assert.equal(await client.ttl('op:hash'), -1);
    assert.equal(await persistKey(client, Buffer.from('op:hash')), 'unchanged');
    assert.equal(await client.hget('op:hash', 'f'), 'v');
  });

  it('acts on the exact bytes of a binary key name, never on a look-alike', async () => {
    await client.set(binary, 'b');
    await client.set(latin1Lookalike, 'u');
    assert.equal(await setKeyTtl(client, binary, 1000), 'changed');
    assert.ok((await keyPttl(client, binary)) > 990_000);
    assert.equal(await keyPttl(client, latin1Lookalike), -1);
    assert.equal(await persistKey(client, binary), 'changed');
    assert.equal(await keyPttl(client, binary), -1);
    assert.equal(await unlinkKey(client, binary), 'changed');
    assert.equal(await client.exists(binary), 0);
    assert.equal(await client.get(latin1Lookalike), 'u');
  });

  it('deletes one key with UNLINK, whatever its type', async () => {
    await client.zadd('op:z', 1, 'a');
    await client.set('op:zz', 'neighbour');
    assert.equal(await unlinkKey(client, Buffer.from('op:z')), 'changed');
    assert.equal(await client.exists('op:z'), 0);
    assert.equal(await client.get('op:zz'), 'neighbour');
  });

  it('turns a NOAUTH server and a dropped connection into typed errors', async () => {
    const locked = await startRedisServer({ password: 'op-secret' });
    try {
      const anonymous = new Redis({
        host: locked.host,
        port: locked.port,
        lazyConnect: true,
        enableReadyCheck: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      anonymous.on('error', () => undefined);
      await anonymous.connect();
      try {
        await assert.rejects(
          setKeyTtl(anonymous, Buffer.from('k'), 60),
          (error: unknown) => error instanceof RedisConnectionError && error.kind === 'auth-failed',
        );
      } finally {
        anonymous.disconnect();
      }
      const dropped = await clientOf(locked);
      await locked.stop();
      await assert.rejects(
        persistKey(dropped, Buffer.from('k')),
        (error: unknown) => error instanceof RedisConnectionError && !error.message.includes('op-secret'),
      );
      dropped.disconnect();
    } finally {
      await locked.stop();
    }
  });

  it('reports a server refusal as the server said it', async () => {
    // A real refusal: a user without the EXPIRE family (NOPERM names the command).
    const admin = await server.connect();
    await admin.call(
      'ACL',
      'SETUSER',
      'ttl-refused',
      'on',
      'nopass',
      '~*',
      '+@all',
      '-expire',
      '-pexpire',
      '-pexpireat',
      '-expireat',
    );
    await admin.set('refusal:k', 'v');
    const refused = server.keep(
      await connectRedis({ host: server.host, port: server.port, db: 0, tls: false, username: 'ttl-refused' }, {}),
    );
    await assert.rejects(
      setKeyTtl(refused, Buffer.from('refusal:k'), 5),
      (error: unknown) => error instanceof KeyspaceCommandError && /NOPERM/.test(error.message),
    );
    assert.equal(await admin.pttl('refusal:k'), -1, 'the key keeps no TTL');
  });
});
