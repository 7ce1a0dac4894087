import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { ComposeFileError } from '../../../../src/docker/compose/errors';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import type { ComposePort, ComposeProject } from '../../../../src/docker/compose/model';
import { parsePortSpec } from '../../../../src/docker/compose/schema/ports';
import { DOCKER_COMPOSE, FIXTURES, requireDockerCompose, SHIPPED_STACK, withProject } from './helpers';

/**
 * Cross-check against the real tool: Debian's docker-compose (Compose v1, 1.29.2).
 * `docker-compose -f FILE config` prints the file after interpolation; the loader must
 * give the same image, ports and environment for the same file, .env and variables.
 * v1 knows neither `:+`/`+` nor nesting, so only the forms both know are compared here.
 */

interface V1Result {
  readonly ok: boolean;
  readonly output: string;
}

function v1Config(file: string, env: Readonly<Record<string, string>>): V1Result {
  const result = spawnSync(DOCKER_COMPOSE, ['-f', file, 'config'], {
    cwd: dirname(file),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ok: result.status === 0, output: result.status === 0 ? result.stdout : `${result.stderr}${result.stdout}` };
}

function portText(port: ComposePort): string {
  return `${port.hostIp ?? ''}|${port.published ?? ''}|${port.target}|${port.protocol}`;
}

interface Summary {
  image: string;
  ports: string[];
  environment: Record<string, string>;
}

/** image, ports and environment per service, from `docker-compose config` output. */
function summariseV1(output: string): Record<string, Summary> {
  const config = parse(output) as {
    services: Record<string, { image: string; ports?: unknown[]; environment?: Record<string, unknown> }>;
  };
  const unescape = (value: unknown): string => String(value ?? '').replace(/\$\$/g, '$');
  return Object.fromEntries(
    Object.entries(config.services).map(([name, service]) => {
      const ports = (service.ports ?? []).flatMap((port): string[] => {
        if (typeof port === 'string' || typeof port === 'number') {
          const parsed = parsePortSpec(String(port));
          assert.ok(typeof parsed !== 'string', `v1 printed a port the loader cannot read: ${String(port)}`);
          return parsed.map(portText);
        }
        const long = port as { target: number; published?: number | string; host_ip?: string; protocol?: string };
        return [`${long.host_ip ?? ''}|${long.published ?? ''}|${long.target}|${long.protocol ?? 'tcp'}`];
      });
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, unescape(value)]),
      );
      return [name, { image: unescape(service.image), ports: ports.sort(), environment }];
    }),
  );
}

function summariseLoader(project: ComposeProject): Record<string, Summary> {
  return Object.fromEntries(
    project.services.map((s) => [
      s.name,
      { image: s.image, ports: s.ports.map(portText).sort(), environment: { ...s.environment } },
    ]),
  );
}

async function crossCheck(
  file: string,
  env: Record<string, string>,
  profiles?: string[],
): Promise<Record<string, Summary>> {
  const v1 = v1Config(file, profiles ? { ...env, COMPOSE_PROFILES: profiles.join(',') } : env);
  assert.ok(v1.ok, `docker-compose config failed:\n${v1.output}`);
  const project = await loadComposeProject(file, { env, ...(profiles ? { profiles } : {}) });
  const ours = summariseLoader(project);
  // `config` prints every service, whatever the profiles: compare the ones that run.
  const all = summariseV1(v1.output);
  assert.deepEqual(
    Object.keys(all).sort(),
    [...project.services.map((s) => s.name), ...project.disabledServices].sort(),
  );
  const theirs = Object.fromEntries(project.services.map((s) => [s.name, all[s.name]]));
  assert.deepEqual(ours, theirs);
  return ours;
}

describe('cross-check with docker-compose (Compose v1) config', function () {
  this.timeout(120_000);

  before(function () {
    requireDockerCompose(this);
  });

  it('interpolates like docker-compose: defaults, required, $$, and the environment over .env', async () => {
    const file = join(FIXTURES, 'interpolation/docker-compose.yml');
    const summary = await crossCheck(file, { REDIS_PASSWORD: 'p@ss $ word', OVERRIDE_ME: 'from-env' });
    assert.equal(summary['shared-redis']?.environment['OVERRIDDEN'], 'from-env');
    assert.equal(summary['shared-redis']?.environment['LITERAL'], '$HOME and ${NOT_A_VAR}');
    await crossCheck(file, {
      REDIS_PASSWORD: 'x',
      REDIS_IMAGE: 'redis:7.4',
      REDIS_PORT: '7000',
      BIND_IP: '0.0.0.0',
      EMPTY_VAR: 'now set',
      PLAIN_VAR: '',
    });
  });

  it('reads env_file, list environment, bare keys and every port form like docker-compose', async () => {
    const file = join(FIXTURES, 'compat/docker-compose.yml');
    await crossCheck(file, { FROM_SHELL: 'from the shell' });
    await crossCheck(file, {
      FROM_SHELL: '',
      REGISTRY: 'registry.local:5000',
      TAG: 'latest',
      HOST_IP: '::1',
      WORKER_PORT: '28080',
      DB: '3',
      BUSYBOX_TAG: '',
    });
  });

  it('reads the shipped stack like docker-compose, with and without the commander profile', async () => {
    await withProject(
      {
        'docker-compose.yml': readFileSync(SHIPPED_STACK, 'utf8'),
        '.env': 'REDIS_PASSWORD=dotenv-password\nCOMMANDER_PASSWORD=c\nREDIS_PORT=6391\n',
      },
      async ({ file }) => {
        assert.deepEqual(Object.keys(await crossCheck(file, {})), ['shared-redis']);
        assert.deepEqual(Object.keys(await crossCheck(file, { REDIS_PASSWORD: 'env-password' }, ['commander'])), [
          'shared-redis',
          'commander',
        ]);
      },
      'shared-redis',
    );
  });

  it('fails where docker-compose fails, on the same missing variable and message', async () => {
    const file = join(FIXTURES, 'interpolation/docker-compose.yml');
    const v1 = v1Config(file, {});
    assert.equal(v1.ok, false);
    assert.match(v1.output, /set REDIS_PASSWORD in \.env/);
    await assert.rejects(loadComposeProject(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof ComposeFileError);
      assert.equal(error.variable, 'REDIS_PASSWORD');
      assert.ok(
        error.message.endsWith('required variable REDIS_PASSWORD is missing a value: set REDIS_PASSWORD in .env'),
      );
      return true;
    });
  });
});
