import * as assert from 'node:assert/strict';
import { replicaAddresses, replicaNodes as replicas } from '../../../../src/redis/cluster/replicas';

// CLUSTER REPLICAS lines in the form Redis 7.0 writes them; the first two as the bundled
// cluster stack's nodes announce themselves (container IP, `--cluster-announce-hostname`).
const STACK_LINES = [
  '4f1c0e7d2a6b8c9d0e1f2a3b4c5d6e7f8a9b0c1d 172.18.0.5:6379@16379,redis-node-4 slave 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 0 1733212800000 1 connected',
];
const STACK_NAT_MAP = {
  'redis-node-1:6379': { host: '127.0.0.1', port: 7001 },
  'redis-node-4:6379': { host: '127.0.0.1', port: 7004 },
};

describe('replicaNodes: where this machine dials each replica of CLUSTER REPLICAS', () => {
  it('names a replica that announces a hostname by the natMap entry of that hostname, once (not also by its container IP)', () => {
    assert.deepEqual(replicaAddresses(STACK_LINES, STACK_NAT_MAP, ['127.0.0.1:7004']), ['127.0.0.1:7004']);
    // Not yet in the slot map (it has replicated nothing yet): the same address all the same.
    assert.deepEqual(replicaAddresses(STACK_LINES, STACK_NAT_MAP, []), ['127.0.0.1:7004']);
  });

  it('maps an announced IP through the natMap when the natMap is keyed by IP', () => {
    const line = 'ab 10.0.0.7:6380@16380 slave cd 0 0 1 connected';
    assert.deepEqual(replicaAddresses([line], { '10.0.0.7:6380': { host: '127.0.0.1', port: 7100 } }, []), [
      '127.0.0.1:7100',
    ]);
  });

  it('dials the IP of a replica that no natMap entry names, unless the slot map names it by its hostname', () => {
    const line = 'ab 10.0.0.7:6380@16380,cache-4 slave cd 0 0 1 connected';
    assert.deepEqual(replicaAddresses([line], {}, []), ['10.0.0.7:6380']);
    assert.deepEqual(replicaAddresses([line], {}, ['cache-4:6380']), ['cache-4:6380']);
  });

  it('reads the port of an IPv6 address after its last colon', () => {
    const line = 'ab ::1:7005@17005 slave cd 0 0 1 connected';
    assert.deepEqual(replicaAddresses([line], {}, []), ['::1:7005']);
    assert.deepEqual(
      replicaAddresses(
        ['ab ::1:7005@17005,node-5 slave cd 0 0 1 connected'],
        {
          'node-5:7005': { host: '127.0.0.1', port: 7005 },
        },
        [],
      ),
      ['127.0.0.1:7005'],
    );
  });

  it('names a replica flagged fail or noaddr as down (it serves nothing now, and its users are in force when it is back)', () => {
    const lines = [
      'a1b2c3d4e5 127.0.0.1:7004@17004 slave,fail m 0 0 1 disconnected',
      'f6e5d4c3b2 :0@0 slave,noaddr m 0 0 1 disconnected',
      'a3 127.0.0.1:7005@17005 slave m 0 0 1 connected',
    ];
    assert.deepEqual(replicas(lines, {}, []), [
      { address: '127.0.0.1:7004', failed: true, down: 'fail' },
      { address: 'node f6e5d4c3 (no address)', failed: true, down: 'noaddr' },
      { address: '127.0.0.1:7005', failed: false },
    ]);
    // The replicas that serve, for the views that read them.
    assert.deepEqual(replicaAddresses(lines, {}, []), ['127.0.0.1:7005']);
  });
});
