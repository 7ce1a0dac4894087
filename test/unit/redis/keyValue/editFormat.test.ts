import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { EditFormatError, parseEdited, renderEditable, documentType } from '../../../../src/redis/keyValue/editFormat';
import { compactJson, JsonSyntaxError, prettyJson } from '../../../../src/redis/keyValue/jsonLayout';
import { KeyValue, readKeyValue } from '../../../../src/redis/keyValue/read';
import { planSave } from '../../../../src/redis/keyValue/save';
import { useRedisServer } from '../../../support/useRedisServer';

/** Elements a naive line format would break: separators, quotes, newlines, spaces, emoji, empty. */
const ODD = [
  '',
  ' leading and trailing ',
  'a: b',
  '"quoted": "yes"',
  'line one\nline two',
  'windows\r\nline',
  'tab\there',
  'back\\slash',
  '😀 emoji',
  '\u2028 line separator',
  '// not a comment',
  '*',
  'null',
];

/** The document's body lines (after the header's empty line). */
const bodyOf = (text: string): string => text.slice(text.indexOf('\n\n') + 2);
const headerOf = (text: string): string => text.slice(0, text.indexOf('\n\n') + 2);

describe('the editable document of a key (format, parse, plan) against a real redis-server', function () {
  this.timeout(60_000);
  const server = useRedisServer();
  let client: Redis;
  before(async () => {
    client = await server.connect();
  });

  const read = (key: string): Promise<KeyValue> => readKeyValue(client, Buffer.from(key));

  /** The document as rendered, parsed back unchanged, plans no command: the format loses nothing. */
  async function assertRoundTrip(key: string): Promise<string> {
    const value = await read(key);
    const doc = renderEditable(value);
    assert.equal(doc.readOnlyReason, undefined, doc.text);
    const plan = planSave(Buffer.from(key), value, parseEdited(value, doc.text));
    assert.deepEqual(plan.commands, [], doc.text);
    return doc.text;
  }

  it('round-trips every type with odd elements exactly', async () => {
    await client.hset('rt:hash', Object.fromEntries(ODD.map((s, i) => [s, ODD[ODD.length - 1 - i] ?? ''])));
    await client.rpush('rt:list', ...ODD, ...ODD);
    await client.sadd('rt:set', ...ODD);
    await client.zadd('rt:zset', ...ODD.flatMap((s, i) => [String(i - 3.5), s]), 'inf', 'top');
    await client.xadd('rt:stream', '*', ...ODD.flatMap((s) => [s, s]));
    for (const key of ['rt:hash', 'rt:list', 'rt:set', 'rt:zset', 'rt:stream']) await assertRoundTrip(key);
    const list = bodyOf(await assertRoundTrip('rt:list')).split('\n');
    assert.equal(list[4], '"line one\\nline two"');
    assert.equal(list[9], '"\\u2028 line separator"');
    assert.equal(list[0], '""');
  });

  it('round-trips text strings exactly, with no newline added', async () => {
    for (const text of ['plain', 'ends with a newline\n', '', '  indented\n\n\ttab', '😀', '{not json']) {
      await client.set('rt:string', text);
      const doc = await assertRoundTrip('rt:string');
      assert.equal(bodyOf(doc), text);
    }
  });

  it('shows compact JSON indented and saves it compact, numbers and escapes exactly as they were', async () => {
    const stored = '{"id":12345678901234567890,"price":1.0,"name":"Caf\\u00e9","tags":[],"o":{},"nested":[{"a":null}]}';
    await client.set('rt:json', stored);
    const value = await read('rt:json');
    const doc = renderEditable(value);
    assert.equal(doc.language, 'jsonc');
    assert.ok(bodyOf(doc.text).startsWith('{\n  "id": 12345678901234567890,\n  "price": 1.0,'), doc.text);
    const edited = doc.text.replace('"name": "Caf\\u00e9"', '"name": "Ada"');
    const plan = planSave(Buffer.from('rt:json'), value, parseEdited(value, edited));
    assert.deepEqual(
      plan.commands.map((c) => c.map(String)),
      [['SET', 'rt:json', stored.replace('"Caf\\u00e9"', '"Ada"'), 'KEEPTTL']],
    );
  });

  it('keeps JSON written with its own layout as the user writes it', async () => {
    const stored = '{\n    "a": 1\n}\n';
    await client.set('rt:json2', stored);
    const value = await read('rt:json2');
    const doc = renderEditable(value);
    assert.equal(bodyOf(doc.text), stored);
    const plan = planSave(Buffer.from('rt:json2'), value, parseEdited(value, doc.text.replace('"a": 1', '"a": 2')));
    assert.equal(String(plan.commands[0]?.[2]), '{\n    "a": 2\n}\n');
  });

  it('refuses invalid JSON with its line and column, and nothing is planned', async () => {
    await client.set('rt:json3', '{"a":1,"b":[1,2]}');
    const value = await read('rt:json3');
    const doc = renderEditable(value);
    const broken = doc.text.replace('"b": [', '"b": [,');
    const line = broken.split('\n').findIndex((l) => l.includes('"b": [,')) + 1;
    assert.throws(
      () => parseEdited(value, broken),
      (error: unknown) =>
        error instanceof EditFormatError &&
        error.line === line &&
        /^Line \d+: not valid JSON at column 9: expected a value, found ","/.test(error.message),
    );
  });

  it('refuses a duplicate hash field, naming both lines', async () => {
    await client.hset('rt:dup', 'a', '1', 'b', '2');
    const value = await read('rt:dup');
    const doc = renderEditable(value);
    const text = `${doc.text}"a": "3"\n`;
    const last = text.split('\n').length - 1;
    assert.throws(
      () => parseEdited(value, text),
      (error: unknown) =>
        error instanceof EditFormatError &&
        error.line === last &&
        /the field "a" is also on line \d+/.test(error.reason),
    );
  });

  it('refuses a score that is not a number, naming the line', async () => {
    await client.zadd('rt:scores', 1, 'a', 2, 'b');
    const value = await read('rt:scores');
    const text = renderEditable(value).text.replace('"b": 2', '"b": two');
    assert.throws(
      () => parseEdited(value, text),
      (error: unknown) =>
        error instanceof EditFormatError &&
        error.line === text.split('\n').indexOf('"b": two') + 1 &&
        error.reason.startsWith('the score of "b" is "two", not a number'),
    );
  });

  it('refuses a line that is not a JSON string, an emptied collection and a removed header', async () => {
    await client.rpush('rt:bad', 'x');
    const value = await read('rt:bad');
    const doc = renderEditable(value).text;
    assert.throws(() => parseEdited(value, doc.replace('"x"', 'x')), /expected the element as a JSON string/);
    assert.throws(() => parseEdited(value, headerOf(doc)), /a list cannot be empty in Redis/);
    assert.throws(() => parseEdited(value, bodyOf(doc)), /starts with its header/);
  });

  it('plans only what changed: HSET of changed fields, HDEL of removed ones, adds before removals', async () => {
    await client.hset('rt:plan', 'keep', '1', 'change', '2', 'drop', '3');
    const value = await read('rt:plan');
    const text = renderEditable(value)
      .text.replace('"change": "2"', '"change": "two"')
      .replace('"drop": "3"\n', '"new": "4"\n');
    const plan = planSave(Buffer.from('rt:plan'), value, parseEdited(value, text));
    assert.deepEqual(
      plan.commands.map((c) => c.map(String)),
      [
        ['HSET', 'rt:plan', 'change', 'two', 'new', '4'],
        ['HDEL', 'rt:plan', 'drop'],
      ],
    );
  });

  it('plans LSET for a list of the same length, RPUSH or LTRIM at its end, and a rewrite otherwise', async () => {
    await client.rpush('rt:plist', 'a', 'b', 'c');
    const value = await read('rt:plist');
    const doc = renderEditable(value).text;
    const plan = (text: string): string[][] =>
      planSave(Buffer.from('rt:plist'), value, parseEdited(value, text)).commands.map((c) => c.map(String));
    assert.deepEqual(plan(doc.replace('"b"', '"B"')), [['LSET', 'rt:plist', '1', 'B']]);
    assert.deepEqual(plan(`${doc}"d"\n`), [['RPUSH', 'rt:plist', 'd']]);
    assert.deepEqual(plan(doc.replace('"c"\n', '')), [['LTRIM', 'rt:plist', '0', '1']]);
    assert.deepEqual(plan(doc.replace('"a"\n', '')), [
      ['DEL', 'rt:plist'],
      ['RPUSH', 'rt:plist', 'b', 'c'],
    ]);
    assert.equal(planSave(Buffer.from('rt:plist'), value, parseEdited(value, doc.replace('"a"\n', ''))).rewrites, true);
  });

  it('appends stream entries with * and deletes removed ones; a changed entry is refused', async () => {
    const first = await client.xadd('rt:pstream', '*', 'temp', '20');
    const second = await client.xadd('rt:pstream', '*', 'temp', '21');
    const value = await read('rt:pstream');
    const doc = renderEditable(value).text;
    const plan = planSave(
      Buffer.from('rt:pstream'),
      value,
      parseEdited(value, `${doc.replace(`${first ?? ''}  "temp": "20"\n`, '')}*  "temp": "22", "unit": "C"\n`),
    );
    assert.deepEqual(
      plan.commands.map((c) => c.map(String)),
      [
        ['XADD', 'rt:pstream', '*', 'temp', '22', 'unit', 'C'],
        ['XDEL', 'rt:pstream', first ?? ''],
      ],
    );
    assert.throws(
      () =>
        planSave(
          Buffer.from('rt:pstream'),
          value,
          parseEdited(value, doc.replace(`${second ?? ''}  "temp": "21"`, `${second ?? ''}  "temp": "0"`)),
        ),
      /existing entries cannot be changed/,
    );
  });

  it('keeps values that cannot be edited exactly read-only, saying why on the first line', async () => {
    await client.set('ro:binary', Buffer.from([0xff, 0x00, 0x41]));
    await client.set('ro:crlf', 'a\r\nb\nc');
    await client.rpush('ro:long', ...Array.from({ length: 1001 }, (_, i) => String(i)));
    await client.hset('ro:binhash', 'f', Buffer.from([0xc3]));
    await client.set('ro:big', Buffer.alloc(1024 * 1024 + 1, 'a'));
    const expectations: [string, RegExp][] = [
      ['ro:binary', /^\/\/ Read-only: the value is not UTF-8 text/],
      ['ro:crlf', /^\/\/ Read-only: the value holds carriage returns/],
      ['ro:long', /^\/\/ Read-only: it has more than 1,000 elements/],
      ['ro:binhash', /^\/\/ Read-only: some elements are not UTF-8 text/],
      ['ro:big', /^\/\/ Read-only: the value is larger than 1 MB \(1048577 bytes\)/],
    ];
    for (const [key, first] of expectations) {
      const doc = renderEditable(await read(key));
      assert.ok(doc.readOnlyReason, key);
      assert.match(doc.text, first);
    }
  });

  it('edits a hash of exactly 1,000 fields (its HSCAN can stop at the limit before the cursor is back at 0)', async () => {
    await client.hset('rt:thousand', ...Array.from({ length: 1000 }, (_, i) => [`field:${i}`, `v${i}`]).flat());
    await assertRoundTrip('rt:thousand');
  });

  it('names the type the header shows', async () => {
    await client.zadd('rt:type', 1, 'a');
    assert.equal(documentType(renderEditable(await read('rt:type')).text), 'zset');
  });
});

describe('JSON layout, token for token', () => {
  it('indents like JSON.stringify(…, null, 2) and compacts back to the same text', () => {
    const values = [{ a: [1, { b: 'c' }], d: {}, e: [] }, [], {}, [[[]]], { 's p': 'x\ny' }];
    for (const value of values) {
      const compact = JSON.stringify(value);
      assert.equal(prettyJson(compact), JSON.stringify(value, null, 2));
      assert.equal(compactJson(prettyJson(compact)), compact);
    }
  });

  it('refuses what JSON.parse refuses, with the place', () => {
    for (const bad of ['{', '{"a":1,}', '[1 2]', "{'a':1}", '{"a":01}', '"\t"', '[1]x', 'tru']) {
      assert.throws(() => JSON.parse(bad));
      assert.throws(() => compactJson(bad), JsonSyntaxError, bad);
    }
    assert.throws(() => compactJson('{\n  "a": 1,\n  }'), /line 3, column 3: expected a member name/);
  });
});
