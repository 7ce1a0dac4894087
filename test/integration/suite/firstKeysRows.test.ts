import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Logger } from '../../../src/logger';
import { RedisSecrets } from '../../../src/secrets';
import { FirstKeysRow, firstKeysRows } from '../../../src/views/firstKeysRows';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { recordingLogger } from './recordingLogger';
import { api } from './extensionApi';

/** The glance's time in the tests of what it lists, not the 300 ms it has in use (the last test's):
 * CI runs the unit tests beside these, at a load of 5–6. */
const LISTING_BUDGET_MS = 10_000;

/**
 * The Keys view's first rows, listed by the first stage from one SCAN before the second
 * stage loads (firstKeysRows.ts), against the suite's Redis (its port named in the
 * workspace's settings, as a window needs for them) and VS Code's settings.
 */
describe("the Keys view's first rows, before the rest of the extension loads", function () {
  this.timeout(30_000);
  let shared: SharedRedisInternals;
  let lines: string[];
  const recording = (): Logger => recordingLogger(lines);

  before(async () => {
    shared = await api();
    const client = await shared.session.client();
    await client.set('firstrows:probe', 'x');
  });
  // The suite's database is shared: the suites after this one list what they wrote, and only that.
  after(async () => {
    const client = await shared.session.client();
    await client.del('firstrows:probe');
  });
  beforeEach(() => {
    lines = [];
  });

  it('lists namespaces with their counts so far, as the view does while it counts, and says so in the log', async () => {
    const rows = await firstKeysRows(shared.secrets, recording(), LISTING_BUDGET_MS);
    assert.ok(rows && rows.length > 0, `rows listed; log: ${lines.join(' | ')}`);
    const namespaces = rows.filter((row) => row.item.id?.startsWith('ns:'));
    assert.ok(namespaces.length > 0, 'namespace rows among them');
    for (const row of namespaces) {
      assert.match(String(row.item.description), /^(\d[\d,]* keys? so far|counting…)( · .+)?$/);
      assert.equal(row.item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
      assert.equal(row.item.contextValue, undefined, 'no context menu: the view has not loaded');
      // Opened before the view has loaded: counting, as the view shows a namespace it has not reached.
      assert.deepEqual(
        row.children.map((child: FirstKeysRow) => child.item.label),
        ['Counting…'],
      );
    }
    assert.ok(
      lines.some((line) =>
        /^Listed \d+ namespaces of the first [\d,]+ keys? in [\d.]+ ms, before loading the Keys view$/.test(line),
      ),
      lines.join(' | '),
    );
  });

  it('gives each row an id of its own, also beside the namespace "" (VS Code refuses to draw a tree that repeats one)', async () => {
    const client = await shared.session.client();
    // A key directly at the root and one in the namespace "": each has a row that counts.
    await client.set('firstrows-plain', 'x');
    await client.set(':firstrows', 'x');
    try {
      const rows = await firstKeysRows(shared.secrets, recording(), LISTING_BUDGET_MS);
      assert.ok(rows, `rows listed; log: ${lines.join(' | ')}`);
      const all = rows.flatMap((row) => [row, ...row.children]);
      assert.ok(
        all.some((row) => row.item.label === '""'),
        `the namespace "" listed: ${JSON.stringify(all.map((row) => row.item.label))}`,
      );
      const ids = all.map((row) => row.item.id);
      assert.deepEqual(
        ids.filter((id, i) => ids.indexOf(id) !== i),
        [],
        JSON.stringify(ids),
      );
    } finally {
      await client.del('firstrows-plain', ':firstrows');
    }
  });

  it('gives up at its time limit when the stored password comes late, and then makes no connection', async () => {
    // A workbench slower than the limit to read a secret cannot be made on demand: this storage
    // answers 450 ms late (that no password is stored).
    const late: vscode.SecretStorage = {
      get: async () => {
        await new Promise((resolve) => setTimeout(resolve, 450));
        return undefined;
      },
      store: () => Promise.resolve(),
      delete: () => Promise.resolve(),
      onDidChange: new vscode.EventEmitter<vscode.SecretStorageChangeEvent>().event,
    };
    const secrets = new RedisSecrets(late);
    try {
      const started = Date.now();
      assert.equal(await firstKeysRows(secrets, recording()), undefined);
      assert.ok(Date.now() - started < 450, 'gave up before the password came');
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.deepEqual(lines, ['No first rows before loading the Keys view: none within 300 ms']);
    } finally {
      secrets.dispose();
    }
  });
});
