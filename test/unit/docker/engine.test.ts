import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { processEnvironment } from '../../../src/docker/endpoint';
import { connectEngine, EngineConnection, EngineUnreachableError, probeEngines } from '../../../src/docker/engine';
import { freePort } from '../../support/redisServer';
import { requireEngine } from '../../support/engine';

describe('the Docker engine', function () {
  this.timeout(15_000);
  let engine: EngineConnection | undefined;
  before(async function () {
    engine = await requireEngine(this);
  });

  it('is found and reports the version the docker CLI sees', () => {
    const cliVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}']).toString().trim();
    assert.equal(engine?.version, cliVersion);
    assert.match(engine?.apiVersion ?? '', /^1\.\d+$/);
  });

  it('falls back past a DOCKER_HOST that does not answer', async () => {
    const closed = await freePort();
    const connection = await connectEngine(undefined, {
      environment: { ...processEnvironment(), env: { DOCKER_HOST: `tcp://127.0.0.1:${closed}` } },
    });
    assert.equal(connection.endpoint.source, 'default socket');
    assert.equal(connection.version, engine?.version);
  });

  it('lists every endpoint it tried, and why each failed, when none answers', async () => {
    const closed = await freePort();
    await assert.rejects(
      probeEngines(
        [
          { url: 'unix:///nonexistent/shared-redis/docker.sock', source: 'setting sharedRedis.dockerHost' },
          { url: `tcp://127.0.0.1:${closed}`, source: 'DOCKER_HOST' },
        ],
        1000,
      ),
      (error: unknown) => {
        assert.ok(error instanceof EngineUnreachableError);
        assert.equal(
          error.message,
          `No Docker engine answered. Tried unix:///nonexistent/shared-redis/docker.sock (setting sharedRedis.dockerHost: ENOENT); tcp://127.0.0.1:${closed} (DOCKER_HOST: ECONNREFUSED). ` +
            'Start Docker, or point the sharedRedis.dockerHost setting at your engine.',
        );
        return true;
      },
    );
  });
});
