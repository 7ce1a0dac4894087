import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import type { ComposeService } from '../../../../src/docker/compose/model';
import { FIXTURES, rejectsWith, withProject, yaml } from './helpers';

function service(project: { services: readonly ComposeService[] }, name: string): ComposeService {
  const found = project.services.find((s) => s.name === name);
  assert.ok(found, `no service ${name}`);
  return found;
}

describe('loadComposeProject: short syntax', () => {
  const file = join(FIXTURES, 'short-syntax/docker-compose.yml');
  const dir = join(FIXTURES, 'short-syntax');

  it('reads every supported field written the short way', async () => {
    const project = await loadComposeProject(file, { env: { FROM_ENV: 'env-value' } });
    assert.equal(project.name, 'shortsyntaxdemo');
    assert.equal(project.workingDir, dir);
    assert.deepEqual(project.configFiles, [file]);
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['cache', 'worker'],
    );
    const { configHash, ...cache } = service(project, 'cache');
    assert.match(configHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(cache, {
      name: 'cache',
      image: 'redis:7.4-alpine',
      containerName: 'short-cache',
      command: ['redis-server', '--appendonly', 'yes', '--requirepass', '$NOT_INTERPOLATED'],
      entrypoint: ['docker-entrypoint.sh'],
      environment: {
        MODE: 'short',
        FILE_ONLY: 'two\nlines',
        EMPTY: '',
        FROM_ENV: 'env-value',
        FROM_DOTENV: 'dotenv-value',
      },
      envFiles: [join(dir, 'app.env')],
      ports: [
        { target: 6379, published: '6379', hostIp: '127.0.0.1', protocol: 'tcp' },
        { target: 6379, published: '6380', protocol: 'tcp' },
        { target: 6381, protocol: 'tcp' },
        { target: 6382, protocol: 'tcp' },
        { target: 7000, published: '7000', hostIp: '127.0.0.1', protocol: 'udp' },
        { target: 7001, published: '7001', hostIp: '127.0.0.1', protocol: 'udp' },
      ],
      volumes: [
        { type: 'volume', source: 'data', volumeName: 'shortsyntaxdemo_data', target: '/data', readOnly: false },
        {
          type: 'bind',
          source: join(dir, 'conf'),
          target: '/usr/local/etc/redis',
          readOnly: true,
          createHostPath: true,
        },
        { type: 'volume', target: '/var/log', readOnly: false },
      ],
      networks: [{ key: 'backend', name: 'shortsyntaxdemo_backend', aliases: [] }],
      healthcheck: {
        test: ['CMD-SHELL', 'redis-cli ping || exit 1'],
        interval: 90e9,
        timeout: 500e6,
        startPeriod: 5e9,
        retries: 3,
      },
      restart: { name: 'unless-stopped' },
      dependsOn: [],
      labels: { 'com.example.tier': 'cache', 'com.example.flag': '' },
      profiles: [],
    });
    const worker = service(project, 'worker');
    assert.deepEqual(worker.dependsOn, [{ service: 'cache', condition: 'service_started', restart: false }]);
    assert.deepEqual(worker.restart, { name: 'on-failure', maximumRetryCount: 5 });
    assert.deepEqual(worker.healthcheck, { test: ['NONE'] });
    assert.deepEqual(worker.networks, [{ key: 'default', name: 'shortsyntaxdemo_default', aliases: [] }]);
    assert.deepEqual(project.networks, [
      { key: 'default', name: 'shortsyntaxdemo_default', external: false, labels: {} },
      { key: 'backend', name: 'shortsyntaxdemo_backend', external: false, labels: {} },
    ]);
    assert.deepEqual(project.volumes, [{ key: 'data', name: 'shortsyntaxdemo_data', external: false, labels: {} }]);
    assert.deepEqual(project.envFile, {
      path: join(dir, '.env'),
      exists: true,
      values: { FROM_DOTENV: 'dotenv-value', CACHE_IMAGE: 'redis:7.4-alpine' },
    });
  });

  it('takes a variable from the process environment before the .env file', async () => {
    const project = await loadComposeProject(file, { env: { CACHE_IMAGE: 'redis:from-env', FROM_DOTENV: 'env wins' } });
    assert.equal(service(project, 'cache').image, 'redis:from-env');
    assert.equal(service(project, 'cache').environment['FROM_DOTENV'], 'env wins');
  });
});

