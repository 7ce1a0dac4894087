import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { connectRedis } from '../../../../src/redis/connection';
import { describeEndpoint, RedisEndpoint } from '../../../../src/redis/endpoint';
import { parseSentinelSettings } from '../../../../src/redis/sentinel/config';
import { reachedServer } from '../../../../src/redis/sentinel/currentMaster';
import { connectionFailure } from '../../../support/connectionFailure';
import { clientOf } from '../../../support/redisClient';
import { freePort } from '../../../support/redisServer';
import { SentinelSetup, startSentinel, startSentinelSetup } from '../../../support/redisSentinel';

const FAST = { timeoutMs: 2000, maxReconnects: 5, connectionName: 'shared-redis-sentinel-test' };

function sentinelEndpoint(sentinels: readonly string[], masterName: string): RedisEndpoint {
  return { host: '127.0.0.1', port: 6379, db: 0, tls: false, sentinel: parseSentinelSettings(sentinels, masterName) };
}

describe('Sentinel settings', () => {
  it('are off when both settings are empty', () => {
    assert.equal(parseSentinelSettings([], ''), undefined);
    assert.equal(parseSentinelSettings(['  '], ' '), undefined);
  });

  it('read host:port, [v6]:port and a host alone (port 26379), without repeats', () => {
    assert.deepEqual(
      parseSentinelSettings(['10.0.0.5:26380', '[::1]:26379', 'sentinel-a', '10.0.0.5:26380'], 'mymaster'),
      {
        kind: 'sentinel',
        masterName: 'mymaster',
        sentinels: [
          { host: '10.0.0.5', port: 26380 },
          { host: '::1', port: 26379 },
          { host: 'sentinel-a', port: 26379 },
        ],
      },
    );
  });

  for (const bad of ['127.0.0.1:99999', '127.0.0.1:', ':26379', 'a b:1', '127.0.0.1:26379:1', 'http://x:1']) {
    it(`refuse "${bad}", naming the entry and the form to use`, () => {
      const setting = parseSentinelSettings(['127.0.0.1:26379', bad], 'mymaster');
      assert.equal(setting?.kind, 'invalid');
      assert.match(
        setting.kind === 'invalid' ? setting.problem : '',
        new RegExp(`sharedRedis.sentinels has "${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`),
      );
      assert.match(setting.kind === 'invalid' ? setting.problem : '', /"host:port"/);
    });
  }

  it('refuse a master name without Sentinels, and Sentinels without a master name', () => {
    const noList = parseSentinelSettings([], 'mymaster');
    assert.match(noList?.kind === 'invalid' ? noList.problem : '', /sharedRedis.sentinels is empty/);
    const noName = parseSentinelSettings(['127.0.0.1:26379'], '');
    assert.match(noName?.kind === 'invalid' ? noName.problem : '', /sharedRedis.sentinelMasterName is empty/);
  });

  it('describe the endpoint by master name and Sentinels', () => {
    assert.equal(
      describeEndpoint({ ...sentinelEndpoint(['127.0.0.1:26379', '[::1]:26380'], 'orders'), username: 'app' }),
      'master "orders" via Sentinel 127.0.0.1:26379, [::1]:26380 (user app)',
    );
  });
});

