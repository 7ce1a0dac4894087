import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { ChainableCommander } from 'ioredis';
import {
  ImportFileChangedError,
  exportNamespace,
  importNamespace,
  planImport,
  readExportHeader,
} from '../../../../src/redis/transfer';
import { serviceRules } from '../../../../src/redis/acl/rules';
import { keyContents } from '../../../support/keyContents';
import { useRedisServer } from '../../../support/useRedisServer';

const COLON = Buffer.from(':');

/** The user the extension gives the auth service (Stack Users: +@all -@dangerous on its namespace), password service-secret. */
async function addAuthServiceUser(client: Redis): Promise<void> {
  await client.call(
    'ACL',
    'SETUSER',
    'auth-service',
    'reset',
    'on',
    '>service-secret',
    ...serviceRules('auth', ':').split(' '),
  );
}

describe('export and import of a namespace against a real redis-server', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let client: Redis;
  let dir: string;

  before(async () => {
    client = await server.connect();
  });
  beforeEach(async () => {
    await client.flushdb(); // this test's own server
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-transfer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const binaryKey = Buffer.from([0x61, 0x75, 0x74, 0x68, 0x3a, 0xff, 0x00, 0xfe, 0x0a]); // auth:\xff\x00\xfe\n
  const binaryValue = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3, 0x28]);

  /** One key of every type under `auth:`, some with TTLs, binary names and values, a stream with a consumer group. */
  async function fillEveryType(): Promise<void> {
    await client.set('auth:token', 'abc', 'PX', 600_000);
    await client.set('auth:json', '{"a":1,"b":[true,null]}');
    await client.set(binaryKey, binaryValue, 'PX', 900_000);
    await client.set('auth:text:emoji', 'café ☕ 😀 \u2028 "quoted" \\ end');
    await client.hset('auth:session:1', { user: 'ada', role: 'admin', __proto__: 'x' });
    await client.pexpire('auth:session:1', 300_000);
    await client.hset('auth:session:bin', Buffer.from([0xff, 0x01]), binaryValue);
    await client.rpush('auth:list', 'a', 'b', Buffer.from([0xfe]), 'a');
    await client.sadd('auth:set', 'x', 'y', Buffer.from([0x80]));
    await client.zadd('auth:zset', '1.5', 'one', '-inf', 'low', '+inf', 'high', '0.1', 'tenth');
    await client.xadd('auth:stream', '1-1', 'f', 'v', 'f', 'w');
    await client.xadd('auth:stream', '2-0', Buffer.from([0xff]), binaryValue);
    await client.xgroup('CREATE', 'auth:stream', 'workers', '0');
    await client.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', '1', 'STREAMS', 'auth:stream', '>');
  }

  async function namesUnder(prefix: string): Promise<Buffer[]> {
    const names: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next.toString();
      names.push(...keys);
    } while (cursor !== '0');
    return names.sort(Buffer.compare);
  }

  it('round-trips every type byte for byte into another prefix, with TTLs and a consumer group', async () => {
    await fillEveryType();
    const file = join(dir, 'auth.redis.jsonl');
    const exported = await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    assert.equal(exported.cancelled, false);
    assert.equal(exported.keys, 10);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['auth.redis.jsonl'], 'no temporary file is left');

    const plan = await planImport(client, file, Buffer.from('copy:'));
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    assert.equal(plan.toCreate, 10);
    assert.equal(plan.withTtl, 3);
    const result = await importNamespace(client, plan);
    assert.equal(result.created, 10);
    assert.equal(result.fromReadableValue, 0);

    const sources = await namesUnder('auth:');
    assert.equal(sources.length, 10);
    for (const source of sources) {
      const target = Buffer.concat([Buffer.from('copy:'), source.subarray(5)]);
      assert.equal(await keyContents(client, target), await keyContents(client, source), source.toString('latin1'));
      const [sourceTtl, targetTtl] = [await client.pttl(source), await client.pttl(target)];
      if (sourceTtl < 0) assert.equal(targetTtl, -1);
      else assert.ok(targetTtl > 0 && Math.abs(targetTtl - sourceTtl) < 5_000, `${sourceTtl} vs ${targetTtl}`);
    }
    assert.deepEqual(
      await client.getBuffer(Buffer.from([0x63, 0x6f, 0x70, 0x79, 0x3a, 0xff, 0x00, 0xfe, 0x0a])),
      binaryValue,
    );
    const groups = (await client.xinfo('GROUPS', 'copy:stream')) as unknown[][];
    assert.equal(groups.length, 1, 'the consumer group came along in the DUMP payload');
  });

  it('writes lines people can read: the header, text as text, bytes as base64', async () => {
    await fillEveryType();
    const file = join(dir, 'out.jsonl');
    await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines[0]?.['format'], 'shared-redis-export');
    assert.equal(lines[0]?.['prefix'], 'auth:');
    assert.match(String(lines[0]?.['server']), /^redis \d+\.\d+/);
    assert.deepEqual(lines[lines.length - 1], { end: true, keys: 10 });
    const byKey = new Map(lines.slice(1, -1).map((line) => [JSON.stringify(line['key']), line]));
    assert.deepEqual(byKey.get('"auth:session:1"')?.['value'], { user: 'ada', role: 'admin', __proto__: 'x' });
    assert.ok(Number(byKey.get('"auth:session:1"')?.['ttlMs']) > 200_000);
    assert.equal(byKey.get('"auth:json"')?.['value'], '{"a":1,"b":[true,null]}');
    assert.equal(byKey.get('"auth:json"')?.['ttlMs'], null);
    assert.deepEqual(byKey.get(JSON.stringify({ base64: binaryKey.toString('base64') }))?.['value'], {
      base64: binaryValue.toString('base64'),
    });
    assert.deepEqual(byKey.get('"auth:zset"')?.['value'], [
      ['low', '-inf'],
      ['tenth', 0.1],
      ['one', 1.5],
      ['high', 'inf'],
    ]);
    assert.deepEqual(byKey.get('"auth:stream"')?.['value'], [
      {
        id: '1-1',
        fields: [
          ['f', 'v'],
          ['f', 'w'],
        ],
      },
      { id: '2-0', fields: [[{ base64: '/w==' }, { base64: binaryValue.toString('base64') }]] },
    ]);
  });

  it('exports exactly the keys under the prefix: look-alikes and glob characters stay out', async () => {
    await client.set('auth:session:1', 'in');
    await client.set('auth:sessions:1', 'look-alike');
    await client.set('auth:session', 'the namespace name itself');
    await client.set('a*b:1', 'in');
    await client.set('axxb:1', 'matches the glob a*b: only');
    const file = join(dir, 'x.jsonl');
    const session = await exportNamespace(client, Buffer.from('auth:session:'), file, { delimiter: COLON });
    assert.equal(session.keys, 1);
    assert.match(readFileSync(file, 'utf8'), /"auth:session:1"/);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /sessions/);
    const glob = await exportNamespace(client, Buffer.from('a*b:'), file, { delimiter: COLON });
    assert.equal(glob.keys, 1);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /axxb/);
  });

  it('skips keys that exist in the target, counts them and leaves them as they were', async () => {
    await fillEveryType();
    const file = join(dir, 'auth.jsonl');
    await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    await client.set('copy:token', 'mine');
    await client.hset('copy:session:1', 'user', 'grace');
    const plan = await planImport(client, file, Buffer.from('copy:'));
    assert.equal(plan.existing, 2);
    assert.equal(plan.toCreate, 8);
    // Created by someone else between the dry run and the import: still never overwritten.
    await client.rpush('copy:list', 'theirs');
    const result = await importNamespace(client, plan);
    assert.equal(result.existing, 3);
    assert.equal(result.created, 7);
    assert.equal(await client.get('copy:token'), 'mine');
    assert.equal(await client.pttl('copy:token'), -1);
    assert.deepEqual(await client.hgetall('copy:session:1'), { user: 'grace' });
    assert.deepEqual(await client.lrange('copy:list', 0, -1), ['theirs']);
  });

  it('brings back a key named exactly like the namespace prefix ("auth:") after export, delete and import, also under another prefix', async () => {
    await client.set('auth:', 'the key named like its namespace', 'PX', 600_000);
    await client.set('auth:a', '1');
    const file = join(dir, 'auth.jsonl');
    assert.equal((await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON })).keys, 2);
    await client.unlink('auth:', 'auth:a');

    const plan = await planImport(client, file, undefined);
    assert.deepEqual(plan.check.invalid, []);
    assert.equal((await importNamespace(client, plan)).created, 2);
    assert.equal(await client.get('auth:'), 'the key named like its namespace');
    assert.ok((await client.pttl('auth:')) > 590_000);
    assert.equal(await client.get('auth:a'), '1');

    const copy = await planImport(client, file, Buffer.from('copy:'));
    assert.equal((await importNamespace(client, copy)).created, 2);
    assert.equal(await client.get('copy:'), 'the key named like its namespace');
    assert.equal(await client.get('copy:a'), '1');
  });

  /** A valid export of two keys, as text, to damage in the tests below. */
  async function validExport(): Promise<string[]> {
    await client.set('auth:a', '1');
    await client.set('auth:b', '2');
    const file = join(dir, 'valid.jsonl');
    await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    await client.flushdb();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    // SCAN's order is the server's: auth:a first, whatever it was.
    return [lines[0] as string, ...lines.slice(1, -1).sort(), lines[lines.length - 1] as string];
  }

  async function planOf(text: string) {
    const file = join(dir, 'edited.jsonl');
    writeFileSync(file, text);
    return { file, plan: await planImport(client, file, undefined) };
  }

  it('refuses a damaged or hand-edited file whole, naming the line and why, and writes nothing', async () => {
    const [header, a, b, end] = await validExport();
    const cases: [string, string, RegExp][] = [
      ['a trailing comma', [header, `${a},`, b, end].join('\n'), /^line 2: not valid JSON/],
      [
        'a key outside the prefix',
        [header, a, (b as string).replace('auth:b', 'user:b'), end].join('\n'),
        /^line 3: the key "user:b" is not under/,
      ],
      ['a duplicate key', [header, a, a, end].join('\n'), /^line 3: the key "auth:a" appears twice/],
      ['a cut file', [header, a, b].join('\n'), /^line 4: the file ends without its last line/],
      ['a count that disagrees', [header, a, end].join('\n'), /^line 3: the last line says 2 keys but the file has 1/],
      ['a file of another tool', '{"users":[1,2]}\n', /^line 1: not a Shared Redis export/],
      ['a 0-byte file', '', /^line 1: the file is empty/],
      [
        'a damaged payload base64',
        [header, (a as string).replace(/"dump":"/, '"dump":"!'), b, end].join('\n'),
        /^line 2: "dump" is not a base64/,
      ],
      [
        'a payload of another type',
        [header, (a as string).replace('"type":"string"', '"type":"hash"'), b, end].join('\n'),
        /^line 2: "dump" holds a string but "type" says hash/,
      ],
      [
        'a newer format',
        [(header as string).replace('"version":1', '"version":2'), a, b, end].join('\n'),
        /^line 1: written by a newer Shared Redis/,
      ],
    ];
    for (const [what, text, expected] of cases) {
      const { plan } = await planOf(text);
      assert.ok(plan.check.invalidCount > 0, what);
      const first = plan.check.invalid[0];
      assert.match(`line ${first?.line}: ${first?.reason}`, expected, what);
      await assert.rejects(importNamespace(client, plan), RangeError, what);
    }
    assert.equal(await client.dbsize(), 0, 'nothing was written');
    assert.equal(await readExportHeader(join(dir, 'edited.jsonl')).then((h) => typeof h), 'string');
  });

  it('writes from the readable value when the server refuses a payload, and keeps the TTL', async () => {
    await client.hset('auth:h', { a: '1', b: Buffer.from([0xff]) });
    await client.pexpire('auth:h', 400_000);
    await client.zadd('auth:z', '2.5', 'm');
    await client.xadd('auth:s', '5-1', 'k', 'v');
    const lines = (await validExportOf('auth:')).map((line) => {
      if (!line.includes('"dump"')) return line;
      // A payload whose checksum no longer matches gets the same refusal as one from a newer
      // Redis ("DUMP payload version or checksum are wrong"): a real server's real answer.
      const record = JSON.parse(line) as { dump: string };
      const dump = Buffer.from(record.dump, 'base64');
      dump[dump.length - 1] = (dump[dump.length - 1] as number) ^ 0xff;
      return JSON.stringify({ ...record, dump: dump.toString('base64') });
    });
    const { plan } = await planOf(lines.join('\n'));
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    const result = await importNamespace(client, plan);
    assert.equal(result.created, 3);
    assert.equal(result.fromReadableValue, 3);
    assert.deepEqual(await client.hgetallBuffer('auth:h'), { a: Buffer.from('1'), b: Buffer.from([0xff]) });
    assert.ok((await client.pttl('auth:h')) > 390_000);
    assert.equal(await client.pttl('auth:z'), -1);
    assert.deepEqual(await client.zrange('auth:z', 0, -1, 'WITHSCORES'), ['m', '2.5']);
    assert.deepEqual(await client.xrange('auth:s', '-', '+'), [['5-1', ['k', 'v']]]);
  });

  it('restores a hash whose only field is named "base64", as text or as bytes (its line reads like the bytes form)', async () => {
    await client.hset('auth:cfg', 'base64', 'hello');
    await client.hset('auth:cfgbin', 'base64', binaryValue);
    const { plan } = await planOf((await validExportOf('auth:')).join('\n'));
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    assert.equal((await importNamespace(client, plan)).created, 2);
    assert.deepEqual(await client.hgetall('auth:cfg'), { base64: 'hello' });
    assert.deepEqual(await client.hgetallBuffer('auth:cfgbin'), { base64: binaryValue });
  });

  async function validExportOf(prefix: string): Promise<string[]> {
    const file = join(dir, 'source.jsonl');
    await exportNamespace(client, Buffer.from(prefix), file, { delimiter: COLON });
    await client.flushdb();
    return readFileSync(file, 'utf8').trimEnd().split('\n');
  }

  it('imports a hand-written line without a payload', async () => {
    const text = [
      '{"format":"shared-redis-export","version":1,"prefix":"seed:","delimiter":":"}',
      '{"key":"seed:user:1","type":"hash","ttlMs":null,"value":{"name":"Ada"}}',
      '{"key":"seed:flags","type":"set","ttlMs":120000,"value":["beta","dark"]}',
      '{"end":true,"keys":2}',
      '',
    ].join('\n');
    const { plan } = await planOf(text);
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    const result = await importNamespace(client, plan);
    assert.equal(result.created, 2);
    assert.deepEqual(await client.hgetall('seed:user:1'), { name: 'Ada' });
    assert.deepEqual((await client.smembers('seed:flags')).sort(), ['beta', 'dark']);
    assert.ok((await client.pttl('seed:flags')) > 100_000);
  });

  /** A hand-written file of one `seed:` key line. */
  function seedFile(line: string): string {
    return [
      '{"format":"shared-redis-export","version":1,"prefix":"seed:","delimiter":":"}',
      line,
      '{"end":true,"keys":1}',
      '',
    ].join('\n');
  }

  it('refuses in the dry run a hand-written value Redis would refuse (stream ids, zset scores), naming the line', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'a stream id past 64 bits',
        '{"key":"seed:events","type":"stream","ttlMs":60000,"value":[{"id":"1-1","fields":[["a","1"]]},{"id":"18446744073709551616-0","fields":[["b","2"]]}]}',
        /^line 2: .*entry 2.*18446744073709551616-0/,
      ],
      [
        'a stream sequence past 64 bits',
        '{"key":"seed:events","type":"stream","ttlMs":null,"value":[{"id":"1-18446744073709551616","fields":[["a","1"]]}]}',
        /^line 2: .*entry 1.*1-18446744073709551616/,
      ],
      [
        'a first stream id 0-0',
        '{"key":"seed:events","type":"stream","ttlMs":null,"value":[{"id":"0-0","fields":[["a","1"]]},{"id":"5-1","fields":[["b","2"]]}]}',
        /^line 2: .*entry 1.*0-0/,
      ],
      [
        'stream ids that do not increase',
        '{"key":"seed:events","type":"stream","ttlMs":null,"value":[{"id":"5-1","fields":[["a","1"]]},{"id":"5-1","fields":[["b","2"]]}]}',
        /^line 2: .*entry 2.*5-1/,
      ],
      [
        'a zset score past the double range',
        '{"key":"seed:z","type":"zset","ttlMs":null,"value":[["m",1],["n",1e400]]}',
        /^line 2: .*item 2.*score/,
      ],
      [
        'a zset score so small it rounds to 0 (JSON reads it as 0; ZADD refuses it)',
        '{"key":"seed:z","type":"zset","ttlMs":null,"value":[["m",1],["tiny",1e-400]]}',
        /^line 2: .*item 2.*1e-400/,
      ],
    ];
    for (const [what, line, expected] of cases) {
      const { plan } = await planOf(seedFile(line));
      assert.equal(plan.check.invalidCount, 1, `${what}: the dry run accepted it`);
      const first = plan.check.invalid[0];
      assert.match(`line ${first?.line}: ${first?.reason}`, expected, what);
      await assert.rejects(importNamespace(client, plan), RangeError, what);
    }
    assert.equal(await client.dbsize(), 0, 'nothing was written');
  });

  it('keeps nothing of a hand-written key the server refuses halfway through writing, so a later import writes it', async () => {
    // A fake fault: once the dry run has checked the values, a real server refuses none of the
    // commands that write them (an ACL changed between queueing and EXEC would, but cannot be
    // timed). So the import's own connection gets one extra command the real server refuses at
    // EXEC (LPUSH on the hash being written: WRONGTYPE), after HSET has run.
    const file = seedFile('{"key":"seed:user:1","type":"hash","ttlMs":600000,"value":{"name":"Ada","role":"admin"}}');
    const faulty = await server.connect();
    try {
      refuseOneCommandAtExec(faulty);
      const { plan } = await planOf(file);
      assert.equal(plan.toCreate, 1);
      const result = await importNamespace(faulty, plan);
      assert.equal(result.created, 0);
      assert.equal(result.failed, 1);
      assert.match(result.failures[0]?.reason ?? '', /WRONGTYPE/);
      assert.equal(await client.exists('seed:user:1'), 0, 'no half-written key is left behind');
    } finally {
      faulty.disconnect();
    }
    const again = await importNamespace(client, (await planOf(file)).plan);
    assert.equal(again.created, 1, 'the next import writes it, instead of skipping it as existing');
    assert.deepEqual(await client.hgetall('seed:user:1'), { name: 'Ada', role: 'admin' });
    assert.ok((await client.pttl('seed:user:1')) > 590_000);
  });

  it('imports a file saved again by an editor that starts it with a byte order mark (Notepad, PowerShell), CRLF line ends too', async () => {
    const lines = await validExport();
    const { file, plan } = await planOf(`\ufeff${lines.join('\r\n')}\r\n`);
    assert.equal(typeof (await readExportHeader(file)), 'object', 'the header is read');
    assert.deepEqual(plan.check.invalid, []);
    assert.equal((await importNamespace(client, plan)).created, 2);
    assert.equal(await client.get('auth:b'), '2');
  });

  it('refuses to import a file changed since its dry run', async () => {
    const { file, plan } = await planOf((await validExport()).join('\n'));
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n\n`);
    await assert.rejects(importNamespace(client, plan), ImportFileChangedError);
    assert.equal(await client.dbsize(), 0);
  });

  it('round-trips a large text value cut inside surrogate pairs, and a large binary one', async () => {
    const text = '😀é'.repeat(200_000); // pieces of the line end in the middle of a pair
    const bytes = Buffer.alloc(3_000_001, 0xff);
    await client.set('big:text', text);
    await client.set('big:bytes', bytes);
    const file = join(dir, 'big.jsonl');
    await exportNamespace(client, Buffer.from('big:'), file, { delimiter: COLON });
    const plan = await planImport(client, file, Buffer.from('big2:'));
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    await importNamespace(client, plan);
    assert.equal(await client.get('big2:text'), text);
    assert.deepEqual(await client.getBuffer('big2:bytes'), bytes);
  });

  it('leaves no file and no temporary file when an export is cancelled', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 5000; i++) pipeline.set(`auth:k:${i}`, 'v');
    await pipeline.exec();
    const file = join(dir, 'cancelled.jsonl');
    const abort = new AbortController();
    const result = await exportNamespace(client, Buffer.from('auth:'), file, {
      delimiter: COLON,
      scanCount: 100,
      signal: abort.signal,
      onProgress: (exported) => exported > 500 && abort.abort(),
    });
    assert.equal(result.cancelled, true);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('removes the old hidden partial file of an interrupted export on the next export, and keeps a fresh one another export is writing', async () => {
    await client.set('auth:token', 'secret');
    const file = join(dir, 'auth.jsonl');
    const interrupted = join(dir, '.auth.jsonl.0123456789ab.tmp');
    const inProgress = join(dir, '.auth.jsonl.ba9876543210.tmp');
    const otherTarget = join(dir, '.user.jsonl.0123456789ab.tmp');
    for (const partial of [interrupted, inProgress, otherTarget]) {
      writeFileSync(partial, '{"format":"shared-redis-export"}\n{"key":"auth:token","value":"secret"}\n', {
        mode: 0o600,
      });
    }
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(interrupted, tenMinutesAgo, tenMinutesAgo);
    utimesSync(otherTarget, tenMinutesAgo, tenMinutesAgo);

    await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    assert.deepEqual(readdirSync(dir).sort(), [
      '.auth.jsonl.ba9876543210.tmp',
      '.user.jsonl.0123456789ab.tmp',
      'auth.jsonl',
    ]);
  });

  it("keeps another window's partial file, however long that export has written nothing (a sparse namespace), while its process lives", async () => {
    await client.set('auth:token', 'secret');
    const file = join(dir, 'auth.jsonl');
    // This process stands for the other window's extension host, alive; the other one has exited.
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    const alive = join(dir, `.auth.jsonl.${process.pid}-0123456789ab.tmp`);
    const crashed = join(dir, `.auth.jsonl.${ended}-ba9876543210.tmp`);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    for (const partial of [alive, crashed]) {
      writeFileSync(partial, '{"format":"shared-redis-export"}\n', { mode: 0o600 });
      utimesSync(partial, tenMinutesAgo, tenMinutesAgo);
    }

    await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    assert.deepEqual(readdirSync(dir).sort(), [`.auth.jsonl.${process.pid}-0123456789ab.tmp`, 'auth.jsonl']);
  });

  it("imports as a service user, who may write its namespace but not run RESTORE (a @dangerous command), from each line's readable value with its TTL", async () => {
    // The rules the extension gives its own service users (Stack Users): +@all -@dangerous.
    await addAuthServiceUser(client);
    const service = new Redis({
      host: server.host,
      port: server.port,
      username: 'auth-service',
      password: 'service-secret',
    });
    try {
      await client.set('auth:token', 'abc', 'PX', 600_000);
      await client.set(binaryKey, binaryValue);
      await client.hset('auth:session:1', { user: 'ada', role: 'admin' });
      await client.pexpire('auth:session:1', 300_000);
      await client.rpush('auth:list', 'a', 'b', Buffer.from([0xfe]));
      await client.sadd('auth:set', 'x', 'y');
      await client.zadd('auth:zset', '1.5', 'one', '-inf', 'low');
      await client.xadd('auth:stream', '1-1', 'f', 'v');
      const file = join(dir, 'auth.jsonl');
      assert.equal((await exportNamespace(service, Buffer.from('auth:'), file, { delimiter: COLON })).keys, 7);

      const plan = await planImport(service, file, Buffer.from('auth:copy:'));
      assert.equal(plan.toCreate, 7);
      const result = await importNamespace(service, plan);
      assert.deepEqual(result.failures, []);
      assert.equal(result.created, 7);
      assert.equal(result.fromReadableValue, 7);
      assert.equal(
        Reflect.get(result, 'restoreNotAllowed'),
        true,
        'the result says why the readable values were written',
      );
      for (const source of await namesUnder('auth:')) {
        if (source.subarray(0, 10).equals(Buffer.from('auth:copy:'))) continue;
        const target = Buffer.concat([Buffer.from('auth:copy:'), source.subarray(5)]);
        assert.equal(await keyContents(client, target), await keyContents(client, source), source.toString('latin1'));
        const [sourceTtl, targetTtl] = [await client.pttl(source), await client.pttl(target)];
        if (sourceTtl < 0) assert.equal(targetTtl, -1);
        else assert.ok(targetTtl > 0 && Math.abs(targetTtl - sourceTtl) < 5_000, `${sourceTtl} vs ${targetTtl}`);
      }
      // Still never over an existing key: a second import creates nothing and changes nothing.
      await client.set('auth:copy:token', 'changed since');
      const again = await importNamespace(service, await planImport(service, file, Buffer.from('auth:copy:')));
      assert.equal(again.created, 0);
      assert.equal(await client.get('auth:copy:token'), 'changed since');
    } finally {
      service.disconnect();
      await client.call('ACL', 'DELUSER', 'auth-service');
    }
  });

  it('replaces a symbolic link planted at the destination, never the file it points to (which keeps its content and mode)', async () => {
    await client.set('auth:token', 'secret');
    const elsewhere = mkdtempSync(join(tmpdir(), 'shared-redis-victim-'));
    try {
      const victim = join(elsewhere, '.env');
      writeFileSync(victim, 'REDIS_PASSWORD=kept\n', { mode: 0o644 });
      chmodSync(victim, 0o644);
      const file = join(dir, 'auth.redis.jsonl');
      symlinkSync(victim, file);
      await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
      assert.equal(readFileSync(victim, 'utf8'), 'REDIS_PASSWORD=kept\n', 'the file the link pointed to is untouched');
      assert.equal(statSync(victim).mode & 0o777, 0o644);
      assert.ok(lstatSync(file).isFile(), 'the export is a file of its own where the link was');
      assert.equal(lstatSync(file).mode & 0o777, 0o600);
      assert.match(readFileSync(file, 'utf8'), /"auth:token"/);
      assert.deepEqual(readdirSync(elsewhere), ['.env'], 'no temporary file beside the file the link pointed to');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('leaves the previous file and no temporary file when the disk fills up mid-export', async function () {
    // A real full disk: a 256 KiB tmpfs (the tests run as root, as the CI does).
    const small = join(dir, 'small');
    execFileSync('mkdir', [small]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    try {
      writeFileSync(join(small, 'auth.jsonl'), 'the previous export\n');
      const pipeline = client.pipeline();
      for (let i = 0; i < 200; i++) pipeline.set(`auth:k:${i}`, 'x'.repeat(10_000));
      await pipeline.exec();
      await assert.rejects(
        exportNamespace(client, Buffer.from('auth:'), join(small, 'auth.jsonl'), { delimiter: COLON, scanCount: 20 }),
        /ENOSPC/,
      );
      assert.deepEqual(readdirSync(small), ['auth.jsonl']);
      assert.equal(readFileSync(join(small, 'auth.jsonl'), 'utf8'), 'the previous export\n');
    } finally {
      execFileSync('umount', [small]);
    }
    assert.ok(!existsSync(join(small, 'auth.jsonl')));
  });
});

/**
 * Makes every MULTI of the connections `client.duplicate()` hands out carry one more command, an
 * LPUSH on the first key queued, which the server refuses at EXEC when that key is not a list.
 */
function refuseOneCommandAtExec(client: Redis): void {
  const duplicate = client.duplicate.bind(client);
  client.duplicate = (...args: Parameters<Redis['duplicate']>): Redis => {
    const connection = duplicate(...args);
    const multi = connection.multi.bind(connection) as () => ChainableCommander;
    connection.multi = ((): ChainableCommander => {
      const transaction = multi();
      let firstKey: Buffer | string | undefined;
      const callBuffer = transaction.callBuffer.bind(transaction);
      transaction.callBuffer = ((command: string, ...rest: (string | Buffer | number)[]) => {
        firstKey ??= rest[0] as Buffer | string;
        return callBuffer(command, ...rest);
      }) as typeof transaction.callBuffer;
      const exec = transaction.exec.bind(transaction);
      transaction.exec = (() => {
        if (firstKey !== undefined) transaction.call('LPUSH', firstKey, 'refused');
        return exec();
      }) as typeof transaction.exec;
      return transaction;
    }) as typeof connection.multi;
    return connection;
  };
}

describe('an import into a read-only replica', function () {
  this.timeout(30_000);
  const source = useRedisServer();
  // A replica of a master that is not there: still read-only, and its reads still answered.
  const replica = useRedisServer({ extraArgs: ['--replicaof', '127.0.0.1', '1'] });

  it('stops at the first READONLY, naming the reason and what to do, instead of sending every batch to be refused', async () => {
    const client = await source.connect();
    const pipeline = client.pipeline();
    for (let i = 0; i < 30; i++) pipeline.set(`auth:k:${i}`, String(i));
    await pipeline.exec();
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-transfer-ro-'));
    try {
      const file = join(dir, 'auth.jsonl');
      await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
      const target = await replica.connect();
      // The dry run ran while the target still took writes (an empty database): demoted since.
      const plan = await planImport(await source.connect(1), file, undefined);
      assert.equal(plan.toCreate, 30);
      await assert.rejects(importNamespace(target, plan, { batchSize: 10 }), /READONLY .*connect to its master/);
      const stats = await target.info('commandstats');
      const restores = Number(/cmdstat_restore:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      assert.ok(restores <= 10, `${restores} RESTOREs sent: the batches after the first are not sent`);
      assert.equal(await target.dbsize(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says in the dry run that the target is a read-only replica, naming it and its master, and offers nothing to import', async () => {
    const client = await source.connect();
    await client.set('auth:only', 'v');
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-transfer-ro-'));
    try {
      const file = join(dir, 'auth.jsonl');
      await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
      const target = await replica.connect();
      await assert.rejects(planImport(target, file, undefined), (error: Error) => {
        assert.equal(
          error.message,
          `Nothing was imported: the Redis at 127.0.0.1:${replica.port} is a read-only replica (of 127.0.0.1:1) and refuses every write. Import into its master, or into a Redis that is not a replica.`,
        );
        return true;
      });
      assert.equal(await target.dbsize(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an import into a writable replica (replica-read-only no) as a user refused CONFIG', function () {
  this.timeout(30_000);
  const source = useRedisServer();
  // A replica of a master that is not there, that takes writes: INFO replication says slave_read_only:0.
  const replica = useRedisServer({ extraArgs: ['--replicaof', '127.0.0.1', '1', '--replica-read-only', 'no'] });

  it("plans and imports as the extension's own service user (INFO allowed, CONFIG not), not refused as a read-only replica", async () => {
    const client = await source.connect();
    await client.set('auth:only', 'v');
    const admin = await replica.connect();
    await addAuthServiceUser(admin);
    const service = replica.keep(
      new Redis({ host: replica.host, port: replica.port, username: 'auth-service', password: 'service-secret' }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-transfer-rw-'));
    try {
      const file = join(dir, 'auth.jsonl');
      await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
      await assert.rejects(service.config('GET', 'replica-read-only'), /NOPERM/);
      const plan = await planImport(service, file, Buffer.from('auth:copy:'));
      assert.equal(plan.toCreate, 1);
      const result = await importNamespace(service, plan);
      assert.equal(result.created, 1);
      assert.equal(await admin.get('auth:copy:only'), 'v');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
