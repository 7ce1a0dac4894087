import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { dockerOptions } from '../../../../src/docker/endpoint';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { removableVolumes, removalPlan } from '../../../../src/docker/stack/lifecycle';
import { requireEngine } from '../../../support/engine';

/**
 * A team made its data volume `external: true` (so that no `down -v` can delete it) after
 * Compose had created it: the volume keeps the project's labels. docker-compose down -v leaves
 * it; Remove Stack (only the volume left: "Delete the volume …?") lists it and deletes it.
 */
describe('Remove Stack and a volume the compose file declares external', function () {
  this.timeout(60_000);
  let docker: Docker;
  let dir: string;
  const project = `rev1ext${Math.random().toString(36).slice(2, 8)}`;
  const volume = `rev1-${project}-data`;
  const other = `${project}_pg-data`;

  before(async function () {
    const engine = await requireEngine(this);
    if (engine) docker = new Docker(dockerOptions(engine.endpoint));
  });
  afterEach(async () => {
    await docker.getVolume(volume).remove().catch(() => undefined);
    await docker.getVolume(other).remove().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not in the removal plan, as docker-compose down -v leaves it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rev1-ext-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, `services:\n  redis:\n    image: redis:7\n    volumes:\n      - redis-data:/data\nvolumes:\n  redis-data:\n    external: true\n    name: ${volume}\n`);
    // As Compose created it before the file said external.
    await docker.createVolume({
      Name: volume,
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.volume': 'redis-data', 'com.docker.compose.version': '1.29.2' },
    });
    execFileSync('docker-compose', ['-p', project, '-f', file, 'down', '-v'], { cwd: dir, stdio: 'pipe' });
    assert.ok(await docker.getVolume(volume).inspect(), 'docker-compose down -v keeps the external volume');
    const plan = await removalPlan(docker, project, removableVolumes(await loadComposeProject(file, { env: {}, projectName: project })));
    assert.deepEqual(plan.volumes, [], 'Remove Stack would ask to delete, and delete, the external volume');
  });

  // Another compose project of the same name (an app's `docker-compose.yml` in a folder also
  // named like the stack's) labels its volumes with the same project: docker-compose down -v
  // of the stack's file removes only the volumes that file declares.
  it('lists no volume the compose file does not declare, as docker-compose down -v leaves it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'rev1-ext-'));
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, `services:\n  redis:\n    image: redis:7\n    volumes:\n      - redis-data:/data\nvolumes:\n  redis-data:\n`);
    await docker.createVolume({
      Name: other,
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.volume': 'pg-data', 'com.docker.compose.version': '1.29.2' },
    });
    execFileSync('docker-compose', ['-p', project, '-f', file, 'down', '-v'], { cwd: dir, stdio: 'pipe' });
    assert.ok(await docker.getVolume(other).inspect(), 'docker-compose down -v keeps a volume its file does not declare');
    const plan = await removalPlan(docker, project, removableVolumes(await loadComposeProject(file, { env: {}, projectName: project })));
    assert.deepEqual(plan.volumes, [], 'Remove Stack would ask to delete, and delete, another project\'s pg-data');
  });
});
