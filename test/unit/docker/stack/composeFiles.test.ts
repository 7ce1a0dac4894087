import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { EngineConnection } from '../../../../src/docker/engine';
import { stackFolderComposeFiles } from '../../../../src/docker/compose/files';
import { CONFIG_FILES_LABEL } from '../../../../src/docker/stack/labels';
import type { StackLocation } from '../../../../src/docker/stack/location';
import { StackController } from '../../../../src/docker/stack/stackController';
import { requireEngine } from '../../../support/engine';
import { freePort } from '../../../support/redisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, StackFixture, stackFixture } from '../../../support/stackFixture';

describe('a stack folder with compose.yaml and compose.override.yaml, on the real engine', function () {
  this.timeout(180_000);
  let engine: EngineConnection | undefined;
  let docker: Docker;
  let stack: StackFixture | undefined;

  before(async function () {
    engine = await requireEngine(this);
    if (engine) docker = engine.docker;
  });
  after(async () => {
    if (stack) await stack.cleanup(docker);
  });

  it('starts the merged stack: the override\'s label and environment are on the container, the label lists both files', async () => {
    stack = stackFixture(await freePort());
    renameSync(join(stack.dir, 'docker-compose.yml'), join(stack.dir, 'compose.yaml'));
    writeFileSync(join(stack.dir, 'compose.override.yaml'), [
      'services:',
      '  shared-redis:',
      '    environment:',
      '      - TEAM_NOTE=from the override',
      '    labels:',
      '      com.example.override: "yes"',
      '',
    ].join('\n'));
    const found = stackFolderComposeFiles(stack.dir, {});
    const files = [join(stack.dir, 'compose.yaml'), join(stack.dir, 'compose.override.yaml')];
    assert.deepEqual(found.files, files);
    const location: StackLocation = { composeFile: files[0] ?? '', composeFiles: found.files, envFile: join(stack.dir, '.env'), source: 'workspace', warnings: found.warnings };
    const controller = new StackController(docker);
    const settings = { location, bundledStackDir: BUNDLED_STACK, projectName: stack.project, policy: DEFAULT_POLICY, env: {} };
    const result = await controller.start(settings);
    assert.equal(result.actions.get('shared-redis'), 'created');

    const [container] = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${stack.project}`, 'com.docker.compose.service=shared-redis'] } });
    assert.ok(container, 'the container exists');
    const inspected = await docker.getContainer(container.Id).inspect();
    assert.equal(inspected.Config.Labels['com.example.override'], 'yes');
    assert.ok(inspected.Config.Env.includes('TEAM_NOTE=from the override'), 'the override\'s environment is set');
    assert.ok(inspected.Config.Env.some((e) => e.startsWith('REDISCLI_AUTH=')), 'the base file\'s environment is kept');
    assert.equal(inspected.Config.Labels[CONFIG_FILES_LABEL], files.join(','));

    // Compose v1 reads the same files in that folder: it sees the project's container as its own.
    if (existsSync('/usr/bin/docker-compose')) {
      const ps = spawnSync('/usr/bin/docker-compose', ['-f', files[0] ?? '', '-f', files[1] ?? '', '-p', stack.project, 'ps', '-q'], { cwd: stack.dir, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
      assert.equal(ps.stdout.trim(), container.Id);
    }
  });
});
