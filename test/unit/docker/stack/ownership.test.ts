import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foreignContainers, originOf, sameStack } from '../../../../src/docker/stack/ownership';
import { CONFIG_FILES_LABEL, WORKING_DIR_LABEL } from '../../../../src/docker/stack/labels';
import { requireEngine } from '../../../support/engine';
import { OFFLINE_REDIS_IMAGE, removeProject } from '../../../support/stackFixture';

const labels = (configFiles: string | undefined, workingDir: string | undefined): Record<string, string> => ({
  ...(configFiles !== undefined ? { [CONFIG_FILES_LABEL]: configFiles } : {}),
  ...(workingDir !== undefined ? { [WORKING_DIR_LABEL]: workingDir } : {}),
});

describe('which stack owns a compose project (the config_files and working_dir labels)', () => {
  let root: string;
  let ours: { composeFile: string; workingDir: string };
  let other: string;

  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'shared-redis-owner-')));
    mkdirSync(join(root, 'ws', 'shared-redis'), { recursive: true });
    mkdirSync(join(root, 'bundled', 'shared-redis'), { recursive: true });
    ours = { composeFile: join(root, 'ws', 'shared-redis', 'docker-compose.yml'), workingDir: join(root, 'ws', 'shared-redis') };
    other = join(root, 'bundled', 'shared-redis', 'docker-compose.yml');
    writeFileSync(ours.composeFile, 'services: {}\n');
    writeFileSync(other, 'services: {}\n');
    symlinkSync(join(root, 'ws'), join(root, 'ws-link'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('our own files, as this extension and Compose v2 write them (absolute, comma-joined), are ours', () => {
    assert.ok(sameStack(originOf(labels(ours.composeFile, ours.workingDir)), ours));
    assert.ok(sameStack(originOf(labels(`${ours.composeFile},${join(ours.workingDir, 'docker-compose.override.yml')}`, ours.workingDir)), ours),
      'an override file added is a change of the same stack');
  });

  it('another folder\'s file is another stack, whatever its content', () => {
    const origin = originOf(labels(other, join(root, 'bundled', 'shared-redis')));
    assert.equal(origin.composeFile, other);
    assert.ok(!sameStack(origin, ours));
  });

  it('another main file in the same folder (-f other.yml) is another stack', () => {
    assert.ok(!sameStack(originOf(labels(join(ours.workingDir, 'other.yml'), ours.workingDir)), ours));
  });

  it('the same file through a symlinked folder, with a trailing separator or dot segments, is ours', () => {
    assert.ok(sameStack(originOf(labels(join(root, 'ws-link', 'shared-redis', 'docker-compose.yml'), join(root, 'ws-link', 'shared-redis'))), ours));
    assert.ok(sameStack(originOf(labels(`${ours.workingDir}/./../shared-redis/docker-compose.yml`, `${ours.workingDir}/`)), ours));
    assert.ok(sameStack(originOf(labels(undefined, `${ours.workingDir}/`)), ours), 'a container naming only its folder is judged by the folder');
  });

  it('Compose v1\'s relative -f path is the working_dir\'s file, wherever the shell was', () => {
    // docker-compose 1.29.2 run from a subfolder with -f ../docker-compose.yml writes exactly this.
    const origin = originOf(labels('../docker-compose.yml', ours.workingDir));
    assert.equal(origin.composeFile, ours.composeFile);
    assert.ok(sameStack(origin, ours));
    assert.ok(!sameStack(originOf(labels('docker-compose.yml', join(root, 'bundled', 'shared-redis'))), ours));
  });

  it('a folder with a comma in its name is read whole, not cut at the comma', () => {
    const comma = join(root, 'a,b');
    mkdirSync(comma);
    const file = join(comma, 'docker-compose.yml');
    writeFileSync(file, 'services: {}\n');
    const origin = originOf(labels(`${file},${join(comma, 'docker-compose.override.yml')}`, comma));
    assert.deepEqual(origin.configFiles, [file, join(comma, 'docker-compose.override.yml')]);
    assert.ok(sameStack(origin, { composeFile: file, workingDir: comma }));
    assert.ok(!sameStack(origin, ours));
  });

  it('a container that names neither files nor folder cannot be told apart, so it is not called foreign', () => {
    assert.ok(sameStack(originOf({}), ours));
  });
});

describe('foreign containers on the real engine, created by docker-compose (v1)', function () {
  this.timeout(60_000);
  let root: string;
  const project = `srtest-${Math.random().toString(36).slice(2, 8)}`;

  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'shared-redis-owner-')));
    for (const dir of ['one', 'two']) {
      mkdirSync(join(root, dir, 'sub'), { recursive: true });
      writeFileSync(join(root, dir, 'docker-compose.yml'), `services:\n  redis:\n    image: ${OFFLINE_REDIS_IMAGE}\n`);
    }
  });
  after(async function () {
    const engine = await requireEngine(this);
    if (engine) await removeProject(engine.docker, project);
    rmSync(root, { recursive: true, force: true });
  });

  it('a container docker-compose created from our file (from a subfolder, -f ../) is ours; from another folder\'s file it is foreign', async function () {
    const engine = await requireEngine(this);
    if (!engine) return;
    execFileSync('docker-compose', ['-p', project, '-f', '../docker-compose.yml', 'up', '--no-start'], { cwd: join(root, 'one', 'sub'), stdio: 'pipe' });
    const one = { composeFile: join(root, 'one', 'docker-compose.yml'), workingDir: join(root, 'one') };
    const two = { composeFile: join(root, 'two', 'docker-compose.yml'), workingDir: join(root, 'two') };
    assert.deepEqual(await foreignContainers(engine.docker, project, one), []);
    const foreign = await foreignContainers(engine.docker, project, two);
    assert.deepEqual(foreign.map((c) => [c.service, c.running, c.origin.composeFile]), [['redis', false, one.composeFile]]);
  });
});