describe('loadComposeProject: long syntax', () => {
  const dir = join(FIXTURES, 'long-syntax');

  it('reads every supported field written the long way', async () => {
    const project = await loadComposeProject(join(dir, 'docker-compose.yml'), { env: { FROM_ENV: 'from-env' } });
    assert.equal(project.name, 'long-syntax');
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['db', 'init', 'cache'],
    );
    const { configHash, ...cache } = service(project, 'cache');
    assert.match(configHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(cache, {
      name: 'cache',
      image: 'redis:7.2-alpine',
      command: ['redis-server', '--appendonly', 'yes'],
      entrypoint: ['docker-entrypoint.sh'],
      environment: { COMMON: 'yes', MODE: 'long', PORT: '6379', DEBUG: 'false', FROM_ENV: 'from-env' },
      envFiles: [join(dir, 'common.env')],
      ports: [
        { target: 6379, published: '6379', hostIp: '127.0.0.1', protocol: 'tcp', mode: 'host' },
        { target: 6380, published: '16380', protocol: 'tcp' },
      ],
      volumes: [
        { type: 'volume', source: 'data', volumeName: 'long-data', target: '/data', readOnly: false },
        { type: 'bind', source: join(dir, 'conf'), target: '/conf', readOnly: true, createHostPath: false },
        { type: 'volume', target: '/scratch', readOnly: false },
      ],
      networks: [
        { key: 'backend', name: 'long-syntax_backend', aliases: ['redis', 'cache.local'] },
        { key: 'frontend', name: 'shared-frontend', aliases: [] },
      ],
      healthcheck: { test: ['CMD-SHELL', 'redis-cli ping'], interval: 10e9, retries: 2 },
      dependsOn: [
        { service: 'db', condition: 'service_healthy', restart: true },
        { service: 'init', condition: 'service_completed_successfully', restart: false },
      ],
      labels: { 'com.example.tier': 'cache', 'com.example.port': '6379' },
      profiles: [],
    });
    assert.deepEqual(service(project, 'db').healthcheck, { test: ['CMD', 'pg_isready'] });
    assert.deepEqual(service(project, 'init').restart, { name: 'no' });
    assert.deepEqual(project.networks, [
      {
        key: 'backend',
        name: 'long-syntax_backend',
        external: false,
        driver: 'bridge',
        labels: { 'com.example.net': 'backend' },
      },
      { key: 'frontend', name: 'shared-frontend', external: true, labels: {} },
    ]);
    assert.deepEqual(project.volumes, [
      { key: 'data', name: 'long-data', external: false, driver: 'local', labels: { 'com.example.vol': 'data' } },
    ]);
    assert.deepEqual(project.envFile, { path: join(dir, '.env'), exists: false, values: {} });
  });

  it('leaves a bare environment key out when no variable has it', async () => {
    const project = await loadComposeProject(join(dir, 'docker-compose.yml'), { env: {} });
    assert.equal('FROM_ENV' in service(project, 'cache').environment, false);
  });
});

