import * as assert from 'node:assert/strict';
import { connectsBeforeStack, connectsWhilePasswordIsRead } from '../../../src/redis/connectBeforeStack';
import type { RedisEndpoint } from '../../../src/redis/endpoint';

describe('connecting before the stack answers', () => {
  it('connects at once when the settings name the port', () => {
    assert.equal(connectsBeforeStack({ portNamed: true, sentinel: false, variant: 'single' }), true);
  });

  it("waits when the port is the default one: the stack's Redis may be on another port", () => {
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: false, variant: 'single' }), false);
  });

  it('connects at once to a Sentinel endpoint, which the stack never replaces', () => {
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: true, variant: 'single' }), true);
  });

  it('waits for the cluster variant, whose node addresses only the stack knows', () => {
    assert.equal(connectsBeforeStack({ portNamed: true, sentinel: false, variant: 'cluster' }), false);
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: true, variant: 'cluster' }), false);
  });
});

describe('connecting while the stored password is read', () => {
  const endpoint = { host: '127.0.0.1', port: 6379, db: 0, tls: false } as const;

  it('connects to a server the settings name for the default user, which sends no AUTH without a password', () => {
    assert.equal(connectsWhilePasswordIsRead(endpoint, { enteredInWindow: false }), true);
  });

  it('waits when the settings name a user: ioredis would send AUTH with an empty password, a refused login the server logs', () => {
    assert.equal(connectsWhilePasswordIsRead({ ...endpoint, username: 'alice' }, { enteredInWindow: false }), false);
  });

  it('waits for a Sentinel, asked for its master with credentials of its own', () => {
    const sentinel = { kind: 'sentinel', masterName: 'mymaster', sentinels: [{ host: '127.0.0.1', port: 26379 }] };
    assert.equal(
      connectsWhilePasswordIsRead({ ...endpoint, sentinel } as unknown as RedisEndpoint, { enteredInWindow: false }),
      false,
    );
  });

  it('does not when a password entered in this window is at hand', () => {
    assert.equal(connectsWhilePasswordIsRead(endpoint, { enteredInWindow: true }), false);
  });
});
