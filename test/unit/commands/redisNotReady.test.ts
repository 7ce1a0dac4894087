import * as assert from 'node:assert/strict';
import { explainWithStack } from '../../../src/commands/redisNotReady';
import { classifyRedisError } from '../../../src/redis/errors';
import type { StackSnapshot } from '../../../src/stackService';

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
    const error = explainWithStack(classifyRedisError(reset(), ENDPOINT), snapshot(STACK));
    assert.equal(
      (error as Error).message,
      'Redis at 127.0.0.1:6379 (user operator) is not answering yet: the shared Redis stack is starting ' +
        '(healthcheck: starting). Try again in a few seconds.',
    );
  });

  it('keeps the classifier message when the stack is not starting, for another endpoint, and for other failures', () => {
    const unreachable = classifyRedisError(reset(), ENDPOINT);
    assert.equal(explainWithStack(unreachable, snapshot(undefined)), unreachable);
    const elsewhere = classifyRedisError(reset(), { ...ENDPOINT, port: 6380 });
    assert.equal(explainWithStack(elsewhere, snapshot(STACK)), elsewhere);
    const wrongPassword = classifyRedisError(new Error('WRONGPASS invalid username-password pair'), ENDPOINT);
    assert.equal(explainWithStack(wrongPassword, snapshot(STACK)), wrongPassword);
    assert.match((unreachable as Error).message, /Start the shared Redis stack/);
  });
});
