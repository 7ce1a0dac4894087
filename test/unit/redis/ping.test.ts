import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connectRedis } from '../../../src/redis/connection';
import { formatPing, pingServer } from '../../../src/redis/ping';
import { DEFAULT_BINARY, NEWER_SERVERS, startRedisServer } from '../../support/redisServer';
import { useRedisServer } from '../../support/useRedisServer';

describe('ping', function () {
  this.timeout(10_000);
  const server = useRedisServer();

  it('measures the round trip and reads the version the server reports', async () => {
    const client = await connectRedis({ host: server.host, port: server.port, db: 0, tls: false }, {});
    try {
      const result = await pingServer(client);
      const installed = /v=(\S+)/.exec(execFileSync(DEFAULT_BINARY, ['--version']).toString())?.[1];
      assert.equal(result.reply, 'PONG');
      assert.equal(result.version, installed);
      assert.ok(result.roundTripMs > 0 && result.roundTripMs < 1000, `round trip ${result.roundTripMs} ms`);
      assert.match(
        formatPing(result),
        new RegExp(`^PONG in \\d+(\\.\\d)? ms · (Redis|Valkey) ${installed?.replace(/\./g, '\\.')}$`),
      );
    } finally {
      client.disconnect();
    }
  });

  it('names Valkey and its own version, not the Redis version it says it is compatible with', async () => {
    const valkey = await startRedisServer({ binary: NEWER_SERVERS['Valkey 8.1'] });
    const client = await connectRedis({ host: valkey.host, port: valkey.port, db: 0, tls: false }, {});
    try {
      const installed = /v=(\S+)/.exec(execFileSync(NEWER_SERVERS['Valkey 8.1'], ['--version']).toString())?.[1];
      assert.match(installed ?? '', /^8\./);
      assert.match(formatPing(await pingServer(client)), new RegExp(`· Valkey ${installed?.replace(/\./g, '\\.')}$`));
    } finally {
      client.disconnect();
      await valkey.stop();
    }
  });

  it('formats sub-10 ms times with one decimal and slower ones whole', () => {
    assert.equal(
      formatPing({ reply: 'PONG', roundTripMs: 0.4321, version: '7.0.15' }),
      'PONG in 0.4 ms · Redis 7.0.15',
    );
    assert.equal(formatPing({ reply: 'PONG', roundTripMs: 9.96, version: '7.2.4' }), 'PONG in 10.0 ms · Redis 7.2.4');
    assert.equal(formatPing({ reply: 'PONG', roundTripMs: 123.6, version: undefined }), 'PONG in 124 ms');
  });
});
