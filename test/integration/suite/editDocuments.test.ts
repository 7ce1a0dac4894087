import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { startRedisServer } from '../../support/redisServer';
import { suiteConfig } from './config';
import { api, eventually } from './extensionApi';
import { fillToMaxclients } from './maxclients';

function documentOf(uri: string | undefined): vscode.TextDocument {
  assert.ok(uri, 'inspectKey returned no URI');
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  assert.ok(document, `no open document ${uri}`);
  return document;
}

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> =>
  eventually(what, check, { timeoutMs, intervalMs: 50 });

/** Opens the key's document as a click on its row does. */
async function open(key: string): Promise<vscode.TextDocument> {
  return documentOf(await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', key));
}

/** Replaces the document's text through the TextDocument API (as typing would): it is then dirty. */
async function edit(document: vscode.TextDocument, change: (text: string) => string): Promise<void> {
  const text = document.getText();
  const replaced = change(text);
  assert.notEqual(replaced, text, 'the edit changes the document');
  const workspaceEdit = new vscode.WorkspaceEdit();
  workspaceEdit.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), replaced);
  assert.ok(await vscode.workspace.applyEdit(workspaceEdit), 'the edit was applied');
  assert.equal(document.isDirty, true);
}

/** Types into the document's editor as a person would; true when the text changed. */
async function typeInto(document: vscode.TextDocument): Promise<boolean> {
  const before = document.getText();
  const editor = await vscode.window.showTextDocument(document);
  editor.selection = new vscode.Selection(0, 0, 0, 0);
  await vscode.commands.executeCommand('type', { text: 'typed ' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const changed = document.getText() !== before;
  // Revert reads the document again (it may have been typed in while VS Code was reloading it).
  if (changed) await vscode.commands.executeCommand('workbench.action.files.revert');
  return changed;
}

/** What the provider answers a save of `text` with (the message VS Code shows after "Failed to save"). */
async function saveRefusal(document: vscode.TextDocument, text: string): Promise<string> {
  try {
    await vscode.workspace.fs.writeFile(document.uri, Buffer.from(text, 'utf8'));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  assert.fail('the save was not refused');
}

describe('editing a key in its document', function () {
  this.timeout(90_000);
  let redis: Redis;
  let other: Redis;
  const keys: string[] = [];

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    other = redis.duplicate();
    await api();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (keys.length > 0) await redis.del(...keys.splice(0));
  });
  after(() => {
    redis.disconnect();
    other.disconnect();
  });

  it('saves each type through the editor, writing what changed and keeping the TTL', async () => {
    keys.push('edit:string', 'edit:json', 'edit:hash', 'edit:list', 'edit:set', 'edit:zset', 'edit:stream');
    await redis.set('edit:string', 'hello', 'EX', 3600);
    await redis.set('edit:json', '{"flag":false,"n":12345678901234567890}', 'EX', 3600);
    await redis.hset('edit:hash', 'userId', '42', 'role', 'admin', 'old', 'x');
    await redis.rpush('edit:list', 'a', 'b', 'c');
    await redis.sadd('edit:set', 'a', 'b');
    await redis.zadd('edit:zset', 1, 'a', 2, 'b');
    const first = await redis.xadd('edit:stream', '*', 'temp', '20');
    for (const key of keys) await redis.expire(key, 3600);
    const edits: Record<string, (text: string) => string> = {
      'edit:string': (t) => t.replace(/hello$/, 'hello\n  world'),
      'edit:json': (t) => t.replace('"flag": false', '"flag": true'),
      'edit:hash': (t) =>
        t.replace('"role": "admin"', '"role": "editor"').replace('"old": "x"\n', '"new": "a: \\"b\\""\n'),
      'edit:list': (t) => t.replace('"a"\n', '').replace('"c"', '"c"\n"d"'),
      'edit:set': (t) => t.replace('"a"\n', '"c"\n'),
      'edit:zset': (t) => t.replace('"b": 2', '"b": -inf'),
      'edit:stream': (t) => `${t.replace(`${first ?? ''}  "temp": "20"\n`, '')}*  "temp": "21"\n`,
    };
    for (const [key, change] of Object.entries(edits)) {
      const document = await open(key);
      await edit(document, change);
      const saved = await document.save();
      // A failed save is said with its cause: the provider's refusal, or VS Code's own (a stat it read as newer).
      if (!saved) assert.fail(`${key} was not saved: ${await saveRefusal(document, document.getText()).catch(String)}`);
      assert.equal(document.isDirty, false);
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 3500, `${key} keeps its TTL (${ttl})`);
    }
    assert.equal(await redis.get('edit:string'), 'hello\n  world');
    assert.equal(await redis.get('edit:json'), '{"flag":true,"n":12345678901234567890}');
    assert.deepEqual(await redis.hgetall('edit:hash'), { userId: '42', role: 'editor', new: 'a: "b"' });
    assert.deepEqual(await redis.lrange('edit:list', 0, -1), ['b', 'c', 'd']);
    assert.deepEqual((await redis.smembers('edit:set')).sort(), ['b', 'c']);
    assert.deepEqual(await redis.zrange('edit:zset', 0, -1, 'WITHSCORES'), ['b', '-inf', 'a', '1']);
    const entries = await redis.xrange('edit:stream', '-', '+');
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]?.[1], ['temp', '21']);
  });

  it('does not overwrite a change another client made after the editor read the key', async () => {
    keys.push('edit:conflict');
    await redis.hset('edit:conflict', 'status', 'new', 'count', '1');
    const document = await open('edit:conflict');
    await edit(document, (t) => t.replace('"status": "new"', '"status": "mine"'));
    await other.hset('edit:conflict', 'count', '2'); // same length: VS Code's own size check would miss it
    assert.equal(await document.save(), false, 'the save failed');
    assert.deepEqual(await redis.hgetall('edit:conflict'), { status: 'new', count: '2' });
    assert.equal(document.isDirty, true, 'the edit is still in the editor');
  });

  it('does not overwrite a change made after the editor switched a JSON value to JSON highlighting', async () => {
    // VS Code reports a language change to extensions as the document closing and opening again.
    keys.push('edit:lang');
    await redis.set('edit:lang', '{"a":1}');
    const document = await open('edit:lang');
    assert.ok(await until('the document is highlighted as JSON', () => document.languageId === 'jsonc'));
    await edit(document, (t) => t.replace('"a": 1', '"a": 3'));
    await other.set('edit:lang', '{"a":2}'); // same length: VS Code's own size check would miss it
    assert.equal(await document.save(), false, 'the save failed');
    assert.equal(await redis.get('edit:lang'), '{"a":2}');
    assert.equal(document.isDirty, true, 'the edit is still in the editor');
  });

  it('says a key deleted meanwhile no longer exists, and writes nothing', async () => {
    keys.push('edit:deleted');
    await redis.set('edit:deleted', 'here');
    const document = await open('edit:deleted');
    await edit(document, (t) => t.replace(/here$/, 'still here'));
    await other.del('edit:deleted');
    assert.equal(await document.save(), false);
    assert.equal(await redis.exists('edit:deleted'), 0);
    assert.match(
      await saveRefusal(document, document.getText()),
      /edit:deleted no longer exists \(deleted or expired\)\. Nothing was written\./,
    );
    assert.equal(await redis.exists('edit:deleted'), 0);
  });

  it('refuses invalid JSON with its line and column, and a duplicate hash field, writing nothing', async () => {
    keys.push('edit:badjson', 'edit:dup');
    await redis.set('edit:badjson', '{"a":1}');
    const json = await open('edit:badjson');
    const broken = json.getText().replace('"a": 1', '"a": 1,');
    const line = broken.split('\n').indexOf('  "a": 1,') + 1;
    assert.match(
      await saveRefusal(json, broken),
      new RegExp(`Line ${line + 1}: not valid JSON at column 1: expected a member name in double quotes, found "\\}"`),
    );
    assert.equal(await redis.get('edit:badjson'), '{"a":1}');
    await redis.hset('edit:dup', 'a', '1');
    const hash = await open('edit:dup');
    assert.match(
      await saveRefusal(hash, `${hash.getText()}"a": "2"\n`),
      /the field "a" is also on line \d+; a field appears once/,
    );
    assert.deepEqual(await redis.hgetall('edit:dup'), { a: '1' });
  });

  it('keeps a binary value and a large list read-only, saying why on the first line', async () => {
    keys.push('edit:binary', 'edit:long');
    await redis.set('edit:binary', Buffer.from([0xff, 0xfe, 0x00]));
    await redis.rpush('edit:long', ...Array.from({ length: 1001 }, (_, i) => `job-${i}`));
    const binary = await open('edit:binary');
    assert.match(binary.lineAt(0).text, /^\/\/ Read-only: the value is not UTF-8 text/);
    const long = await open('edit:long');
    assert.match(long.lineAt(0).text, /^\/\/ Read-only: it has more than 1,000 elements/);
    assert.equal(await typeInto(long), false, 'typing in a read-only document changes nothing');
    assert.match(await saveRefusal(long, long.getText()), /Unable to modify read-only file|cannot be saved/);
    assert.equal(await redis.llen('edit:long'), 1001);
  });

  it('refuses to save under sharedRedis.readOnly, and the document turns read-only', async () => {
    keys.push('edit:readonly');
    await redis.set('edit:readonly', 'before');
    const document = await open('edit:readonly');
    const config = vscode.workspace.getConfiguration('sharedRedis');
    await config.update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      assert.match(await saveRefusal(document, document.getText().replace(/before$/, 'after')), /read-only/i);
      assert.equal(await redis.get('edit:readonly'), 'before');
      await until('the editor to be read-only', async () => !(await typeInto(document)));
    } finally {
      await config.update('readOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('refuses to save a document read from another server than the connection now goes to, writing to neither', async () => {
    keys.push('edit:moved');
    await redis.set('edit:moved', 'before');
    const document = await open('edit:moved');
    // Another Redis holding the same key with the same value: a save sent there would look fine.
    const elsewhere = await startRedisServer();
    const there = new Redis({ host: elsewhere.host, port: elsewhere.port, lazyConnect: true });
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const savedPort = config.inspect('port')?.workspaceValue;
    try {
      await there.connect();
      await there.set('edit:moved', 'before');
      await config.update('port', elsewhere.port, vscode.ConfigurationTarget.Workspace);
      const shared = await api();
      await until('the connection to move', () => shared.session.endpoint.port === elsewhere.port);
      const refusal = await saveRefusal(document, document.getText().replace(/before$/, 'after'));
      assert.match(refusal, new RegExp(`opened from 127\\.0\\.0\\.1:${suiteConfig().redisPort}\\b`));
      assert.equal(await there.get('edit:moved'), 'before');
      assert.equal(await redis.get('edit:moved'), 'before');
    } finally {
      await config.update('port', savedPort, vscode.ConfigurationTarget.Workspace);
      there.disconnect();
      await elsewhere.stop();
    }
  });

  it('shows a change made through the extension (a TTL set in the Keys view) in the open editor', async () => {
    keys.push('edit:ttl');
    await redis.set('edit:ttl', 'v');
    const document = await open('edit:ttl');
    assert.match(document.getText(), /^\/\/ TTL {7}no TTL/m);
    await redis.expire('edit:ttl', 7200);
    const shared = await api();
    shared.keyChanges.keysChanged({ keys: [Buffer.from('edit:ttl')], kind: 'changed', db: 0 });
    await until('the TTL to show', () => /^\/\/ TTL {7}(1h 59m|2h 0m)/m.test(document.getText()));
    assert.equal(document.isDirty, false);
  });

  it('saves after a second save of the same document right away (no conflict with itself)', async () => {
    keys.push('edit:twice');
    await redis.hset('edit:twice', 'n', '0');
    const document = await open('edit:twice');
    await edit(document, (t) => t.replace('"n": "0"', '"n": "1"'));
    assert.equal(await document.save(), true);
    await edit(document, (t) => t.replace('"n": "1"', '"n": "2"'));
    assert.equal(await document.save(), true);
    assert.equal(await redis.hget('edit:twice', 'n'), '2');
  });

  it('says the server is full (maxclients) when the save cannot open its connection, not "Connection is closed.", and writes nothing', async () => {
    const full = await startRedisServer();
    const admin = new Redis({ host: full.host, port: full.port, lazyConnect: true });
    const config = vscode.workspace.getConfiguration('sharedRedis');
    const savedPort = config.inspect('port')?.workspaceValue;
    try {
      await admin.connect();
      await admin.set('edit:full', 'before');
      await config.update('port', full.port, vscode.ConfigurationTarget.Workspace);
      const shared = await api();
      await until('the connection to move', () => shared.session.endpoint.port === full.port);
      const document = await open('edit:full');
      await fillToMaxclients(admin);
      let refusal: string;
      try {
        refusal = await saveRefusal(document, document.getText().replace(/before$/, 'after'));
      } finally {
        await admin.config('SET', 'maxclients', '10000');
      }
      assert.ok(
        refusal.includes(
          `Could not save edit:full: Redis at 127.0.0.1:${full.port} refused the connection: it already serves its maximum number of clients (maxclients). Close connections that are no longer needed (the Clients view shows who holds them), or raise maxclients; then try again.`,
        ),
        refusal,
      );
      assert.equal(await admin.get('edit:full'), 'before');
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await config.update('port', savedPort, vscode.ConfigurationTarget.Workspace);
      admin.disconnect();
      await full.stop();
    }
  });
});
