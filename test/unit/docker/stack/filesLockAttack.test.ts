import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const filesLock = join(__dirname, '../../../../src/docker/stack/filesLock.js');

/** A Node process of its own whose temporary folder is `tmp`, running `script`; its stdout so far in `out()`. */
function start(script: string, tmp: string): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, out: () => out };
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 50));
  }
  return true;
}

/** A window's Start of the stack: holds the Start lock, says HELD, and then works (pulls, waits for healthy) for a minute. */
const startScript = (name: string): string =>
  `require(${JSON.stringify(filesLock)}).withStackStartLock('engine', 'project', async () => {
     process.stdout.write(${JSON.stringify(name)} + ' HELD\\n');
     await new Promise((done) => setTimeout(done, 60_000));
   }, { busy: () => new Error('busy'), cancelled: () => new Error('cancelled') });`;

describe('The Start lock held by a live window that is stopped for a while (real processes)', function () {
  this.timeout(120_000);
  let tmp: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'shared-redis-lock-attack-'));
  });
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is not taken over while its holder lives: a window stopped 35 s mid-Start (SIGSTOP: a debugger, a swapped-out host) still holds it, and a second Start waits', async () => {
    const first = start(startScript('first'), tmp);
    children.push(first.child);
    assert.ok(await until(() => first.out().includes('first HELD'), 10_000), 'the first window never held the lock');
    // Its heartbeat stops with it: the lock's file is no longer touched, although its holder lives.
    first.child.kill('SIGSTOP');
    const second = start(startScript('second'), tmp);
    children.push(second.child);
    const both = await until(() => second.out().includes('second HELD'), 35_000);
    first.child.kill('SIGCONT');
    assert.equal(both, false, 'a second Start ran while the first, alive, still held the lock (two Starts at once)');
  });
});