describe('loadComposeProject: interpolation', () => {
  const file = join(FIXTURES, 'interpolation/docker-compose.yml');

  it('applies every form to every string value, the environment winning over .env', async () => {
    const project = await loadComposeProject(file, { env: { REDIS_PASSWORD: 's3cret', OVERRIDE_ME: 'from-env' } });
    const redis = service(project, 'shared-redis');
    assert.equal(redis.image, 'redis:7.2-alpine');
    assert.deepEqual(redis.ports, [
      { target: 6379, published: '6390', hostIp: '127.0.0.1', protocol: 'tcp' },
      { target: 16379, published: '16390', hostIp: '127.0.0.1', protocol: 'tcp' },
    ]);
    assert.deepEqual(redis.environment, {
      REDISCLI_AUTH: 's3cret',
      PLAIN: 'plain',
      BRACED: 'plain-suffix',
      SOFT_DEFAULT: 'soft',
      HARD_DEFAULT: '',
      UNSET_HARD: 'hard',
      OPTIONAL_SET: '',
      LITERAL: '$HOME and ${NOT_A_VAR}',
      OVERRIDDEN: 'from-env',
      MISSING: '',
    });
  });

  it('names the missing required variable, its message, the file, line and key path', async () => {
    const error = await rejectsWith(
      loadComposeProject(file, { env: {} }),
      `${file} line 9: services.shared-redis.environment.REDISCLI_AUTH: required variable REDIS_PASSWORD is missing a value: set REDIS_PASSWORD in .env`,
    );
    assert.equal(error.variable, 'REDIS_PASSWORD');
    assert.equal(error.line, 9);
    assert.equal(error.keyPath, 'services.shared-redis.environment.REDISCLI_AUTH');
  });

  it('knows the :+ and + forms and nesting, which Compose v2 added', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  app:',
          '    image: ${REGISTRY:+${REGISTRY}/}redis:${TAG:-${DEFAULT_TAG:-7}}',
          '    labels:',
          '      set-alt: ${REGISTRY+yes}',
          '      unset-alt: ${NOPE+yes}',
          '      nested: ${A:-${B:-${C:-deep}}}',
        ),
        '.env': 'REGISTRY=registry.local\nDEFAULT_TAG=7.4\n',
      },
      async ({ file: composeFile }) => {
        const project = await loadComposeProject(composeFile, { env: {} });
        assert.equal(service(project, 'app').image, 'registry.local/redis:7.4');
        assert.deepEqual(service(project, 'app').labels, { 'set-alt': 'yes', 'unset-alt': '', nested: 'deep' });
      },
    );
  });

  it('does not interpolate keys, and reads values from .env with its own interpolation', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  app:',
          '    image: busybox',
          '    environment:',
          '      $$KEY: ${DERIVED}',
          '      "${LITERAL_KEY}": x',
        ),
        '.env': 'BASE=base\nDERIVED=${BASE}-derived\n',
      },
      async ({ file: composeFile }) => {
        const project = await loadComposeProject(composeFile, { env: {} });
        assert.deepEqual(service(project, 'app').environment, { $$KEY: 'base-derived', '${LITERAL_KEY}': 'x' });
      },
    );
  });

  it('reports an invalid template with its place', async () => {
    await withProject(
      { 'docker-compose.yml': yaml('services:', '  app:', '    image: busybox', '    command: ["echo", "costs 5$"]') },
      async ({ file: composeFile }) => {
        await rejectsWith(
          loadComposeProject(composeFile, { env: {} }),
          `${composeFile} line 4: services.app.command[1]: invalid interpolation format: a "$" starts no \${VAR} or $VAR (write "$$" for a literal "$"; the value is not shown, it may be a secret)`,
        );
      },
    );
  });

  it('interpolates a required variable in a profile that is off too, as Compose does', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  app:',
          '    image: busybox',
          '  extra:',
          '    image: busybox',
          '    profiles: [extra]',
          '    environment:',
          '      P: ${EXTRA_PASSWORD:?needed by extra}',
        ),
      },
      async ({ file: composeFile }) => {
        await rejectsWith(
          loadComposeProject(composeFile, { env: {} }),
          `${composeFile} line 8: services.extra.environment.P: required variable EXTRA_PASSWORD is missing a value: needed by extra`,
        );
      },
    );
  });
});

