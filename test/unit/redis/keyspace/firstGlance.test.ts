import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { firstGlance, FirstGlanceOptions, glanceNamespaces } from '../../../../src/redis/keyspace/firstGlance';
import { useRedisServer } from '../../../support/useRedisServer';

const OWNERS = [
  { path: 'auth', owner: 'Auth Service' },
  { path: 'billing:invoices', owner: 'Billing' },
  { path: 'user', owner: 'User Service' },
];

describe("firstGlance: the Keys view's first rows from one SCAN, before the extension has loaded", function () {
  this.timeout(20_000);
  const redis = useRedisServer();
  const options = (over: Partial<FirstGlanceOptions> = {}): FirstGlanceOptions => ({
    host: redis.host,
    port: redis.port,
    db: 0,
    username: undefined,
    password: undefined,
    count: 1000,
    delimiter: ':',
    connectionName: 'shared-redis-vscode',
    timeoutMs: 2_000,
    ...over,
  });

  before(async () => {
    const client = await redis.connect();
    await client.flushall();
    const pipeline = client.pipeline();
    for (let i = 0; i < 12; i++) pipeline.set(`auth:session:${i}`, 'x');
    for (let i = 0; i < 5; i++) pipeline.set(`user:${i}`, 'x');
    for (const id of [10, 9, 100]) pipeline.set(`${id}:x`, 'x');
    pipeline.set('plain', 'x');
    pipeline.set(Buffer.from([0xff, 0x3a, 0x61]), 'x'); // a namespace named by the byte 0xff
    await pipeline.exec();
    const db5 = await redis.connect(5);
    await db5.set('other:one', 'x');
  });

  it('counts the keys it read per top-level namespace, and the keys outside any', async () => {
    const glance = await firstGlance(options());
    assert.equal(glance.keysRead, 22);
    assert.deepEqual(Object.fromEntries(glance.namespaces), {
      auth: 12,
      user: 5,
      '10': 1,
      '9': 1,
      '100': 1,
      '\u00ff': 1,
    });
    assert.equal(glance.rootKeys, 1);
  });

  it('reads the database the settings name (SELECT), and cuts at the configured delimiter', async () => {
    assert.deepEqual(Object.fromEntries((await firstGlance(options({ db: 5 }))).namespaces), { other: 1 });
    const slash = await firstGlance(options({ delimiter: 'session' }));
    assert.deepEqual(Object.fromEntries(slash.namespaces), { 'auth:': 12 });
    assert.equal(slash.rootKeys, 10);
  });

  it('lists declared namespaces first (also before a key of theirs is read), then the others in natural order, at most a page', () => {
    const glance = {
      keysRead: 9,
      rootKeys: 0,
      namespaces: new Map([
        ['user', 2],
        ['100', 1],
        ['10', 1],
        ['9', 1],
        ['billing', 3],
        ['zeta', 1],
      ]),
    };
    const [auth, , user] = OWNERS;
    const { rows, othersListed, othersFound } = glanceNamespaces(glance, OWNERS, ':', 3);
    assert.deepEqual(rows, [
      { path: 'auth', count: 0, declared: auth },
      { path: 'user', count: 2, declared: user },
      // The ancestor of a nested declared namespace shows, undeclared itself.
      { path: 'billing', count: 3, declared: undefined },
      { path: '9', count: 1, declared: undefined },
      { path: '10', count: 1, declared: undefined },
      { path: '100', count: 1, declared: undefined },
    ]);
    // `zeta` is past the page: the view's "Load more…" row says so.
    assert.deepEqual([othersListed, othersFound], [3, 4]);
  });

  it('logs in as the user and with the password it is given', async () => {
    const admin = await redis.connect();
    await admin.acl('SETUSER', 'glancer', 'on', '>glance-secret', '~*', '+@all');
    try {
      const glance = await firstGlance(options({ username: 'glancer', password: 'glance-secret' }));
      assert.equal(glance.keysRead, 22);
      await assert.rejects(firstGlance(options({ username: 'glancer', password: 'wrong' })), /WRONGPASS/);
    } finally {
      await admin.acl('DELUSER', 'glancer');
    }
  });

  it('fails, never hangs, on a server that accepts and does not answer, and on one that is not Redis', async () => {
    const silent = net.createServer(() => undefined);
    const talker = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await Promise.all([silent, talker].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
    try {
      const port = (s: net.Server): number => (s.address() as net.AddressInfo).port;
      const started = Date.now();
      await assert.rejects(
        firstGlance(options({ port: port(silent), timeoutMs: 300 })),
        /did not answer within 300 ms/,
      );
      assert.ok(Date.now() - started < 2_000, 'gave up at its time limit');
      await assert.rejects(firstGlance(options({ port: port(talker) })));
    } finally {
      silent.close();
      talker.close();
    }
  });

  it('leaves no connection open behind it', async () => {
    const admin = await redis.connect();
    const connected = async (): Promise<number> =>
      String(await admin.client('LIST'))
        .trim()
        .split('\n').length;
    const before = await connected();
    await Promise.all([firstGlance(options()), firstGlance(options({ db: 5 }))]);
    // The server notices a closed socket on its next turn of its event loop.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await connected(), before);
  });
});
