import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerOptions, EndpointEnvironment, engineCandidates, processEnvironment } from '../../../src/docker/endpoint';

/** A home folder on disk with whatever Docker CLI files a test writes into it. */
function homeWith(
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
): EndpointEnvironment & { cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), 'docker-home-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(home, path, '..'), { recursive: true });
    writeFileSync(join(home, path), content);
  }
  const real = processEnvironment();
  return {
    ...real,
    env,
    home,
    platform: 'linux',
    uid: 1000,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

describe('engineCandidates', () => {
  it('puts the setting first, then DOCKER_HOST, then the default socket', () => {
    const environment = homeWith({}, { DOCKER_HOST: 'tcp://127.0.0.1:2375' });
    try {
      const urls = engineCandidates('unix:///custom/docker.sock', environment).map((c) => `${c.source}=${c.url}`);
      assert.deepEqual(urls, [
        'setting sharedRedis.dockerHost=unix:///custom/docker.sock',
        'DOCKER_HOST=tcp://127.0.0.1:2375',
        'default socket=unix:///var/run/docker.sock',
      ]);
    } finally {
      environment.cleanup();
    }
  });

  it('reads the current context from config.json and its endpoint from the hashed meta folder', () => {
    const hash = createHash('sha256').update('colima').digest('hex');
    const environment = homeWith({
      '.docker/config.json': JSON.stringify({ currentContext: 'colima' }),
      [`.docker/contexts/meta/${hash}/meta.json`]: JSON.stringify({
        Name: 'colima',
        Endpoints: { docker: { Host: 'unix:///home/dev/.colima/default/docker.sock' } },
      }),
    });
    try {
      const first = engineCandidates(undefined, environment)[0];
      assert.deepEqual(first, {
        url: 'unix:///home/dev/.colima/default/docker.sock',
        source: 'context colima',
        tls: undefined,
      });
    } finally {
      environment.cleanup();
    }
  });

  it('lists the well-known sockets of Desktop, rootless, Podman, Colima and Rancher only when they exist', () => {
    const environment = homeWith({ '.colima/default/docker.sock': '', '.rd/docker.sock': '' });
    try {
      const sources = engineCandidates(undefined, environment).map((c) => c.source);
      assert.deepEqual(sources, ['default socket', 'Colima', 'Rancher Desktop']);
    } finally {
      environment.cleanup();
    }
  });

  it('takes TLS material from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set', () => {
    const environment = homeWith({ 'certs/ca.pem': 'CA', 'certs/cert.pem': 'CERT', 'certs/key.pem': 'KEY' });
    try {
      const env = {
        DOCKER_HOST: 'tcp://127.0.0.1:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: join(environment.home, 'certs'),
      };
      const [candidate] = engineCandidates(undefined, { ...environment, env });
      assert.ok(candidate);
      const options = dockerOptions(candidate);
      assert.equal(options.protocol, 'https');
      assert.equal(options.port, 2376);
      assert.equal(String(options.ca), 'CA');
      assert.equal(String(options.key), 'KEY');
    } finally {
      environment.cleanup();
    }
  });
});

describe('dockerOptions', () => {
  it('maps unix, tcp and npipe endpoints to dockerode options', () => {
    assert.deepEqual(dockerOptions({ url: 'unix:///var/run/docker.sock', source: 't' }), {
      socketPath: '/var/run/docker.sock',
    });
    assert.deepEqual(dockerOptions({ url: 'tcp://127.0.0.1:2375', source: 't' }), {
      host: '127.0.0.1',
      port: 2375,
      protocol: 'http',
    });
    assert.deepEqual(dockerOptions({ url: 'npipe:////./pipe/docker_engine', source: 't' }), {
      socketPath: '\\\\.\\pipe\\docker_engine',
    });
  });

  it('rejects an endpoint it cannot use, saying which forms work', () => {
    assert.throws(
      () => dockerOptions({ url: 'ssh://dev@box', source: 't' }),
      /Unsupported Docker endpoint "ssh:\/\/dev@box": use unix:\/\/, tcp:\/\/ or npipe:\/\//,
    );
  });
});