describe('loadComposeProject: errors', () => {
  it('a wrong type names the file, line and key path', async () => {
    const file = join(FIXTURES, 'errors/wrong-type.yml');
    const error = await rejectsWith(
      loadComposeProject(file, { env: {} }),
      `${file} line 12: services.shared-redis.ports[0]: expected a port mapping like "127.0.0.1:6379:6379", got true`,
    );
    assert.equal(error.file, file);
    assert.equal(error.line, 12);
    assert.equal(error.keyPath, 'services.shared-redis.ports[0]');
  });

  it('an unknown key names the file, line and key path, with a suggestion', async () => {
    const file = join(FIXTURES, 'errors/unknown-key.yml');
    await rejectsWith(
      loadComposeProject(file, { env: {} }),
      `${file} line 4: services.shared-redis.prots: unknown key "prots" (did you mean "ports"?)`,
    );
  });

  it('a YAML syntax error names the file and line', async () => {
    const file = join(FIXTURES, 'errors/syntax-error.yml');
    const error = await rejectsWith(
      loadComposeProject(file, { env: {} }),
      `${file} line 6: invalid YAML: All mapping items must start at the same column`,
    );
    assert.equal(error.keyPath, undefined);
  });

  it('names files as the caller did (a relative name stays relative)', async () => {
    const file = relative(process.cwd(), join(FIXTURES, 'errors/unknown-key.yml'));
    await rejectsWith(
      loadComposeProject(file, { env: {} }),
      `${file} line 4: services.shared-redis.prots: unknown key "prots" (did you mean "ports"?)`,
    );
  });

  const cases: Array<{ title: string; lines: string[]; message: string; files?: Record<string, string> }> = [
    {
      title: 'an unknown key far from any known one lists the allowed keys',
      lines: ['services:', '  app:', '    image: busybox', '    build: .'],
      message:
        'line 4: services.app.build: unknown key "build" (allowed here: image, container_name, command, entrypoint, environment, env_file, ports, volumes, networks, healthcheck, restart, depends_on, labels, profiles)',
    },
    {
      title: 'an unknown top-level key',
      lines: [
        'version: "3.9"',
        'x-anything: {a: 1}',
        'services:',
        '  app:',
        '    image: busybox',
        'secrets:',
        '  s: {file: ./s}',
      ],
      message: 'line 6: secrets: unknown key "secrets" (allowed here: version, name, services, networks, volumes)',
    },
    {
      title: 'a service without an image',
      lines: ['services:', '  app:', '    command: ["true"]'],
      message: 'line 2: services.app: no "image" (this loader runs images and does not build them)',
    },
    {
      title: 'a list where a mapping belongs',
      lines: ['services:', '  app:', '    image: busybox', '    healthcheck: [CMD, "true"]'],
      message:
        'line 4: services.app.healthcheck: expected a mapping with test, interval, timeout, start_period, retries or disable, got a list',
    },
    {
      title: 'a number in a command list (Compose wants strings)',
      lines: ['services:', '  app:', '    image: redis', '    command: [redis-server, --port, 6380]'],
      message: 'line 4: services.app.command[2]: expected a string, got 6380',
    },
    {
      title: 'a duration without a unit',
      lines: [
        'services:',
        '  app:',
        '    image: redis',
        '    healthcheck:',
        '      test: ["CMD", "redis-cli", "ping"]',
        '      interval: 5',
      ],
      message: 'line 6: services.app.healthcheck.interval: expected a duration like "5s", "1m30s" or "500ms", got 5',
    },
    {
      title: 'a healthcheck test that is neither CMD, CMD-SHELL nor NONE',
      lines: ['services:', '  app:', '    image: redis', '    healthcheck:', '      test: ["redis-cli", "ping"]'],
      message:
        'line 5: services.app.healthcheck.test: expected a command line (run by the shell), or a list starting with "CMD", "CMD-SHELL" or "NONE", got a list (the first item must be "CMD", "CMD-SHELL" or "NONE")',
    },
    {
      title: 'disable together with test',
      lines: [
        'services:',
        '  app:',
        '    image: redis',
        '    healthcheck:',
        '      test: ["NONE"]',
        '      disable: true',
      ],
      message: 'line 6: services.app.healthcheck.disable: "disable: true" cannot be combined with "test"',
    },
    {
      title: 'negative retries',
      lines: ['services:', '  app:', '    image: redis', '    healthcheck:', '      retries: -1'],
      message:
        'line 5: services.app.healthcheck.retries: expected a number of retries, got -1 (out of range 0-9007199254740991)',
    },
    {
      title: 'an unknown restart policy',
      lines: ['services:', '  app:', '    image: redis', '    restart: sometimes'],
      message:
        'line 4: services.app.restart: expected "no", "always", "on-failure", "on-failure:N" or "unless-stopped", got "sometimes"',
    },
    {
      title: 'an unknown depends_on condition',
      lines: [
        'services:',
        '  db:',
        '    image: postgres',
        '  app:',
        '    image: redis',
        '    depends_on:',
        '      db:',
        '        condition: service_ready',
      ],
      message:
        'line 8: services.app.depends_on.db.condition: expected "service_started", "service_healthy" or "service_completed_successfully", got "service_ready"',
    },
    {
      title: 'a depends_on target that does not exist',
      lines: ['services:', '  app:', '    image: redis', '    depends_on: [dbb]'],
      message:
        'line 4: services.app.depends_on[0]: service "app" depends on "dbb", which is not a service of this file',
    },
    {
      title: 'a depends_on cycle',
      lines: [
        'services:',
        '  a:',
        '    image: busybox',
        '    depends_on: [b]',
        '  b:',
        '    image: busybox',
        '    depends_on:',
        '      a:',
        '        condition: service_started',
      ],
      message: 'line 4: services.a.depends_on[0]: depends_on makes a cycle: a -> b -> a',
    },
    {
      title: 'a depends_on cycle among services whose profile is off',
      lines: [
        'services:',
        '  a:',
        '    image: busybox',
        '    profiles: [x]',
        '    depends_on: [b]',
        '  b:',
        '    image: busybox',
        '    profiles: [x]',
        '    depends_on: [a]',
      ],
      message: 'line 5: services.a.depends_on[0]: depends_on makes a cycle: a -> b -> a',
    },
    {
      title: 'an undeclared named volume',
      lines: ['services:', '  app:', '    image: redis', '    volumes:', '      - dataa:/data', 'volumes:', '  data:'],
      message: 'line 5: services.app.volumes[0]: volume "dataa" is not declared under the top-level "volumes"',
    },
    {
      title: 'an undeclared network',
      lines: ['services:', '  app:', '    image: redis', '    networks:', '      backend:', '        aliases: [cache]'],
      message:
        'line 5: services.app.networks.backend: network "backend" is not declared under the top-level "networks"',
    },
    {
      title: 'a bad volume mode',
      lines: ['services:', '  app:', '    image: redis', '    volumes:', '      - ./conf:/conf:readonly'],
      message:
        'line 5: services.app.volumes[0]: expected a volume like "data:/data" or "./conf:/etc/conf:ro", got "./conf:/conf:readonly" (unknown mode "readonly": ro, rw, z or Z)',
    },
    {
      title: 'a relative container path',
      lines: ['services:', '  app:', '    image: redis', '    volumes:', '      - data:data', 'volumes: {data: }'],
      message:
        'line 5: services.app.volumes[0]: expected a volume like "data:/data" or "./conf:/etc/conf:ro", got "data:data" (the container path "data" is not absolute)',
    },
    {
      title: 'a long-syntax port without target',
      lines: ['services:', '  app:', '    image: redis', '    ports:', '      - published: 6379'],
      message: 'line 5: services.app.ports[0]: a port needs "target" (the port inside the container)',
    },
    {
      title: 'a port out of range',
      lines: ['services:', '  app:', '    image: redis', '    ports:', '      - "127.0.0.1:99999:6379"'],
      message:
        'line 5: services.app.ports[0]: expected a port mapping like "127.0.0.1:6379:6379", got "127.0.0.1:99999:6379" (port 99999 is out of range 0-65535)',
    },
    {
      title: 'an external volume with a driver',
      lines: [
        'services:',
        '  app:',
        '    image: redis',
        'volumes:',
        '  data:',
        '    external: true',
        '    driver: local',
      ],
      message: 'line 7: volumes.data.driver: an external volume is not created, so "driver" cannot be set',
    },
    {
      title: 'an unterminated quote in a command string',
      lines: ['services:', '  app:', '    image: redis', `    command: sh -c 'echo hi`],
      message: `line 4: services.app.command: expected a command line, got "sh -c 'echo hi" (the command has an unterminated single quote)`,
    },
    {
      title: 'a missing env_file',
      lines: ['services:', '  app:', '    image: redis', '    env_file: [./missing.env]'],
      message: 'line 4: services.app.env_file[0]: env file {dir}/missing.env does not exist',
    },
    {
      title: 'no services section',
      lines: ['volumes:', '  data:'],
      message: 'line 1: there is no "services" section',
    },
    {
      title: 'a duplicated key',
      lines: ['services:', '  app:', '    image: redis', '    image: busybox'],
      message: 'line 4: invalid YAML: Map keys must be unique',
    },
  ];
  for (const { title, lines, message } of cases) {
    it(title, async () => {
      await withProject({ 'docker-compose.yml': yaml(...lines) }, async ({ file, dir }) => {
        await rejectsWith(loadComposeProject(file, { env: {} }), `${file} ${message.replace('{dir}', dir)}`);
      });
    });
  }

  it('collects every problem, top of the file first', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  app:',
          '    image: ${IMAGE:?set IMAGE}',
          '    ports: [true]',
          '    restart: never',
          '    bogus: 1',
        ),
      },
      async ({ file }) => {
        const error = await rejectsWith(
          loadComposeProject(file, { env: {} }),
          `${file} line 3: services.app.image: required variable IMAGE is missing a value: set IMAGE`,
        );
        assert.deepEqual(
          error.problems.map((p) => `${p.line} ${p.keyPath}`),
          ['3 services.app.image', '4 services.app.ports[0]', '5 services.app.restart', '6 services.app.bogus'],
        );
      },
    );
  });

  it('never repeats a value that came from a secret-looking variable', async () => {
    const secret = 'hunter2-very-secret';
    const cases: Array<[string, string]> = [
      [
        '    restart: ${REDIS_PASSWORD}',
        'line 4: services.app.restart: expected "no", "always", "on-failure", "on-failure:N" or "unless-stopped", got "${REDIS_PASSWORD}"',
      ],
      [
        '    ports: ["${REDIS_PASSWORD}"]',
        'line 4: services.app.ports[0]: expected a port mapping like "127.0.0.1:6379:6379", got "${REDIS_PASSWORD}"',
      ],
      [
        '    volumes: ["${API_TOKEN}:/data"]',
        'line 4: services.app.volumes[0]: volume "${API_TOKEN}" is not declared under the top-level "volumes"',
      ],
    ];
    for (const [line, message] of cases) {
      await withProject(
        { 'docker-compose.yml': yaml('services:', '  app:', '    image: redis', line) },
        async ({ file }) => {
          const error = await rejectsWith(
            loadComposeProject(file, { env: { REDIS_PASSWORD: secret, API_TOKEN: secret } }),
            `${file} ${message}`,
          );
          assert.ok(!error.message.includes('hunter2'));
        },
      );
    }
    // Other values are shown resolved, with the template they came from.
    await withProject(
      { 'docker-compose.yml': yaml('services:', '  app:', '    image: redis', '    restart: ${POLICY}') },
      async ({ file }) => {
        await rejectsWith(
          loadComposeProject(file, { env: { POLICY: 'sometimes' } }),
          `${file} line 4: services.app.restart: expected "no", "always", "on-failure", "on-failure:N" or "unless-stopped", got "sometimes" (from "\${POLICY}")`,
        );
      },
    );
  });

  it('reports a bad .env with its own name and line, never its values', async () => {
    await withProject(
      { 'docker-compose.yml': yaml('services:', '  app:', '    image: redis'), '.env': 'A=1\nB="open\n' },
      async ({ file, dir }) => {
        await rejectsWith(
          loadComposeProject(file, { env: {} }),
          `${join(dir, '.env')} line 2: the quoted value of B has no closing "`,
        );
      },
    );
  });

  it('reports a bad env_file with its own name and line', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml('services:', '  app:', '    image: redis', '    env_file: app.env'),
        'app.env': '# ok\nGOOD=1\nBAD KEY=2\n',
      },
      async ({ file, dir }) => {
        await rejectsWith(
          loadComposeProject(file, { env: {} }),
          `${join(dir, 'app.env')} line 3: a variable name contains a space (the line is not shown, it may be a secret)`,
        );
      },
    );
  });

  it('reports a missing compose file', async () => {
    await withProject({}, async ({ file }) => {
      await rejectsWith(loadComposeProject(file, { env: {} }), `${file}: the file does not exist`);
    });
  });
});

