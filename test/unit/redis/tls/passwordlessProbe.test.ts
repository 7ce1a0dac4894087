import * as assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import Redis from 'ioredis';
import { probePasswordlessAccess } from '../../../../src/redis/hardening/passwordlessProbe';
import { startRedis, TestRedis } from './fixtures';

/** An IPv4 address of this machine that is not loopback (eth0, docker0 ...). */
function nonLoopbackAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to test with');
}

describe('the passwordless-access probe against real redis-server processes', function () {
  this.timeout(30_000);
  const address = nonLoopbackAddress();
  let exposed: TestRedis;
  let guarded: TestRedis;
  let protectedMode: TestRedis;
  let loopback: TestRedis;

  before(async () => {
    [exposed, guarded, protectedMode, loopback] = await Promise.all([
      startRedis({ host: address, extraArgs: ['--protected-mode', 'no'] }),
      startRedis({ host: address, password: 'probe-unit-password', extraArgs: ['--protected-mode', 'no'] }),
      startRedis({ host: address }),
      startRedis({ extraArgs: ['--protected-mode', 'no'] }),
    ]);
  });
  after(async () => {
    await Promise.all([exposed, guarded, protectedMode, loopback].map((s) => s?.stop()));
  });

  const endpoint = (server: TestRedis): { host: string; port: number; db: number; tls: false } => ({
    host: server.host,
    port: server.port,
    db: 0,
    tls: false,
  });

  it('a Redis on a non-loopback address that answers PING without a password is open', async () => {
    const result = await probePasswordlessAccess(endpoint(exposed));
    assert.deepEqual(result, { kind: 'open', endpoint: `${address}:${exposed.port}` });
  });

  it('a server whose password-less default user may only PING (a healthcheck) is not open: its keys are not exposed', async () => {
    const pingOnly = await startRedis({ host: address, extraArgs: ['--protected-mode', 'no'] });
    const admin = new Redis({ host: pingOnly.host, port: pingOnly.port, lazyConnect: true });
    try {
      await admin.connect();
      await admin.call('ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all');
      await admin.call('ACL', 'SETUSER', 'default', 'on', 'nopass', 'resetkeys', 'resetchannels', '-@all', '+ping');
      const result = await probePasswordlessAccess(endpoint(pingOnly));
      assert.equal(result.kind, 'closed', JSON.stringify(result));
      assert.match(result.kind === 'closed' ? result.detail : '', /PING without a password, but no key command/);
    } finally {
      admin.disconnect();
      await pingOnly.stop();
    }
  });

  it('with a password it is closed, and the probe never sends one', async () => {
    const result = await probePasswordlessAccess({ ...endpoint(guarded), username: 'alice', db: 2 });
    assert.equal(result.kind, 'closed');
    assert.equal(result.endpoint, `${address}:${guarded.port}`);
  });

  it('protected mode (no password, but the server drops other hosts) is not open', async () => {
    const result = await probePasswordlessAccess(endpoint(protectedMode));
    assert.notEqual(result.kind, 'open');
    assert.notEqual(result.kind, 'loopback');
  });

  it('a host name that resolves only to loopback counts as loopback', async () => {
    const { hostname } = await import('node:os');
    const { lookup } = await import('node:dns/promises');
    const name = hostname();
    const addresses = await lookup(name, { all: true });
    // On this machine /etc/hosts maps the host name to 127.0.0.1; elsewhere it may not, and then this says nothing.
    if (addresses.every((a) => a.address.startsWith('127.'))) {
      assert.equal((await probePasswordlessAccess({ ...endpoint(loopback), host: name })).kind, 'loopback');
    } else {
      assert.notEqual((await probePasswordlessAccess({ ...endpoint(loopback), host: name }, 500)).kind, 'loopback');
    }
  });

  it('loopback is not probed at all', async () => {
    assert.equal((await probePasswordlessAccess(endpoint(loopback))).kind, 'loopback');
    assert.equal((await probePasswordlessAccess({ ...endpoint(loopback), host: 'localhost' })).kind, 'loopback');
  });

  it('a server that is not there is unknown, not open', async () => {
    await exposed.stop();
    const result = await probePasswordlessAccess(endpoint(exposed), 1000);
    assert.equal(result.kind, 'unknown');
  });
});
