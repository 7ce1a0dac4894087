import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { NamespaceModel } from '../../../../src/redis/keyspace/namespaceModel';
import { compareNatural } from '../../../../src/redis/keyspace/naturalOrder';
import { NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { walkKeyspace, WalkOptions } from '../../../../src/redis/keyspace/walker';
import { useRedisServer } from '../../../support/useRedisServer';
import { allPages, endpointOf } from './support';

/** SCAN calls the server has answered so far (INFO commandstats). */
async function serverScans(client: Redis): Promise<number> {
  return Number(/^cmdstat_scan:calls=(\d+)/m.exec(await client.info('commandstats'))?.[1] ?? 0);
}

const DENSE = 300_000;
const SPARSE = 1_500;

describe('sparse namespaces: a small share of a large keyspace keeps its names', function () {
  this.timeout(120_000);
  // DEBUG POPULATE writes the dense part inside the server in a blink (a real Redis command).
  const server = useRedisServer({ extraArgs: ['--enable-debug-command', 'local'] });
  let client: Redis;
  const sparse = Array.from({ length: SPARSE }, (_, i) => `billing:refund:${i}`);

  before(async () => {
    client = await server.connect();
    await client.call('DEBUG', 'POPULATE', String(DENSE), 'dense');
    for (let i = 0; i < sparse.length; i += 500) await client.mset(sparse.slice(i, i + 500).flatMap((k) => [k, 'v']));
    await client.set('billing:total', '1');
  });

  const walk = (options: WalkOptions = {}): Promise<NamespaceModel> =>
    walkKeyspace({ endpoint: endpointOf(server), credentials: {} }, options).done;

  it('pages a 1,500-key namespace among 300,000 keys without any SCAN, every key once, in natural order', async () => {
    const model = await walk();
    const node = model.findNamespace('billing:refund');
    assert.ok(node);
    assert.equal(node.directCount, SPARSE);
    assert.equal(node.hasAllDirectKeyNames, true, 'the sparse namespace keeps its names');
    // The dense namespace is 99.5% of the keyspace: its names are not worth their memory.
    assert.equal(model.findNamespace('dense')?.hasAllDirectKeyNames, false);
    const before = await serverScans(client);
    const { pages, keys } = await allPages(new NamespaceKeyPager(client, node, { pageSize: 200 }));
    assert.equal(await serverScans(client), before, 'no SCAN reached the server');
    assert.ok(pages.every((page) => page.scans === 0));
    assert.equal(pages[0]?.keys.length, 200);
    assert.deepEqual(
      keys.map((k) => k.id),
      [...sparse].sort(compareNatural),
    );
    assert.ok(keys.every((k) => k.type === 'string' && !k.gone));
  });

  it('lets a namespace drop its names as soon as its share of the walk shows it will be dense, not at the cap', async () => {
    // The cap here is 1% of the keyspace (3,016 names). 'dense' is 99.5% of the keys: after
    // 1,024 of them its share already says so, and every name kept past that is garbage.
    let mostHeld = 0;
    const model = await walk({
      progressIntervalMs: 0,
      onProgress: ({ model: live }) => {
        mostHeld = Math.max(mostHeld, live.storedNames);
      },
    });
    // The sparse namespace's names, billing:total's, and at most 1,024 of 'dense'.
    assert.ok(mostHeld <= SPARSE + 1 + 1024, `${mostHeld} names held at once`);
    assert.equal(model.findNamespace('dense')?.count, DENSE);
    assert.equal(model.findNamespace('dense')?.hasAllDirectKeyNames, false);
    assert.equal(model.findNamespace('billing:refund')?.hasAllDirectKeyNames, true, 'the sparse namespace keeps all');
  });

  it('keeps the names under a filter too: the share of the filtered keys says nothing about SCAN over all keys', async () => {
    const model = await walk({ match: 'billing:*' });
    assert.equal(model.totalKeys, SPARSE + 1);
    const node = model.findNamespace('billing:refund');
    assert.equal(node?.hasAllDirectKeyNames, true, 'all but one of the filtered keys, yet 0.5% of the keyspace');
    const page = await new NamespaceKeyPager(client, node, { pageSize: 200 }).next();
    assert.equal(page.scans, 0);
    assert.equal(page.keys.length, 200);
  });

  it('drops the names of the densest namespaces first when over the budget, and they page with SCAN MATCH', async () => {
    // Room for about 700 names: the 1,500-key namespace must give its names up, the small one keeps them.
    const model = await walk({ nameBudgetBytes: 32 * 1024 });
    assert.ok(model.storedNameBytes <= 32 * 1024, `${model.storedNameBytes} bytes of names held`);
    const billing = model.findNamespace('billing');
    assert.equal(billing?.hasAllDirectKeyNames, true, 'the one-key namespace keeps its name');
    const node = model.findNamespace('billing:refund');
    assert.ok(node);
    assert.equal(node.hasAllDirectKeyNames, false);
    assert.equal(node.count, SPARSE, 'counts never depend on what is held');
    const before = await serverScans(client);
    const { pages, keys } = await allPages(new NamespaceKeyPager(client, node, { pageSize: 200 }));
    const scans = pages.reduce((sum, page) => sum + page.scans, 0);
    assert.ok(scans > 0);
    assert.equal((await serverScans(client)) - before, scans);
    assert.deepEqual(keys.map((k) => k.id).sort(), [...sparse].sort());
  });

  it('after the walk, a key deleted elsewhere pages as gone and one added elsewhere waits for the next walk', async () => {
    const model = await walk();
    const node = model.findNamespace('billing:refund');
    assert.ok(node?.hasAllDirectKeyNames);
    await client.del('billing:refund:7', 'billing:refund:1499');
    await client.set('billing:refund:new', 'v');
    try {
      const { keys } = await allPages(new NamespaceKeyPager(client, node, { pageSize: 500 }));
      assert.equal(keys.length, SPARSE);
      assert.deepEqual(
        keys.filter((k) => k.gone).map((k) => k.id),
        ['billing:refund:7', 'billing:refund:1499'],
      );
      assert.equal(
        keys.some((k) => k.id === 'billing:refund:new'),
        false,
      );
      const again = await walk();
      const fresh = again.findNamespace('billing:refund');
      assert.ok(fresh?.hasAllDirectKeyNames);
      const { keys: now } = await allPages(new NamespaceKeyPager(client, fresh, { pageSize: 500 }));
      assert.equal(now.length, SPARSE - 1);
      assert.ok(now.some((k) => k.id === 'billing:refund:new'));
      assert.ok(now.every((k) => !k.gone));
    } finally {
      await client.del('billing:refund:new');
      await client.set('billing:refund:7', 'v');
      await client.set('billing:refund:1499', 'v');
    }
  });

  it('over the budget with many equal namespaces, those that kept all their names still hold them after the walk', () => {
    const model = new NamespaceModel({ nameBudgetBytes: 50_000 });
    for (let id = 0; id < 2000; id++) for (const label of ['a', 'b', 'c', 'd']) model.add(`user:${id}:${label}`);
    model.finish('complete');
    const holding = Array.from({ length: 2000 }, (_, id) => model.findNamespace(`user:${id}`)).filter(
      (node) => node?.hasAllDirectKeyNames,
    );
    assert.ok(holding.length > 100, `${holding.length} namespaces hold their names`);
    assert.ok(model.storedNameBytes <= 50_000);
    for (const node of holding) assert.equal(node?.directKeyNames()?.length, 4);
  });

  it('keeps names by sparsity in the model alone: smallest namespaces first, within the byte budget', () => {
    const model = new NamespaceModel({ nameBudgetBytes: 20_000 });
    model.expectKeys(100_000);
    for (let i = 0; i < 100_000; i++) model.add(i < 90_000 ? `big:${i}` : i < 99_000 ? `mid:${i}` : `small:${i}`);
    model.finish('complete');
    assert.equal(model.findNamespace('small')?.hasAllDirectKeyNames, false, 'a thousand names exceed 20,000 bytes');
    const roomy = new NamespaceModel({ nameBudgetBytes: 1_000_000 });
    roomy.expectKeys(100_000);
    for (let i = 0; i < 100_000; i++) roomy.add(i < 90_000 ? `big:${i}` : i < 99_000 ? `mid:${i}` : `small:${i}`);
    roomy.finish('complete');
    assert.equal(roomy.findNamespace('small')?.hasAllDirectKeyNames, true);
    assert.equal(roomy.findNamespace('small')?.directKeyNames()?.length, 1000);
    // 9% and 90% of the keyspace: dense, SCAN MATCH finds a page in a few calls.
    assert.equal(roomy.findNamespace('mid')?.hasAllDirectKeyNames, false);
    assert.equal(roomy.findNamespace('big')?.hasAllDirectKeyNames, false);
    assert.ok(roomy.storedNameBytes <= 1_000_000);
  });
});
