import * as assert from 'node:assert/strict';
import {
  credentialKey,
  describeEndpoint,
  documentServer,
  RedisEndpoint,
  sameDocumentServer,
} from '../../../src/redis/endpoint';
import { classifyRedisError } from '../../../src/redis/errors';

describe('describeEndpoint', () => {
  it('names host and port, and only the extras that apply', () => {
    assert.equal(describeEndpoint({ host: '127.0.0.1', port: 6379, db: 0, tls: false }), '127.0.0.1:6379');
    assert.equal(
      describeEndpoint({ host: 'redis.local', port: 6380, db: 2, username: 'auth-service', tls: true }),
      'redis.local:6380 (db 2, user auth-service, TLS)',
    );
    assert.equal(describeEndpoint({ host: '::1', port: 6379, db: 0, tls: false }), '[::1]:6379');
  });
});

describe('classifyRedisError', () => {
  const endpoint = { host: '127.0.0.1', port: 6379, db: 0, tls: false };
  it('sorts server replies and socket errors into the three kinds', () => {
    assert.equal(
      classifyRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'), endpoint).kind,
      'auth-failed',
    );
    assert.equal(classifyRedisError(new Error('NOAUTH Authentication required.'), endpoint).kind, 'auth-failed');
    assert.equal(classifyRedisError(new Error('Command timed out'), endpoint).kind, 'timeout');
    assert.equal(
      classifyRedisError(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), endpoint).kind,
      'timeout',
    );
    assert.equal(
      classifyRedisError(Object.assign(new Error('getaddrinfo ENOTFOUND redis'), { code: 'ENOTFOUND' }), endpoint)
        .message,
      'Redis at 127.0.0.1:6379 is unreachable (ENOTFOUND). Start the shared Redis stack, or check the sharedRedis.host and sharedRedis.port settings.',
    );
  });
});

describe('credentialKey: which stored password belongs to an endpoint', () => {
  const viaSentinels = (masterName: string, ...ports: number[]): RedisEndpoint => ({
    host: '127.0.0.1',
    port: 6379,
    db: 0,
    tls: false,
    sentinel: { kind: 'sentinel', masterName, sentinels: ports.map((port) => ({ host: '10.0.0.1', port })) },
  });

  it("keeps two Sentinel deployments' masters apart even when both are called mymaster", () => {
    // Staging and production Sentinels both watching "mymaster": one password must not go to the other.
    assert.notEqual(credentialKey(viaSentinels('mymaster', 26379)), credentialKey(viaSentinels('mymaster', 36379)));
  });

  it('is the same for the same Sentinels in another order, and for the same master after a failover', () => {
    assert.equal(
      credentialKey(viaSentinels('mymaster', 26379, 26380)),
      credentialKey(viaSentinels('mymaster', 26380, 26379)),
    );
    assert.equal(
      credentialKey({ ...viaSentinels('mymaster', 26379), host: '10.0.0.9', port: 6380 }),
      credentialKey(viaSentinels('mymaster', 26379)),
    );
  });

  it('is the host and port for one server', () => {
    assert.equal(credentialKey({ host: '::1', port: 6380, db: 0, tls: false }), 'sharedRedis.credentials/[::1]:6380');
  });
});

describe('the server a key document was read from (documentServer, sameDocumentServer)', () => {
  const node = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });
  const cluster = (...ports: number[]): RedisEndpoint => ({
    host: '127.0.0.1',
    port: ports[0] ?? 0,
    db: 0,
    tls: false,
    cluster: { seeds: ports.map(node), natMap: {} },
  });

  it('is one server by host and port, and another server is not it', () => {
    const a = documentServer({ host: '127.0.0.1', port: 6379, db: 0, tls: false });
    assert.ok(sameDocumentServer(a, { host: '127.0.0.1', port: 6379, db: 3, tls: false }));
    assert.ok(!sameDocumentServer(a, { host: '127.0.0.1', port: 6380, db: 0, tls: false }));
  });

  it('is still the cluster when its first node stops (the stack then starts from the next), and not another cluster', () => {
    const read = documentServer(cluster(7001, 7002, 7003));
    assert.ok(sameDocumentServer(read, cluster(7002, 7003)));
    assert.ok(!sameDocumentServer(read, cluster(8001, 8002)));
    assert.ok(!sameDocumentServer(read, { host: '127.0.0.1', port: 7002, db: 0, tls: false }));
  });
});
