import * as assert from 'node:assert/strict';
import { saveFailureReason } from '../../../../src/docker/backup/persistence';

describe("why a background save failed, from the server's log (saveFailureReason)", () => {
  it("finds the child's warning also when the child logged it before its parent logged the fork", async () => {
    // A child that fails at once (a read-only folder) may write before the parent's "started"
    // line: the order ci79 met in the snapshot test's second round.
    const lines = [
      '100:C 06 Dec 2026 11:00:00.000 # Failed opening the temp RDB file temp-100.rdb (in server root dir /data) for saving: Read-only file system',
      '1:M 06 Dec 2026 11:00:00.000 * Background saving started by pid 100',
      '1:M 06 Dec 2026 11:00:00.100 # Background saving error',
      '200:C 06 Dec 2026 11:00:01.000 # Failed opening the temp RDB file temp-200.rdb (in server root dir /data) for saving: Read-only file system',
      '1:M 06 Dec 2026 11:00:01.000 * Background saving started by pid 200',
    ];
    assert.equal(
      await saveFailureReason(async () => lines),
      'Failed opening the temp RDB file temp-200.rdb (in server root dir /data) for saving: Read-only file system',
    );
  });

  it("keeps to the last save's child: an earlier child's warning is not this save's reason", async () => {
    const lines = [
      '1:M 06 Dec 2026 11:00:00.000 * Background saving started by pid 100',
      '100:C 06 Dec 2026 11:00:00.001 # Write error saving DB on disk: No space left on device',
      '1:M 06 Dec 2026 11:00:05.000 * Background saving started by pid 300',
      '300:C 06 Dec 2026 11:00:05.001 # Failed opening the temp RDB file temp-300.rdb: Permission denied',
    ];
    assert.equal(
      await saveFailureReason(async () => lines),
      'Failed opening the temp RDB file temp-300.rdb: Permission denied',
    );
  });
});
