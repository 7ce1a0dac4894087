import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const filesLock = join(__dirname, '../../../../src/docker/stack/filesLock.js');

/** Runs `script` with Node in a process of its own whose temporary folder is `tmp`; resolves to its stdout, or `TIMEOUT` once killed after `killAfterMs`. */
function run(script: string, tmp: string, killAfterMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      out = 'TIMEOUT';
      child.kill('SIGKILL');
    }, killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => (out += out === 'TIMEOUT' ? '' : chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal === 'SIGKILL') resolve(out);
      else reject(new Error(`exit ${code}: ${err}`));
    });
  });
}

/** Every lock file under `dir`. */
function lockFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.lock'))
    .map((name) => join(dir, name));
}

/**
 * A window (a process) that dies holding the lock of `stackDir`, leaving the lock behind as a
 * crash does; resolves to the lock file and the dead pid.
 */
async function dieHoldingTheLock(stackDir: string, tmp: string): Promise<{ lock: string; deadPid: number }> {
  const out = await run(
    `require(${JSON.stringify(filesLock)}).withStackFilesLock(${JSON.stringify(stackDir)}, () => { process.stdout.write(String(process.pid)); process.kill(process.pid, 'SIGKILL'); return new Promise(() => {}); });`,
    tmp,
    20_000,
  );
  const locks = lockFiles(tmp);
  assert.equal(locks.length, 1, `one lock file left behind, found ${locks.join(', ')}`);
  return { lock: locks[0]!, deadPid: Number(out) };
}

describe('The lock of a stack folder shared by windows (processes), left behind by one that died', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'shared-redis-lock-test-'));
  });
  afterEach(() => {
    for (const dir of [tmp, ...readdirSync(tmp, { recursive: true, encoding: 'utf8' }).map((n) => join(tmp, n))]) {
      try {
        if (statSync(dir).isDirectory()) chmodSync(dir, 0o700);
      } catch {
        // gone
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('when it cannot be taken over (it belongs to another user), the next change waits and fails with the "busy" message at the deadline instead of hanging the extension host', async () => {
    const stackDir = join(tmp, 'stack');
    mkdirSync(stackDir);
    const { lock } = await dieHoldingTheLock(stackDir, tmp);
    // Another user's lock in sticky /tmp cannot be removed by us (EPERM). A process that is not
    // root gets the same refusal for real from a folder it may not write to; root bypasses
    // that, so under root (as on CI) the removal is made to fail as it fails in sticky /tmp: a
    // FAKE unlinkSync throwing EPERM for the lock file, installed in the child process only.
    const underRoot = process.getuid?.() === 0;
    if (!underRoot) chmodSync(join(lock, '..'), 0o500);
    const fakeRename = underRoot
      ? `const fs = require('node:fs'); const unlink = fs.unlinkSync;
         fs.unlinkSync = (path) => { if (String(path).endsWith('.lock')) throw Object.assign(new Error('EPERM: operation not permitted, unlink'), { code: 'EPERM' }); return unlink(path); };`
      : '';
    const started = Date.now();
    const out = await run(
      `${fakeRename}
       require(${JSON.stringify(filesLock)}).withStackFilesLock(${JSON.stringify(stackDir)}, () => 'changed')
         .then((r) => process.stdout.write('OK ' + r), (e) => process.stdout.write('ERROR ' + e.message));`,
      tmp,
      40_000,
    );
    const took = Date.now() - started;
    assert.match(out, /^ERROR Another VS Code window has been changing the stack's \.env and users\.acl for 15 s/, `after ${took} ms: ${out}`);
    assert.ok(took < 30_000, `gave up after ${took} ms`);
  });

  it("another user's lock left behind (its holder dead) is never taken over as ours: the change waits and fails with the \"busy\" message", async function () {
    // Only root can give a file to another user.
    if (process.getuid?.() !== 0) this.skip();
    const stackDir = join(tmp, 'stack');
    mkdirSync(stackDir);
    const { lock } = await dieHoldingTheLock(stackDir, tmp);
    chownSync(lock, 65534, 65534);
    const out = await run(
      `require(${JSON.stringify(filesLock)}).withStackFilesLock(${JSON.stringify(stackDir)}, () => 'changed')
         .then((r) => process.stdout.write('OK ' + r), (e) => process.stdout.write('ERROR ' + e.message));`,
      tmp,
      40_000,
    );
    assert.match(out, /^ERROR Another VS Code window has been changing the stack's \.env and users\.acl for 15 s/, out);
  });

  it('a folder of locks that other users may write to is not used: the change fails saying so, and changes nothing', async () => {
    const stackDir = join(tmp, 'stack');
    mkdirSync(stackDir);
    const uid = process.getuid?.();
    if (uid === undefined) return;
    const planted = join(tmp, `shared-redis-${uid}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    const out = await run(
      `require(${JSON.stringify(filesLock)}).withStackFilesLock(${JSON.stringify(stackDir)}, () => 'changed')
         .then((r) => process.stdout.write('OK ' + r), (e) => process.stdout.write('ERROR ' + e.message));`,
      tmp,
      40_000,
    );
    assert.match(out, /^ERROR The folder of the locks shared by VS Code windows, .* is not a folder only you may use/, out);
  });

  it('with six windows changing the files 500 times each and a dead window leaving its lock behind every third round, no two ever hold the lock at once', async () => {
    const stackDir = join(tmp, 'stack');
    mkdirSync(stackDir);
    const { lock, deadPid } = await dieHoldingTheLock(stackDir, tmp);
    const marker = join(tmp, 'holder');
    const windows = Array.from({ length: 6 }, (_, index) =>
      run(
        `const fs = require('node:fs');
         const { withStackFilesLock } = require(${JSON.stringify(filesLock)});
         (async () => {
           let overlaps = 0;
           for (let round = 0; round < 500; round++) {
             await withStackFilesLock(${JSON.stringify(stackDir)}, async () => {
               try { fs.closeSync(fs.openSync(${JSON.stringify(marker)}, 'wx')); } catch { overlaps++; return; }
               await new Promise((done) => setTimeout(done, Math.random() * 3));
               fs.rmSync(${JSON.stringify(marker)}, { force: true });
             });
             // A window that died holding the lock (its pid is gone) left it behind.
             if (round % 3 === ${index % 3}) {
               try { const fd = fs.openSync(${JSON.stringify(lock)}, 'wx'); fs.writeSync(fd, '${deadPid}\\n'); fs.closeSync(fd); } catch {}
             }
           }
           process.stdout.write(String(overlaps));
         })();`,
        tmp,
        100_000,
      ),
    );
    const overlaps = await Promise.all(windows);
    assert.deepEqual(overlaps, ['0', '0', '0', '0', '0', '0']);
  });
});
