import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { KeyTypeChangedError, readKeyValue } from '../../../../src/redis/keyValue/read';
import { describeReadFailure, hexDump, renderKeyValue, stringShape } from '../../../../src/redis/keyValue/render';
import { nextStreamId, shownCount } from '../../../../src/redis/keyValue/read';
import { renderEditable } from '../../../../src/redis/keyValue/editFormat';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { eventually } from '../../../support/eventually';
import { startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf, endpointOf } from '../keyspace/support';

async function show(client: Redis, key: string | Buffer, pages = 1): Promise<ReturnType<typeof renderKeyValue>> {
  return renderKeyValue(await readKeyValue(client, typeof key === 'string' ? Buffer.from(key) : key, { pages }));
}

/** The document without its header lines. */
const body = (text: string): string[] => text.split('\n').filter((line) => !line.startsWith('//') && line !== '');

describe('key inspection against a real redis-server', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let client: Redis;
  before(async () => {
    client = await server.connect();
  });

  it('shows a text string with its header', async () => {
    await client.set('auth:token:1', 'hello world', 'EX', 3600);
    const doc = await show(client, 'auth:token:1');
    assert.equal(doc.language, 'plaintext');
    assert.equal(doc.remaining, 0);
    const lines = doc.text.split('\n');
    assert.equal(lines[0], '// key       auth:token:1');
    assert.equal(lines[1], '// type      string');
    assert.match(lines[2] ?? '', /^\/\/ TTL {7}(59m \d+s|1h 0m) \(expires around \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    assert.match(lines[3] ?? '', /^\/\/ encoding {2}embstr$/);
    assert.match(lines[4] ?? '', /^\/\/ memory {4}\d+ B$/);
    assert.equal(lines[5], '// length    11 bytes');
    assert.deepEqual(body(doc.text), ['hello world']);
  });

  it('shows an empty string as such', async () => {
    await client.set('empty', '');
    const doc = await show(client, 'empty');
    assert.match(doc.text, /^\/\/ \(empty string\)$/m);
    assert.match(doc.text, /\/\/ length {4}0 bytes/);
    assert.deepEqual(body(doc.text), []);
  });

  it('pretty-prints a JSON string with the header in comments, as jsonc', async () => {
    const value = { id: 42, name: 'Ada', roles: ['admin', 'dev'], nested: { ok: true } };
    await client.set('user:profile:42', JSON.stringify(value));
    const doc = await show(client, 'user:profile:42');
    assert.equal(doc.language, 'jsonc');
    assert.ok(doc.text.includes(JSON.stringify(value, null, 2)));
    // Every non-JSON line is a comment, so the document parses as JSON with comments.
    const json = doc.text
      .split('\n')
      .filter((line) => !line.startsWith('//'))
      .join('\n');
    assert.deepEqual(JSON.parse(json), value);
    // A JSON scalar, or something that only looks like JSON, stays text.
    await client.set('not-json', '{ nope');
    assert.equal((await show(client, 'not-json')).language, 'plaintext');
    await client.set('number', '42');
    assert.equal((await show(client, 'number')).language, 'plaintext');
  });

  it('shows a JSON string with its numbers, escapes and repeated members exactly as stored', async () => {
    // A service's JSON with an int64 id, a price written 1.10, an escape and a repeated member:
    // JSON.parse would show 12345678901234567000, 1.1, é and only the last "tag".
    const stored = '{"id":12345678901234567890,"price":1.10,"name":"caf\\u00e9","tag":"a","tag":"b"}';
    await client.set('user:json:exact', stored);
    const doc = await show(client, 'user:json:exact');
    assert.equal(doc.language, 'jsonc');
    assert.deepEqual(body(doc.text), [
      '{',
      '  "id": 12345678901234567890,',
      '  "price": 1.10,',
      '  "name": "caf\\u00e9",',
      '  "tag": "a",',
      '  "tag": "b"',
      '}',
    ]);
    // Written with CRLF (a Windows service), the editor shows it read-only through the same rendering.
    await client.set('user:json:crlf', '{\r\n  "id": 12345678901234567890\r\n}');
    const crlf = renderEditable(await readKeyValue(client, Buffer.from('user:json:crlf')));
    assert.ok(crlf.readOnlyReason);
    assert.deepEqual(body(crlf.text), ['{', '  "id": 12345678901234567890', '}']);
  });

  it('shows binary values as a hex dump, and binary key names escaped', async () => {
    const key = Buffer.from([0x62, 0x69, 0x6e, 0x3a, 0xff, 0x00, 0x0a]);
    const bytes = Buffer.from([
      0x48, 0x69, 0x00, 0xff, 0xfe, 0x01, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x80,
    ]);
    await client.set(key, bytes);
    const doc = await show(client, key);
    assert.match(doc.text, /^\/\/ key {7}bin:\\xff\\x00\\n$/m);
    assert.match(doc.text, /^\/\/ not UTF-8 text: shown as a hex dump$/m);
    assert.deepEqual(body(doc.text), [
      '00000000  48 69 00 ff fe 01 41 42  43 44 45 46 47 48 49 4a  |Hi....ABCDEFGHIJ|',
      '00000010  4b 80                                             |K.|',
    ]);
    assert.deepEqual(hexDump(Buffer.alloc(0)), []);
    assert.equal(stringShape(Buffer.from('é ü 🚀\n\ttab')).kind, 'text');
    assert.equal(stringShape(Buffer.from([0xc3])).kind, 'binary');
    assert.equal(stringShape(Buffer.from([0x61, 0xc3]), true).kind, 'text'); // a cut in a sequence at the end of a page
  });

  it('shows a hash as sorted field/value, exact bytes escaped', async () => {
    await client.hset('auth:session:1001', 'userId', '1001', 'role', 'admin', 'bin', Buffer.from([0xff, 0x0a]));
    const doc = await show(client, 'auth:session:1001');
    assert.match(doc.text, /^\/\/ type {6}hash$/m);
    assert.match(doc.text, /^\/\/ encoding {2}listpack$/m);
    assert.match(doc.text, /^\/\/ length {4}3 fields$/m);
    assert.deepEqual(body(doc.text), ['field   value', 'bin     \\xff\\n', 'role    admin', 'userId  1001']);
  });

  it('says so when it cuts a long element, and how long it is, instead of only ending it in …', async () => {
    // Read-only in the editor (a binary field): two 25,000-character values that differ only at
    // their end, and a value that really ends in "…".
    const long = 'x'.repeat(24_999);
    await client.hset('user:cut:1', Buffer.from([0xff]), 'b', 'a', `${long}a`, 'b', `${long}bb`, 'c', 'ends in…');
    const doc = renderEditable(await readKeyValue(client, Buffer.from('user:cut:1')));
    assert.ok(doc.readOnlyReason);
    assert.match(doc.text, /^\/\/ .*longer than 10,000 characters.*cut/m);
    const lines = body(doc.text);
    const of = (field: string): string => lines.find((line) => line.startsWith(`${field} `)) ?? '';
    assert.match(of('a'), /25,000 bytes/);
    assert.match(of('b'), /25,001 bytes/);
    assert.notEqual(of('a'), of('b'));
    assert.equal(of('c'), 'c      ends in…');
  });

  it('shows elements that differ only in spaces at their edges, or are empty, so that they do not look the same', async () => {
    // Read-only in the editor (a binary member): there a line's edge spaces, and an empty element, cannot be seen.
    const members = ['', ' ', '  ', 'a', 'a ', ' a', '""', 'b c'];
    await client.sadd('user:spaces:set', Buffer.from([0xff]), ...members);
    await client.hset(
      'user:spaces:hash',
      Buffer.from([0xff]),
      'x',
      'role',
      'admin',
      'role ',
      'admin',
      'k',
      'v',
      'k2',
      'v ',
    );
    /** A line as a person sees it: spaces at its ends unseen, a run of spaces one gap. */
    const seen = (line: string): string => line.trim().replace(/ +/g, ' ');
    const valueLines = (text: string): string[] =>
      text
        .slice(text.indexOf('\n\n') + 2)
        .replace(/\n$/, '')
        .split('\n');
    const set = renderEditable(await readKeyValue(client, Buffer.from('user:spaces:set')));
    assert.ok(set.readOnlyReason);
    const setLines = valueLines(set.text);
    assert.equal(setLines.length, members.length + 1);
    assert.equal(new Set(setLines.map(seen)).size, setLines.length, setLines.join(' | '));
    assert.ok(!setLines.map(seen).includes(''), 'no member is shown as nothing');
    const hash = renderEditable(await readKeyValue(client, Buffer.from('user:spaces:hash')));
    const hashLines = valueLines(hash.text);
    assert.equal(new Set(hashLines.map(seen)).size, hashLines.length, hashLines.join(' | '));
  });

  it('shows a list in order with indexes', async () => {
    await client.rpush('queue', 'first', 'second', 'third');
    const doc = await show(client, 'queue');
    assert.match(doc.text, /^\/\/ length {4}3 elements$/m);
    assert.deepEqual(body(doc.text), ['0  first', '1  second', '2  third']);
  });

  it('shows a set sorted', async () => {
    await client.sadd('roles', 'writer', 'admin', 'reader');
    const doc = await show(client, 'roles');
    assert.match(doc.text, /^\/\/ type {6}set$/m);
    assert.deepEqual(body(doc.text), ['admin', 'reader', 'writer']);
  });

  it('shows a sorted set in rank order with scores', async () => {
    await client.zadd('leaderboard', 30, 'carol', 10, 'alice', 20.5, 'bob', -1, 'zed');
    const doc = await show(client, 'leaderboard');
    assert.match(doc.text, /^\/\/ type {6}sorted set$/m);
    assert.deepEqual(body(doc.text), [
      '#  score  member',
      '0     -1  zed',
      '1     10  alice',
      '2   20.5  bob',
      '3     30  carol',
    ]);
  });

  it('shows a stream as entries with ids and fields', async () => {
    await client.xadd('events', '1-1', 'type', 'login', 'user', '42');
    await client.xadd('events', '2-0', 'type', 'logout');
    const doc = await show(client, 'events');
    assert.match(doc.text, /^\/\/ length {4}2 entries$/m);
    assert.deepEqual(body(doc.text), ['1-1', '  type  login', '  user  42', '2-0', '  type  logout']);
    assert.equal(nextStreamId('5-9'), '5-10');
    assert.equal(nextStreamId('5-18446744073709551615'), '6-0');
  });

  describe('huge values are paged', () => {
    const n = 1500;
    before(async () => {
      const pipeline = client.pipeline();
      const items = Array.from({ length: n }, (_, i) => `item-${String(i).padStart(4, '0')}`);
      pipeline.rpush('huge:list', ...items);
      pipeline.sadd('huge:set', ...items);
      pipeline.hset('huge:hash', ...items.flatMap((item, i) => [item, String(i)]));
      pipeline.zadd('huge:zset', ...items.flatMap((item, i) => [String(i), item]));
      for (let i = 0; i < n; i++) pipeline.xadd('huge:stream', `${i + 1}-0`, 'n', String(i));
      pipeline.set('huge:string', Buffer.alloc(1.5 * 1024 * 1024, 0x61));
      await pipeline.exec();
    });

    for (const [type, key, firstLines] of [
      [
        'list',
        'huge:list',
        (lines: string[]) => {
          assert.equal(lines[0], '  0  item-0000');
          assert.equal(lines[999], '999  item-0999');
        },
      ],
      [
        'hash',
        'huge:hash',
        (lines: string[]) => {
          assert.match(lines[0] ?? '', /^field {6}value$/);
        },
      ],
      [
        'set',
        'huge:set',
        (lines: string[]) => {
          assert.deepEqual(lines, [...lines].sort());
        },
      ],
      [
        'zset',
        'huge:zset',
        (lines: string[]) => {
          assert.equal(lines[1], '  0      0  item-0000');
          assert.equal(lines[1000], '999    999  item-0999');
        },
      ],
    ] as const) {
      it(`a ${n}-element ${type} shows 1,000 and "500 more", then all after Load More`, async () => {
        const first = await show(client, key);
        const lines = body(first.text);
        const header = type === 'hash' || type === 'zset' ? 1 : 0;
        assert.equal(lines.length, 1000 + header);
        firstLines(lines);
        assert.equal(first.remaining, 500);
        assert.match(first.text, /^\/\/ length {4}1,500 \w+, 1,000 shown$/m);
        assert.match(first.text, /^\/\/ … 500 more not shown\. /m);
        assert.ok(first.moreLine !== undefined && first.text.split('\n')[first.moreLine]?.startsWith('// … 500 more'));
        const second = await show(client, key, 2);
        assert.equal(body(second.text).length, 1500 + header);
        assert.equal(second.remaining, 0);
        assert.equal(second.moreLine, undefined);
        assert.doesNotMatch(second.text, /more not shown/);
        if (type !== 'list' && type !== 'zset') {
          // Everything read: the members are exactly the set's.
          const values = body(second.text)
            .slice(header)
            .map((line) => line.split(/\s+/)[0]);
          assert.equal(new Set(values).size, 1500);
        }
      });
    }

    it(`a ${n}-entry stream shows 1,000 entries and "500 more", then all after Load More`, async () => {
      const first = await show(client, 'huge:stream');
      const ids = body(first.text).filter((line) => !line.startsWith(' '));
      assert.equal(ids.length, 1000);
      assert.equal(ids[999], '1000-0');
      assert.match(first.text, /^\/\/ … 500 more not shown\./m);
      const second = await show(client, 'huge:stream', 2);
      const all = body(second.text).filter((line) => !line.startsWith(' '));
      assert.equal(all.length, 1500);
      assert.equal(new Set(all).size, 1500);
      assert.equal(all[1499], '1500-0');
    });

    it('a 1.5 MB string shows the first 1 MB and says how much is left, then all', async () => {
      const first = await show(client, 'huge:string');
      assert.equal(first.remaining, 512 * 1024);
      assert.match(first.text, /^\/\/ length {4}1,572,864 bytes, the first 1\.0 MiB shown$/m);
      assert.match(first.text, /^\/\/ … 512\.0 KiB more \(524,288 bytes\) not shown\./m);
      assert.equal(body(first.text).join('').length, 1024 * 1024);
      const second = await show(client, 'huge:string', 2);
      assert.equal(second.remaining, 0);
      assert.equal(body(second.text).join('').length, 1.5 * 1024 * 1024);
    });

    it('reads a collection of large elements a few MB at a time, not 1,000 of them in one reply the shared Redis must buffer', async () => {
      // 200 elements of 100 KB: 20 MB that one HSCAN or LRANGE of 1,000 would send at once.
      const blob = (i: number): string => `${String(i).padStart(4, '0')}${'b'.repeat(100_000)}`;
      const pipeline = client.pipeline();
      for (let i = 0; i < 200; i++) {
        pipeline.hset('huge:blobs:hash', `f${i}`, blob(i));
        pipeline.rpush('huge:blobs:list', blob(i));
      }
      await pipeline.exec();
      const sent = async (): Promise<number> =>
        Number(/total_net_output_bytes:(\d+)/.exec(await client.info('stats'))?.[1] ?? NaN);
      for (const key of ['huge:blobs:hash', 'huge:blobs:list']) {
        const before = await sent();
        const first = await readKeyValue(client, Buffer.from(key));
        const transferred = (await sent()) - before;
        assert.ok(transferred < 8 * 1024 * 1024, `${key}: ${transferred} bytes sent for the first page`);
        const shown = shownCount(first);
        assert.ok(shown > 0 && shown < 200, `${key}: ${shown} shown`);
        assert.match(renderKeyValue(first).text, new RegExp(`^// … ${200 - shown} more not shown\\. `, 'm'));
        const reason = renderEditable(first).readOnlyReason ?? '';
        assert.doesNotMatch(reason, /more than 1,000/, 'it has 200 elements');
        // Load More reads on until everything is shown.
        let pages = 1;
        let value = first;
        while (shownCount(value) < 200 && pages < 100) {
          value = await readKeyValue(client, Buffer.from(key), { pages: ++pages });
        }
        assert.equal(shownCount(value), 200, key);
      }
    });

    it('never asks one command for more than a page', async () => {
      const seen: string[] = [];
      const spy = async (...args: unknown[]) => {
        seen.push(args.map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a))).join(' '));
        return (client.callBuffer as (...a: unknown[]) => Promise<unknown>)(...args);
      };
      const proxy = new Proxy(client, {
        get: (target, name, receiver) => (name === 'callBuffer' ? spy : Reflect.get(target, name, receiver)),
      });
      await readKeyValue(proxy, Buffer.from('huge:set'), { pages: 2 });
      await readKeyValue(proxy, Buffer.from('huge:stream'), { pages: 2 });
      assert.ok(seen.some((c) => c.startsWith('SSCAN huge:set')));
      for (const command of seen) assert.match(command, /COUNT 1000$/);
    });
  });

  it('says a key that expired while open is gone when read again', async () => {
    await client.set('auth:session:42', 'x');
    const before = await show(client, 'auth:session:42');
    assert.match(before.text, /^x$/m);
    // It expires after it was shown (no time window a busy machine could miss).
    await client.pexpire('auth:session:42', 1);
    await eventually('the key expired', async () => (await client.exists('auth:session:42')) === 0, {
      intervalMs: 5,
    });
    const after = await show(client, 'auth:session:42');
    assert.equal(after.text, 'auth:session:42 no longer exists (deleted or expired).\n');
    assert.equal((await show(client, 'never:was')).text, 'never:was no longer exists (deleted or expired).\n');
  });

  it('says a string key that expires between TYPE and the read of its value is gone, not an empty string', async () => {
    /**
     * Expires the key for real (PEXPIRE 1 on the real server, then waits until the server says it is
     * gone) right before `method` sends its command, so that the real STRLEN or GETRANGE reaches a server
     * where the key has just expired. A wrapper on that one method because no real timing does it
     * reliably: the header is one pipelined round trip and STRLEN follows within microseconds, and a
     * server slowed from outside (DEBUG SLEEP, SIGSTOP) cannot be put between the two for sure.
     */
    const expiringBefore = (method: 'call' | 'getrangeBuffer', key: string): Redis =>
      new Proxy(client, {
        get: (target, name, receiver) =>
          name === method
            ? async (...args: unknown[]) => {
                await target.pexpire(key, 1);
                await eventually('the key expired', async () => (await target.exists(key)) === 0, { intervalMs: 5 });
                return (Reflect.get(target, method, receiver) as (...a: unknown[]) => Promise<unknown>).apply(
                  target,
                  args,
                );
              }
            : Reflect.get(target, name, receiver),
      });
    await client.set('auth:vanishing:1', 'was here');
    const beforeLength = await readKeyValue(
      expiringBefore('call', 'auth:vanishing:1'),
      Buffer.from('auth:vanishing:1'),
    );
    assert.equal(renderKeyValue(beforeLength).text, 'auth:vanishing:1 no longer exists (deleted or expired).\n');
    await client.set('auth:vanishing:2', 'was here');
    const beforeValue = await readKeyValue(
      expiringBefore('getrangeBuffer', 'auth:vanishing:2'),
      Buffer.from('auth:vanishing:2'),
    );
    assert.equal(renderKeyValue(beforeValue).text, 'auth:vanishing:2 no longer exists (deleted or expired).\n');
    // A string that really is empty still shows as one.
    await client.set('auth:vanishing:empty', '');
    assert.match((await show(client, 'auth:vanishing:empty')).text, /^\/\/ \(empty string\)$/m);
  });

  it('shows an empty string to a user refused EXISTS (an ACL that allows reading strings), as it did before the EXISTS check', async () => {
    await client.set('auth:viewer:empty', '');
    await client.call(
      'ACL',
      'SETUSER',
      'string-viewer',
      'reset',
      'on',
      '>viewer-secret',
      '~auth:*',
      '+type',
      '+pttl',
      '+strlen',
      '+getrange',
      '+get',
    );
    const viewer = server.keep(
      new Redis({
        host: server.host,
        port: server.port,
        username: 'string-viewer',
        password: 'viewer-secret',
        enableReadyCheck: false,
      }),
    );
    try {
      await assert.rejects(viewer.exists('auth:viewer:empty'), /NOPERM/);
      assert.match(
        renderKeyValue(await readKeyValue(viewer, Buffer.from('auth:viewer:empty'))).text,
        /^\/\/ \(empty string\)$/m,
      );
    } finally {
      await client.call('ACL', 'DELUSER', 'string-viewer');
    }
  });

  it('gives one clear message when the type changes mid-read (WRONGTYPE)', async () => {
    await client.hset('shifty', 'a', '1');
    // Replace the hash by a string right after the header was read.
    const proxy = new Proxy(client, {
      get: (target, name, receiver) =>
        name === 'callBuffer'
          ? async (...args: unknown[]) => {
              await target.del('shifty');
              await target.set('shifty', 'now a string');
              return (target.callBuffer as (...a: unknown[]) => Promise<unknown>)(...args);
            }
          : Reflect.get(target, name, receiver),
    });
    const error = await readKeyValue(proxy, Buffer.from('shifty')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof KeyTypeChangedError);
    assert.equal(
      describeReadFailure(Buffer.from('shifty'), error),
      'shifty changed type while it was read (it was a hash). Refresh to read it again.\n',
    );
    // Read again, it shows what it is now.
    assert.match((await show(client, 'shifty')).text, /^now a string$/m);
  });

  it('gives one clear message without the password (NOAUTH)', async () => {
    const locked = await startRedisServer({ password: 's3cret-pw' });
    try {
      // Connected without a password (no ready check, which would fail first): every command gets NOAUTH.
      const noAuth = new Redis({
        host: locked.host,
        port: locked.port,
        lazyConnect: true,
        enableReadyCheck: false,
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      noAuth.on('error', () => undefined);
      await noAuth.connect();
      try {
        const error = await readKeyValue(noAuth, Buffer.from('k'), { endpoint: endpointOf(locked) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(error instanceof RedisConnectionError, String(error));
        assert.equal(error.kind, 'auth-failed');
        const message = describeReadFailure(Buffer.from('k'), error);
        assert.equal(
          message,
          `Could not read k: Redis at 127.0.0.1:${locked.port} requires a password and none was given. Set the password with "Shared Redis: Set Password", or check REDIS_PASSWORD in the stack's .env.\n`,
        );
        assert.doesNotMatch(message, /s3cret-pw/);
      } finally {
        noAuth.disconnect();
      }
    } finally {
      await locked.stop();
    }
  });

  it('gives one clear message when the connection drops (server stopped)', async () => {
    const doomed = await startRedisServer();
    const c = await clientOf(doomed);
    try {
      await c.hset('h', 'f', 'v');
      await doomed.stop();
      const error = await readKeyValue(c, Buffer.from('h'), { endpoint: endpointOf(doomed) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RedisConnectionError, String(error));
      assert.equal(error.kind, 'unreachable');
      assert.match(
        describeReadFailure(Buffer.from('h'), error),
        new RegExp(
          `^Could not read h: Redis at 127\\.0\\.0\\.1:${doomed.port} is unreachable \\(.+\\)\\. Start the shared Redis stack, or check the sharedRedis\\.host and sharedRedis\\.port settings\\.\\n$`,
        ),
      );
    } finally {
      c.disconnect();
    }
  });
});
