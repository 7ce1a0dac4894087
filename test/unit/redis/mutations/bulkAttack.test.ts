import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { ExpireResult, expireKeysWithoutTtl, planTtlForKeysWithoutOne } from '../../../../src/redis/checks/cacheTtl';
import { toBinary } from '../../../../src/redis/keyspace/binary';
import { moveNamespaceKeys, planNamespaceDeletion } from '../../../../src/redis/mutations';
import { ImportResult, exportNamespace, importNamespace, planImport } from '../../../../src/redis/transfer';
import { useRedisServer } from '../../../support/useRedisServer';

/**
 * The bulk key operations against a real redis-server, where what they did differs from
 * what they say they did.
 */
describe('bulk key operations: what they say they did', function () {
  this.timeout(60_000);
  // `writer` may read every key but write only cache:own:* (a service user of its own namespace).
  const server = useRedisServer({
    acl: 'user default on nopass ~* &* +@all\nuser writer on >writer-pw %R~* %W~cache:own:* &* +@all\n',
  });
  let client: Redis;

  before(async () => {
    client = await server.connect();
  });
  beforeEach(() => client.flushdb()); // this suite's own server

  it('Set TTL on Keys Without One refused for one key of a batch reports the TTLs the rest of that batch got', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 40; i++) pipeline.set(`cache:own:${i}`, 'v');
    pipeline.set('cache:other:1', 'v');
    await pipeline.exec();
    const writer = server.keep(await server.connect());
    await writer.call('AUTH', 'writer', 'writer-pw');
    const plan = await planTtlForKeysWithoutOne(writer, Buffer.from('cache:'));
    assert.equal(plan.count, 41);
    let partial: ExpireResult | undefined;
    await assert.rejects(
      expireKeysWithoutTtl(writer, plan, 3600, { batchSize: 1000 }),
      (error: Error & { partial?: ExpireResult }) => {
        partial = error.partial;
        return /NOPERM/.test(error.message);
      },
    );
    // The other keys of the batch were sent in the same pipeline and got the TTL.
    let withTtl = 0;
    for (let i = 0; i < 40; i++) if ((await client.ttl(`cache:own:${i}`)) > 0) withTtl++;
    assert.equal(withTtl, 40);
    assert.equal(partial?.expired, withTtl, 'the failure says how many keys got the TTL');
  });

  it('Move to Namespace into its own sub-namespace moves a key once, also when a counted key expired meanwhile', async () => {
    await client.set('auth:1', 'one');
    await client.set('auth:v1:1', 'cached', 'PX', 300);
    const counted = await planNamespaceDeletion(client, Buffer.from('auth:'));
    assert.equal(counted.count, 2);
    // The order SCAN happened to return (any order is one it may return): auth:1 first.
    const keys = [...counted.keys].sort((a, b) => a.length - b.length);
    assert.deepEqual(keys, [toBinary(Buffer.from('auth:1')), toBinary(Buffer.from('auth:v1:1'))]);
    while ((await client.exists('auth:v1:1')) === 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await moveNamespaceKeys(client, { ...counted, keys }, Buffer.from('auth:v1:'));
    // auth:1 belongs at auth:v1:1, not moved on from there as if it were the key counted under that name.
    assert.deepEqual((await client.keys('*')).sort(), ['auth:v1:1']);
    assert.equal(await client.get('auth:v1:1'), 'one');
    assert.equal(result.moved, 1);
    assert.equal(result.gone, 1);
  });

  it('Move to Namespace out to its parent moves a key once, also when a counted key expired meanwhile', async () => {
    await client.set('auth:v1:v1:1', 'one');
    await client.set('auth:v1:1', 'cached', 'PX', 300);
    const counted = await planNamespaceDeletion(client, Buffer.from('auth:v1:'));
    // The order SCAN happened to return: the longer name first.
    const keys = [...counted.keys].sort((a, b) => b.length - a.length);
    assert.deepEqual(keys, [toBinary(Buffer.from('auth:v1:v1:1')), toBinary(Buffer.from('auth:v1:1'))]);
    while ((await client.exists('auth:v1:1')) === 1) await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await moveNamespaceKeys(client, { ...counted, keys }, Buffer.from('auth:'));
    assert.deepEqual((await client.keys('*')).sort(), ['auth:v1:1']);
    assert.equal(await client.get('auth:v1:1'), 'one');
    assert.equal(result.moved, 1);
    assert.equal(result.gone, 1);
  });

  it('Import Namespace that loses its connection mid-way says how many keys it had created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-bulk-'));
    try {
      const pipeline = client.pipeline();
      for (let i = 0; i < 100; i++) pipeline.set(`src:${i}`, 'v');
      await pipeline.exec();
      const file = join(dir, 'src.jsonl');
      await exportNamespace(client, Buffer.from('src:'), file, { delimiter: Buffer.from(':') });
      const importer = await server.connect();
      const plan = await planImport(importer, file, Buffer.from('dst:'));
      assert.equal(plan.toCreate, 100);
      let partial: ImportResult | undefined;
      await assert.rejects(
        importNamespace(importer, plan, {
          batchSize: 10,
          onProgress: ({ processed }) => {
            if (processed === 30) importer.disconnect(); // the socket drops
          },
        }),
        (error: Error & { partial?: ImportResult }) => {
          partial = error.partial;
          return true;
        },
      );
      const created = (await planImport(client, file, Buffer.from('dst:'))).existing;
      assert.equal(created, 30);
      assert.equal(partial?.created, created, 'the failure says how many keys the import created');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
