import * as assert from 'node:assert/strict';
import { explainWithStack } from '../../src/redisNotReady';
import { classifyRedisError } from '../../src/redis/errors';
import type { StackSnapshot } from '../../src/stackService';

const STACK = { host: '127.0.0.1', port: 6379, username: 'operator', password: undefined };
const ENDPOINT = { host: '127.0.0.1', port: 6379, db: 0, tls: false, username: 'operator' };

/** Only what explainWithStack reads of a snapshot: the stack's Redis while it starts. */
function snapshot(redisStarting: StackSnapshot['redisStarting']): StackSnapshot {
  return { redisStarting } as StackSnapshot;
}

function reset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
}

describe('a Redis failure told with what the Stack view knows (explainWithStack)', () => {
  it('says the stack is starting instead of "Start the shared Redis stack" while its healthcheck says starting', () => {
    const error = explainWithStack(classifyRedisError(reset(), ENDPOINT), snapshot(STACK), ENDPOINT);
    assert.equal(
      (error as Error).message,
      'Redis at 127.0.0.1:6379 (user operator) is not answering yet: the shared Redis stack is starting ' +
        '(healthcheck: starting). Try again in a few seconds.',
    );
  });

  it('keeps the classifier message when the stack is not starting, for another endpoint, and for other failures', () => {
    const unreachable = classifyRedisError(reset(), ENDPOINT);
    assert.equal(explainWithStack(unreachable, snapshot(undefined), ENDPOINT), unreachable);
    const elsewhere = classifyRedisError(reset(), { ...ENDPOINT, port: 6380 });
    assert.equal(explainWithStack(elsewhere, snapshot(STACK), { ...ENDPOINT, port: 6380 }), elsewhere);
    const wrongPassword = classifyRedisError(new Error('WRONGPASS invalid username-password pair'), ENDPOINT);
    assert.equal(explainWithStack(wrongPassword, snapshot(STACK), ENDPOINT), wrongPassword);
    assert.match((unreachable as Error).message, /Start the shared Redis stack/);
  });

  it("keeps it for a server reached through Sentinel, even when host and port are the stack's (the defaults)", () => {
    // A key command that loses its production master names the session's host:port, which
    // with Sentinel settings keep their defaults: 127.0.0.1:6379, the stack's default too.
    const throughSentinel = {
      ...ENDPOINT,
      sentinel: { kind: 'sentinel' as const, sentinels: [{ host: 'prod-sentinel', port: 26379 }], masterName: 'prod' },
    };
    const lost = classifyRedisError(reset(), ENDPOINT);
    assert.equal(explainWithStack(lost, snapshot(STACK), throughSentinel), lost);
  });

  it('says the stack is starting for its Redis in another database too', () => {
    const inDb2 = { ...ENDPOINT, db: 2 };
    const error = explainWithStack(classifyRedisError(reset(), inDb2), snapshot(STACK), inDb2);
    assert.match(
      (error as Error).message,
      /^Redis at 127\.0\.0\.1:6379 \(db 2, user operator\) is not answering yet: the shared Redis stack is starting/,
    );
  });
});
