import * as assert from 'node:assert/strict';
import { RedisConnectionError } from '../../src/redis/errors';

/** The typed error a connection attempt failed with; fails the test if it connected or failed otherwise. */
export async function connectionFailure(promise: Promise<unknown>): Promise<RedisConnectionError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RedisConnectionError, `expected a RedisConnectionError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the connection to fail');
}
