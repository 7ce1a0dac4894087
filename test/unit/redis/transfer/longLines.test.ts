import * as assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { exportNamespace, importNamespace, planImport, readExportHeader } from '../../../../src/redis/transfer';
import { useRedisServer } from '../../../support/useRedisServer';

const COLON = Buffer.from(':');
/** The longest string the JavaScript engine makes (about 512 MiB): a longer line cannot be one string. */
const LONGEST = constants.MAX_STRING_LENGTH;

/** Fails the test when `promise` has not settled after `ms` (a hang is the defect these tests look for). */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `count` bytes of text that does not compress (so a DUMP payload is as large as the value). */
function randomText(count: number): Buffer {
  return Buffer.from(
    randomBytes(Math.ceil((count * 3) / 4))
      .toString('base64')
      .slice(0, count),
    'latin1',
  );
}

describe('export files with lines longer than a JavaScript string can be', function () {
  this.timeout(240_000);
  const server = useRedisServer();
  let client: Redis;
  let dir: string;

  before(async () => {
    client = await server.connect();
  });
  beforeEach(async () => {
    await client.flushdb(); // this test's own server
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-long-lines-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file with the header, one key line of `valueChars` characters of value, and the last line. */
  function fileWithLongLine(valueChars: number): string {
    const file = join(dir, 'long.jsonl');
    const fd = openSync(file, 'w', 0o600);
    try {
      const header = { format: 'shared-redis-export', version: 1, prefix: 'auth:', delimiter: ':' };
      writeSync(
        fd,
        `${JSON.stringify({ ...header, exportedAt: '2026-12-01T00:00:00.000Z', server: 'redis 7.0.15' })}\n`,
      );
      writeSync(fd, '{"key":"auth:big","type":"string","ttlMs":null,"value":"');
      const piece = 'a'.repeat(64 * 1024 * 1024);
      for (let left = valueChars; left > 0; left -= piece.length) writeSync(fd, piece.slice(0, left));
      writeSync(fd, '","dump":null}\n{"end":true,"keys":1}\n');
    } finally {
      closeSync(fd);
    }
    return file;
  }

  it('says which line is too long to read, instead of a dry run that never ends', async () => {
    const file = fileWithLongLine(LONGEST + 1);
    const plan = await within(120_000, planImport(client, file, undefined), 'the dry run');
    assert.equal(plan.check.invalidCount, 1, JSON.stringify(plan.check.invalid));
    assert.equal(plan.check.invalid[0]?.line, 2);
    assert.match(plan.check.invalid[0]?.reason ?? '', /too long/);
    assert.equal(await client.dbsize(), 0);
  });

  it('says a file that is one endless line is not an export, instead of never answering', async () => {
    const file = join(dir, 'one-line.json');
    const fd = openSync(file, 'w', 0o600);
    const piece = ' '.repeat(64 * 1024 * 1024);
    for (let left = LONGEST + 1; left > 0; left -= piece.length) writeSync(fd, piece.slice(0, left));
    writeSync(fd, '[]');
    closeSync(fd);
    const header = await within(120_000, readExportHeader(file), 'reading the header');
    assert.equal(typeof header, 'string');
    assert.match(header as string, /too long/);
  });

  it('exports a value too large to be read with its readable form as its DUMP payload alone, and imports it back', async () => {
    // Text: the readable value is as long as the value, and the payload's base64 a third longer.
    const value = randomText(260 * 1024 * 1024);
    await client.set('auth:big', value, 'PX', 3_600_000);
    await client.set('auth:small', 'kept as it was');
    const file = join(dir, 'auth.jsonl');
    const exported = await exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON });
    assert.equal(exported.keys, 2);
    assert.equal(exported.withoutReadableValue, 1);

    const plan = await within(120_000, planImport(client, file, Buffer.from('copy:')), 'the dry run');
    assert.equal(plan.check.invalidCount, 0, JSON.stringify(plan.check.invalid));
    const result = await importNamespace(client, plan);
    assert.equal(result.created, 2);
    assert.ok((await client.getBuffer('copy:big'))?.equals(value), 'the value came back byte for byte');
    assert.equal(await client.get('copy:small'), 'kept as it was');
    const ttl = await client.pttl('copy:big');
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `TTL ${ttl}`);
  });

  it('refuses to export a value whose payload alone is too large for a line, naming the key and leaving no file', async () => {
    // Bytes that are not UTF-8: base64 in the file, so the payload alone is a third longer than the value.
    const value = randomBytes(420 * 1024 * 1024);
    await client.set('auth:huge', value);
    const file = join(dir, 'auth.jsonl');
    await assert.rejects(
      exportNamespace(client, Buffer.from('auth:'), file, { delimiter: COLON }),
      (error: Error) => /auth:huge/.test(error.message) && /too large/.test(error.message),
    );
    assert.deepEqual(readdirSync(dir), [], 'no file and no temporary file');
  });
});
