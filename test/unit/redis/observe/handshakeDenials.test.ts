import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { deniedAccessFindings } from '../../../../src/redis/checks/observed';
import { readAclLog } from '../../../../src/redis/observe/aclLog';
import { deniedAccessesMarkdown } from '../../../../src/redis/observe/reports';
import { DEFAULT_DECLARED_NAMESPACES } from '../../../../src/settingsModel';
import { NEWER_SERVERS, RedisServer, startRedisServer } from '../../../support/redisServer';

/**
 * Client libraries (ioredis 5, node-redis 4.7, redis-py 5, go-redis 9) send CLIENT SETINFO
 * when they connect. Redis 7.2 and later log its refusal for a user whose ACL lacks
 * @connection, and the library connects on without it: every connection of such a user
 * adds two "denied accesses" that are no problem of the service's.
 */
describe('a client library handshake refused on Redis 8 (a real server)', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let operator: Redis;
  before(async () => {
    server = await startRedisServer({ binary: NEWER_SERVERS['Redis 8.0'] });
    operator = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await operator.connect();
  });
  after(async () => {
    operator?.disconnect();
    await server?.stop();
  });

  /** A connection of the restricted user, as its service's ioredis makes one (its handshake included). */
  const asReporting = async (): Promise<Redis> => {
    const client = new Redis({
      host: server.host,
      port: server.port,
      username: 'reporting',
      password: 'pw',
      lazyConnect: true,
      // ioredis's ready check runs INFO, which this user may not either: off, so that only the handshake is refused.
      enableReadyCheck: false,
    });
    await client.connect();
    return client;
  };

  it('is not a Checks finding, and the report says what it is', async () => {
    await operator.call('ACL', 'SETUSER', 'reporting', 'on', '>pw', '~report:*', '+get');
    await operator.call('ACL', 'LOG', 'RESET');
    // A service that only connects: its library's handshake is refused, nothing else.
    const quiet = await asReporting();
    assert.equal(await quiet.get('report:x'), null);
    quiet.disconnect();
    const entries = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    assert.ok(
      entries.some((entry) => entry.object === 'client|setinfo'),
      `Redis 8 logged no CLIENT SETINFO refusal: ${JSON.stringify(entries)}`,
    );
    assert.deepEqual(
      deniedAccessFindings(entries).map((finding) => finding.detail),
      [],
      'a finding for a handshake the library goes on without',
    );
    const report = deniedAccessesMarkdown(entries, 'the test server', new Date(0));
    const line = report.split('\n').find((text) => text.includes('CLIENT SETINFO'));
    assert.match(line ?? '', /client library's handshake/, report);

    // A real refusal of the same user is still a finding, counted without the handshakes.
    const reaching = await asReporting();
    await assert.rejects(reaching.get('auth:secret'), /NOPERM/);
    reaching.disconnect();
    const findings = deniedAccessFindings(await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':'));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.count, 1, findings[0]?.detail);
    assert.match(findings[0]?.description ?? '', /GET auth:secret/);
  });
});
