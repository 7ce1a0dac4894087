import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..', '..');
const bundle = join(root, 'dist', 'secondStage.js');

describe('the second stage as built (dist/secondStage.js, loaded on the first view)', () => {
  it('is ASCII only: the host then reads its source without decoding it, and holds a byte per character', () => {
    const bytes = readFileSync(bundle);
    const first = bytes.findIndex((byte) => byte > 0x7f);
    assert.equal(
      first,
      -1,
      `a non-ASCII byte at ${first}: …${bytes.subarray(Math.max(0, first - 40), first + 10).toString('utf8')}…`,
    );
  });

  it('makes no locale-aware formatter while it loads: the first one loads ICU, 23-29 ms of the extension host before the first row', () => {
    const loader = join(root, 'out', 'test', 'support', 'loadBundle.js');
    const report = JSON.parse(
      execFileSync(process.execPath, [loader, bundle], { encoding: 'utf8', timeout: 60_000 }),
    ) as {
      localeWork: number;
      what: string[];
    };
    assert.deepEqual({ localeWork: report.localeWork, what: report.what }, { localeWork: 0, what: [] });
  });
});
