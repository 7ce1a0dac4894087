import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackupError, snapshot } from '../../../../src/docker/backup';
import { useRedisServer } from '../../../support/useRedisServer';

/**
 * A BGSAVE that has to wait its turn behind an AOF rewrite ("Background saving scheduled"),
 * on a server whose save before it failed too, and whose own child then fails at once.
 *
 * How the child is made to fail for real (the tests run as root, whom permissions do not stop):
 * a save's child writes `temp-<its pid>.rdb` in the data folder, so that name is made a folder
 * for the next 20,000 process ids, and its open() fails with EISDIR. The AOF rewrite child
 * writes `temp-rewriteaof-bg-<pid>.aof`, which is free, so the rewrite runs (slowed by
 * rdb-key-save-delay) and succeeds. `hz 500` makes Redis reap the failed child within ~2 ms, so
 * no 100 ms poll can count on seeing it run.
 */
describe('a scheduled snapshot (behind an AOF rewrite) that fails at once, after a failed one, against a real redis-server', function () {
  this.timeout(60_000);
  let dir = '';
  let logs = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-sched-dir-'));
    logs = mkdtempSync(join(tmpdir(), 'shared-redis-sched-log-'));
  });
  const server = useRedisServer(() => ({
    extraArgs: ['--dir', dir, '--save', '', '--hz', '500', '--logfile', join(logs, 'redis.log')],
  }));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(logs, { recursive: true, force: true });
  });

  /** Makes `temp-<pid>.rdb` a folder for the next `count` process ids (wrapping at pid_max). */
  function blockSaveFiles(count: number): void {
    const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    for (let i = 1; i <= count; i++) {
      mkdirSync(join(dir, `temp-${((last + i) % max) + (last + i >= max ? 300 : 0)}.rdb`), { recursive: true });
    }
  }

  const serverLog = async (): Promise<string[]> =>
    readFileSync(join(logs, 'redis.log'), 'utf8').split('\n').filter(Boolean).slice(-50);

  it('fails as soon as its own save has failed, with the reason, instead of waiting out its timeout', async () => {
    const client = await server.connect();
    for (let i = 0; i < 20; i++) await client.set(`auth:k:${i}`, 'v');
    blockSaveFiles(20_000);
    // The premise: a save that failed (its child could not open its file).
    await client.bgsave();
    for (let i = 0; i < 100 && (await client.info('persistence')).includes('rdb_bgsave_in_progress:1'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(await client.info('persistence'), /rdb_last_bgsave_status:err/);
    // An AOF rewrite of about 2 s (100 ms per key) runs when the backup asks for its snapshot.
    await client.call('CONFIG', 'SET', 'rdb-key-save-delay', '100000');
    await client.bgrewriteaof();
    assert.match(await client.info('persistence'), /aof_rewrite_in_progress:1/);

    const started = Date.now();
    const options = { timeoutMs: 30_000, serverLog };
    const error = await snapshot(client, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(error instanceof BackupError && error.kind === 'snapshot-failed', String(error));
    // The rewrite (~2 s) and Redis's own wait before it retries a save after a failure (5 s): not 30 s.
    assert.ok(took < 15_000, `answered after ${took} ms`);
    assert.match(error.message, /Failed opening the temp RDB file temp-\d+\.rdb .*Is a directory/);
  });
});