describe('loadComposeProject: YAML features', () => {
  it('expands anchors, aliases and << merges, explicit keys winning', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'x-base: &base',
          '  image: redis:7.2-alpine',
          '  restart: always',
          '  labels: &labels {team: platform}',
          'services:',
          '  one:',
          '    <<: *base',
          '    restart: "no"',
          '  two:',
          '    <<: [*base]',
          '    labels: *labels',
        ),
      },
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: {} });
        assert.deepEqual(service(project, 'one').restart, { name: 'no' });
        assert.equal(service(project, 'one').image, 'redis:7.2-alpine');
        assert.deepEqual(service(project, 'two').restart, { name: 'always' });
        assert.deepEqual(service(project, 'two').labels, { team: 'platform' });
      },
    );
  });

  it('joins the default network when networks is empty', async () => {
    await withProject(
      { 'docker-compose.yml': yaml('services:', '  app:', '    image: redis', '    networks: []') },
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: {} });
        assert.deepEqual(service(project, 'app').networks, [{ key: 'default', name: 'project_default', aliases: [] }]);
        assert.deepEqual(project.networks, [{ key: 'default', name: 'project_default', external: false, labels: {} }]);
      },
    );
  });

  it('reads interpolated numbers and booleans where numbers and booleans belong', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  app:',
          '    image: redis',
          '    healthcheck:',
          '      retries: ${RETRIES:-4}',
          '    ports:',
          '      - target: ${TARGET:-6379}',
          '    volumes:',
          '      - type: bind',
          '        source: .',
          '        target: /src',
          '        read_only: ${RO:-true}',
        ),
      },
      async ({ file, dir }) => {
        const project = await loadComposeProject(file, { env: {} });
        const app = service(project, 'app');
        assert.equal(app.healthcheck?.retries, 4);
        assert.deepEqual(app.ports, [{ target: 6379, protocol: 'tcp' }]);
        assert.deepEqual(app.volumes, [
          { type: 'bind', source: dir, target: '/src', readOnly: true, createHostPath: false },
        ]);
      },
    );
  });
});

