import * as assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { checkClusterSlots, clusterSlotFindings, hashTagOf } from '../../../../src/redis/checks';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { hashSlot } from '../../../../src/redis/hashSlot';
import { eventually } from '../../../support/eventually';
import { useRedisServer } from '../../../support/useRedisServer';

const ODD_KEYS: readonly Buffer[] = [
  '',
  '{}',
  '{{a}}',
  'a{b}c{d}',
  '{a}',
  'foo{}{bar}',
  'foo{{bar}}zap',
  'foo{bar}{zap}',
  '}{a}',
  'a{',
  'a}b{',
  '{ }',
  'auth:{42}:session',
  '42',
  'user:{}:x',
  '😀{😀}',
].map((text) => Buffer.from(text, 'utf8'));
const BINARY_KEYS: readonly Buffer[] = [
  Buffer.from([0xff, 0x00, 0x7b, 0x01, 0x7d, 0x80]),
  Buffer.from([0x7b, 0x7d, 0x7b, 0xfe, 0x7d]),
  Buffer.from([0x00]),
  Buffer.from([0xc3, 0x28, 0x7b, 0xa0, 0xa1, 0x7d]),
];

describe('Cluster advice for namespaces (hash slots)', function () {
  this.timeout(30_000);
  // A real one-node Redis Cluster: it owns every slot, so it computes slots and refuses CROSSSLOT as production would.
  const server = useRedisServer({ extraArgs: ['--cluster-enabled', 'yes'] });
  let client: Redis;

  before(async () => {
    client = await server.connect();
    await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await eventually('the one-node cluster to be ok', async () =>
      (await client.call('CLUSTER', 'INFO')) instanceof Buffer
        ? false
        : String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
    );
  });

  it('computes the same slot as CLUSTER KEYSLOT for odd and binary keys, by the hash tag rule', async () => {
    for (const key of [...ODD_KEYS, ...BINARY_KEYS]) {
      const expected = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      assert.equal(hashSlot(key), expected, `slot of ${key.toString('hex')}`);
      // The cluster layer's keySlot (key tooltips, routing by slot) says the same.
      assert.equal(keySlot(key), expected, `keySlot of ${key.toString('hex')}`);
      // The part hashTagOf names is what Redis hashes: its slot is the key's slot.
      assert.equal(hashSlot(hashTagOf(key) ?? key), expected, `hash tag of ${key.toString('hex')}`);
    }
    assert.equal(hashTagOf(Buffer.from('{{a}}'))?.toString(), '{a');
    assert.equal(hashTagOf(Buffer.from('a{b}c{d}'))?.toString(), 'b');
    assert.equal(hashTagOf(Buffer.from('foo{}{bar}')), undefined);
    assert.equal(hashTagOf(Buffer.from('{}')), undefined);
  });

  it("finds one id's keys spread over slots, which CROSSSLOT refuses, and the hash tag that keeps them together", async () => {
    await client.set('auth:42:session', 's');
    await client.set('auth:42:tokens', 't');
    await client.set('auth:{7}:session', 's');
    await client.set('auth:{7}:tokens', 't');
    await client.set('user:profile:1', 'a');
    await client.set('user:profile:2', 'b');
    await client.set('shared:config:app', 'c');
    const result = await checkClusterSlots(client, Buffer.from(':'), { scanCount: 10 });
    const findings = clusterSlotFindings(result);
    assert.deepEqual(
      findings.map((f) => [f.label, f.description, f.examples.map((k) => k.toString())]),
      [['auth:<id>:…', '1 id whose keys span hash slots · 2 keys', ['auth:42:session', 'auth:42:tokens']]],
    );
    const [finding] = findings;
    const session = Number(await client.call('CLUSTER', 'KEYSLOT', 'auth:42:session'));
    const tokens = Number(await client.call('CLUSTER', 'KEYSLOT', 'auth:42:tokens'));
    const tagged = Number(await client.call('CLUSTER', 'KEYSLOT', 'auth:{42}:session'));
    assert.match(
      finding?.detail ?? '',
      new RegExp(`auth:42:session → slot ${session}, auth:42:tokens → slot ${tokens}`),
    );
    assert.match(
      finding?.detail ?? '',
      new RegExp(`auth:\\{42\\}:session, auth:\\{42\\}:tokens all map to slot ${tagged}`),
    );
    // What the finding warns about, for real: the untagged pair is refused, the tagged one is not.
    await assert.rejects(client.mget('auth:42:session', 'auth:42:tokens'), /CROSSSLOT/);
    assert.deepEqual(await client.mget('auth:{7}:session', 'auth:{7}:tokens'), ['s', 't']);
  });
});
