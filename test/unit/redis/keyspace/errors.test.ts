import * as assert from 'node:assert/strict';
import { ClusterRoutingError } from '../../../../src/redis/cluster/connection';
import { keyspaceError } from '../../../../src/redis/keyspace/errors';

describe('keyspaceError', () => {
  it('keeps a command refused on a Redis Cluster as the refusal, not as an unreachable server', () => {
    // A node-local command sent through the cluster client (e.g. SCAN by a path not yet
    // cluster-aware) used to read "Redis at … is unreachable … Start the shared Redis stack".
    const refusal = new ClusterRoutingError('scan');
    const error = keyspaceError(refusal, { host: '127.0.0.1', port: 7000, db: 0, tls: false }, 'SCAN');
    assert.equal(error, refusal);
    assert.doesNotMatch(error.message, /unreachable|Start the shared Redis stack/);
    assert.match(error.message, /SCAN answers for one node only, and this Redis is a cluster/);
  });
});
