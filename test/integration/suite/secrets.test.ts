import * as assert from 'node:assert/strict';
import type { RedisEndpoint } from '../../../src/redis/endpoint';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { api } from './extensionApi';

/**
 * The stored password is read early, while the views start (RedisSecrets.readEarly), in VS
 * Code's real secret storage: what the connection then uses must still be what is stored.
 */
describe('stored passwords read early', function () {
  this.timeout(30_000);
  // Servers nobody runs: their entries are this test's own.
  const first: RedisEndpoint = { host: '127.0.0.1', port: 1, db: 0, tls: false };
  const second: RedisEndpoint = { host: '127.0.0.1', port: 2, db: 0, tls: false };
  let shared: SharedRedisInternals;
  before(async () => {
    shared = await api();
  });
  afterEach(async () => {
    await shared.secrets.forget(first);
    await shared.secrets.forget(second);
  });

  it('gives the password stored after the early read, not the one the early read found', async () => {
    await shared.secrets.store(first, { username: undefined, password: 'stored-before' });
    shared.secrets.readEarly(first);
    await shared.secrets.store(first, { username: 'app', password: 'stored-after' });
    assert.deepEqual(await shared.secrets.credentials(first), { username: 'app', password: 'stored-after' });
  });

  it('gives nothing once the password was forgotten after the early read', async () => {
    await shared.secrets.store(first, { username: undefined, password: 'stored-before' });
    shared.secrets.readEarly(first);
    await shared.secrets.forget(first);
    assert.equal(await shared.secrets.credentials(first), undefined);
  });

  it("never gives one server's early read for another", async () => {
    await shared.secrets.store(first, { username: undefined, password: 'first-server' });
    await shared.secrets.store(second, { username: undefined, password: 'second-server' });
    shared.secrets.readEarly(first);
    assert.equal((await shared.secrets.credentials(second))?.password, 'second-server');
    assert.equal((await shared.secrets.credentials(first))?.password, 'first-server');
  });
});
