import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { BackupError, snapshot } from '../../../../src/docker/backup';
import { useRedisServer } from '../../../support/useRedisServer';

/** INFO persistence as fields. */
async function persistence(client: Redis): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  for (const line of (await client.info('persistence')).split('\r\n')) {
    const [name, value] = line.split(':');
    if (name && value !== undefined) fields[name] = value;
  }
  return fields;
}

describe('a snapshot on a full disk, against a real redis-server', function () {
  this.timeout(90_000);
  // A real full disk: the server's data folder is a 256 KiB tmpfs (the tests run as root, as the CI does).
  let small = '';
  before(() => {
    small = mkdtempSync(join(tmpdir(), 'shared-redis-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
  });
  const server = useRedisServer(() => ({ extraArgs: ['--dir', small, '--save', ''] }));
  after(() => {
    execFileSync('umount', ['-l', small]);
    rmSync(small, { recursive: true, force: true });
  });

  it('says at once that Redis could not write its snapshot when its previous one failed too (a full disk), instead of waiting out the timeout', async () => {
    const client = await server.connect();
    const pipeline = client.pipeline();
    for (let i = 0; i < 100; i++) pipeline.set(`auth:k:${i}`, randomBytes(10_000));
    await pipeline.exec();
    // Redis's own periodic save on the full disk failed first.
    await client.bgsave();
    for (let i = 0; (await persistence(client))['rdb_bgsave_in_progress'] !== '0' && i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await persistence(client))['rdb_last_bgsave_status'], 'err', 'the premise: a failed save');

    const started = Date.now();
    await assert.rejects(
      snapshot(client, { timeoutMs: 60_000 }),
      (error: unknown) =>
        error instanceof BackupError &&
        error.kind === 'snapshot-failed' &&
        /could not write its snapshot/.test(error.message),
    );
    assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
  });
});
