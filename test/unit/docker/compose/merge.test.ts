import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ComposeFileError } from '../../../../src/docker/compose/errors';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import type { ComposeProject, ComposeService } from '../../../../src/docker/compose/model';
import { parsePortSpec } from '../../../../src/docker/compose/schema/ports';
import { splitShellWords } from '../../../../src/docker/compose/shellwords';
import { DOCKER_COMPOSE, rejectsWith, requireDockerCompose, withProject, yaml } from './helpers';

/** Loads `compose.yaml` merged with `compose.override.yaml` from a temp folder. */
async function merged(base: string, override: string, extra: Record<string, string> = {}): Promise<ComposeProject> {
  return withProject({ 'compose.yaml': base, 'compose.override.yaml': override, ...extra }, ({ dir }) =>
    loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], { env: {} }),
  );
}

function only(project: ComposeProject, name = 'redis'): ComposeService {
  const service = project.services.find((s) => s.name === name);
  assert.ok(service, `no service ${name}`);
  return service;
}

describe("merging an override file by Compose's rules (compose-go override/merge.go)", () => {
  it('merges environment and labels by key, mapping or KEY=VALUE list on either side; the override wins', async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    environment:',
          '      A: base',
          '      B: base',
          '    labels:',
          '      - team=base',
          '      - tier=cache',
        ),
        yaml(
          'services:',
          '  redis:',
          '    environment:',
          '      - B=override',
          '      - C=new',
          '    labels:',
          '      team: override',
        ),
      ),
    );
    assert.deepEqual(service.environment, { A: 'base', B: 'override', C: 'new' });
    assert.deepEqual(service.labels, { team: 'override', tier: 'cache' });
  });

  it('a bare KEY in the override takes the value from the environment, or drops it', async () => {
    await withProject(
      {
        'compose.yaml': yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    environment:',
          '      FROM_SHELL: base',
          '      GONE: base',
        ),
        'compose.override.yaml': yaml(
          'services:',
          '  redis:',
          '    environment:',
          '      - FROM_SHELL',
          '      - GONE',
        ),
      },
      async ({ dir }) => {
        const project = await loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], {
          env: { FROM_SHELL: 'shell' },
        });
        assert.deepEqual(only(project).environment, { FROM_SHELL: 'shell' });
      },
    );
  });

  it('appends ports, keeping one of each mapping (short and long syntax alike)', async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    ports:',
          '      - "127.0.0.1:6379:6379"',
          '      - "8001:8001"',
        ),
        yaml(
          'services:',
          '  redis:',
          '    ports:',
          '      - target: 8001',
          '        published: "8001"',
          '      - "127.0.0.1:16379:6379"',
        ),
      ),
    );
    assert.deepEqual(
      service.ports.map((p) => `${p.hostIp ?? ''}:${p.published ?? ''}:${p.target}`),
      ['127.0.0.1:6379:6379', ':8001:8001', '127.0.0.1:16379:6379'],
    );
  });

  it("merges volumes by container path: the override's mount replaces the one at the same target, in its place", async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    volumes:',
          '      - data:/data',
          '      - ./conf:/etc/redis:ro',
          'volumes:',
          '  data:',
        ),
        yaml('services:', '  redis:', '    volumes:', '      - ./local-data:/data', '      - /logs'),
      ),
    );
    assert.deepEqual(
      service.volumes.map((m) => `${m.type}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      ['bind:/data:rw', 'bind:/etc/redis:ro', 'volume:/logs:rw'],
    );
  });

  it('replaces command and entrypoint as a whole, list or string', async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    command: ["redis-server", "--appendonly", "yes"]',
          '    entrypoint: /bin/base',
        ),
        yaml('services:', '  redis:', '    command: redis-server --save ""', '    entrypoint: ["/bin/over", "-x"]'),
      ),
    );
    assert.deepEqual(service.command, ['redis-server', '--save', '']);
    assert.deepEqual(service.entrypoint, ['/bin/over', '-x']);
  });

  it('merges healthcheck key by key, but replaces its test', async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    healthcheck:',
          '      test: ["CMD", "redis-cli", "ping"]',
          '      interval: 5s',
          '      retries: 3',
        ),
        yaml('services:', '  redis:', '    healthcheck:', '      test: ["CMD", "true"]', '      interval: 1s'),
      ),
    );
    assert.deepEqual(service.healthcheck, { test: ['CMD', 'true'], interval: 1e9, retries: 3 });
  });

  it('merges depends_on and networks as mappings; a listed dependency means service_started (v2 rule)', async () => {
    const project = await merged(
      yaml(
        'services:',
        '  redis:',
        '    image: redis:7',
        '    depends_on:',
        '      db:',
        '        condition: service_healthy',
        '      cache:',
        '        condition: service_healthy',
        '    networks:',
        '      front:',
        '        aliases: [a, b]',
        '  db:',
        '    image: db',
        '  cache:',
        '    image: c',
        'networks:',
        '  front:',
        '  back:',
      ),
      yaml(
        'services:',
        '  redis:',
        '    depends_on: [cache]',
        '    networks:',
        '      front:',
        '        aliases: [b, c]',
        '      back:',
      ),
    );
    const service = only(project);
    assert.deepEqual(
      service.dependsOn.map((d) => `${d.service}:${d.condition}`),
      ['db:service_healthy', 'cache:service_started'],
    );
    assert.deepEqual(
      service.networks.map((n) => `${n.key}:${n.aliases.join(',')}`),
      ['front:a,b,c', 'back:'],
    );
  });

  it('appends env_file, a repeated file taking the later place of none (it stays where it first was)', async () => {
    const service = only(
      await merged(
        yaml('services:', '  redis:', '    image: redis:7', '    env_file: [a.env, b.env]'),
        yaml('services:', '  redis:', '    env_file: a.env'),
        { 'a.env': 'WHO=a\nA=1\n', 'b.env': 'WHO=b\n' },
      ),
    );
    assert.deepEqual(service.environment, { WHO: 'b', A: '1' });
  });

  it('replaces scalars, keeps the earlier value for an empty one, adds new services, volumes and networks', async () => {
    const project = await merged(
      yaml(
        'services:',
        '  redis:',
        '    image: redis:7',
        '    restart: always',
        '    container_name: base-name',
        '    profiles: [debug]',
      ),
      yaml(
        'services:',
        '  redis:',
        '    image: redis:7.2',
        '    restart:',
        '    profiles: [debug, tools]',
        '    volumes: [extra:/extra]',
        '  worker:',
        '    image: busybox',
        '    profiles: [tools]',
        'volumes:',
        '  extra:',
      ),
    );
    assert.deepEqual([...project.disabledServices].sort(), ['redis', 'worker']);
    const tools = await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7', '    profiles: [debug]'),
        'compose.override.yaml': yaml('services:', '  redis:', '    profiles: [tools, debug]'),
      },
      ({ dir }) =>
        loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], {
          env: {},
          profiles: ['tools'],
        }),
    );
    assert.deepEqual(only(tools).profiles, ['debug', 'tools']);
    const all = await withProject(
      {
        'compose.yaml': yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    restart: always',
          '    container_name: base-name',
        ),
        'compose.override.yaml': yaml(
          'services:',
          '  redis:',
          '    image: redis:7.2',
          '    restart:',
          '    volumes: [extra:/extra]',
          '  worker:',
          '    image: busybox',
          'volumes:',
          '  extra:',
        ),
      },
      ({ dir }) =>
        loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], {
          env: {},
          projectName: 'p',
        }),
    );
    const redis = only(all);
    assert.equal(redis.image, 'redis:7.2');
    assert.deepEqual(redis.restart, { name: 'always' });
    assert.equal(redis.containerName, 'base-name');
    assert.deepEqual(
      all.services.map((s) => s.name),
      ['redis', 'worker'],
    );
    assert.deepEqual(
      all.volumes.map((v) => v.name),
      ['p_extra'],
    );
  });

  it('!reset removes a value and !override replaces it instead of merging (compose-go loader/reset.go)', async () => {
    const service = only(
      await merged(
        yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    ports: ["6379:6379"]',
          '    environment:',
          '      A: base',
          '      B: base',
          '    labels:',
          '      keep: "1"',
          '    volumes: ["/data"]',
        ),
        yaml(
          'services:',
          '  redis:',
          '    ports: !reset []',
          '    environment: !override',
          '      C: only',
          '    labels:',
          '      keep: !reset null',
          '      new: "2"',
          '    volumes: !override ["/other"]',
        ),
      ),
    );
    assert.deepEqual(service.ports, []);
    assert.deepEqual(service.environment, { C: 'only' });
    assert.deepEqual(service.labels, { new: '2' });
    assert.deepEqual(
      service.volumes.map((m) => m.target),
      ['/other'],
    );
  });

  it("resolves relative paths in every file against the first file's folder", async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7'),
        'overrides/dev.yml': yaml('services:', '  redis:', '    volumes: ["./conf:/etc/redis"]'),
      },
      async ({ dir }) => {
        const project = await loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'overrides/dev.yml')], {
          env: {},
        });
        assert.equal(only(project).volumes[0]?.source, join(dir, 'conf'));
        assert.equal(project.workingDir, dir);
      },
    );
  });

  it('keeps one of each port, volume target and env_file within one file too (compose-go EnforceUnicity runs on every file)', async () => {
    const project = await withProject(
      {
        'compose.yaml': yaml(
          'services:',
          '  redis:',
          '    image: redis:7',
          '    ports: ["6379:6379", "6379:6379/tcp"]',
          '    volumes: ["/data", "./d:/data"]',
          '    env_file: [a.env, b.env, a.env]',
        ),
        'a.env': 'WHO=a\n',
        'b.env': 'WHO=b\n',
      },
      ({ dir }) => loadComposeProject(join(dir, 'compose.yaml'), { env: {} }),
    );
    const service = only(project);
    assert.equal(service.ports.length, 1);
    assert.deepEqual(
      service.volumes.map((m) => `${m.type}:${m.target}`),
      ['bind:/data'],
    );
    assert.equal(service.environment['WHO'], 'b');
  });

  it('warns, as Compose does, about an obsolete version attribute', async () => {
    const project = await withProject(
      { 'compose.yaml': yaml('version: "3.8"', 'services:', '  redis:', '    image: redis:7') },
      ({ dir }) => loadComposeProject(join(dir, 'compose.yaml'), { env: {} }),
    );
    assert.deepEqual(project.warnings, [
      `${join(project.workingDir, 'compose.yaml')}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`,
    ]);
  });
});

describe('problems in merged files name the file, line and key', () => {
  it('an unknown key in the override names the override, its line and the key path', async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7'),
        'compose.override.yaml': yaml('services:', '  redis:', '    imgae: redis:7.2'),
      },
      async ({ dir }) => {
        await rejectsWith(
          loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], { env: {} }),
          `${join(dir, 'compose.override.yaml')} line 3: services.redis.imgae: unknown key "imgae" (did you mean "image"?)`,
        );
      },
    );
  });

  it('a service only in the override needs its image there; one the base has does not', async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7'),
        'compose.override.yaml': yaml(
          'services:',
          '  redis:',
          '    restart: always',
          '  worker:',
          '    restart: always',
        ),
      },
      async ({ dir }) => {
        const error = await rejectsWith(
          loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], { env: {} }),
          `${join(dir, 'compose.override.yaml')} line 4: services.worker: no "image" (this loader runs images and does not build them)`,
        );
        assert.equal(error.problems.length, 1);
      },
    );
  });

  it('a KEY=VALUE item without a key in a merged environment is refused, naming its file and line', async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7', '    environment:', '      A: base'),
        'compose.override.yaml': yaml('services:', '  redis:', '    environment:', '      - =oops'),
      },
      async ({ dir }) => {
        await rejectsWith(
          loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], { env: {} }),
          `${join(dir, 'compose.override.yaml')} line 4: services.redis.environment[0]: expected "KEY=VALUE", got "=oops"`,
        );
      },
    );
  });

  it('a list overridden by a value of another kind is refused, naming both places', async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7', '    ports:', '      - "6379:6379"'),
        'compose.override.yaml': yaml('services:', '  redis:', '    ports: "6380:6379"'),
      },
      async ({ dir }) => {
        await rejectsWith(
          loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')], { env: {} }),
          `${join(dir, 'compose.override.yaml')} line 3: services.redis.ports: cannot override a list (${join(dir, 'compose.yaml')} line 5) with "6380:6379"`,
        );
      },
    );
  });

  it('a missing file among several is named; an invalid value in the second file names it and its line', async () => {
    await withProject(
      {
        'compose.yaml': yaml('services:', '  redis:', '    image: redis:7'),
        'bad.yml': yaml('services:', '  redis:', '    ports:', '      - "99999:6379"'),
      },
      async ({ dir }) => {
        await rejectsWith(
          loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'nope.yml')], { env: {} }),
          `${join(dir, 'nope.yml')}: the file does not exist`,
        );
        const error = await loadComposeProject([join(dir, 'compose.yaml'), join(dir, 'bad.yml')], { env: {} }).catch(
          (e: unknown) => e,
        );
        assert.ok(error instanceof ComposeFileError);
        assert.equal(error.file, join(dir, 'bad.yml'));
        assert.equal(error.line, 4);
        assert.equal(error.keyPath, 'services.redis.ports[0]');
      },
    );
  });
});

/**
 * Cross-check with Debian's docker-compose 1.29.2 (`-f compose.yaml -f compose.override.yaml
 * config`) where Compose v1 and v2 agree: environment and labels by key, ports appended
 * (the same mapping once), volumes by target, command and entrypoint replaced, healthcheck
 * merged with its test replaced. Where they differ (v1 keeps a short and a long port for the
 * same mapping apart; v1 reads relative paths per file in some cases), the tests above
 * follow v2 (compose-go).
 */
describe('merging cross-checked with docker-compose (Compose v1) config', function () {
  this.timeout(120_000);

  before(function () {
    requireDockerCompose(this);
  });

  it('gives the same image, ports, environment, labels, command, entrypoint, volumes and healthcheck', async () => {
    const base = yaml(
      'services:',
      '  redis:',
      '    image: redis:7',
      '    command: ["redis-server", "--appendonly", "yes"]',
      '    entrypoint: ["/usr/local/bin/docker-entrypoint.sh"]',
      '    environment:',
      '      A: base',
      '      B: base',
      '    labels:',
      '      - team=base',
      '      - tier=cache',
      '    ports:',
      '      - "127.0.0.1:6379:6379"',
      '      - "8001:8001"',
      '    volumes:',
      '      - data:/data',
      '      - /var/log/redis',
      '    healthcheck:',
      '      test: ["CMD", "redis-cli", "ping"]',
      '      interval: 5s',
      '      retries: 3',
      '  worker:',
      '    image: busybox',
      'volumes:',
      '  data:',
    );
    const override = yaml(
      'services:',
      '  redis:',
      '    image: redis:7.2',
      '    command: redis-server --save ""',
      '    environment:',
      '      - B=override',
      '      - C=new',
      '    labels:',
      '      team: override',
      '    ports:',
      '      - "8001:8001"',
      '      - "127.0.0.1:16379:6379"',
      '    volumes:',
      '      - /tmp/over:/data',
      '    healthcheck:',
      '      test: ["CMD", "true"]',
      '      interval: 1s',
    );
    await withProject({ 'compose.yaml': base, 'compose.override.yaml': override }, async ({ dir }) => {
      const files = [join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')];
      const v1 = spawnSync(DOCKER_COMPOSE, ['-f', files[0] ?? '', '-f', files[1] ?? '', 'config'], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(v1.status, 0, `docker-compose config failed:\n${v1.stderr}`);
      const theirs = summariseV1(v1.stdout);
      const ours = summarise(await loadComposeProject(files, { env: {} }));
      assert.deepEqual(ours, theirs);
      // And what that is, so the comparison cannot pass on two empty summaries.
      assert.deepEqual(ours['redis']?.environment, { A: 'base', B: 'override', C: 'new' });
      assert.equal(ours['redis']?.ports.length, 3);
    });
  });
});

interface Summary {
  image: string;
  ports: string[];
  environment: Record<string, string>;
  labels: Record<string, string>;
  command: string[] | undefined;
  entrypoint: string[] | undefined;
  volumes: string[];
  healthcheck: unknown;
}

const portText = (
  hostIp: string | undefined,
  published: string | number | undefined,
  target: number,
  protocol: string | undefined,
): string => `${hostIp ?? ''}|${published ?? ''}|${target}|${protocol ?? 'tcp'}`;

function summarise(project: ComposeProject): Record<string, Summary> {
  return Object.fromEntries(
    project.services.map((s) => [
      s.name,
      {
        image: s.image,
        ports: s.ports.map((p) => portText(p.hostIp, p.published, p.target, p.protocol)).sort(),
        environment: { ...s.environment },
        labels: { ...s.labels },
        command: s.command ? [...s.command] : undefined,
        entrypoint: s.entrypoint ? [...s.entrypoint] : undefined,
        volumes: s.volumes.map((m) => m.target).sort(),
        healthcheck: s.healthcheck
          ? { test: s.healthcheck.test, interval: s.healthcheck.interval, retries: s.healthcheck.retries }
          : undefined,
      },
    ]),
  );
}

function summariseV1(output: string): Record<string, Summary> {
  type V1Service = {
    image: string;
    ports?: unknown[];
    environment?: Record<string, unknown>;
    labels?: Record<string, unknown>;
    command?: string | string[];
    entrypoint?: string | string[];
    volumes?: Array<string | { target: string }>;
    healthcheck?: { test: string[]; interval?: string; retries?: number };
  };
  const config = parse(output) as { services: Record<string, V1Service> };
  const words = (value: string | string[] | undefined): string[] | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? value : splitShellWords(value);
  const seconds = (text: string | undefined): number | undefined =>
    text === undefined ? undefined : Number(/^(\d+)s$/.exec(text)?.[1]) * 1e9;
  return Object.fromEntries(
    Object.entries(config.services).map(([name, s]) => [
      name,
      {
        image: s.image,
        ports: (s.ports ?? [])
          .flatMap((port): string[] => {
            if (typeof port === 'string' || typeof port === 'number') {
              const parsed = parsePortSpec(String(port));
              assert.ok(typeof parsed !== 'string');
              return parsed.map((p) => portText(p.hostIp, p.published, p.target, p.protocol));
            }
            const long = port as { target: number; published?: number | string; host_ip?: string; protocol?: string };
            return [portText(long.host_ip, long.published, long.target, long.protocol)];
          })
          .sort(),
        environment: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)])),
        labels: Object.fromEntries(Object.entries(s.labels ?? {}).map(([k, v]) => [k, String(v)])),
        command: words(s.command),
        entrypoint: words(s.entrypoint),
        volumes: (s.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[1] ?? v) : v.target)).sort(),
        healthcheck: s.healthcheck
          ? { test: s.healthcheck.test, interval: seconds(s.healthcheck.interval), retries: s.healthcheck.retries }
          : undefined,
      },
    ]),
  );
}
