import * as assert from 'node:assert/strict';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { NamespaceKeyPager } from '../../../../src/redis/keyspace/pager';
import { useRedisServer } from '../../../support/useRedisServer';
import { clientOf, endpointOf } from './support';

describe('the walk and the pager in the selected database (setting db)', function () {
  this.timeout(20_000);
  const server = useRedisServer();

  before(async () => {
    const db0 = await clientOf(server, 0);
    const db3 = await clientOf(server, 3);
    await db0.mset('auth:session:1', 'a', 'auth:session:2', 'b', 'user:profile:1', 'c');
    await db3.mset('auth:session:9', 'x', 'billing:invoice:1', 'y');
    db0.disconnect();
    db3.disconnect();
  });

  it('counts only the keys of db 3, on both walk paths', async () => {
    for (const parts of [1, 2] as const) {
      const model = await walkKeyspace({ endpoint: endpointOf(server, 3), credentials: {} }, { parts }).done;
      assert.equal(model.totalKeys, 2);
      assert.deepEqual(
        model.root.childNamespaces().map((n) => `${n.label()}=${n.count}`),
        ['auth=1', 'billing=1'],
      );
    }
    const client = await clientOf(server, 3);
    try {
      const model = await walkKeyspace({ client }).done;
      assert.deepEqual(
        model.root.childNamespaces().map((n) => `${n.label()}=${n.count}`),
        ['auth=1', 'billing=1'],
      );
      const session = model.findNamespace('auth:session');
      assert.ok(session);
      const page = await new NamespaceKeyPager(client, session).next();
      assert.deepEqual(
        page.keys.map((k) => k.key.toString()),
        ['auth:session:9'],
      );
    } finally {
      client.disconnect();
    }
  });
});
