import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describeEndpoint, isLoopbackHost, tlsUnverified } from '../../../../src/redis/endpoint';
import { isPermanentFailure } from '../../../../src/redis/errors';
import { cliTlsArguments } from '../../../../src/redis/serverInfo/cli';
import { expandSettingPath } from '../../../../src/redis/settingPath';
import { tlsConnectionOptions } from '../../../../src/redis/tls';

describe('TLS settings', () => {
  const places = { workspaceFolder: '/home/dev/project', home: '/home/dev' };

  it('expands ${workspaceFolder}, ${userHome}, ~ and relative paths; empty is unset', () => {
    assert.equal(expandSettingPath('${workspaceFolder}/certs/ca.pem', places), '/home/dev/project/certs/ca.pem');
    assert.equal(expandSettingPath('~/certs/ca.pem', places), join('/home/dev', 'certs/ca.pem'));
    assert.equal(expandSettingPath('${userHome}/ca.pem', places), '/home/dev/ca.pem');
    assert.equal(expandSettingPath('certs/ca.pem', places), '/home/dev/project/certs/ca.pem');
    assert.equal(expandSettingPath('/etc/ssl/ca.pem', places), '/etc/ssl/ca.pem');
    assert.equal(expandSettingPath('  ', places), undefined);
    assert.equal(expandSettingPath(undefined, places), undefined);
  });

  it('checks certificates unless turned off, and sends a host name (not an IP) as SNI', () => {
    const base = { host: 'redis.internal', port: 6380, db: 0, tls: true };
    assert.deepEqual(tlsConnectionOptions(base), { rejectUnauthorized: true, servername: 'redis.internal' });
    assert.deepEqual(tlsConnectionOptions({ ...base, host: '10.1.2.3' }), { rejectUnauthorized: true });
    assert.deepEqual(
      tlsConnectionOptions({ ...base, tlsSettings: { serverName: 'cache.example', verifyCertificate: false } }),
      { rejectUnauthorized: false, servername: 'cache.example' },
    );
    assert.equal(tlsConnectionOptions({ ...base, tls: false, tlsSettings: { caFile: '/nope' } }), undefined);
  });

  it('flags an unverified TLS endpoint in its description', () => {
    const endpoint = {
      host: 'redis.internal',
      port: 6380,
      db: 0,
      tls: true,
      tlsSettings: { verifyCertificate: false },
    };
    assert.equal(tlsUnverified(endpoint), true);
    assert.equal(describeEndpoint(endpoint), 'redis.internal:6380 (TLS, certificate not checked)');
    assert.equal(tlsUnverified({ ...endpoint, tls: false }), false);
    assert.equal(describeEndpoint({ ...endpoint, tlsSettings: {} }), 'redis.internal:6380 (TLS)');
  });

  it('redis-cli flags: --insecure only when checking is off', () => {
    const endpoint = { host: '10.0.0.5', port: 6380, db: 0, tls: true, tlsSettings: { caFile: '/c/ca.pem' } };
    assert.deepEqual(cliTlsArguments(endpoint), ['--tls', '--cacert', '/c/ca.pem', '--sni', '10.0.0.5']);
    assert.deepEqual(cliTlsArguments({ ...endpoint, tlsSettings: { verifyCertificate: false } }), [
      '--tls',
      '--sni',
      '10.0.0.5',
      '--insecure',
    ]);
    assert.deepEqual(cliTlsArguments({ ...endpoint, tls: false }), []);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of [
      '10.0.0.5',
      '192.0.2.2',
      '172.17.0.1',
      'redis.example',
      '::',
      '0.0.0.0',
      'fd00::2',
      '128.0.0.1',
    ]) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });

  it('auth and TLS failures are the ones never retried', () => {
    for (const kind of [
      'auth-failed',
      'tls-expired',
      'tls-untrusted',
      'tls-name-mismatch',
      'tls-not-tls',
      'tls-client-certificate',
      'tls-config',
    ] as const) {
      assert.ok(isPermanentFailure(kind), kind);
    }
    for (const kind of ['unreachable', 'timeout'] as const) assert.ok(!isPermanentFailure(kind), kind);
  });
});
