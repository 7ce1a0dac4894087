import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupError, snapshot } from '../../../../src/docker/backup';
import { useRedisServer } from '../../../support/useRedisServer';

describe("a snapshot into a data folder Redis cannot write, against a real redis-server: the server's reason, at once", function () {
  this.timeout(60_000);
  // The tests run as root (as the CI does), whom chmod 0500 does not stop: the server's data
  // folder is a read-only tmpfs instead, so the BGSAVE child's open() of its temp file really
  // fails (EROFS), as a folder the redis user may not write makes it fail with EACCES.
  let readOnly = '';
  let logs = '';
  before(() => {
    readOnly = mkdtempSync(join(tmpdir(), 'shared-redis-ro-dir-'));
    logs = mkdtempSync(join(tmpdir(), 'shared-redis-ro-log-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,ro', 'tmpfs', readOnly]);
  });
  const server = useRedisServer(() => ({
    extraArgs: ['--dir', readOnly, '--save', '', '--logfile', join(logs, 'redis.log')],
  }));
  after(() => {
    execFileSync('umount', ['-l', readOnly]);
    rmSync(readOnly, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  /** The server's log, as Back Up reads the container's (its last lines). */
  const serverLog = async (): Promise<string[]> =>
    readFileSync(join(logs, 'redis.log'), 'utf8').split('\n').filter(Boolean).slice(-50);

  it("fails within seconds, not after its timeout, and says why in the server's own words", async () => {
    const client = await server.connect();
    await client.set('auth:session:1', 'v');
    for (const round of ['first', 'second (the save before it failed too)']) {
      const started = Date.now();
      const options = { timeoutMs: 30_000, serverLog };
      const error = await snapshot(client, options).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof BackupError && error.kind === 'snapshot-failed', `${round}: ${String(error)}`);
      assert.ok(Date.now() - started < 5_000, `${round}: answered after ${Date.now() - started} ms`);
      assert.match(error.message, /could not write its snapshot/);
      // Redis's own reason, from its log: the temp file it could not open, and the errno's text.
      assert.match(error.message, /Failed opening the temp RDB file temp-\d+\.rdb .*Read-only file system/, round);
    }
  });
});
