import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { cursorCarriesSlot, keepsReverseBinaryCursor } from '../../../../src/redis/keyspace/cursorContract';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { RedisServer, startRedisServer } from '../../../support/redisServer';
import { clientOf, endpointOf, stringKeys, writeKeys } from './support';

/** INFO server as each product answers it (trimmed to the lines that matter, shapes kept). */
const REDIS_7 =
  '# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:ae4d7c971a948f0\r\nredis_mode:standalone\r\nos:Linux 6.1.0 x86_64\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:15230\r\nrun_id:5a27c62920b3f1e5fbbd79d511d6f8d7da9ec326\r\ntcp_port:6379\r\nexecutable:/usr/bin/redis-server\r\nconfig_file:\r\n';
const VALKEY_8 =
  '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nredis_git_sha1:00000000\r\nredis_build_id:4f2e5c0e1c1f7a3b\r\nserver_mode:standalone\r\nredis_mode:standalone\r\nmultiplexing_api:epoll\r\nprocess_id:1\r\nrun_id:0d4c9e0b7a6d4f1c9e8b7a6d5c4b3a2910f0e1d2\r\nexecutable:/usr/local/bin/valkey-server\r\n';
const DRAGONFLY =
  '# Server\r\nredis_version:7.2.0\r\ndragonfly_version:df-v1.21.2\r\nredis_mode:standalone\r\narch_bits:64\r\nmultiplexing_api:epoll\r\ntcp_port:6379\r\nthp_enabled:1\r\nuptime_in_seconds:12\r\nuptime_in_days:0\r\n';
const KEYDB =
  '# Server\r\nredis_version:6.3.4\r\nredis_git_sha1:7e7e5e57\r\nredis_git_dirty:1\r\nredis_build_id:2f8bd2a5a1b0e8d3\r\nredis_mode:standalone\r\nmultiplexing_api:epoll\r\nprocess_id:1\r\nrun_id:9a1f0e8c7d6b5a4f3e2d1c0b9a8f7e6d5c4b3a21\r\nexecutable:/usr/local/bin/keydb-server\r\nconfig_file:/etc/keydb/keydb.conf\r\n';
const KVROCKS =
  '# Server\r\nversion:2.8.0\r\nkvrocks_version:2.8.0\r\nredis_version:4.0.0\r\ngit_sha1:7f1f8d3\r\nos:Linux 5.15.0 x86_64\r\nprocess_id:1\r\ntcp_port:6666\r\n';
/** A server that only imitates a few of Redis's lines (a proxy, an emulator). */
const LOOKALIKE =
  '# Server\r\nredis_version:7.2.4\r\nos:Linux 5.15.0-1015-aws x86_64\r\narch_bits:64\r\nprocess_id:1\r\ntcp_port:6379\r\n';

describe('which servers keep the reverse-binary SCAN cursor (two halves)', () => {
  it('trusts Redis and Valkey', () => {
    assert.equal(keepsReverseBinaryCursor(REDIS_7), true);
    assert.equal(keepsReverseBinaryCursor(REDIS_7.replace(/\r\n/g, '\n')), true);
    assert.equal(keepsReverseBinaryCursor(VALKEY_8), true);
  });

  it('does not trust other products, look-alikes or an empty answer', () => {
    for (const [name, info] of Object.entries({
      DRAGONFLY,
      KEYDB,
      KVROCKS,
      LOOKALIKE,
      empty: '',
      other: REDIS_7.replace('redis_mode:standalone', 'server_name:garnet'),
    })) {
      assert.equal(keepsReverseBinaryCursor(info), false, name);
    }
  });
});

describe('which cluster nodes put the slot in the SCAN cursor (one table per slot)', () => {
  const cluster = (info: string): string => info.replace('redis_mode:standalone', 'redis_mode:cluster');
  it('Redis from 7.4 and Valkey from 8.0, in cluster mode only', () => {
    assert.equal(cursorCarriesSlot(cluster(REDIS_7)), false);
    assert.equal(cursorCarriesSlot(cluster(REDIS_7.replace('7.0.15', '7.2.5'))), false);
    assert.equal(cursorCarriesSlot(cluster(REDIS_7.replace('7.0.15', '7.4.0'))), true);
    assert.equal(cursorCarriesSlot(cluster(REDIS_7.replace('7.0.15', '8.0.2'))), true);
    assert.equal(cursorCarriesSlot(REDIS_7.replace('7.0.15', '8.0.2')), false);
    // Valkey 8 reports redis_version 7.2.4 and its own version beside it; without that line, the safe answer (one loop).
    assert.equal(cursorCarriesSlot(cluster(VALKEY_8).replace('server_mode:standalone', 'server_mode:cluster')), true);
    assert.equal(
      cursorCarriesSlot(
        cluster(VALKEY_8)
          .replace('server_mode:standalone', 'server_mode:cluster')
          .replace('valkey_version:8.0.1\r\n', ''),
      ),
      true,
    );
    assert.equal(cursorCarriesSlot(VALKEY_8), false);
  });
});

describe('the walk chooses its connections from the real server', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let admin: Redis;
  const FAST = { timeoutMs: 1000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

  before(async () => {
    server = await startRedisServer();
    admin = await clientOf(server);
    await writeKeys(
      admin,
      stringKeys(2000, (i) => `c:${i}`),
    );
    await admin.call('ACL', 'SETUSER', 'reader', 'on', '>pw', '~*', '+@read');
  });
  after(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  /** The most connections of the walk's own (named `<connectionName>-walk`) seen open at once while it runs:
   * the first walks at once, the others join as they open. */
  async function walkConnectionsSeen(endpoint: ReturnType<typeof endpointOf>, password?: string): Promise<number> {
    let seen = 0;
    let asking: Promise<void> | undefined;
    const asked: Promise<void>[] = [];
    const walk = walkKeyspace(
      { endpoint, credentials: { password }, tuning: FAST },
      {
        count: 10,
        progressIntervalMs: 0,
        onProgress: (progress) => {
          if (asking || progress.done) return;
          asking = (async () => {
            const list = String(await admin.call('CLIENT', 'LIST'));
            const open = list
              .split('\n')
              .filter((line) => / name=shared-redis-unit-walk /.test(line) || / user=reader /.test(line)).length;
            seen = Math.max(seen, open);
            asking = undefined;
          })();
          asked.push(asking);
        },
      },
    );
    const model = await walk.done;
    await Promise.all(asked);
    assert.equal(model.totalKeys, 2000);
    return seen;
  }

  it('walks a real Redis in eight parts on two connections (the default)', async () => {
    assert.equal(await walkConnectionsSeen(endpointOf(server)), 2);
  });

  it('walks through one connection when the server cannot be identified (INFO refused)', async () => {
    assert.equal(await walkConnectionsSeen({ ...endpointOf(server), username: 'reader' }, 'pw'), 1);
  });
});
