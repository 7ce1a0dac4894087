import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { KeysRow } from '../../../src/views/keysView';
import { suiteConfig } from './config';
import { api, eventually } from './extensionApi';

function documentOf(uri: string | undefined): vscode.TextDocument {
  assert.ok(uri, 'inspectKey returned no URI');
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  assert.ok(document, `no open document ${uri}`);
  return document;
}

const until = (what: string, check: () => boolean, timeoutMs = 5000): Promise<boolean> =>
  eventually(what, check, { timeoutMs, intervalMs: 50 });

describe('inspecting a key in its editor', function () {
  this.timeout(60_000);
  let redis: Redis;
  const profile = { id: 42, name: 'Ada', roles: ['admin'] };

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    await redis.set('inspect:profile:42', JSON.stringify(profile));
    await redis.hset('inspect:session:42', 'userId', '42', 'role', 'admin');
    await redis.expire('inspect:session:42', 3600);
    await redis.rpush('inspect:queue', ...Array.from({ length: 1500 }, (_, i) => `job-${i}`));
    await redis.set('inspect:doomed', 'soon gone');
    await api();
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await redis.del('inspect:profile:42', 'inspect:session:42', 'inspect:queue', 'inspect:doomed');
    redis.disconnect();
  });

  it('shows a JSON string pretty-printed, header in comments, as JSON with comments', async () => {
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', 'inspect:profile:42');
    const parsed = vscode.Uri.parse(uri);
    assert.equal(parsed.scheme, 'redis-key');
    assert.equal(parsed.path, '/inspect:profile:42');
    const document = documentOf(uri);
    assert.ok(document.getText().includes(JSON.stringify(profile, null, 2)), document.getText());
    assert.match(document.getText(), /^\/\/ key {7}inspect:profile:42$/m);
    assert.match(document.getText(), /^\/\/ type {6}string$/m);
    await until('the jsonc language', () => documentOf(uri).languageId === 'jsonc');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri);
  });

  it('shows a hash as field/value with its TTL, from a key row (as a click runs it)', async () => {
    const shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const provider = shared.views.keys;
    const find = async (parent: KeysRow | undefined, label: string): Promise<KeysRow> => {
      const found = (await provider.getChildren(parent)).find((row) => provider.getTreeItem(row).label === label);
      assert.ok(found, `no row "${label}"`);
      return found;
    };
    const row = await find(await find(await find(undefined, 'inspect'), 'session'), '42');
    // The row's command is one VS Code carries with the row (vscode.open of the key's document):
    // a command with the extension's own arguments is lost when the view redraws under a click.
    const command = provider.getTreeItem(row).command;
    assert.equal(command?.command, 'vscode.open');
    const click = (): Thenable<unknown> =>
      vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    await click();
    const uri = vscode.window.activeTextEditor?.document.uri.toString();
    assert.equal(vscode.Uri.parse(uri ?? '').path, '/inspect:session:42');
    const text = documentOf(uri).getText();
    assert.match(text, /^\/\/ type {6}hash$/m);
    assert.match(text, /^\/\/ TTL {7}(59m \d+s|1h 0m)/m);
    assert.match(text, /^"role": "admin"$/m);
    assert.match(text, /^"userId": "42"$/m);
    assert.equal(documentOf(uri).languageId, 'plaintext');
    // Clicked again, after another client changed the key and another key was looked at: the
    // open document reads it again (VS Code re-reads a document it opens again, when its stat changed).
    try {
      await redis.hset('inspect:session:42', 'role', 'owner');
      await vscode.commands.executeCommand('sharedRedis.inspectKey', 'inspect:profile:42');
      await click();
      await until('the new value in the open document', () => /^"role": "owner"$/m.test(documentOf(uri).getText()));
    } finally {
      await redis.hset('inspect:session:42', 'role', 'admin');
    }
    // A JSON value opened by a click is shown as JSON with comments, as from the palette.
    await redis.set('inspect:json:7', JSON.stringify({ id: 7 }));
    try {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const json = provider.getTreeItem(await find(await find(await find(undefined, 'inspect'), 'json'), '7')).command;
      assert.ok(json);
      await vscode.commands.executeCommand(json.command, ...(json.arguments ?? []));
      const opened = vscode.window.activeTextEditor?.document;
      assert.equal(opened?.uri.path, '/inspect:json:7');
      await until('the jsonc language', () => documentOf(opened.uri.toString()).languageId === 'jsonc');
      // A language the user picks (Change Language Mode) stays.
      await vscode.languages.setTextDocumentLanguage(documentOf(opened.uri.toString()), 'json');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(documentOf(opened.uri.toString()).languageId, 'json');
    } finally {
      await redis.del('inspect:json:7');
    }
  });

  it('is read-only for a value it cannot edit exactly: typing in its editor changes nothing', async () => {
    const key = Buffer.from('inspect:binary');
    await redis.set(key, Buffer.from([0x00, 0xff, 0x41]));
    try {
      const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', key);
      const document = documentOf(uri);
      const before = document.getText();
      assert.match(document.lineAt(0).text, /^\/\/ Read-only: the value is not UTF-8 text/);
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(0, 0, 0, 0);
      await vscode.commands.executeCommand('type', { text: 'edited ' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(document.getText(), before);
      assert.equal(document.isDirty, false);
    } finally {
      await redis.del(key);
    }
  });

  it('pages a long list and loads more', async () => {
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', Buffer.from('inspect:queue'));
    const document = documentOf(uri);
    assert.match(document.getText(), /^999 {2}job-999$/m);
    assert.doesNotMatch(document.getText(), /job-1000$/m);
    assert.match(document.getText(), /^\/\/ … 500 more not shown\./m);
    const text = await vscode.commands.executeCommand<string>('sharedRedis.loadMoreValue');
    assert.match(text, /^1499 {2}job-1499$/m);
    await until('the document to grow', () => documentOf(uri).getText() === text);
    assert.doesNotMatch(documentOf(uri).getText(), /more not shown/);
  });

  it('keeps the exact bytes of a binary key name in its URI, and dumps a binary value as hex', async () => {
    const key = Buffer.from([0x69, 0x6e, 0x73, 0x70, 0x65, 0x63, 0x74, 0x3a, 0xff, 0x00, 0x2f, 0x78]); // inspect:\xff\x00/x
    await redis.set(key, Buffer.from([0x00, 0x01, 0xfe, 0x41]));
    try {
      const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', key);
      const parsed = vscode.Uri.parse(uri);
      assert.equal(parsed.path, '/inspect:\\xff\\x00\u2215x'); // the tab reads like the key; a slash does not split it
      assert.equal(new URLSearchParams(parsed.query).get('key'), key.toString('hex'));
      const text = documentOf(uri).getText();
      assert.match(text, /^\/\/ key {7}inspect:\\xff\\x00\/x$/m);
      assert.match(text, /^00000000 {2}00 01 fe 41 {2}.*\|\.\.\.A\|$/m);
    } finally {
      await redis.del(key);
    }
  });

  it('asks for the key when run from the palette, offering the names the Keys view walked', async () => {
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const opened = vscode.commands.executeCommand<string | undefined>('sharedRedis.inspectKey');
    // Accepted until the command answers: an accept sent before the pick shows (a loaded machine) does nothing.
    const answered = opened.then(() => true);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (await Promise.race([answered, Promise.resolve(false)])) break;
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      if (await Promise.race([answered, new Promise<false>((resolve) => setTimeout(() => resolve(false), 200))])) break;
    }
    const uri = await opened;
    const key = Buffer.from(new URLSearchParams(vscode.Uri.parse(uri ?? '').query).get('key') ?? '', 'hex').toString();
    assert.match(key, /^inspect:/);
    assert.match(documentOf(uri).getText(), new RegExp(`^// key {7}${key}$`, 'm'));
  });

  it('says so when the key is gone on refresh', async () => {
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', 'inspect:doomed');
    assert.match(documentOf(uri).getText(), /^soon gone$/m);
    await redis.del('inspect:doomed');
    const text = await vscode.commands.executeCommand<string>('sharedRedis.refreshKeyDocument', vscode.Uri.parse(uri));
    assert.equal(text, 'inspect:doomed no longer exists (deleted or expired).\n');
    await until('the document to say so', () => documentOf(uri).getText() === text);
  });
});
