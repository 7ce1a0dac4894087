import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { useRedisServer } from '../../../support/useRedisServer';

/**
 * Exports `prefix` in a process of its own (so its peak memory is the export's alone) and gives
 * that process's peak resident memory (VmHWM, which the kernel keeps) in MiB.
 */
function exportPeakMiB(port: number, prefix: string, file: string): number {
  const transfer = require.resolve('../../../../src/redis/transfer');
  const ioredis = require.resolve('ioredis');
  const script = `
    const Redis = require(${JSON.stringify(ioredis)});
    const { exportNamespace } = require(${JSON.stringify(transfer)});
    (async () => {
      const client = new Redis({ host: '127.0.0.1', port: ${port} });
      // The default scanCount of the setting sharedRedis.scanCount.
      await exportNamespace(client, Buffer.from(${JSON.stringify(prefix)}), ${JSON.stringify(file)}, { delimiter: Buffer.from(':'), scanCount: 1000 });
      client.disconnect();
      const peak = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1];
      process.stdout.write(String(Math.round(Number(peak) / 1024)));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the memory an export of large values takes', function () {
  this.timeout(180_000);
  const server = useRedisServer();
  let client: Redis;
  let dir: string;

  before(async () => {
    client = await server.connect();
    dir = mkdtempSync(join(tmpdir(), 'shared-redis-export-memory-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds a bounded part of a namespace of large values in memory, not a whole SCAN batch (300 values of 2 MiB)', async () => {
    await client.flushdb(); // this test's own server
    for (let i = 0; i < 300; i++) await client.set(`blob:${i}`, randomBytes(2 * 1024 * 1024));
    const file = join(dir, 'blob.jsonl');
    const peak = exportPeakMiB(server.port, 'blob:', file);
    assert.ok(statSync(file).size > 600 * 1024 * 1024, 'the premise: the file holds every value');
    // Read whole, the batch alone is 1.2 GiB (each value and its DUMP payload).
    assert.ok(peak < 600, `the export peaked at ${peak} MiB`);
  });
});
