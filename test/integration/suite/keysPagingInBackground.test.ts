import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { api } from './extensionApi';
import type { KeysRow } from '../../../src/views/keysView';
import { child, emptiedTestRedis, rows } from './keysTree';

/** The launcher's private redis-server's process id, from its own INFO. */
async function serverPid(redis: Redis): Promise<number> {
  const pid = /process_id:(\d+)/.exec(await redis.info('server'))?.[1];
  assert.ok(pid, 'INFO server names the process');
  return Number(pid);
}

describe('the Keys view lists namespaces while a large page of keys is still being found', function () {
  this.timeout(60_000);
  let redis: Redis;

  before(async () => {
    redis = await emptiedTestRedis();
    // 3,000 top-level keys: too many (and too dense) to keep their names, so their page needs SCAN MATCH.
    const pipeline = redis.pipeline();
    for (let i = 0; i < 3000; i++) pipeline.set(`top${i}`, 'v');
    for (let i = 0; i < 5; i++) pipeline.set(`auth:session:${i}`, 's');
    for (let i = 0; i < 3000; i++) pipeline.set(`big:${i}`, 'v');
    await pipeline.exec();
  });
  after(async () => {
    await redis.flushdb();
    redis.disconnect();
  });

  it('shows the namespace rows at once and the keys when their page is found, even if the server stalls', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const pid = await serverPid(redis);
    // The server stops answering after the walk (SIGSTOP), as a busy shared server may for seconds.
    process.kill(pid, 'SIGSTOP');
    let stalled: string[];
    try {
      stalled = await rows(shared);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal(stalled[0], 'auth — 5 keys · Auth Service', stalled.join(' | '));
    assert.ok(
      stalled.includes('Listing 3,000 keys… — '),
      `a row says the keys are being listed, not an error: ${stalled.join(' | ')}`,
    );
    // Once the server answers, the view asks again and the first page is there.
    let listed: string[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      listed = await rows(shared);
      if (listed.some((row) => row.startsWith('Load more…'))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(
      listed.filter((row) => /^top\d+ — string · no TTL$/.test(row)).length,
      200,
      listed.slice(0, 8).join(' | '),
    );
    assert.ok(listed.includes('Load more… — 200 of 3,000 shown'), listed.slice(-2).join(' | '));
  });

  it('refreshes the row the view shows when the page is found, also after a refresh replaced the row', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const fired: (KeysRow | undefined)[] = [];
    const idOf = (row: KeysRow | undefined): string | undefined =>
      row ? shared.views.keys.getTreeItem(row).id : undefined;
    const listening = shared.views.keys.onDidChangeTreeData((row) => {
      fired.push(Array.isArray(row) ? row[0] : row);
    });
    const pid = await serverPid(redis);
    process.kill(pid, 'SIGSTOP');
    let latest: KeysRow;
    try {
      assert.ok((await rows(shared, await child(shared, undefined, 'big'))).includes('Listing 3,000 keys… — '));
      // The tree is rendered again meanwhile (another row changed): VS Code now holds a new row object.
      latest = await child(shared, undefined, 'big');
      assert.ok((await rows(shared, latest)).includes('Listing 3,000 keys… — '));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    try {
      for (let attempt = 0; attempt < 100 && !fired.some((row) => idOf(row) === idOf(latest)); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const big = fired.filter((row) => idOf(row) === idOf(latest));
      assert.ok(big.length > 0, 'the view was told the row changed');
      assert.ok(
        big.every((row) => row === latest),
        'with the row object VS Code holds now, not the replaced one',
      );
    } finally {
      listening.dispose();
    }
  });
});
