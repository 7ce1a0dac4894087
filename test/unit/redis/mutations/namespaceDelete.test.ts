import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { toBinary } from '../../../../src/redis/keyspace/binary';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { KeyspaceCancelledError } from '../../../../src/redis/keyspace/errors';
import {
  deleteNamespaceKeys,
  describeDeletion,
  namespacePrefix,
  planNamespaceDeletion,
} from '../../../../src/redis/mutations';
import { startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf } from '../keyspace/support';

const TARGET = 200_000;

/** Keys that share the prefix's letters but are not under `auth:session:`. */
const NEIGHBOURS = [
  'auth:sessions:x',
  'auth:sessions:',
  'auth:session',
  'auth:sessionx:1',
  'auth:session-1',
  'auth:sessio:1',
  'auth:Session:1',
  'Auth:session:1',
  'auth:token:1',
  'xauth:session:1',
  'auth::session:1',
  'auth:session;1',
  'auth:session\\:1',
  'auth',
  'user:auth:session:1',
];

async function fill(client: Redis, keys: (n: number) => string | Buffer, n: number): Promise<void> {
  for (let i = 0; i < n; i += 10_000) {
    const pipeline = client.pipeline();
    for (let k = i; k < Math.min(n, i + 10_000); k++) pipeline.set(keys(k), 'v');
    await pipeline.exec();
  }
}

async function countMatching(client: Redis, prefix: string): Promise<number> {
  return (await planNamespaceDeletion(client, Buffer.from(prefix))).count;
}

