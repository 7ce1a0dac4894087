import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import type { ComposeProject, ComposeService } from '../../../../src/docker/compose/model';
import { REPO_ROOT, rejectsWith, SHIPPED_STACK, withProject } from './helpers';

/** The file the extension ships, read now (so these tests follow it as it changes). */
const stackText = readFileSync(SHIPPED_STACK, 'utf8');
const envExample = readFileSync(join(REPO_ROOT, 'stack/.env.example'), 'utf8');
const PASSWORDS = {
  REDIS_PASSWORD: 'a-long-random-test-password-0123456789',
  COMMANDER_PASSWORD: 'commander-test-password',
};

function redisOf(project: ComposeProject): ComposeService {
  const redis = project.services.find((s) => s.name === 'shared-redis');
  assert.ok(redis, 'the stack has a shared-redis service');
  return redis;
}

describe('the shipped stack (stack/docker-compose.yml)', () => {
  it('loads in place with the passwords given', async () => {
    const project = await loadComposeProject(SHIPPED_STACK, { env: PASSWORDS });
    assert.equal(project.services[0]?.name, 'shared-redis');
    assert.equal(redisOf(project).environment['REDISCLI_AUTH'], PASSWORDS.REDIS_PASSWORD);
  });

  it('yields shared-redis on loopback only, with a named volume, the healthcheck and a restart policy', async () => {
    await withProject(
      { 'docker-compose.yml': stackText },
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: PASSWORDS });
        assert.equal(project.name, 'shared-redis');
        assert.deepEqual(
          project.services.map((s) => s.name),
          ['shared-redis'],
        );
        assert.deepEqual(project.disabledServices, ['commander']);
        const redis = redisOf(project);
        assert.match(redis.image, /^redis:/);

        assert.deepEqual(redis.ports, [{ target: 6379, published: '6379', hostIp: '127.0.0.1', protocol: 'tcp' }]);

        const data = redis.volumes.find((v) => v.target === '/data');
        assert.ok(data && data.type === 'volume' && data.source !== undefined, 'a named volume holds /data');
        const volume = project.volumes.find((v) => v.key === data.source);
        assert.ok(volume, 'the volume is declared at the top level');
        assert.equal(data.volumeName, volume.name);
        assert.equal(volume.external, false);

        assert.ok(redis.healthcheck?.test, 'a healthcheck');
        assert.ok(['CMD', 'CMD-SHELL'].includes(redis.healthcheck.test[0] ?? ''));
        assert.ok(redis.healthcheck.test.join(' ').includes('redis-cli'), 'the healthcheck pings with redis-cli');
        assert.ok((redis.healthcheck.interval ?? 0) > 0 && (redis.healthcheck.retries ?? 0) > 0);
        assert.deepEqual(redis.restart, { name: 'unless-stopped' });
        assert.ok(
          redis.networks.length > 0 && redis.networks.every((n) => project.networks.some((p) => p.key === n.key)),
        );
        for (const mount of redis.volumes) {
          if (mount.type === 'bind') {
            assert.ok(mount.source.startsWith(project.workingDir), 'binds are resolved against the stack folder');
          }
        }
      },
      'shared-redis',
    );
  });

  it('publishes REDIS_PORT, still on loopback', async () => {
    await withProject(
      { 'docker-compose.yml': stackText, '.env': 'REDIS_PORT=6390\n' },
      async ({ file }) => {
        const redis = redisOf(await loadComposeProject(file, { env: PASSWORDS }));
        assert.deepEqual(redis.ports, [{ target: 6379, published: '6390', hostIp: '127.0.0.1', protocol: 'tcp' }]);
      },
      'shared-redis',
    );
  });

  it('fails without REDIS_PASSWORD, naming it and its message', async () => {
    const message = /\$\{REDIS_PASSWORD:\?([^}]*)\}/.exec(stackText)?.[1];
    assert.ok(message, 'the stack requires REDIS_PASSWORD with a message');
    const line = stackText.split('\n').findIndex((l) => l.includes('${REDIS_PASSWORD:?')) + 1;
    await withProject(
      { 'docker-compose.yml': stackText },
      async ({ file }) => {
        const error = await rejectsWith(
          loadComposeProject(file, { env: { COMMANDER_PASSWORD: 'x' } }),
          `${file} line ${line}: ${await keyPathOfFirstProblem(file)}: required variable REDIS_PASSWORD is missing a value: ${message}`,
        );
        assert.equal(error.variable, 'REDIS_PASSWORD');
        assert.match(error.keyPath ?? '', /^services\.shared-redis\./);
      },
      'shared-redis',
    );
  });

  it('starts the commander profile after shared-redis, once it is healthy', async () => {
    await withProject(
      { 'docker-compose.yml': stackText },
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: { ...PASSWORDS, COMPOSE_PROFILES: 'commander' } });
        assert.deepEqual(
          project.services.map((s) => s.name),
          ['shared-redis', 'commander'],
        );
        const commander = project.services[1];
        assert.deepEqual(commander?.dependsOn, [
          { service: 'shared-redis', condition: 'service_healthy', restart: false },
        ]);
        assert.ok(
          commander?.ports.every((p) => p.hostIp === '127.0.0.1'),
          'commander is on loopback too',
        );
      },
      'shared-redis',
    );
  });

  it('loads with .env.example as its .env once the passwords are filled in', async () => {
    const filled = envExample
      .replace(/^REDIS_PASSWORD=.*$/m, `REDIS_PASSWORD=${PASSWORDS.REDIS_PASSWORD}`)
      .replace(/^COMMANDER_PASSWORD=.*$/m, `COMMANDER_PASSWORD=${PASSWORDS.COMMANDER_PASSWORD}`);
    await withProject(
      { 'docker-compose.yml': stackText, '.env': filled },
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: {} });
        assert.equal(redisOf(project).environment['REDISCLI_AUTH'], PASSWORDS.REDIS_PASSWORD);
        assert.equal(project.envFile.exists, true);
        assert.equal(project.envFile.values['REDIS_PASSWORD'], PASSWORDS.REDIS_PASSWORD);
      },
      'shared-redis',
    );
    await withProject(
      { 'docker-compose.yml': stackText, '.env': envExample },
      async ({ file }) => {
        const error = await loadComposeProject(file, { env: {} }).then(
          () => undefined,
          (e: unknown) => e as { variable?: string },
        );
        assert.equal(error?.variable, 'REDIS_PASSWORD', 'the example alone has no password');
      },
      'shared-redis',
    );
  });
});

/** The key path of the first problem, found by loading once (the stack may move the variable around). */
async function keyPathOfFirstProblem(file: string): Promise<string> {
  try {
    await loadComposeProject(file, { env: { COMMANDER_PASSWORD: 'x' } });
  } catch (error) {
    return (error as { keyPath?: string }).keyPath ?? '';
  }
  return '';
}