describe('loadComposeProject: profiles', () => {
  const file = join(FIXTURES, 'profiles/docker-compose.yml');

  it('leaves services with profiles out by default', async () => {
    const project = await loadComposeProject(file, { env: {} });
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['redis'],
    );
    assert.deepEqual(project.disabledServices, ['commander', 'debug']);
    assert.deepEqual(project.profiles, []);
  });

  it('turns them on with COMPOSE_PROFILES, in dependency order', async () => {
    const project = await loadComposeProject(file, { env: { COMPOSE_PROFILES: 'ui' } });
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['redis', 'commander'],
    );
    assert.deepEqual(project.profiles, ['ui']);
  });

  it('turns them on with explicit profiles, and with * all of them', async () => {
    assert.deepEqual(
      (await loadComposeProject(file, { env: {}, profiles: ['debug'] })).services.map((s) => s.name),
      ['redis', 'debug'],
    );
    assert.deepEqual(
      (await loadComposeProject(file, { env: { COMPOSE_PROFILES: 'commander' }, profiles: ['debug'] })).services.map(
        (s) => s.name,
      ),
      ['redis', 'commander', 'debug'],
    );
    assert.deepEqual(
      (await loadComposeProject(file, { env: { COMPOSE_PROFILES: '*' } })).services.map((s) => s.name),
      ['redis', 'commander', 'debug'],
    );
  });

  it('reads COMPOSE_PROFILES from .env, the environment winning (even when empty)', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  redis:',
          '    image: redis',
          '  commander:',
          '    image: rediscommander/redis-commander',
          '    profiles: [commander]',
        ),
        '.env': 'COMPOSE_PROFILES=commander\n',
      },
      async ({ file: composeFile }) => {
        assert.deepEqual(
          (await loadComposeProject(composeFile, { env: {} })).services.map((s) => s.name),
          ['redis', 'commander'],
        );
        assert.deepEqual(
          (await loadComposeProject(composeFile, { env: { COMPOSE_PROFILES: '' } })).services.map((s) => s.name),
          ['redis'],
        );
      },
    );
  });

  it('interpolates profile names', async () => {
    const project = await loadComposeProject(file, { env: { DEBUG_PROFILE: 'trace', COMPOSE_PROFILES: 'trace' } });
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['redis', 'debug'],
    );
  });

  it('refuses an active service that depends on one whose profile is off, unless required: false', async () => {
    const lines = [
      'services:',
      '  redis:',
      '    image: redis',
      '    profiles: [db]',
      '  app:',
      '    image: busybox',
      '    depends_on:',
      '      redis:',
      '        condition: service_healthy',
    ];
    await withProject({ 'docker-compose.yml': yaml(...lines) }, async ({ file: composeFile }) => {
      await rejectsWith(
        loadComposeProject(composeFile, { env: {} }),
        `${composeFile} line 8: services.app.depends_on.redis: service "app" depends on "redis", which only runs with profile "db" (none enabled)`,
      );
      assert.deepEqual(
        (await loadComposeProject(composeFile, { env: {}, profiles: ['db'] })).services.map((s) => s.name),
        ['redis', 'app'],
      );
    });
    await withProject(
      { 'docker-compose.yml': yaml(...lines, '        required: false') },
      async ({ file: composeFile }) => {
        const project = await loadComposeProject(composeFile, { env: {} });
        assert.deepEqual(
          project.services.map((s) => s.name),
          ['app'],
        );
        assert.deepEqual(service(project, 'app').dependsOn, []);
      },
    );
  });

  it('creates only the networks and volumes active services use', async () => {
    await withProject(
      {
        'docker-compose.yml': yaml(
          'services:',
          '  redis:',
          '    image: redis',
          '    networks: [shared]',
          '  ui:',
          '    image: ui',
          '    profiles: [ui]',
          '    volumes: [uidata:/data]',
          'networks:',
          '  shared:',
          '  unused:',
          'volumes:',
          '  uidata:',
        ),
      },
      async ({ file: composeFile }) => {
        const off = await loadComposeProject(composeFile, { env: {} });
        assert.deepEqual(
          off.networks.map((n) => n.name),
          ['project_shared'],
        );
        assert.deepEqual(off.volumes, []);
        const on = await loadComposeProject(composeFile, { env: {}, profiles: ['ui'] });
        assert.deepEqual(
          on.networks.map((n) => n.name),
          ['project_default', 'project_shared'],
        );
        assert.deepEqual(
          on.volumes.map((v) => v.name),
          ['project_uidata'],
        );
      },
    );
  });
});

