import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { TransferResult } from '../../../src/commands/keys/transfer';
import { keyContents } from '../../support/keyContents';
import { suiteConfig } from './config';
import { api } from './extensionApi';

const KEYS = 100_000;
const TYPES = ['string', 'binary', 'hash', 'list', 'set', 'zset', 'stream'] as const;

function run(command: string, ...args: unknown[]): Thenable<TransferResult> {
  return vscode.commands.executeCommand<TransferResult>(command, ...args);
}

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');

describe('export and import of a namespace', function () {
  this.timeout(300_000);
  let redis: Redis;
  let dir: string;

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-transfer-'));
  });
  after(async () => {
    for (const prefix of ['xfer:', 'xfercopy:', 'xferro:']) await unlinkUnder(prefix);
    await config().update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  async function unlinkUnder(prefix: string): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
  }

  /** Key i of the test: every type in turn, binary names and values on some, a TTL on every other key. */
  function keyName(prefix: string, i: number): Buffer {
    const name = Buffer.from(`${prefix}${TYPES[i % TYPES.length]}:${i}`);
    return i % 10 === 3 ? Buffer.concat([name, Buffer.from([0xff, 0x00])]) : name;
  }

  async function fill(): Promise<void> {
    for (let start = 0; start < KEYS; start += 5000) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(KEYS, start + 5000); i++) {
        const key = keyName('xfer:', i);
        switch (TYPES[i % TYPES.length]) {
          case 'string':
            pipeline.set(key, `value ${i} ☕`);
            break;
          case 'binary':
            pipeline.set(key, Buffer.from([i & 0xff, 0xff, 0x00, 0xc3, 0x28]));
            break;
          case 'hash':
            pipeline.hset(key, 'name', `user ${i}`, Buffer.from([0xfe]), Buffer.from([i & 0xff]));
            break;
          case 'list':
            pipeline.rpush(key, 'a', `${i}`, 'a');
            break;
          case 'set':
            pipeline.sadd(key, 'x', `${i}`, Buffer.from([0x80]));
            break;
          case 'zset':
            pipeline.zadd(key, '1.5', 'one', `${i}`, 'n', '-inf', 'low');
            break;
          default:
            pipeline.xadd(key, '1-1', 'f', `${i}`);
            pipeline.xadd(key, '2-1', Buffer.from([0xff]), 'v');
            if (i % 70 === 6) pipeline.xgroup('CREATE', key, 'workers', '0');
        }
        if (i % 2 === 0) pipeline.pexpire(key, 3_600_000 + i);
      }
      await pipeline.exec();
    }
  }

  it(`round-trips ${KEYS.toLocaleString('en-US')} keys of every type with TTLs, byte for byte, into another namespace`, async () => {
    await api();
    await fill();
    const file = join(dir, 'xfer.redis.jsonl');
    const exported = await run('sharedRedis.exportNamespace', 'xfer', file);
    assert.equal(exported.outcome, 'done', exported.message);
    assert.equal(exported.exported?.keys, KEYS);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8').slice(0, 400).split('\n')[0] as string).prefix, 'xfer:');

    const imported = await run('sharedRedis.importNamespace', file, 'xfercopy', 'Import');
    assert.equal(imported.outcome, 'done', imported.message);
    assert.equal(imported.plan?.toCreate, KEYS);
    assert.equal(imported.imported?.created, KEYS, imported.message);

    // Small values keep their compact encodings, so most copies' DUMP payloads equal the originals'.
    for (let start = 0; start < KEYS; start += 1000) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(KEYS, start + 1000); i++) {
        pipeline.dumpBuffer(keyName('xfer:', i));
        pipeline.dumpBuffer(keyName('xfercopy:', i));
        pipeline.pttl(keyName('xfercopy:', i));
      }
      const replies = (await pipeline.exec()) ?? [];
      for (let i = start; i < Math.min(KEYS, start + 1000); i++) {
        const at = 3 * (i - start);
        const [original, copy, ttl] = [replies[at]?.[1], replies[at + 1]?.[1], Number(replies[at + 2]?.[1])];
        assert.ok(Buffer.isBuffer(copy) && Buffer.isBuffer(original), `key ${i} is missing`);
        // A set RESTORE rebuilds as a hash table may list its members in another order: then its contents decide.
        if (!copy.equals(original)) {
          assert.equal(
            await keyContents(redis, keyName('xfercopy:', i)),
            await keyContents(redis, keyName('xfer:', i)),
            `key ${i} differs`,
          );
        }
        if (i % 2 === 0) assert.ok(ttl > 3_000_000 && ttl <= 3_600_000 + i, `key ${i}: TTL ${ttl}`);
        else assert.equal(ttl, -1, `key ${i} got a TTL`);
      }
    }

    // Again: every key exists now, nothing is overwritten.
    await redis.set(keyName('xfercopy:', 0), 'changed since');
    const again = await run('sharedRedis.importNamespace', file, 'xfercopy', 'Import');
    assert.equal(again.outcome, 'unchanged', again.message);
    assert.equal(again.plan?.existing, KEYS);
    assert.equal(await redis.get(keyName('xfercopy:', 0)), 'changed since');
  });

  it('imports a hand-written file and says what it did, not that the server refused payloads the file never had', async () => {
    const file = join(dir, 'seed.redis.jsonl');
    writeFileSync(
      file,
      [
        '{"format":"shared-redis-export","version":1,"prefix":"xferseed:","delimiter":":"}',
        '{"key":"xferseed:user:1","type":"hash","ttlMs":null,"value":{"name":"Ada"}}',
        '{"key":"xferseed:flags","type":"set","ttlMs":null,"value":["beta","dark"]}',
        '{"end":true,"keys":2}',
        '',
      ].join('\n'),
    );
    try {
      const result = await run('sharedRedis.importNamespace', file, 'xferseed', 'Import');
      assert.equal(result.outcome, 'done', result.message);
      assert.equal(result.imported?.created, 2, result.message);
      assert.deepEqual(await redis.hgetall('xferseed:user:1'), { name: 'Ada' });
      assert.doesNotMatch(result.message, /refused|DUMP/, result.message);
    } finally {
      await unlinkUnder('xferseed:');
    }
  });

  it('refuses an import under readOnly and changes nothing', async () => {
    const file = join(dir, 'xfer.redis.jsonl');
    await config().update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const result = await run('sharedRedis.importNamespace', file, 'xferro', 'Import');
      assert.equal(result.outcome, 'refused', result.message);
      assert.match(result.message, /read-only/);
      const [, keys] = await redis.scan('0', 'MATCH', 'xferro:*', 'COUNT', 1_000_000);
      assert.deepEqual(keys, []);
      // Export only reads: allowed under readOnly.
      const exported = await run('sharedRedis.exportNamespace', 'xfer:string', join(dir, 'ro.jsonl'));
      assert.equal(exported.outcome, 'done', exported.message);
    } finally {
      await config().update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('refuses a target prefix that still holds the stand-in for a file prefix that is not UTF-8, importing nothing', async () => {
    await api();
    const prefix = Buffer.from('caf\xe9:', 'latin1');
    const key = Buffer.concat([prefix, Buffer.from('1')]);
    const file = join(dir, 'cafe.redis.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({
          format: 'shared-redis-export',
          version: 1,
          prefix: { base64: prefix.toString('base64') },
          delimiter: ':',
        }),
        JSON.stringify({ key: { base64: key.toString('base64') }, type: 'string', ttlMs: null, value: 'v' }),
        JSON.stringify({ end: true, keys: 1 }),
        '',
      ].join('\n'),
    );
    // The box offers the file's prefix as text, "caf\uFFFD"; the person presses Enter.
    const original = vscode.window.showInputBox;
    Object.assign(vscode.window, {
      showInputBox: (options?: vscode.InputBoxOptions) => Promise.resolve(options?.value),
    });
    try {
      const result = await run('sharedRedis.importNamespace', file, undefined, 'Import');
      assert.equal(result.outcome, 'invalid', result.message);
      assert.match(result.message, /not UTF-8/);
      const [, written] = await redis.scanBuffer('0', 'MATCH', 'caf*', 'COUNT', 1000);
      assert.deepEqual(written, []);
    } finally {
      Object.assign(vscode.window, { showInputBox: original });
      await unlinkUnder('caf');
    }
  });
});
