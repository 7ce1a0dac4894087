import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BackupError } from '../../../../src/docker/backup/errors';
import { copyFileOut, ownerOf, putEntries } from '../../../../src/docker/backup/containerFiles';
import { connectEngine } from '../../../../src/docker/engine';
import { requireEngine } from '../../../support/engine';
import { settled as settledWithin } from '../../../support/settled';

const IMAGE = 'shared-redis/redis-offline:7.0.15';
const BIG_BYTES = 8 * 1024 * 1024;

/** A hang shows as 'did not settle' (see support/settled.ts). */
const settled = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> => settledWithin(promise, 20_000);

/**
 * The container's real archive stream, cut by an error once `afterBytes` have passed: the
 * engine's socket breaking mid-copy. Injected, because a socket that breaks at a chosen
 * point cannot be produced on demand with a real engine.
 */
function breakingAfter(container: Docker.Container, afterBytes: number): Docker.Container {
  return {
    getArchive: async (options: { path: string }) => {
      const real = (await container.getArchive(options)) as Readable;
      return Readable.from(
        (async function* () {
          let passed = 0;
          for await (const chunk of real as AsyncIterable<Buffer>) {
            passed += chunk.length;
            if (passed > afterBytes) {
              real.destroy();
              throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
            }
            yield chunk;
          }
        })(),
      );
    },
  } as unknown as Docker.Container;
}

describe('a backup copy whose archive stream breaks, on the real engine', function () {
  this.timeout(120_000);
  let docker: Docker;
  let container: Docker.Container;
  let dir: string;

  before(async function () {
    // A container start can outlast the probe's short request timeout on a busy engine.
    if (!(await requireEngine(this))) return;
    docker = (await connectEngine(undefined, { timeoutMs: 60_000 })).docker;
    container = await docker.createContainer({
      name: `srtest-archive-${randomBytes(4).toString('hex')}`,
      Image: IMAGE,
    });
    await putEntries(container, '/data', [
      { name: 'dump.rdb', type: 'bytes', data: randomBytes(BIG_BYTES), mode: 0o600 },
    ]);
  });
  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-archive-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the file out whole when nothing breaks (the premise)', async () => {
    assert.equal((await copyFileOut(container, '/data/dump.rdb', join(dir, 'copy.rdb'))).bytes, BIG_BYTES);
  });

  it('fails copying a file out with a message naming the file, instead of hanging', async () => {
    const outcome = await settled(
      copyFileOut(breakingAfter(container, 1024 * 1024), '/data/dump.rdb', join(dir, 'copy.rdb')),
    );
    assert.ok(
      outcome.error instanceof BackupError,
      `expected a BackupError, got ${outcome.error === undefined ? 'a value' : String(outcome.error)}`,
    );
    assert.equal(outcome.error.kind, 'engine');
    assert.match(outcome.error.message, /^Could not copy \/data\/dump\.rdb out of the container: .*socket hang up/);
  });

  it('fails reading the owner of a folder when the stream breaks before the first entry', async () => {
    const outcome = await settled(ownerOf(breakingAfter(container, 0), '/data'));
    assert.ok(
      outcome.error instanceof BackupError,
      `expected a BackupError, got ${outcome.error === undefined ? 'a value' : String(outcome.error)}`,
    );
    assert.match(outcome.error.message, /^Could not read \/data in the container: .*socket hang up/);
  });

  it('fails putting a file into the container when the host file cannot be read, instead of hanging', async () => {
    // A folder where a file was expected: stat works, reading fails (EISDIR) mid-archive.
    const outcome = await settled(
      putEntries(container, '/data', [
        { name: 'first.txt', type: 'bytes', data: Buffer.from('first') },
        { name: 'dump.rdb', type: 'file', source: dir },
      ]),
    );
    assert.ok(
      outcome.error instanceof BackupError,
      `expected a BackupError, got ${outcome.error === undefined ? 'a value' : String(outcome.error)}`,
    );
    assert.match(outcome.error.message, /^Could not copy into \/data in the container: .*EISDIR/);
  });

  it('fails copying out of a container removed while the copy runs, instead of hanging', async () => {
    const doomed = await docker.createContainer({
      name: `srtest-archive-${randomBytes(4).toString('hex')}`,
      Image: IMAGE,
    });
    try {
      await putEntries(doomed, '/data', [
        { name: 'dump.rdb', type: 'bytes', data: randomBytes(BIG_BYTES), mode: 0o600 },
      ]);
      const slow = {
        getArchive: async (options: { path: string }) => {
          const real = (await doomed.getArchive(options)) as Readable;
          // The removal happens once the copy is under way (the first bytes arrived).
          real.once('data', () => {
            void doomed.remove({ force: true, v: true }).catch(() => undefined);
          });
          return real;
        },
      } as unknown as Docker.Container;
      const dest = join(dir, 'copy.rdb');
      const outcome = await settled(copyFileOut(slow, '/data/dump.rdb', dest));
      // The engine may have sent the whole file before the removal took effect: then the copy is whole.
      if (outcome.error === undefined) assert.equal(outcome.value?.bytes, BIG_BYTES);
      else {
        assert.ok(
          outcome.error instanceof BackupError &&
            /^Could not copy \/data\/dump\.rdb out of the container/.test(outcome.error.message),
          String(outcome.error),
        );
      }
    } finally {
      await doomed.remove({ force: true }).catch(() => undefined);
    }
  });
});