describe('loadComposeProject: project name', () => {
  const files = {
    'docker-compose.yml': yaml(
      'services:',
      '  redis:',
      '    image: redis',
      '    volumes: [data:/data]',
      'volumes:',
      '  data:',
    ),
  };

  it('uses the folder name, normalised, when nothing else is set', async () => {
    await withProject(
      files,
      async ({ file }) => {
        const project = await loadComposeProject(file, { env: {} });
        assert.equal(project.name, 'myshared-redis_2');
        assert.deepEqual(
          project.volumes.map((v) => v.name),
          ['myshared-redis_2_data'],
        );
      },
      '.My Shared-Redis_2!',
    );
  });

  it('prefers name:, normalised and interpolated', async () => {
    await withProject(
      { ...files, 'docker-compose.yml': `name: \${STACK:-Team Redis}\n${files['docker-compose.yml']}` },
      async ({ file }) => {
        assert.equal((await loadComposeProject(file, { env: {} })).name, 'teamredis');
        assert.equal((await loadComposeProject(file, { env: { STACK: '_Other.Stack' } })).name, 'otherstack');
      },
    );
  });

  it('prefers COMPOSE_PROJECT_NAME (environment, then .env), then the option over everything', async () => {
    await withProject(
      {
        ...files,
        'docker-compose.yml': `name: from-file\n${files['docker-compose.yml']}`,
        '.env': 'COMPOSE_PROJECT_NAME=from-dotenv\n',
      },
      async ({ file }) => {
        assert.equal((await loadComposeProject(file, { env: {} })).name, 'from-dotenv');
        assert.equal((await loadComposeProject(file, { env: { COMPOSE_PROJECT_NAME: 'from-env' } })).name, 'from-env');
        assert.equal(
          (await loadComposeProject(file, { env: { COMPOSE_PROJECT_NAME: 'from-env' }, projectName: 'explicit' })).name,
          'explicit',
        );
      },
    );
  });

  it('refuses an explicit or COMPOSE_PROJECT_NAME name that is not valid, naming where it came from', async () => {
    await withProject({ ...files, '.env': 'COMPOSE_PROJECT_NAME=Bad Name\n' }, async ({ file, dir }) => {
      await rejectsWith(
        loadComposeProject(file, { env: {} }),
        `${join(dir, '.env')}: invalid project name "Bad Name" (COMPOSE_PROJECT_NAME): it must contain only lowercase letters, digits, "-" and "_", and start with a letter or digit; "badname" would do`,
      );
      await rejectsWith(
        loadComposeProject(file, { env: {}, projectName: '-x' }),
        `${file}: invalid project name "-x" (the project name option): it must contain only lowercase letters, digits, "-" and "_", and start with a letter or digit; "x" would do`,
      );
    });
  });
});

