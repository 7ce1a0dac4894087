import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keySlot } from '../../../../src/redis/cluster/topology';
import { RedisEndpoint } from '../../../../src/redis/endpoint';
import { localCliLaunch } from '../../../../src/redis/serverInfo';
import { useRedisCluster } from '../../../support/redisCluster';

const PASSWORD = 'cluster-cli-password-91d2';
const run = promisify(execFile);

describe('redis-cli on a Redis Cluster (a real six-node cluster)', function () {
  this.timeout(60_000);
  const fixture = useRedisCluster({ password: PASSWORD });

  it('follows MOVED: a key served by another master is written and read from the seed node', async () => {
    const seed = fixture.cluster.nodes[0];
    assert.ok(seed);
    const endpoint: RedisEndpoint = { host: seed.host, port: seed.port, db: 0, tls: false };
    // The seed node (the first master) serves the lowest slots; this key's slot is in the last third.
    const key = Array.from({ length: 100 }, (_, i) => `cli:${i}`).find((k) => keySlot(k) > 12_000);
    assert.ok(key);
    const launch = localCliLaunch(endpoint, PASSWORD, { cluster: true });
    const env = { ...process.env, ...launch.env };
    const set = await run('redis-cli', [...launch.args, 'SET', key, 'followed'], { env });
    assert.equal(set.stdout.trim(), 'OK');
    const get = await run('redis-cli', [...launch.args, 'GET', key], { env });
    assert.equal(get.stdout.trim(), '"followed"');
  });
});
