import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectRedis } from '../../../../src/redis/connection';
import { RedisEndpoint, RedisTlsSettings } from '../../../../src/redis/endpoint';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { RespScanSource } from '../../../../src/redis/keyspace/respScanSource';
import { walkKeyspace } from '../../../../src/redis/keyspace/walker';
import { localCliLaunch } from '../../../../src/redis/serverInfo';
import {
  CountingProxy,
  makeCertificates,
  sleep,
  startCountingProxy,
  startRedis,
  TestCertificates,
  TestRedis,
} from './fixtures';

const FAST = { timeoutMs: 2000, maxReconnects: 5, connectionName: 'shared-redis-tls-unit' };
/** Long enough for a reconnect loop (100, 200, 400 ms ...) to show itself in the count. */
const WATCH_MS = 2500;

function tlsEndpoint(server: { host: string; port: number }, settings: RedisTlsSettings): RedisEndpoint {
  return { host: server.host, port: server.port, db: 0, tls: true, tlsSettings: settings };
}

async function failure(promise: Promise<unknown>): Promise<RedisConnectionError> {
  try {
    const client = await promise;
    (client as { disconnect?: () => void }).disconnect?.();
  } catch (error) {
    assert.ok(error instanceof RedisConnectionError, `expected a RedisConnectionError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the connection to fail');
}

describe('TLS connections against real redis-server processes', function () {
  this.timeout(60_000);
  let certs: TestCertificates;
  let good: TestRedis;
  let expired: TestRedis;
  let unknownCa: TestRedis;
  let wrongName: TestRedis;
  let mutual: TestRedis;
  let plain: TestRedis;
  let selfSigned: TestRedis;
  const proxies: CountingProxy[] = [];
  const proxy = async (server: TestRedis): Promise<CountingProxy> => {
    const p = await startCountingProxy(server);
    proxies.push(p);
    return p;
  };

  before(async () => {
    certs = makeCertificates();
    const tls = (cert: string, key: string, authClients: 'yes' | 'optional' = 'optional') => ({
      cert,
      key,
      ca: certs.caCert,
      authClients,
    });
    [good, expired, unknownCa, wrongName, mutual, plain, selfSigned] = await Promise.all([
      startRedis({ tls: tls(certs.serverCert, certs.serverKey) }),
      startRedis({ tls: tls(certs.expiredCert, certs.expiredKey) }),
      startRedis({ tls: tls(certs.unknownCaCert, certs.unknownCaKey) }),
      startRedis({ tls: tls(certs.wrongNameCert, certs.wrongNameKey) }),
      startRedis({ tls: tls(certs.serverCert, certs.serverKey, 'yes') }),
      startRedis({}),
      startRedis({
        tls: { cert: certs.selfSignedCert, key: certs.selfSignedKey, ca: certs.caCert, authClients: 'optional' },
      }),
    ]);
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all([good, expired, unknownCa, wrongName, mutual, plain, selfSigned].map((s) => s?.stop()));
    certs?.remove();
  });

  it('connects with the CA file and answers commands', async () => {
    const client = await connectRedis(tlsEndpoint(good, { caFile: certs.caCert }), {}, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
      assert.match(await client.info('server'), /redis_version:/);
    } finally {
      client.disconnect();
    }
  });

  it('checks the certificate against the server name when one is set', async () => {
    const client = await connectRedis(tlsEndpoint(good, { caFile: certs.caCert, serverName: 'redis.test' }), {}, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
    const error = await failure(
      connectRedis(tlsEndpoint(good, { caFile: certs.caCert, serverName: 'elsewhere.test' }), {}, FAST),
    );
    assert.equal(error.kind, 'tls-name-mismatch');
    assert.match(error.message, /not for "elsewhere\.test"/);
  });

  it('sends the client certificate to a server that requires one', async () => {
    const client = await connectRedis(
      tlsEndpoint(mutual, { caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.clientKey }),
      {},
      FAST,
    );
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('says a client certificate is required when none is set, once', async () => {
    const via = await proxy(mutual);
    const error = await failure(connectRedis(tlsEndpoint(via, { caFile: certs.caCert }), {}, FAST));
    assert.equal(error.kind, 'tls-client-certificate');
    assert.match(
      error.message,
      /requires a TLS client certificate and none was given\. Set sharedRedis\.tlsCertFile and sharedRedis\.tlsKeyFile/,
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1);
  });

  it('an expired server certificate: one clear message, one connection attempt', async () => {
    const via = await proxy(expired);
    const error = await failure(connectRedis(tlsEndpoint(via, { caFile: certs.caCert }), {}, FAST));
    assert.equal(error.kind, 'tls-expired');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} (TLS) presented a TLS certificate that has expired. ` +
        "Renew the server's certificate (redis.conf tls-cert-file) and restart Redis; certificate checking stays on.",
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1, 'no reconnect after a certificate failure');
  });

  it('a certificate from an unknown CA: one clear message naming sharedRedis.tlsCaFile, one attempt', async () => {
    const via = await proxy(unknownCa);
    const error = await failure(connectRedis(tlsEndpoint(via, {}), {}, FAST));
    assert.equal(error.kind, 'tls-untrusted');
    assert.match(
      error.message,
      new RegExp(
        `^Redis at 127\\.0\\.0\\.1:${via.port} \\(TLS\\) presented a TLS certificate signed by an unknown certificate authority \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)\\. Set sharedRedis\\.tlsCaFile to the CA certificate`,
      ),
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1, 'no reconnect after a certificate failure');

    // With a CA configured, but not the one that signed it, the message says so.
    const wrongCa = await failure(connectRedis(tlsEndpoint(unknownCa, { caFile: certs.caCert }), {}, FAST));
    assert.equal(wrongCa.kind, 'tls-untrusted');
    assert.ok(
      wrongCa.message.includes(`The CA in sharedRedis.tlsCaFile (${certs.caCert}) did not sign it`),
      wrongCa.message,
    );
  });

  it('a self-signed certificate says to trust that certificate, and trusting it works', async () => {
    const via = await proxy(selfSigned);
    const error = await failure(connectRedis(tlsEndpoint(via, {}), {}, FAST));
    assert.equal(error.kind, 'tls-untrusted');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} (TLS) presented a self-signed TLS certificate (DEPTH_ZERO_SELF_SIGNED_CERT). ` +
        'Set sharedRedis.tlsCaFile to that certificate itself (PEM file) to trust it, or give the server one signed by a CA.',
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1);
    const client = await connectRedis(tlsEndpoint(selfSigned, { caFile: certs.selfSignedCert }), {}, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('a certificate for another name says to set sharedRedis.tlsServerName', async () => {
    const via = await proxy(wrongName);
    const error = await failure(connectRedis(tlsEndpoint(via, { caFile: certs.caCert }), {}, FAST));
    assert.equal(error.kind, 'tls-name-mismatch');
    assert.match(
      error.message,
      /presented a TLS certificate that is not for "127\.0\.0\.1" \(IP: 127\.0\.0\.1 is not in the cert's list: \)\. Set sharedRedis\.tlsServerName/,
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1);
  });

  it('TLS on against a Redis without TLS says so, once', async () => {
    const via = await proxy(plain);
    const error = await failure(connectRedis(tlsEndpoint(via, {}), {}, FAST));
    assert.equal(error.kind, 'tls-not-tls');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} (TLS) accepted the connection but did not answer the TLS handshake. ` +
        "It looks like a Redis without TLS on that port: use the server's tls-port in sharedRedis.port, or turn sharedRedis.tls off.",
    );
    await sleep(WATCH_MS);
    assert.equal(via.connections, 1);
    // The walk's connection says the same.
    await assert.rejects(
      RespScanSource.open(tlsEndpoint(plain, {}), {}, FAST),
      (e: unknown) => e instanceof RedisConnectionError && e.kind === 'tls-not-tls',
    );
  });

  it('TLS off against a Redis with TLS says so, once', async () => {
    const via = await proxy(good);
    const error = await failure(connectRedis({ host: via.host, port: via.port, db: 0, tls: false }, {}, FAST));
    assert.equal(error.kind, 'tls-required');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} closed the connection without an answer: it speaks TLS on that port. ` +
        "Turn sharedRedis.tls on (with sharedRedis.tlsCaFile if the server's certificate is not from a CA this machine trusts), or use the server's plain port.",
    );
    await sleep(WATCH_MS);
    // One attempt and one TLS hello to see what the port speaks: no reconnect loop.
    assert.equal(via.connections, 2);
  });

  it('TLS off against a TLS 1.2 Redis that requires a client certificate also says the port speaks TLS', async () => {
    // Over TLS 1.2 such a server ends the handshake itself with an alert (no certificate came).
    const strict = await startRedis({
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, authClients: 'yes' },
      extraArgs: ['--tls-protocols', 'TLSv1.2'],
    });
    try {
      const error = await failure(connectRedis({ host: strict.host, port: strict.port, db: 0, tls: false }, {}, FAST));
      assert.equal(error.kind, 'tls-required');
    } finally {
      await strict.stop();
    }
  });

  it('walks the keyspace over TLS with exact counts (its reads come as data events, not into a reused buffer)', async () => {
    const client = await connectRedis(tlsEndpoint(good, { caFile: certs.caCert }), {}, FAST);
    try {
      const pipeline = client.pipeline();
      for (let i = 0; i < 3000; i++) pipeline.set(`tlswalk:${i % 3}:${i}`, 'x'.repeat(i % 50));
      await pipeline.exec();
      const model = await walkKeyspace(
        { endpoint: tlsEndpoint(good, { caFile: certs.caCert }), credentials: {}, tuning: FAST },
        { count: 200, match: 'tlswalk:*' },
      ).done;
      assert.equal(model.totalKeys, 3000);
      assert.deepEqual(
        [0, 1, 2].map((n) => model.findNamespace(`tlswalk:${n}`)?.count),
        [1000, 1000, 1000],
      );
    } finally {
      await client.del(...Array.from({ length: 3000 }, (_, i) => `tlswalk:${i % 3}:${i}`));
      client.disconnect();
    }
  });

  it('certificate checking off (the explicit opt-out) accepts the expired certificate', async () => {
    const client = await connectRedis(tlsEndpoint(expired, { verifyCertificate: false }), {}, FAST);
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('a missing or unusable file names the setting and the path, and nothing connects', async () => {
    const via = await proxy(good);
    const missing = join(certs.dir, 'no-such-ca.pem');
    const error = await failure(connectRedis(tlsEndpoint(via, { caFile: missing }), {}, FAST));
    assert.equal(error.kind, 'tls-config');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} (TLS) cannot use the CA certificate: ${missing} does not exist. ` +
        'Check sharedRedis.tlsCaFile: it must be the path of a PEM file this editor can read.',
    );

    const notPem = join(certs.dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    const bad = await failure(
      connectRedis(tlsEndpoint(via, { caFile: certs.caCert, certFile: certs.clientCert, keyFile: notPem }), {}, FAST),
    );
    assert.match(
      bad.message,
      new RegExp(`cannot use the client key: .*not-pem\\.txt is not a PEM file\\. Check sharedRedis\\.tlsKeyFile`),
    );

    const half = await failure(connectRedis(tlsEndpoint(via, { certFile: certs.clientCert }), {}, FAST));
    assert.match(half.message, /has a TLS client certificate but no client key\. Set sharedRedis\.tlsKeyFile too/);
    assert.equal(via.connections, 0);
  });

  it('an encrypted client key: one clear message saying to decrypt it, and nothing connects', async () => {
    const via = await proxy(mutual);
    const encrypted = join(certs.dir, 'client-key-encrypted.pem');
    await new Promise<void>((resolve, reject) =>
      execFile(
        'openssl',
        ['pkey', '-in', certs.clientKey, '-aes256', '-passout', 'pass:a-passphrase', '-out', encrypted],
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const error = await failure(
      connectRedis(
        tlsEndpoint(via, { caFile: certs.caCert, certFile: certs.clientCert, keyFile: encrypted }),
        {},
        FAST,
      ),
    );
    assert.equal(error.kind, 'tls-config');
    assert.equal(
      error.message,
      `Redis at 127.0.0.1:${via.port} (TLS) cannot use the client key: ${encrypted} is encrypted with a passphrase. ` +
        `Check sharedRedis.tlsKeyFile: point it at a key without a passphrase, kept where only you can read it (openssl pkey -in ${encrypted} -out client.key).`,
    );
    assert.equal(via.connections, 0);
  });

  it('a client certificate with a key that is not its own: one clear message naming the settings, and nothing connects', async () => {
    const via = await proxy(mutual);
    const error = await failure(
      connectRedis(
        tlsEndpoint(via, { caFile: certs.caCert, certFile: certs.clientCert, keyFile: certs.serverKey }),
        {},
        FAST,
      ),
    );
    assert.equal(error.kind, 'tls-config');
    assert.match(
      error.message,
      /cannot use its TLS files \(.*key values mismatch\)\. Check sharedRedis\.tlsCaFile, sharedRedis\.tlsCertFile and sharedRedis\.tlsKeyFile: the client certificate and its key must belong together\.$/,
    );
    assert.equal(via.connections, 0);
  });

  it('refuses PEM text in a path setting without repeating it', async () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    const error = await failure(
      connectRedis(tlsEndpoint(good, { certFile: certs.clientCert, keyFile: pem }), {}, FAST),
    );
    assert.equal(error.kind, 'tls-config');
    assert.match(error.message, /has the client key itself in sharedRedis\.tlsKeyFile instead of a file path/);
    assert.ok(!error.message.includes('MIGHAgEA'));
  });

  it("the keyspace walk's own connection uses the same TLS settings", async () => {
    const source = await RespScanSource.open(tlsEndpoint(good, { caFile: certs.caCert }), {}, FAST);
    try {
      assert.equal(typeof (await source.dbsize()), 'number');
    } finally {
      source.close();
    }
    const via = await proxy(expired);
    await assert.rejects(
      RespScanSource.open(tlsEndpoint(via, { caFile: certs.caCert }), {}, FAST),
      (error: unknown) => error instanceof RedisConnectionError && error.kind === 'tls-expired',
    );
    await sleep(500);
    assert.equal(via.connections, 1);
  });

  it('the local redis-cli gets --tls, --cacert, --cert, --key and --sni, and --insecure only with checking off', async () => {
    const run = (endpoint: RedisEndpoint): Promise<string> =>
      new Promise((resolve) => {
        const launch = localCliLaunch(endpoint, undefined);
        execFile('redis-cli', [...launch.args, 'PING'], { timeout: 10_000 }, (_error, stdout, stderr) =>
          resolve(`${stdout}${stderr}`.trim()),
        );
      });
    const mutualEndpoint = tlsEndpoint(mutual, {
      caFile: certs.caCert,
      certFile: certs.clientCert,
      keyFile: certs.clientKey,
      serverName: 'redis.test',
    });
    assert.deepEqual(localCliLaunch(mutualEndpoint, undefined).args.slice(7), [
      '--tls',
      '--cacert',
      certs.caCert,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      '--sni',
      'redis.test',
    ]);
    assert.equal(await run(mutualEndpoint), 'PONG');
    assert.match(await run(tlsEndpoint(expired, { caFile: certs.caCert })), /certificate verify failed/i);
    const insecure = tlsEndpoint(expired, { verifyCertificate: false });
    assert.ok(localCliLaunch(insecure, undefined).args.includes('--insecure'));
    assert.ok(!localCliLaunch(mutualEndpoint, undefined).args.includes('--insecure'));
    assert.equal(await run(insecure), 'PONG');
  });
});