describe('connecting through a real Sentinel', function () {
  this.timeout(90_000);
  let setup: SentinelSetup;
  const opened: Redis[] = [];
  const sentinelList = (): string[] => setup.sentinels.map((s) => `${s.host}:${s.port}`);

  before(async () => {
    setup = await startSentinelSetup();
  });
  afterEach(() => {
    for (const client of opened.splice(0)) client.disconnect();
  });
  after(async () => {
    await setup?.stop();
  });

  it('works on the master the Sentinels name, with the password from the credentials', async () => {
    const client = await connectRedis(
      sentinelEndpoint(sentinelList(), setup.masterName),
      { password: setup.password },
      FAST,
    );
    opened.push(client);
    await client.set('auth:session:1', 'via-sentinel');
    const master = await setup.master();
    const direct = await clientOf(master);
    opened.push(direct);
    assert.equal(await direct.get('auth:session:1'), 'via-sentinel');
    assert.match(await direct.info('replication'), /role:master/);
    // Work that dials host and port itself (the walk, MONITOR, redis-cli) gets the master's address.
    const reached = reachedServer(sentinelEndpoint(sentinelList(), setup.masterName), client);
    assert.deepEqual([reached.host, reached.port, reached.sentinel], ['127.0.0.1', master.port, undefined]);
  });

  it('follows a failover: the next command after it reaches the new master', async () => {
    const client = await connectRedis(
      sentinelEndpoint(sentinelList(), setup.masterName),
      { password: setup.password },
      FAST,
    );
    opened.push(client);
    const before = await setup.master();
    assert.match(await client.info('server'), new RegExp(`tcp_port:${before.port}\\b`));
    const after = await setup.failover();
    assert.notEqual(after.port, before.port);
    // The next command through the same connection, right after the failover, reaches the new master.
    const next = client;
    opened.push(next);
    await next.set('user:profile:7', 'after-failover');
    const direct = await clientOf(after);
    opened.push(direct);
    assert.equal(await direct.get('user:profile:7'), 'after-failover');
    assert.match(await next.info('server'), new RegExp(`tcp_port:${after.port}\\b`));
  });

  it('says the master name is unknown and lists the names the Sentinels monitor', async () => {
    const error = await connectionFailure(
      connectRedis(sentinelEndpoint(sentinelList(), 'orders'), { password: setup.password }, FAST),
    );
    assert.equal(error.kind, 'sentinel-unknown-master');
    assert.match(
      error.message,
      /master "orders" via Sentinel .* is unknown to the Sentinels: they monitor "mymaster"\. Set sharedRedis.sentinelMasterName/,
    );
  });

  it('says a wrong password is refused, as for any server (so Set Password helps)', async () => {
    const error = await connectionFailure(
      connectRedis(sentinelEndpoint(sentinelList(), setup.masterName), { password: 'wrong' }, FAST),
    );
    assert.equal(error.kind, 'auth-failed');
    assert.doesNotMatch(error.message, new RegExp(setup.password));
  });

  it('says no Sentinel answered, naming each address', async () => {
    const nobody = await freePort();
    const error = await connectionFailure(
      connectRedis(sentinelEndpoint([`127.0.0.1:${nobody}`], setup.masterName), {}, FAST),
    );
    assert.equal(error.kind, 'sentinel-unreachable');
    assert.match(error.message, new RegExp(`no Sentinel answered \\(127\\.0\\.0\\.1:${nobody}: ECONNREFUSED\\)`));
    assert.match(error.message, /Start the Sentinels, or fix the addresses in sharedRedis.sentinels/);
  });

  it('says when an address is a Redis server, not a Sentinel', async () => {
    const server = setup.servers[0];
    assert.ok(server);
    const error = await connectionFailure(
      connectRedis(
        sentinelEndpoint([`127.0.0.1:${server.port}`], setup.masterName),
        { password: setup.password },
        FAST,
      ),
    );
    assert.equal(error.kind, 'sentinel-config');
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${server.port} is not a Sentinel`));
  });

  it('refuses settings that cannot be used, with their one message, before dialing anything', async () => {
    const error = await connectionFailure(connectRedis(sentinelEndpoint(['127.0.0.1:0x'], setup.masterName), {}, FAST));
    assert.equal(error.kind, 'sentinel-config');
    assert.match(error.message, /sharedRedis.sentinels has "127.0.0.1:0x", which is not an address/);
  });

  it('says a Sentinel refuses SENTINEL GET-MASTER-ADDR-BY-NAME, not that none answered', async () => {
    const sentinels = setup.sentinels.map((s) => new Redis({ host: s.host, port: s.port, lazyConnect: true }));
    for (const sentinel of sentinels) {
      opened.push(sentinel);
      await sentinel.connect();
      await sentinel.call('ACL', 'SETUSER', 'default', '-sentinel|get-master-addr-by-name');
    }
    try {
      const error = await connectionFailure(
        connectRedis(sentinelEndpoint(sentinelList(), setup.masterName), { password: setup.password }, FAST),
      );
      assert.equal(error.kind, 'sentinel-config');
      assert.match(error.message, /refuses SENTINEL GET-MASTER-ADDR-BY-NAME \(NOPERM/);
      assert.doesNotMatch(error.message, /no Sentinel answered/);
    } finally {
      for (const sentinel of sentinels) {
        await sentinel.call('ACL', 'SETUSER', 'default', '+sentinel|get-master-addr-by-name');
      }
    }
  });

  it('says a master the Sentinels name at an address this machine cannot reach may be announced wrong, not that it refused', async () => {
    // TEST-NET-1 (RFC 5737): routed nowhere, as a container's own address is from the host.
    const sentinel = await startSentinel('elsewhere', { host: '192.0.2.1', port: 6379 }, setup.password);
    try {
      const error = await connectionFailure(
        connectRedis(sentinelEndpoint([`127.0.0.1:${sentinel.port}`], 'elsewhere'), { password: setup.password }, FAST),
      );
      assert.match(error.message, /the Sentinels name 192\.0\.2\.1:6379 as its master/);
      // Here the kernel refuses an address it has no route to; elsewhere it is EHOSTUNREACH or a timeout.
      assert.doesNotMatch(error.message, /sharedRedis\.host/);
      assert.match(error.message, /check that this machine reaches that address: .*announce-ip/);
    } finally {
      await sentinel.stop();
    }
  });

  // Last: it stops the master.
  it('says the master the Sentinels name is down, with its address, not the host and port settings', async () => {
    const master = await setup.master();
    await master.stop();
    // Sentinel waits down-after-milliseconds (2 s here) before it calls the master down: meanwhile it names it.
    const error = await connectionFailure(
      connectRedis(sentinelEndpoint(sentinelList(), setup.masterName), { password: setup.password }, FAST),
    );
    assert.equal(error.kind, 'unreachable');
    assert.match(
      error.message,
      new RegExp(
        `master "mymaster" via Sentinel .* is unreachable: the Sentinels name 127\\.0\\.0\\.1:${master.port} as its master, and it refused the connection \\(ECONNREFUSED\\)`,
      ),
    );
    assert.match(error.message, /Start that server, or wait for the Sentinels to fail over/);
    assert.doesNotMatch(error.message, /sharedRedis\.host|sharedRedis\.port|Start the shared Redis stack/);
  });
});
