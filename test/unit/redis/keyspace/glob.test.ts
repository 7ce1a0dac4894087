import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { escapeGlob, toBinary } from '../../../../src/redis/keyspace/binary';
import { globMatches } from '../../../../src/redis/keyspace/glob';
import { useRedisServer } from '../../../support/useRedisServer';
import { oddKeys, writeKeys } from './support';

/** The client-side glob must agree with the server's MATCH byte for byte. */
describe('globMatches agrees with SCAN MATCH of a real redis-server', function () {
  this.timeout(20_000);
  const server = useRedisServer();
  let client: Redis;
  const keys: Buffer[] = [
    'auth:session:1',
    'auth:session:12',
    'auth:token:1',
    'auth:',
    'auth',
    'user:profile:a',
    'user:Profile:b',
    'a*b',
    'a?b',
    'a[b',
    'a]b',
    'a\\b',
    'ab',
    'aXb',
    'a-b',
    'a^b',
    '',
    'x',
    'xx',
    'abc',
    'abcabc',
    'a:b:c',
    'hello',
    'hallo',
    'hxllo',
    'hllo',
    'heeeello',
  ]
    .map((k): Buffer => Buffer.from(k))
    .concat(oddKeys(), [
      Buffer.from([0x61, 0xff, 0x62]),
      Buffer.from([0x61, 0x7f, 0x62]),
      Buffer.from([0x61, 0x80, 0x62]),
    ]);
  const patterns = [
    '*',
    'auth:*',
    'auth:session:?',
    'auth:session:*',
    '*:1',
    'a?b',
    'a*b',
    'a\\*b',
    'a\\?b',
    'a[*]b',
    'a[\\]]b',
    'a[]]b',
    'a[^X]b',
    'a[a-z]b',
    'a[z-a]b',
    'a[\\-]b',
    'h[ae]llo',
    'h[^e]llo',
    'h*llo',
    'h**llo',
    '*llo',
    'a[',
    'a[b',
    '[',
    '\\',
    'a\\',
    '*abc',
    '*abc*',
    '?',
    '??',
    '',
    'user:[pP]rofile:*',
    'a[\x00-\x7f]b',
    'a[\x7f-\x80]b',
    'a[\x80-\xff]b',
    'odd:*',
    'odd:[^a-z]*',
    '*\n*',
    '*:',
    ':*',
    '*::*',
    'odd:huge:a*a',
  ].map((p) => Buffer.from(p, 'latin1'));

  before(async () => {
    client = await server.connect();
    await writeKeys(
      client,
      keys.map((key) => ({ key, type: 'string', ttl: false })),
    );
  });

  async function serverMatches(pattern: Buffer): Promise<Set<string>> {
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = (await client.callBuffer('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
        Buffer,
        Buffer[],
      ];
      cursor = next.toString();
      for (const key of batch) found.add(key.toString('latin1'));
    } while (cursor !== '0');
    return found;
  }

  for (const pattern of patterns) {
    it(`pattern ${JSON.stringify(pattern.toString('latin1'))}`, async () => {
      const expected = await serverMatches(pattern);
      const actual = new Set(keys.map(toBinary).filter((key) => globMatches(toBinary(pattern), key)));
      const short = (key: string): string => JSON.stringify(key.slice(0, 40));
      assert.deepEqual([...actual].filter((k) => !expected.has(k)).map(short), [], 'matched on the client only');
      assert.deepEqual([...expected].filter((k) => !actual.has(k)).map(short), [], 'matched on the server only');
    });
  }

  it('an escaped prefix plus * matches exactly the keys that start with the prefix', async () => {
    for (const key of keys) {
      for (const cut of [0, 1, 3, key.length]) {
        const prefix = key.subarray(0, Math.min(cut, 40));
        const pattern = Buffer.concat([escapeGlob(prefix), Buffer.from('*')]);
        for (const other of keys) {
          assert.equal(
            globMatches(toBinary(pattern), toBinary(other)),
            other.subarray(0, prefix.length).equals(prefix),
            `${JSON.stringify(pattern.toString('latin1').slice(0, 40))} ~ ${JSON.stringify(other.toString('latin1').slice(0, 40))}`,
          );
        }
      }
    }
  });
});
