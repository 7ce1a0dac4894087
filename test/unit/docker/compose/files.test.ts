import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  COMPOSE_FILE_NAMES,
  COMPOSE_OVERRIDE_FILE_NAMES,
  ComposeFilesError,
  composeFilesFromEnv,
  composeFilesFromSetting,
  discoverComposeFiles,
  stackFolderComposeFiles,
} from '../../../../src/docker/compose/files';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { withProject, yaml } from './helpers';

const service = (image: string): string => yaml('services:', '  redis:', `    image: ${image}`);

describe('which compose files Compose reads in a folder', () => {
  it('prefers compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml, in that order (compose-go DefaultFileNames)', async () => {
    assert.deepEqual(COMPOSE_FILE_NAMES, ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml']);
    for (let i = 0; i < COMPOSE_FILE_NAMES.length; i++) {
      const names = COMPOSE_FILE_NAMES.slice(i);
      await withProject(Object.fromEntries(names.map((n) => [n, service(n)])), async ({ dir }) => {
        const found = discoverComposeFiles(dir);
        assert.deepEqual(found.files, [join(dir, names[0] ?? '')]);
        // The file that wins is the one that is read.
        const project = await loadComposeProject(found.files, { env: {} });
        assert.equal(project.services[0]?.image, names[0]);
      });
    }
  });

  it('warns as Compose does when two files have supported names, and uses the first', async () => {
    await withProject({ 'docker-compose.yml': service('old'), 'compose.yaml': service('new') }, async ({ dir }) => {
      const found = discoverComposeFiles(dir);
      assert.deepEqual(found.files, [join(dir, 'compose.yaml')]);
      assert.deepEqual(found.warnings, [
        `Found multiple config files with supported names: ${join(dir, 'compose.yaml')}, ${join(dir, 'docker-compose.yml')}`,
        `Using ${join(dir, 'compose.yaml')}`,
      ]);
      // The loader hands the warnings on as data, with the project.
      const project = await loadComposeProject(found.files, { env: {}, warnings: found.warnings });
      assert.deepEqual(project.warnings, found.warnings);
      assert.equal(project.services[0]?.image, 'new');
    });
  });

  it('adds the override, whichever override name goes with whichever base name, preferring compose.override.yml', async () => {
    assert.deepEqual(COMPOSE_OVERRIDE_FILE_NAMES, [
      'compose.override.yml',
      'compose.override.yaml',
      'docker-compose.override.yml',
      'docker-compose.override.yaml',
    ]);
    await withProject(
      { 'docker-compose.yml': service('base'), 'compose.override.yaml': service('over') },
      async ({ dir }) => {
        assert.deepEqual(discoverComposeFiles(dir), {
          files: [join(dir, 'docker-compose.yml'), join(dir, 'compose.override.yaml')],
          warnings: [],
        });
      },
    );
    await withProject(
      {
        'compose.yaml': service('base'),
        'docker-compose.override.yaml': service('a'),
        'compose.override.yml': service('b'),
      },
      async ({ dir }) => {
        const found = discoverComposeFiles(dir);
        assert.deepEqual(found.files, [join(dir, 'compose.yaml'), join(dir, 'compose.override.yml')]);
        assert.deepEqual(found.warnings, [
          `Found multiple override files with supported names: ${join(dir, 'compose.override.yml')}, ${join(dir, 'docker-compose.override.yaml')}`,
          `Using ${join(dir, 'compose.override.yml')}`,
        ]);
      },
    );
  });

  it('finds nothing in a folder with no compose file, and an override alone is not a stack', async () => {
    await withProject({ 'compose.override.yaml': service('x'), 'README.md': 'no compose here' }, async ({ dir }) => {
      assert.deepEqual(discoverComposeFiles(dir), { files: [], warnings: [] });
    });
  });
});

describe('files named explicitly', () => {
  it('takes a path or a list of paths, relative to a base, like -f a -f b', () => {
    assert.deepEqual(composeFilesFromSetting('infra/compose.yml', '/work/app'), ['/work/app/infra/compose.yml']);
    assert.deepEqual(composeFilesFromSetting(['compose.yaml', '/etc/stack/extra.yml'], '/work/app'), [
      '/work/app/compose.yaml',
      '/etc/stack/extra.yml',
    ]);
    for (const unset of ['', '   ', [], undefined, null]) {
      assert.deepEqual(composeFilesFromSetting(unset, '/work/app'), []);
    }
  });

  it('refuses anything else with one message saying what is wrong', () => {
    assert.throws(
      () => composeFilesFromSetting(42, '/b'),
      (e: unknown) =>
        e instanceof ComposeFilesError && e.message === 'expected a compose file path or a list of paths, got 42',
    );
    assert.throws(
      () => composeFilesFromSetting(['a.yml', ''], '/b'),
      (e: unknown) => e instanceof ComposeFilesError && /item 2 is ""/.test(e.message),
    );
    assert.throws(() => composeFilesFromSetting(['a.yml', { path: 'x' }], '/b'), /item 2 is \{"path":"x"\}/);
  });

  it('splits COMPOSE_FILE on COMPOSE_PATH_SEPARATOR, else on the platform path-list separator', () => {
    assert.deepEqual(composeFilesFromEnv('compose.yaml:extra.yml', undefined, '/s'), [
      '/s/compose.yaml',
      '/s/extra.yml',
    ]);
    assert.deepEqual(composeFilesFromEnv('compose.yaml;/abs/extra.yml', ';', '/s'), [
      '/s/compose.yaml',
      '/abs/extra.yml',
    ]);
    assert.deepEqual(composeFilesFromEnv('a b.yml', undefined, '/s'), ['/s/a b.yml']);
  });
});

describe('COMPOSE_FILE and COMPOSE_PROJECT_NAME in the stack folder', () => {
  const base = yaml('services:', '  redis:', '    image: redis:7', '    labels:', '      from: base');
  const extra = yaml('services:', '  redis:', '    labels:', '      from: extra');

  it('COMPOSE_FILE in .env names the files (no override is added), the environment wins over .env', async () => {
    await withProject(
      {
        'compose.yaml': base,
        'compose.override.yaml': yaml('services:', '  redis:', '    labels:', '      from: override'),
        'extra.yml': extra,
        'other.yml': yaml('services:', '  redis:', '    labels:', '      from: other'),
        '.env': 'COMPOSE_FILE=compose.yaml:extra.yml\n',
      },
      async ({ dir }) => {
        const fromDotenv = stackFolderComposeFiles(dir, {});
        assert.deepEqual(fromDotenv.files, [join(dir, 'compose.yaml'), join(dir, 'extra.yml')]);
        const project = await loadComposeProject(fromDotenv.files, { env: {} });
        assert.equal(project.services[0]?.labels['from'], 'extra');
        assert.deepEqual(project.configFiles, [join(dir, 'compose.yaml'), join(dir, 'extra.yml')]);

        const fromEnv = stackFolderComposeFiles(dir, {
          COMPOSE_FILE: 'compose.yaml,other.yml',
          COMPOSE_PATH_SEPARATOR: ',',
        });
        assert.deepEqual(fromEnv.files, [join(dir, 'compose.yaml'), join(dir, 'other.yml')]);
        // Without COMPOSE_FILE anywhere, discovery with the override.
        await withProject({ 'compose.yaml': base, 'compose.override.yaml': extra }, async (plain) => {
          assert.deepEqual(stackFolderComposeFiles(plain.dir, {}).files, [
            join(plain.dir, 'compose.yaml'),
            join(plain.dir, 'compose.override.yaml'),
          ]);
        });
      },
    );
  });

  it('a COMPOSE_FILE naming a missing file fails naming that file', async () => {
    await withProject({ 'compose.yaml': base, '.env': 'COMPOSE_FILE=compose.yaml:missing.yml\n' }, async ({ dir }) => {
      const { files } = stackFolderComposeFiles(dir, {});
      await assert.rejects(loadComposeProject(files, { env: {} }), {
        message: `${join(dir, 'missing.yml')}: the file does not exist`,
      });
    });
  });

  it('COMPOSE_PROJECT_NAME from .env, the environment over it, an explicit name over both; name: in any file otherwise', async () => {
    await withProject(
      {
        'compose.yaml': base,
        'compose.override.yaml': yaml('name: from-override'),
        '.env': 'COMPOSE_PROJECT_NAME=from-dotenv\n',
      },
      async ({ dir }) => {
        const { files } = discoverComposeFiles(dir);
        assert.equal((await loadComposeProject(files, { env: {} })).name, 'from-dotenv');
        assert.equal((await loadComposeProject(files, { env: { COMPOSE_PROJECT_NAME: 'from-env' } })).name, 'from-env');
        assert.equal((await loadComposeProject(files, { env: {}, projectName: 'explicit' })).name, 'explicit');
      },
    );
    await withProject(
      {
        'compose.yaml': yaml('name: from-base', 'services:', '  redis:', '    image: redis:7'),
        'compose.override.yaml': yaml('name: From_Override'),
      },
      async ({ dir }) => {
        assert.equal((await loadComposeProject(discoverComposeFiles(dir).files, { env: {} })).name, 'from_override');
      },
    );
    await withProject(
      { 'compose.yaml': base },
      async ({ dir }) => {
        mkdirSync(join(dir, 'sub'));
        assert.equal((await loadComposeProject(discoverComposeFiles(dir).files, { env: {} })).name, 'project');
      },
      'Project',
    );
  });
});
