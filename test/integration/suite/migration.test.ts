import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { ImportOptions, ImportOutcome, ImportSource } from '../../../src/commands/migration/importFromRedis';
import { eventually } from '../../support/eventually';
import { freePort, RedisServer, startRedisServer } from '../../support/redisServer';
import { suiteConfig } from './config';
import { api } from './extensionApi';

const PREFIX = `migtest${process.pid}`;
const SEGMENT_KEYS = 300;

function run(options: ImportOptions): Thenable<ImportOutcome> {
  return vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', options);
}

async function scanTarget(redis: Redis, match: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

describe('Import from Another Redis (a second real redis-server into the shared one)', function () {
  this.timeout(120_000);
  let sourceServer: RedisServer;
  let source: Redis;
  let target: Redis;
  const mappings = [
    { source: 'session', target: `${PREFIX}:auth:session` },
    { source: 'cart', target: `${PREFIX}:shop:cart` },
  ];

  before(async () => {
    await api();
    sourceServer = await startRedisServer({ password: 'source-secret' });
    source = new Redis({
      host: sourceServer.host,
      port: sourceServer.port,
      password: 'source-secret',
      lazyConnect: true,
    });
    await source.connect();
    const pipeline = source.pipeline();
    for (let i = 0; i < SEGMENT_KEYS; i++) {
      pipeline.set(`session:${i}`, `token-${i}`, 'PX', 3_600_000);
      pipeline.hset(`cart:${i}`, 'items', String(i));
      pipeline.rpush(`queue:${i}`, 'job'); // not mapped: stays behind
    }
    await pipeline.exec();
    target = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await target.connect();
  });
  after(async () => {
    const keys = await scanTarget(target, `${PREFIX}:*`);
    if (keys.length > 0) await target.unlink(...keys);
    target?.disconnect();
    source?.disconnect();
    await sourceServer?.stop();
    await vscode.workspace
      .getConfiguration('sharedRedis')
      .update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
  });

  const from = (): ImportSource => ({ host: '127.0.0.1', port: sourceServer.port, password: 'source-secret' });

  it('dry run: counts per first segment, reports what would be copied and the conflict, writes nothing, opens the summary', async () => {
    await target.set(`${PREFIX}:auth:session:7`, 'the shared one');
    const result = await run({ source: from(), mappings, mode: 'dry-run' });
    assert.equal(result.outcome, 'done', result.message);
    assert.deepEqual(result.segments?.map((s) => [s.segment?.toString(), s.count]).sort(), [
      ['cart', SEGMENT_KEYS],
      ['queue', SEGMENT_KEYS],
      ['session', SEGMENT_KEYS],
    ]);
    assert.equal(
      result.message,
      `Dry run: 599 keys would be copied, 1 would be skipped (1 exist in the target), 0 failed; nothing was written.`,
    );
    assert.deepEqual(await scanTarget(target, `${PREFIX}:*`), [`${PREFIX}:auth:session:7`]);
    // The summary is open, read-only, as Markdown.
    assert.ok(result.reportUri);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.reportUri);
    assert.ok(document, 'the summary document is open');
    assert.equal(document.languageId, 'markdown');
    assert.match(document.getText(), /^# Import from Redis: Dry run/);
    assert.match(document.getText(), /### Would be skipped: exists in the target \(1 key\)/);
    assert.doesNotMatch(document.getText(), /source-secret/);
  });

  it('copies with types and TTLs, skips the existing key and says so; running again copies nothing twice', async () => {
    const result = await run({ source: from(), mappings, mode: 'copy', showReport: false });
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.message, 'Copied 599 keys, skipped 1 (1 existed in the target), failed 0.');
    assert.equal(await target.get(`${PREFIX}:auth:session:7`), 'the shared one');
    assert.equal(await target.get(`${PREFIX}:auth:session:8`), 'token-8');
    const ttl = await target.pttl(`${PREFIX}:auth:session:8`);
    const sourceTtl = await source.pttl('session:8');
    assert.ok(ttl > 0 && Math.abs(ttl - sourceTtl) < 1000, `${ttl} vs ${sourceTtl}`);
    assert.deepEqual(await target.hgetall(`${PREFIX}:shop:cart:42`), { items: '42' });
    assert.equal(await target.pttl(`${PREFIX}:shop:cart:42`), -1);
    assert.equal((await scanTarget(target, `${PREFIX}:*`)).length, 2 * SEGMENT_KEYS);
    assert.deepEqual(await scanTarget(target, `${PREFIX}:*queue*`), []);
    const again = await run({ source: from(), mappings, mode: 'copy', showReport: false });
    assert.equal(again.result?.copied, 0);
    assert.equal(again.result?.skippedExisting, 2 * SEGMENT_KEYS);
  });

  it('refuses a copy under sharedRedis.readOnly (a dry run still runs)', async () => {
    await vscode.workspace
      .getConfiguration('sharedRedis')
      .update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      await target.del(`${PREFIX}:shop:cart:1`);
      const refused = await run({ source: from(), mappings, mode: 'replace', showReport: false });
      assert.equal(refused.outcome, 'refused');
      assert.match(refused.message, /read-only \(setting "sharedRedis\.readOnly"\)/);
      assert.equal(await target.exists(`${PREFIX}:shop:cart:1`), 0);
      const dry = await run({ source: from(), mappings, mode: 'dry-run', showReport: false });
      assert.equal(dry.outcome, 'done');
      assert.equal(dry.result?.copied, 1);
    } finally {
      await vscode.workspace
        .getConfiguration('sharedRedis')
        .update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Copy and replace asks to replace exactly the keys it counted, and replaces no key written after that count', async () => {
    // Every mapped key exists in the target but one (cart:1, deleted above); one of them was changed there.
    await target.set(`${PREFIX}:auth:session:8`, 'changed in the target');
    const questions: string[] = [];
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = { pick: window['showQuickPick'], warn: window['showWarningMessage'] };
    window['showQuickPick'] = (items: readonly vscode.QuickPickItem[]) =>
      Promise.resolve(items.find((item) => item.label === 'Copy and replace existing'));
    window['showWarningMessage'] = async (message: string, options: vscode.MessageOptions, ...buttons: string[]) => {
      questions.push(`${message}\n${options.detail ?? ''}`);
      // Another client writes a key with an imported name while the question is open.
      await target.set(`${PREFIX}:shop:cart:1`, 'written after the count');
      return buttons[0];
    };
    let result: ImportOutcome;
    try {
      result = await run({ source: from(), mappings, showReport: false });
    } finally {
      window['showQuickPick'] = original.pick;
      window['showWarningMessage'] = original.warn;
    }
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(questions.length, 1, questions.join('\n---\n'));
    assert.match(questions[0] ?? '', /^Replace 599 existing keys of /);
    assert.match(questions[0] ?? '', /written there after this count are not replaced/);
    assert.equal(await target.get(`${PREFIX}:auth:session:8`), 'token-8', 'a counted key is replaced');
    assert.equal(await target.get(`${PREFIX}:shop:cart:1`), 'written after the count', 'a key written later is not');
    assert.equal(result.result?.replaced, 599);
    assert.equal(result.result?.skippedExisting, 1);
  });

  it('refuses to import the shared Redis into itself, and names an unreachable or wrong-password source', async () => {
    const self = await run({
      source: { host: '127.0.0.1', port: suiteConfig().redisPort },
      mappings,
      mode: 'copy',
      showReport: false,
    });
    assert.equal(self.outcome, 'refused');
    assert.match(self.message, /is the shared Redis itself/);

    const port = await freePort();
    const unreachable = await run({ source: { host: '127.0.0.1', port }, mappings, mode: 'dry-run' });
    assert.equal(unreachable.outcome, 'failed');
    assert.equal(
      unreachable.message,
      `Could not connect to the source Redis at 127.0.0.1:${port}: it is unreachable (ECONNREFUSED). Check the host and port you entered, and that it is running.`,
    );

    const wrong = await run({ source: { ...from(), password: 'nope' }, mappings, mode: 'dry-run' });
    assert.equal(wrong.outcome, 'failed');
    assert.match(
      wrong.message,
      /^Could not connect to the source Redis at 127\.0\.0\.1:\d+: it rejected the password\. Check the username and password/,
    );
    assert.doesNotMatch(wrong.message, /nope/);
  });

  it('refuses to import from a replica of the shared Redis (its own data under another port), saying so, and writes nothing', async () => {
    const shared = suiteConfig().redisPort;
    const replicaServer = await startRedisServer({ config: `replicaof 127.0.0.1 ${shared}\n` });
    const replica = new Redis({ host: '127.0.0.1', port: replicaServer.port, lazyConnect: true });
    try {
      await replica.connect();
      await target.set(`${PREFIX}:auth:session:replicated`, 'from the shared Redis');
      await eventually(
        'the replica holds the shared Redis’s data',
        async () => (await replica.get(`${PREFIX}:auth:session:replicated`)) !== null,
        60_000,
      );
      const result = await run({
        source: { host: '127.0.0.1', port: replicaServer.port },
        mappings: [{ source: PREFIX, target: `${PREFIX}:legacy` }],
        mode: 'copy',
        showReport: false,
      });
      assert.equal(result.outcome, 'refused', result.message);
      assert.match(result.message, /is a replica of the shared Redis/);
      assert.equal(result.result, undefined, 'nothing was copied');
      assert.deepEqual(await scanTarget(target, `${PREFIX}:legacy*`), []);
    } finally {
      replica.disconnect();
      await replicaServer.stop();
      await target.del(`${PREFIX}:auth:session:replicated`);
    }
  });

  it('a source user that may not run INFO: asks whether the source is another Redis, imports only when told so', async () => {
    await source.call('ACL', 'SETUSER', 'migonly', 'on', '>migpw', '~*', '+@read', '+scan', '+dump', '+ping', '-info');
    const questions: string[] = [];
    let confirm = false;
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window['showWarningMessage'];
    window['showWarningMessage'] = (message: string, _options: unknown, ...buttons: string[]) => {
      if (!/Cannot tell whether/.test(message)) return Promise.resolve(undefined);
      questions.push(message);
      return Promise.resolve(confirm ? buttons[0] : undefined);
    };
    try {
      const limited = { ...from(), username: 'migonly', password: 'migpw' };
      const declined = await run({ source: limited, mappings, mode: 'dry-run', showReport: false });
      assert.equal(declined.outcome, 'dismissed', declined.message);
      assert.match(questions[0] ?? '', /^Cannot tell whether 127\.0\.0\.1:\d+ \(user migonly\) is the shared Redis/);
      confirm = true;
      const confirmed = await run({ source: limited, mappings, mode: 'dry-run', showReport: false });
      assert.equal(confirmed.outcome, 'done', confirmed.message);
      assert.equal(questions.length, 2);
      assert.equal(confirmed.result?.failed, 0, confirmed.message);
      assert.ok((confirmed.result?.processed ?? 0) > 0, confirmed.message);
    } finally {
      window['showWarningMessage'] = original;
      await source.call('ACL', 'DELUSER', 'migonly');
    }
  });

  it('asks how when no mode is given, with Dry run as the default choice', async () => {
    const pending = vscode.commands.executeCommand<ImportOutcome>('sharedRedis.importFromRedis', {
      source: from(),
      mappings,
      showReport: false,
    });
    // Wait for the mode picker, then take what is selected: the first item.
    let outcome: ImportOutcome | undefined;
    void pending.then((o) => {
      outcome = o;
    });
    for (let i = 0; i < 100 && outcome === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    const result = await pending;
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.result?.mode, 'dry-run');
  });

  it('refuses a prefilled target prefix that holds the stand-in (U+FFFD) for a source segment that is not UTF-8, and copies nothing', async () => {
    const segment = Buffer.from('caf\xe9', 'latin1');
    const key = Buffer.concat([segment, Buffer.from(':1')]);
    await source.set(key, 'v');
    const window = vscode.window;
    const original = { showQuickPick: window.showQuickPick, showInputBox: window.showInputBox };
    const shownProblems: string[] = [];
    // The person selects the segment, then presses Enter on the prefix the box offers.
    Object.assign(vscode.window, {
      showQuickPick: (items: readonly (vscode.QuickPickItem & { segment?: { segment: Buffer | null } })[]) =>
        Promise.resolve(items.filter((item) => item.segment?.segment?.equals(segment) === true)),
      showInputBox: async (options?: vscode.InputBoxOptions) => {
        const problem = await options?.validateInput?.(options.value ?? '');
        if (problem) shownProblems.push(typeof problem === 'string' ? problem : problem.message);
        return options?.value;
      },
    });
    try {
      const result = await run({ source: from(), mode: 'copy', showReport: false });
      assert.match(shownProblems.join(' '), /not UTF-8/, 'the box says what is wrong as the prefix is typed');
      assert.equal(result.outcome, 'invalid', result.message);
      assert.match(result.message, /not UTF-8/);
      const [, written] = await target.scanBuffer('0', 'MATCH', 'caf*', 'COUNT', 1000);
      assert.deepEqual(written, [], 'nothing was copied');
    } finally {
      Object.assign(vscode.window, original);
      await source.del(key);
      const [, written] = await target.scanBuffer('0', 'MATCH', 'caf*', 'COUNT', 1000);
      if (written.length > 0) await target.unlink(...written);
    }
  });

  it('rejects a bad mapping before copying anything', async () => {
    const result = await run({
      source: from(),
      mappings: [{ source: 'session', target: '' }],
      mode: 'copy',
      showReport: false,
    });
    assert.equal(result.outcome, 'invalid');
    assert.match(result.message, /the target prefix is empty/);
  });
});
