import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { putEntries } from '../../../../src/docker/backup/containerFiles';
import { connectEngine } from '../../../../src/docker/engine';
import { requireEngine } from '../../../support/engine';

const IMAGE = 'shared-redis/redis-offline:7.0.15';

/**
 * A crash (power lost, the kernel stopped) just after a backup can leave its file empty or cut
 * short under its final name unless its data was on disk (fsync) first. A crash cannot be made
 * on demand, so the test watches the system calls instead: strace, on a process of its own
 * that copies a file out of a real container as a backup does.
 */
describe('a backup copy reaches the disk before it is called complete, on the real engine', function () {
  this.timeout(120_000);
  let docker: Docker;
  let container: Docker.Container;
  let dir: string;

  before(async function () {
    if (!(await requireEngine(this))) return;
    docker = (await connectEngine(undefined, { timeoutMs: 60_000 })).docker;
    container = await docker.createContainer({
      name: `srtest-durable-${randomBytes(4).toString('hex')}`,
      Image: IMAGE,
    });
    await putEntries(container, '/data', [
      { name: 'dump.rdb', type: 'bytes', data: randomBytes(1024 * 1024), mode: 0o600 },
    ]);
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-durable-'));
  });
  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the copied file to disk (fsync) before the copy ends', () => {
    const dest = join(dir, 'copy.rdb.partial');
    const log = join(dir, 'strace.log');
    const files = require.resolve('../../../../src/docker/backup/containerFiles');
    const engine = require.resolve('../../../../src/docker/engine');
    const script = `
      const { copyFileOut } = require(${JSON.stringify(files)});
      const { connectEngine } = require(${JSON.stringify(engine)});
      (async () => {
        const { docker } = await connectEngine(undefined, { timeoutMs: 60_000 });
        await copyFileOut(docker.getContainer(${JSON.stringify(container.id)}), '/data/dump.rdb', ${JSON.stringify(dest)});
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    execFileSync('strace', [
      '-f',
      '-y',
      '-qq',
      '-e',
      'trace=fsync,fdatasync',
      '-o',
      log,
      process.execPath,
      '-e',
      script,
    ]);
    assert.equal(statSync(dest).size, 1024 * 1024, 'the premise: the file was copied whole');
    const calls = readFileSync(log, 'utf8');
    assert.ok(
      calls.split('\n').some((line) => /\b(fsync|fdatasync)\(\d+</.test(line) && line.includes(`<${dest}>`)),
      `no fsync of ${dest}:\n${calls}`,
    );
  });
});