describe('loadComposeProject: config hash', () => {
  const compose = yaml(
    'services:',
    '  redis:',
    '    image: redis:7.2-alpine',
    '    ports: ["127.0.0.1:${REDIS_PORT:-6379}:6379"]',
    '    env_file: [app.env]',
    '  other:',
    '    image: busybox',
  );

  it('is stable for an unchanged service and changes with anything that changes it', async () => {
    await withProject({ 'docker-compose.yml': compose, 'app.env': 'A=1\n' }, async ({ file, dir }) => {
      const hashes = async (env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> =>
        Object.fromEntries((await loadComposeProject(file, { env })).services.map((s) => [s.name, s.configHash]));
      const first = await hashes();
      assert.deepEqual(await hashes(), first, 'loading twice gives the same hashes');
      assert.notEqual(first['redis'], first['other']);

      const port = await hashes({ REDIS_PORT: '6380' });
      assert.notEqual(port['redis'], first['redis'], 'a different port');
      assert.equal(port['other'], first['other'], 'an unchanged service keeps its hash');

      writeFileSync(join(dir, 'app.env'), 'A=2\n');
      assert.notEqual((await hashes())['redis'], first['redis'], 'a changed env_file value');
      writeFileSync(join(dir, 'app.env'), 'A=1\n');
      assert.deepEqual(await hashes(), first, 'back to the same configuration, back to the same hash');

      writeFileSync(file, compose.replace('redis:7.2-alpine', 'redis:7.4-alpine'));
      assert.notEqual((await hashes())['redis'], first['redis'], 'a different image');
      writeFileSync(
        file,
        `# a comment and reordered keys change nothing\n${compose.replace('    image: redis:7.2-alpine\n    ports: ["127.0.0.1:${REDIS_PORT:-6379}:6379"]\n', '    ports: ["127.0.0.1:${REDIS_PORT:-6379}:6379"]\n    image: redis:7.2-alpine\n')}`,
      );
      assert.deepEqual(await hashes(), first);
    });
  });
});