describe('namespace deletion against a real redis-server', function () {
  this.timeout(120_000);
  const server = useRedisServer();
  let client: Redis;

  before(async () => {
    client = await server.connect();
  });

  async function seed(): Promise<void> {
    await client.flushdb(); // this test's own server
    await fill(client, (i) => `auth:session:${i}`, TARGET);
    await fill(client, (i) => `auth:sessions:${i}`, 5000);
    const pipeline = client.pipeline();
    for (const key of NEIGHBOURS) pipeline.set(key, 'neighbour');
    await pipeline.exec();
  }

  async function assertNeighboursIntact(): Promise<void> {
    const values = await client.mget(...NEIGHBOURS);
    assert.deepEqual(
      values,
      NEIGHBOURS.map(() => 'neighbour'),
    );
    assert.equal(await countMatching(client, 'auth:sessions:'), 5002); // its own 5,000 and two neighbours
  }

  it(`counts exactly ${TARGET.toLocaleString('en-US')} keys, deletes them all, and touches no neighbour`, async () => {
    await seed();
    const progress: number[] = [];
    const plan = await planNamespaceDeletion(client, namespacePrefix('auth:session', ':'), {
      onProgress: (found) => progress.push(found),
    });
    assert.equal(plan.count, TARGET);
    assert.equal(new Set(plan.keys).size, TARGET);
    assert.ok(progress.length > 1 && progress.at(-1) === TARGET);
    const batches: number[] = [];
    const result = await deleteNamespaceKeys(client, plan, {
      batchSize: 500,
      onProgress: (p) => batches.push(p.processed),
    });
    assert.deepEqual(result, {
      prefix: Buffer.from('auth:session:'),
      total: TARGET,
      deleted: TARGET,
      processed: TARGET,
      alreadyGone: 0,
      remaining: 0,
      cancelled: false,
    });
    assert.equal(batches.length, TARGET / 500);
    assert.equal(describeDeletion(result, 'auth:session:'), 'Deleted 200,000 keys under auth:session:');
    assert.equal(await countMatching(client, 'auth:session:'), 0);
    assert.equal(await client.dbsize(), 5000 + NEIGHBOURS.length);
    await assertNeighboursIntact();
  });

  it('cancelled half-way: stops between batches, reports what it removed, the rest remains', async () => {
    await seed();
    const plan = await planNamespaceDeletion(client, Buffer.from('auth:session:'));
    assert.equal(plan.count, TARGET);
    const abort = new AbortController();
    const result = await deleteNamespaceKeys(client, plan, {
      batchSize: 1000,
      signal: abort.signal,
      onProgress: ({ processed }) => {
        if (processed >= TARGET / 2) abort.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.deleted, TARGET / 2);
    assert.equal(result.remaining, TARGET / 2);
    assert.equal(
      describeDeletion(result, 'auth:session:'),
      'Cancelled after deleting 100,000 of 200,000 keys under auth:session:; 100,000 keys remain',
    );
    // Consistent: what was not sent is all still there, what was sent is all gone.
    assert.equal(await countMatching(client, 'auth:session:'), TARGET / 2);
    const sent = plan.keys.slice(0, result.processed);
    const kept = plan.keys.slice(result.processed);
    assert.equal(await client.exists(...sent.slice(0, 1000).map((k) => Buffer.from(k, 'latin1'))), 0);
    assert.equal(await client.exists(...kept.slice(0, 1000).map((k) => Buffer.from(k, 'latin1'))), 1000);
    await assertNeighboursIntact();
  });

  it('counting can be cancelled and then changes nothing', async () => {
    await client.flushdb();
    await fill(client, (i) => `c:ns:${i}`, 20_000);
    const abort = new AbortController();
    await assert.rejects(
      planNamespaceDeletion(client, Buffer.from('c:ns:'), {
        scanCount: 100,
        signal: abort.signal,
        onProgress: (found) => {
          if (found > 1000) abort.abort();
        },
      }),
      KeyspaceCancelledError,
    );
    assert.equal(await client.dbsize(), 20_000);
  });

  it('reports keys that went away between the count and the delete', async () => {
    await client.flushdb();
    await fill(client, (i) => `g:ns:${i}`, 100);
    const plan = await planNamespaceDeletion(client, Buffer.from('g:ns:'));
    await client.del('g:ns:1', 'g:ns:2');
    const result = await deleteNamespaceKeys(client, plan, { batchSize: 7 });
    assert.equal(result.deleted, 98);
    assert.equal(result.alreadyGone, 2);
    assert.equal(describeDeletion(result, 'g:ns:'), 'Deleted 98 keys under g:ns: (2 keys had already gone)');
  });

  it('treats glob characters and binary bytes in the prefix as plain bytes', async () => {
    await client.flushdb();
    const prefix = Buffer.from([0x62, 0x2a, 0x3f, 0x5b, 0x78, 0x5d, 0x5c, 0xff, 0x00, 0x3a]); // b*?[x]\ \xff \0 :
    const inside = Array.from({ length: 300 }, (_, i) =>
      Buffer.concat([prefix, Buffer.from(String(i)), Buffer.from([0x80])]),
    );
    const outside = [
      Buffer.from([0x62, 0x41, 0x41, 0x78, 0x5c, 0xff, 0x00, 0x3a, 0x31]), // what the glob would match unescaped
      Buffer.from([0x62, 0x2a, 0x3f, 0x5b, 0x78, 0x5d, 0x5c, 0xfe, 0x00, 0x3a, 0x31]),
      Buffer.from([0x62, 0x2a, 0x3f, 0x5b, 0x78, 0x5d, 0x5c, 0xff, 0x00]),
      Buffer.from('b*?[x]\\:1'),
    ];
    const pipeline = client.pipeline();
    for (const key of [...inside, ...outside]) pipeline.set(key, 'v');
    await pipeline.exec();
    const plan = await planNamespaceDeletion(client, prefix, { scanCount: 50 });
    assert.deepEqual([...plan.keys].sort(), inside.map(toBinary).sort());
    const result = await deleteNamespaceKeys(client, plan, { batchSize: 64 });
    assert.equal(result.deleted, 300);
    assert.equal(await client.exists(...outside), outside.length);
    assert.equal(await client.dbsize(), outside.length);
  });

  it('a connection lost mid-way rejects with a typed error that says what was removed', async () => {
    const own = await startRedisServer();
    const ownClient = await clientOf(own);
    try {
      await fill(ownClient, (i) => `d:ns:${i}`, 5000);
      const plan = await planNamespaceDeletion(ownClient, Buffer.from('d:ns:'));
      await assert.rejects(
        deleteNamespaceKeys(ownClient, plan, {
          batchSize: 1000,
          onProgress: ({ processed }) => {
            if (processed === 2000) ownClient.disconnect();
          }, // the socket drops
        }),
        (error: unknown) => {
          assert.ok(error instanceof RedisConnectionError, String(error));
          const partial = (error as { partial?: { deleted: number; remaining: number } }).partial;
          assert.deepEqual(
            { deleted: partial?.deleted, remaining: partial?.remaining },
            { deleted: 2000, remaining: 3000 },
          );
          return true;
        },
      );
      const check = await clientOf(own);
      assert.equal((await planNamespaceDeletion(check, Buffer.from('d:ns:'))).count, 3000);
      check.disconnect();
    } finally {
      ownClient.disconnect();
      await own.stop();
    }
  });

  it('refuses an empty prefix (that would be every key)', async () => {
    await assert.rejects(planNamespaceDeletion(client, Buffer.alloc(0)), RangeError);
  });
});
