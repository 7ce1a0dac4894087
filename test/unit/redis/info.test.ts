import * as assert from 'node:assert/strict';
import { connectRedis } from '../../../src/redis/connection';
import { parseInfo, serverVersion } from '../../../src/redis/info';
import { useRedisServer } from '../../support/useRedisServer';

describe('parseInfo', function () {
  this.timeout(10_000);
  const server = useRedisServer();

  it('splits a real INFO reply into sections and fields', async () => {
    const client = await connectRedis({ host: server.host, port: server.port, db: 0, tls: false }, {});
    try {
      await client.set('info:probe', 'x');
      const info = parseInfo(await client.info());
      assert.ok(info.has('server') && info.has('memory') && info.has('keyspace') && info.has('stats'));
      assert.equal(info.get('server')?.['tcp_port'], String(server.port));
      assert.equal(info.get('server')?.['process_id'], String(server.pid));
      assert.match(info.get('keyspace')?.['db0'] ?? '', /^keys=1,expires=0/);
      assert.match(serverVersion(info) ?? '', /^\d+\.\d+\.\d+$/);
    } finally {
      client.disconnect();
    }
  });

  it('keeps colons inside values and ignores lines outside a section', () => {
    const info = parseInfo(
      'stray:line\r\n# Server\r\nexecutable:/usr/bin/redis-server\r\nconfig_file:C:\\redis.conf\r\n\r\n# Keyspace\r\n',
    );
    assert.equal(info.get('server')?.['config_file'], 'C:\\redis.conf');
    assert.deepEqual(info.get('keyspace'), {});
    assert.equal(info.size, 2);
  });
});
