import * as assert from 'node:assert/strict';
import { encodeCommand, ReplyHandler, scanCommandEncoder, ScanReplyReader } from '../../../../src/redis/keyspace/resp';
import { random } from './support';

type Event =
  | ['simple', string]
  | ['integer', number]
  | ['error', string]
  | ['bulk', string | undefined]
  | ['cursor', string]
  | ['key', string]
  | ['end'];

function recorder(): { events: Event[]; handler: ReplyHandler } {
  const events: Event[] = [];
  return {
    events,
    handler: {
      simple: (text) => events.push(['simple', text]),
      integer: (value) => events.push(['integer', value]),
      error: (message) => events.push(['error', message]),
      bulk: (text) => events.push(['bulk', text]),
      scanCursor: (cursor) => events.push(['cursor', cursor]),
      // The range is valid only during the call: copy, as the model does.
      scanKey: (chunk, start, end) => events.push(['key', chunk.toString('latin1', start, end)]),
      scanEnd: () => events.push(['end']),
    },
  };
}

function scanReply(cursor: string, keys: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*2\r\n$${cursor.length}\r\n${cursor}\r\n*${keys.length}\r\n`, 'latin1')];
  for (const key of keys) parts.push(Buffer.from(`$${key.length}\r\n`, 'latin1'), key, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

describe('RESP reader for SCAN replies', () => {
  const keys = [
    Buffer.from('auth:session:1'),
    Buffer.from(''),
    Buffer.from('with\r\nCRLF inside'),
    Buffer.from([0xff, 0x00, 0x0d, 0x0a, 0x24]),
    Buffer.alloc(70_000, 0x62),
  ];
  const stream = Buffer.concat([
    Buffer.from('+OK\r\n:1000035\r\n-WRONGPASS invalid username-password pair\r\n'),
    Buffer.from('$32\r\n# Server\r\nredis_version:7.0.15\r\n\r\n$-1\r\n'),
    scanReply('1536', keys),
    scanReply('0', []),
    scanReply('0', [Buffer.from('last')]),
  ]);
  const expected: Event[] = [
    ['simple', 'OK'],
    ['integer', 1000035],
    ['error', 'WRONGPASS invalid username-password pair'],
    ['bulk', '# Server\r\nredis_version:7.0.15\r\n'],
    ['bulk', undefined],
    ['cursor', '1536'],
    ...keys.map((k): Event => ['key', k.toString('latin1')]),
    ['end'],
    ['cursor', '0'],
    ['end'],
    ['cursor', '0'],
    ['key', 'last'],
    ['end'],
  ];

  it('reads a stream fed in one chunk', () => {
    const { events, handler } = recorder();
    new ScanReplyReader(handler).feed(stream);
    assert.deepEqual(events, expected);
  });

  it('reads the same events whatever the chunk boundaries (every split point of the header part, random splits)', () => {
    const headerPart = 200;
    for (let split = 1; split < headerPart; split++) {
      const { events, handler } = recorder();
      const reader = new ScanReplyReader(handler);
      reader.feed(stream.subarray(0, split));
      reader.feed(stream.subarray(split));
      assert.deepEqual(events, expected, `split at ${split}`);
      assert.ok(reader.idle);
    }
    const next = random(7);
    for (let round = 0; round < 50; round++) {
      const { events, handler } = recorder();
      const reader = new ScanReplyReader(handler);
      for (let at = 0; at < stream.length;) {
        const size = 1 + Math.floor(next() * (round % 2 ? 9 : 20_000));
        reader.feed(stream.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(events, expected, `round ${round}`);
    }
  });

  it('reads the same events from one read buffer the socket overwrites after each read (net onread)', () => {
    const next = random(11);
    for (let round = 0; round < 50; round++) {
      const { events, handler } = recorder();
      const reader = new ScanReplyReader(handler);
      const readBuffer = Buffer.alloc(64 * 1024);
      for (let at = 0; at < stream.length;) {
        const size = Math.min(1 + Math.floor(next() * (round % 2 ? 9 : readBuffer.length)), readBuffer.length);
        const bytes = stream.copy(readBuffer, 0, at, at + size);
        reader.feed(readBuffer.subarray(0, bytes), true);
        readBuffer.fill(0x2a); // the next read lands here: what the reader held must be its own copy
        at += bytes;
      }
      assert.deepEqual(events, expected, `round ${round}`);
      assert.ok(reader.idle);
    }
  });

  it('hands the cursor over before the keys of its reply arrive', () => {
    const { events, handler } = recorder();
    const reader = new ScanReplyReader(handler);
    const reply = scanReply('42', [Buffer.from('a'), Buffer.from('b')]);
    reader.feed(reply.subarray(0, 16)); // `*2\r\n$2\r\n42\r\n*2\r\n` and nothing more
    assert.deepEqual(events, [['cursor', '42']]);
    assert.ok(!reader.idle);
    reader.feed(reply.subarray(16));
    assert.deepEqual(events, [['cursor', '42'], ['key', 'a'], ['key', 'b'], ['end']]);
  });

  it('rejects what is not RESP', () => {
    const { handler } = recorder();
    assert.throws(
      () => new ScanReplyReader(handler).feed(Buffer.from('HTTP/1.1 400 Bad Request\r\n')),
      /unexpected reply/,
    );
    assert.throws(() => new ScanReplyReader(handler).feed(Buffer.from('*2\r\n:5\r\n')), /bulk string/);
    assert.throws(() => new ScanReplyReader(handler).feed(Buffer.from('+OK\rX')), /CRLF/);
  });

  it('encodes commands with binary arguments', () => {
    assert.equal(
      encodeCommand(['SCAN', '0', 'COUNT', 1000]).toString('latin1'),
      '*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nCOUNT\r\n$4\r\n1000\r\n',
    );
    assert.deepEqual(
      encodeCommand([Buffer.from([0xff, 0x0a])]),
      Buffer.from([0x2a, 0x31, 0x0d, 0x0a, 0x24, 0x32, 0x0d, 0x0a, 0xff, 0x0a, 0x0d, 0x0a]),
    );
    assert.equal(encodeCommand(['é']).toString('latin1'), '*1\r\n$2\r\n\u00c3\u00a9\r\n');
  });

  it('encodes SCAN with each cursor exactly as the whole command would be', () => {
    for (const rest of [[], ['COUNT', 125], ['COUNT', 125, 'MATCH', Buffer.from([0xff, 0x2a]), 'TYPE', 'hash']]) {
      const scan = scanCommandEncoder(rest);
      for (const cursor of ['0', '7', '18446744073709551615']) {
        assert.deepEqual(scan(cursor), encodeCommand(['SCAN', cursor, ...rest]), `${cursor} ${String(rest)}`);
      }
    }
  });
});
