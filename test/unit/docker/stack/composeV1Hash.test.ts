import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { pythonJson } from '../../../../src/docker/compose/hash';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { composeV1Config, composeV1ConfigHash } from '../../../../src/docker/stack/composeV1Hash';
import { requireEngine } from '../../../support/engine';
import { BUNDLED_STACK, OFFLINE_REDIS_IMAGE } from '../../../support/stackFixture';

/** What `docker-compose config --hash '*'` (1.29.2, which asks the engine for image ids) prints, per service. */
function v1Hashes(dir: string, file: string): Map<string, string> {
  const output = execFileSync('docker-compose', ['-p', 'srtest-hash', '-f', file, 'config', '--hash', '*'], {
    cwd: dir, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  return new Map(output.trim().split('\n').map((line) => line.trim().split(/\s+/) as [string, string]));
}

describe('the config-hash docker-compose 1.29.2 computes', function () {
  this.timeout(60_000);
  let docker: Docker;
  const dirs: string[] = [];
  before(async function () {
    const engine = await requireEngine(this);
    if (engine) docker = engine.docker;
  });
  after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

  async function sameAsV1(files: Record<string, string>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'shared-redis-v1hash-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const file = join(dir, 'docker-compose.yml');
    const project = await loadComposeProject(file, { env: {}, projectName: 'srtest-hash' });
    const expected = v1Hashes(dir, file);
    assert.ok(project.services.length > 0);
    for (const service of project.services) {
      const imageId = (await docker.getImage(service.image).inspect()).Id;
      assert.equal(composeV1ConfigHash(composeV1Config(service), imageId), expected.get(service.name), `service ${service.name}`);
    }
  }

  it('for the shipped stack with its .env', async () => {
    const env = readFileSync(join(BUNDLED_STACK, '.env.example'), 'utf8')
      .replace(/^REDIS_PASSWORD=.*$/m, 'REDIS_PASSWORD=pässwörd"\\x')
      .replace(/^COMMANDER_PASSWORD=.*$/m, 'COMMANDER_PASSWORD=c')
      .replace(/^REDIS_IMAGE=.*$/m, `REDIS_IMAGE=${OFFLINE_REDIS_IMAGE}`);
    await sameAsV1({ 'docker-compose.yml': readFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), 'utf8'), '.env': env, 'users.acl': '' });
  });

  it('for networks with aliases, dependencies, labels, restart counts, anonymous and read-only mounts', async () => {
    await sameAsV1({
      'extra.env': 'FROM_FILE=1\n',
      'docker-compose.yml': `services:
  cache:
    image: ${OFFLINE_REDIS_IMAGE}
    container_name: my-cache
    entrypoint: ["redis-server"]
    command: ["--port", "6379"]
    env_file: extra.env
    environment:
      - GREETING=grüß dich
      - EMPTY=
    labels:
      team: core
      "tier.name": "cache \\"hot\\""
    ports:
      - "6379"
      - "127.0.0.1:7001:6379/udp"
    volumes:
      - /data
      - named:/named:ro
      - ./conf:/conf:ro
    networks:
      front:
        aliases: [cache-alias]
      back: {}
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1m30s
      retries: 2
    restart: on-failure:3
    depends_on:
      worker:
        condition: service_started
    profiles: [extra]
  worker:
    image: ${OFFLINE_REDIS_IMAGE}
    healthcheck:
      disable: true
volumes:
  named:
networks:
  front:
  back:
    name: the-back-net
`,
      '.env': 'COMPOSE_PROFILES=extra\n',
    });
  });

  it('serialises as Python json.dumps(sort_keys=True, separators=(",", ":")) does', () => {
    assert.equal(pythonJson({ b: [1, null, 'ü\u2028😀'], a: { y: true, x: '"\n\u007f' } }),
      '{"a":{"x":"\\"\\n\\u007f","y":true},"b":[1,null,"\\u00fc\\u2028\\ud83d\\ude00"]}');
  });
});
