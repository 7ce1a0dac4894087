import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import type { KeyOperationResult } from '../../../src/commands/keys/operations';
import { DONT_ASK_AGAIN, KeyChanges, WRITE } from '../../../src/keyChanges';
import type { Logger } from '../../../src/logger';
import type { SharedRedisInternals } from '../../../src/secondStage';
import type { KeysRow } from '../../../src/views/keysView';
import { RedisServer, startRedisServer } from '../../support/redisServer';
import { suiteConfig } from './config';
import { api, eventually } from './extensionApi';
import { fillToMaxclients } from './maxclients';
import { child, rows } from './keysTree';

type Answer = (message: string) => string | undefined;

/**
 * Modal questions (which a test cannot click) get `answer`'s reply and are recorded; other calls go through.
 * Input boxes and quick picks (which a test cannot type into) are a question the test forgot to answer
 * through the command's arguments: they are recorded in `unanswered` and dismissed at once, so the test
 * fails naming the prompt instead of waiting for a person until its timeout.
 */
class ModalAnswers {
  readonly questions: string[] = [];
  readonly unanswered: string[] = [];
  answer: Answer = () => undefined;
  /** What a person types into an input box, given its options (its prefilled value); undefined: Escape. */
  type: (options: vscode.InputBoxOptions | undefined) => string | undefined = () => undefined;
  private readonly original = vscode.window.showWarningMessage;
  private readonly originalInputBox = vscode.window.showInputBox;
  private readonly originalQuickPick = vscode.window.showQuickPick;
  private readonly originalOpenDialog = vscode.window.showOpenDialog;

  install(): void {
    const original = this.original as (...a: unknown[]) => unknown;
    Object.assign(vscode.window, {
      showWarningMessage: (message: string, ...rest: unknown[]): unknown => {
        const options = rest[0] as vscode.MessageOptions | undefined;
        if (options && typeof options === 'object' && options.modal) {
          this.questions.push(message);
          return Promise.resolve(this.answer(message));
        }
        return original.apply(vscode.window, [message, ...rest]);
      },
      showInputBox: (options?: vscode.InputBoxOptions): Thenable<string | undefined> => {
        const typed = this.type(options);
        if (typed === undefined) this.unanswered.push(`input box "${options?.title ?? ''}: ${options?.prompt ?? ''}"`);
        return Promise.resolve(typed);
      },
      showQuickPick: (_items: unknown, options?: vscode.QuickPickOptions): Thenable<undefined> => {
        this.unanswered.push(`quick pick "${options?.title ?? options?.placeHolder ?? ''}"`);
        return Promise.resolve(undefined);
      },
      showOpenDialog: (options?: vscode.OpenDialogOptions): Thenable<undefined> => {
        this.unanswered.push(`open dialog "${options?.title ?? ''}"`);
        return Promise.resolve(undefined);
      },
    });
  }

  reset(answer: Answer = () => undefined): void {
    this.questions.length = 0;
    this.unanswered.length = 0;
    this.answer = answer;
    this.type = () => undefined;
  }

  restore(): void {
    Object.assign(vscode.window, {
      showWarningMessage: this.original,
      showInputBox: this.originalInputBox,
      showQuickPick: this.originalQuickPick,
      showOpenDialog: this.originalOpenDialog,
    });
  }
}

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
const SAVED_SETTINGS = ['readOnly', 'namespaces', 'delimiter'];

const silentLog: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
} as unknown as Logger;

describe('editing keys: the write gate (readOnly, namespace owners) and the undo journal', function () {
  this.timeout(60_000);
  let redis: Redis;
  const modal = new ModalAnswers();
  const saved: Record<string, unknown> = {};

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    for (const key of SAVED_SETTINGS) saved[key] = config().inspect(key)?.workspaceValue;
    await config().update(
      'namespaces',
      [{ name: 'edgate', owner: 'Gate Service' }, { name: 'edgate:inner', owner: 'Inner Service' }, { name: 'edfree' }],
      vscode.ConfigurationTarget.Workspace,
    );
    modal.install();
  });
  after(async () => {
    modal.restore();
    for (const key of SAVED_SETTINGS) await config().update(key, saved[key], vscode.ConfigurationTarget.Workspace);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', 'ed*', 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
    redis.disconnect();
  });
  beforeEach(() => modal.reset());

  it('refuses every write under readOnly, naming the setting, without asking', async () => {
    const shared = await api();
    await config().update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const decision = await shared.keyChanges.confirmWrite([Buffer.from('edgate:a')], 'Save edgate:a');
      assert.deepEqual(decision, {
        allowed: false,
        outcome: 'refused',
        message:
          'Shared Redis is read-only (setting "sharedRedis.readOnly"): Save edgate:a was not run and nothing was changed.',
      });
      const under = await shared.keyChanges.confirmWriteUnder(Buffer.from('edfree:'), 'Import');
      assert.equal(under.allowed, false);
      assert.deepEqual(modal.questions, []);
    } finally {
      await config().update('readOnly', saved['readOnly'], vscode.ConfigurationTarget.Workspace);
    }
  });

  it('asks once per session for a namespace with an owner; no answer refuses; a key outside asks nothing', async () => {
    const changes = new KeyChanges(new MemoryMemento(), silentLog);
    assert.deepEqual(await changes.confirmWrite([Buffer.from('edfree:x'), Buffer.from('other:y')], 'Save'), {
      allowed: true,
    });
    // A look-alike (`edgatex:`) is not the owner's namespace.
    assert.deepEqual(await changes.confirmWrite([Buffer.from('edgatex:1')], 'Save edgatex:1'), { allowed: true });
    assert.deepEqual(modal.questions, []);

    const closed = await changes.confirmWrite([Buffer.from('edgate:1')], 'Save edgate:1');
    assert.deepEqual(closed, {
      allowed: false,
      outcome: 'dismissed',
      message: 'Save edgate:1 was not run: edgate:* belongs to Gate Service. Nothing was changed.',
    });
    assert.deepEqual(modal.questions, ['edgate:* belongs to Gate Service. Save edgate:1?']);

    modal.reset(() => WRITE);
    assert.deepEqual(await changes.confirmWrite([Buffer.from('edgate:1')], 'Save edgate:1'), { allowed: true });
    assert.deepEqual(await changes.confirmWrite([Buffer.from('edgate:2')], 'Save edgate:2'), { allowed: true });
    assert.equal(modal.questions.length, 1, 'asked once for edgate');
    // The nested namespace has its own owner: its own question.
    assert.deepEqual(await changes.confirmWrite([Buffer.from('edgate:inner:1')], 'Save'), { allowed: true });
    assert.deepEqual(modal.questions, [
      'edgate:* belongs to Gate Service. Save edgate:1?',
      'edgate:inner:* belongs to Inner Service. Save?',
    ]);
  });

  it('remembers "Don\'t Ask Again for This Namespace" beyond the session, in the workspace state', async () => {
    const shared = await api();
    modal.reset(() => DONT_ASK_AGAIN);
    assert.deepEqual(await shared.keyChanges.confirmWriteUnder(Buffer.from('edgate:inner:'), 'Import'), {
      allowed: true,
    });
    assert.deepEqual(modal.questions, ['edgate:inner:* belongs to Inner Service. Import?']);
    // A new session (a new window) on the same workspace state does not ask again for it, but does for edgate.
    modal.reset(() => undefined);
    const nextSession = new KeyChanges(shared.workspaceState, silentLog);
    assert.deepEqual(await nextSession.confirmWrite([Buffer.from('edgate:inner:9')], 'Save'), { allowed: true });
    assert.deepEqual(modal.questions, []);
    assert.equal((await nextSession.confirmWrite([Buffer.from('edgate:9')], 'Save')).allowed, false);
    await shared.workspaceState.update('sharedRedis.writeWithoutAsking', undefined);
  });

  it("Set TTL on Keys Without One asks the namespace's owner first; and Undo then names it, not an older change", async () => {
    const namespaces = config().inspect<unknown[]>('namespaces')?.workspaceValue;
    await config().update(
      'namespaces',
      [...(namespaces ?? []), { name: 'edttl', owner: 'Ttl Service' }],
      vscode.ConfigurationTarget.Workspace,
    );
    try {
      await redis.set('edttl:1', 'a');
      await redis.set('edttl:2', 'b');
      // Nothing answered: the owner's question is the first, and nothing gets a TTL.
      modal.reset(() => undefined);
      const declined = await run('sharedRedis.setTtlOnKeysWithoutTtl', 'edttl', '1h', { confirm: true });
      assert.deepEqual(modal.questions, ['edttl:* belongs to Ttl Service. Set TTL on edttl:* keys without one?']);
      assert.equal(declined.outcome, 'dismissed', declined.message);
      assert.equal(await redis.ttl('edttl:1'), -1);
      assert.equal(await redis.ttl('edttl:2'), -1);

      modal.reset(() => WRITE);
      const set = await run('sharedRedis.setTtlOnKeysWithoutTtl', 'edttl', '1h', { confirm: true });
      assert.equal(set.outcome, 'done', set.message);
      assert.ok((await redis.ttl('edttl:1')) > 3000);
      // Undo does not offer whatever was changed before: it says this change is not undone.
      modal.reset(() => 'Undo');
      const undo = await run('sharedRedis.undoLastChange');
      assert.deepEqual(modal.questions, []);
      assert.equal(undo.outcome, 'unchanged', undo.message);
      assert.match(undo.message, /^The last change, Set TTL on edttl:\* keys without one, cannot be undone/);
      assert.ok((await redis.ttl('edttl:2')) > 3000);
    } finally {
      await config().update('namespaces', namespaces, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('with another delimiter, the owner question follows it', async () => {
    await config().update('delimiter', '/', vscode.ConfigurationTarget.Workspace);
    try {
      const changes = new KeyChanges(new MemoryMemento(), silentLog);
      assert.deepEqual(await changes.confirmWrite([Buffer.from('edgate:1')], 'Save'), { allowed: true });
      assert.equal((await changes.confirmWrite([Buffer.from('edgate/1')], 'Save')).allowed, false);
      assert.deepEqual(modal.questions, ['edgate/* belongs to Gate Service. Save?']);
    } finally {
      await config().update('delimiter', saved['delimiter'], vscode.ConfigurationTarget.Workspace);
    }
  });

  it('records the before-state and keeps it as the last change only when committed', async () => {
    const shared = await api();
    await redis.set('edfree:rec', 'before', 'EX', 300);
    const discarded = await shared.keyChanges.recordBefore(redis, [Buffer.from('edfree:rec')], 'Discarded change');
    discarded.discard();
    assert.notEqual(shared.keyChanges.lastChange?.label, 'Discarded change');
    const pending = await shared.keyChanges.recordBefore(redis, [Buffer.from('edfree:rec')], 'Save edfree:rec');
    assert.equal(pending.notUndoable, undefined);
    pending.commit();
    const last = shared.keyChanges.lastChange;
    assert.ok(last?.undoable);
    assert.equal(last.label, 'Save edfree:rec');
    assert.equal(last.snapshots[0]?.state, 'value');
    shared.keyChanges.forget(last);
  });

  it('fires onDidChangeKeys with what keysChanged says', async () => {
    const shared = await api();
    const seen: string[] = [];
    const subscription = shared.keyChanges.onDidChangeKeys((event) =>
      seen.push(`${event.kind} ${event.db} ${event.keys.map((k) => k.toString()).join(',')}`),
    );
    shared.keyChanges.keysChanged({ keys: [Buffer.from('edfree:x')], kind: 'created', db: 0 });
    subscription.dispose();
    assert.deepEqual(seen, ['created 0 edfree:x']);
  });
});

function run(command: string, ...args: unknown[]): Thenable<KeyOperationResult> {
  return vscode.commands.executeCommand<KeyOperationResult>(command, ...args);
}

describe('editing keys: New, Rename, Copy, Move to Namespace, Undo', function () {
  this.timeout(90_000);
  let redis: Redis;
  const modal = new ModalAnswers();
  let savedReadOnly: unknown;

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: suiteConfig().redisPort, lazyConnect: true });
    await redis.connect();
    savedReadOnly = config().inspect('readOnly')?.workspaceValue;
    modal.install();
  });
  after(async () => {
    modal.restore();
    await config().update('readOnly', savedReadOnly, vscode.ConfigurationTarget.Workspace);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', 'edk*', 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next.toString();
    } while (cursor !== '0');
    redis.disconnect();
  });
  beforeEach(() => modal.reset());

  const ttlOf = async (key: string | Buffer): Promise<number> => redis.ttl(key);

  it('creates a key of each type with its first value, with and without a TTL', async () => {
    await api();
    const cases = [
      { type: 'string', value: 'v' },
      { type: 'hash', field: 'f', value: 'v' },
      { type: 'list', value: 'first' },
      { type: 'set', value: 'm' },
      { type: 'zset', value: 'm', score: '-2.5' },
      { type: 'stream', field: 'f', value: 'v' },
    ];
    for (const c of cases) {
      for (const ttl of ['', '30m']) {
        const name = `edk:new:${c.type}:${ttl || 'none'}`;
        const result = await run('sharedRedis.newKey', undefined, { ...c, name, ttl });
        assert.equal(result.outcome, 'done', result.message);
        assert.equal(await redis.type(name), c.type);
        const seconds = await ttlOf(name);
        if (ttl) assert.ok(seconds > 1790 && seconds <= 1800, `${name}: ${seconds}`);
        else assert.equal(seconds, -1, name);
      }
    }
    assert.equal(await redis.get('edk:new:string:none'), 'v');
    assert.deepEqual(await redis.hgetall('edk:new:hash:none'), { f: 'v' });
    assert.deepEqual(await redis.lrange('edk:new:list:none', 0, -1), ['first']);
    assert.deepEqual(await redis.smembers('edk:new:set:none'), ['m']);
    assert.deepEqual(await redis.zrange('edk:new:zset:none', 0, -1, 'WITHSCORES'), ['m', '-2.5']);
    const entries = await redis.xrange('edk:new:stream:none', '-', '+');
    assert.deepEqual(
      entries.map(([, fields]) => fields),
      [['f', 'v']],
    );
  });

  it('refuses an existing name, an empty name and a non-numeric score with one message each, changing nothing', async () => {
    await api();
    await redis.set('edk:taken', 'theirs', 'EX', 400);
    const existing = await run('sharedRedis.newKey', undefined, {
      type: 'hash',
      name: 'edk:taken',
      field: 'f',
      value: 'v',
    });
    assert.deepEqual(existing, {
      outcome: 'invalid',
      message: 'A key named edk:taken already exists: nothing was changed. Choose another name.',
    });
    assert.equal(await redis.get('edk:taken'), 'theirs');
    assert.ok((await ttlOf('edk:taken')) > 390);
    const empty = await run('sharedRedis.newKey', undefined, { type: 'string', name: '', value: 'v' });
    assert.deepEqual(empty, {
      outcome: 'invalid',
      message: 'A key name cannot be empty: type a name. Nothing was created.',
    });
    const score = await run('sharedRedis.newKey', undefined, {
      type: 'zset',
      name: 'edk:z',
      value: 'm',
      score: 'high',
    });
    assert.deepEqual(score, {
      outcome: 'invalid',
      message: 'The score "high" is not a number: type one such as 1, -2.5 or 1e3. Nothing was created.',
    });
    assert.equal(await redis.exists('edk:z'), 0);
    for (const typed of ['1e400', '1e-400']) {
      const outOfRange = await run('sharedRedis.newKey', undefined, {
        type: 'zset',
        name: 'edk:z',
        value: 'm',
        score: typed,
      });
      assert.deepEqual(outOfRange, {
        outcome: 'invalid',
        message: `The score "${typed}" is a number Redis cannot keep (beyond about ±1.8e308, or so small it would be 0): type a smaller one, or inf or -inf for no bound. Nothing was created.`,
      });
      assert.equal(await redis.exists('edk:z'), 0, typed);
    }
  });

  it('renames only onto a free name, keeping the TTL; look-alike names are untouched', async () => {
    await api();
    await redis.set('edk:auth:1', 'a1', 'EX', 500);
    await redis.set('edk:authx:1', 'x1');
    const taken = await run('sharedRedis.renameKey', 'edk:auth:1', 'edk:authx:1');
    assert.equal(taken.outcome, 'invalid');
    assert.match(taken.message, /^A key named edk:authx:1 already exists: nothing was renamed/);
    assert.deepEqual([await redis.get('edk:auth:1'), await redis.get('edk:authx:1')], ['a1', 'x1']);
    const renamed = await run('sharedRedis.renameKey', 'edk:auth:1', 'edk:auth:renamed');
    assert.equal(renamed.outcome, 'done', renamed.message);
    assert.equal(await redis.exists('edk:auth:1'), 0);
    assert.equal(await redis.get('edk:auth:renamed'), 'a1');
    assert.ok((await ttlOf('edk:auth:renamed')) > 490);
    assert.equal(await redis.get('edk:authx:1'), 'x1');
  });

  it('refuses a typed name that still holds the stand-in for bytes that are not UTF-8, renaming and moving nothing', async () => {
    await api();
    const key = Buffer.from('edk:caf\xe9:1', 'latin1');
    await redis.set(key, 'v');
    // The box shows "edk:caf\uFFFD:1"; the person adds to it and presses Enter. Written as typed,
    // the key would land on "edk:caf\xEF\xBF\xBD:1-old", which is not its name with "-old".
    modal.type = (options) => `${options?.value ?? ''}-old`;
    const renamed = await run('sharedRedis.renameKey', key);
    assert.equal(renamed.outcome, 'invalid');
    assert.match(renamed.message, /not UTF-8/);
    const moved = await run('sharedRedis.moveToNamespace', { namespace: Buffer.from('edk:caf\xe9', 'latin1') });
    assert.equal(moved.outcome, 'invalid');
    assert.match(moved.message, /not UTF-8/);
    assert.equal(await redis.get(key), 'v');
    const [, left] = await redis.scanBuffer('0', 'MATCH', 'edk:caf*', 'COUNT', 1000);
    assert.deepEqual(left, [key]);
  });

  it('New Key in a namespace whose name is not UTF-8 refuses a typed name that still holds the stand-in, creating nothing in a look-alike namespace', async () => {
    await api();
    const path = Buffer.from('edk:nk\xe9', 'latin1');
    // The name box is prefilled with "edk:nk\uFFFD:"; the person adds "new" and presses Enter.
    // Written as typed, the key would land on "edk:nk\xEF\xBF\xBD:new", outside the namespace picked.
    modal.type = (options) => (options?.prompt === 'The full key name' ? `${options.value ?? ''}new` : undefined);
    const created = await run('sharedRedis.newKey', path, { type: 'string', value: 'v', ttl: '' });
    assert.equal(created.outcome, 'invalid', created.message);
    assert.match(created.message, /not UTF-8/);
    const [, made] = await redis.scanBuffer('0', 'MATCH', 'edk:nk*', 'COUNT', 1000);
    assert.deepEqual(made, [], 'no key was created');
  });

  it('copies without REPLACE; onto an existing key only after "Replace", and Undo puts the replaced value back', async () => {
    await api();
    await redis.set('edk:copy:src', 'source', 'EX', 600);
    await redis.set('edk:copy:dst', Buffer.from([0xff, 0x00, 0x01]), 'EX', 300);
    const declined = await run('sharedRedis.copyKey', 'edk:copy:src', 'edk:copy:dst');
    assert.equal(declined.outcome, 'dismissed');
    assert.deepEqual(modal.questions, ['edk:copy:dst already exists. Replace it with a copy of edk:copy:src?']);
    assert.deepEqual(await redis.getBuffer('edk:copy:dst'), Buffer.from([0xff, 0x00, 0x01]));

    const fresh = await run('sharedRedis.copyKey', 'edk:copy:src', 'edk:copy:new');
    assert.equal(fresh.outcome, 'done', fresh.message);
    assert.equal(await redis.get('edk:copy:new'), 'source');
    assert.ok((await ttlOf('edk:copy:new')) > 590, 'COPY keeps the TTL');

    modal.reset((message) =>
      message.startsWith('edk:copy:dst already exists') ? 'Replace' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    const replaced = await run('sharedRedis.copyKey', 'edk:copy:src', 'edk:copy:dst');
    assert.equal(replaced.outcome, 'done', replaced.message);
    assert.equal(await redis.get('edk:copy:dst'), 'source');
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'done', undone.message);
    assert.deepEqual(await redis.getBuffer('edk:copy:dst'), Buffer.from([0xff, 0x00, 0x01]));
    const ttl = await ttlOf('edk:copy:dst');
    assert.ok(ttl > 280 && ttl <= 300, String(ttl));
  });

  it('moves exactly one namespace: look-alike and glob prefixes stay, an existing target is skipped and listed', async () => {
    await api();
    const pipeline = redis.pipeline();
    pipeline.set('edkm:auth:1', 'a1');
    pipeline.set('edkm:auth:2', 'a2', 'EX', 700);
    pipeline.set('edkm:auth:3', 'a3');
    pipeline.set('edkm:authx:1', 'x1');
    pipeline.set('edkm:auth*:1', 'star1');
    pipeline.set('edkm:new:3', 'already here');
    await pipeline.exec();
    modal.reset((message) => (message.startsWith('Move 3 keys from edkm:auth: to edkm:new:?') ? 'Move' : undefined));
    const result = await run('sharedRedis.moveToNamespace', { namespace: 'edkm:auth' }, 'edkm:new');
    assert.deepEqual(modal.questions, ['Move 3 keys from edkm:auth: to edkm:new:?']);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(
      result.message,
      'Moved 2 of 3 keys from edkm:auth: to edkm:new:; 1 skipped (the new name exists). Skipped, left where they are: edkm:auth:3.',
    );
    assert.deepEqual(await redis.mget('edkm:new:1', 'edkm:new:2', 'edkm:new:3', 'edkm:auth:3'), [
      'a1',
      'a2',
      'already here',
      'a3',
    ]);
    assert.ok((await ttlOf('edkm:new:2')) > 690, 'the TTL moved with the key');
    assert.deepEqual(await redis.mget('edkm:authx:1', 'edkm:auth*:1'), ['x1', 'star1']);
    assert.equal(await redis.exists('edkm:auth:1', 'edkm:auth:2'), 0);

    // A prefix with a glob character moves its own keys only.
    modal.reset(() => 'Move');
    const star = await run('sharedRedis.moveToNamespace', { namespace: 'edkm:auth*' }, 'edkm:star');
    assert.equal(star.outcome, 'done', star.message);
    assert.deepEqual(await redis.mget('edkm:star:1', 'edkm:authx:1', 'edkm:auth:3'), ['star1', 'x1', 'a3']);
    // Not undoable: Undo says so and changes nothing.
    const undo = await run('sharedRedis.undoLastChange');
    assert.equal(undo.outcome, 'unchanged');
    assert.match(undo.message, /^The last change, Move edkm:auth\*:\* to edkm:star:, cannot be undone/);
    assert.equal(await redis.get('edkm:star:1'), 'star1');
  });

  it('reads a move target typed with a trailing delimiter (legacy:) as that namespace: legacy:42, never legacy::42', async () => {
    await api();
    await redis.set('edkt:old:42', 'v42');
    await redis.set('edkt:one:key', 'vkey');
    modal.reset((message) => (message.startsWith('Move 1 key from edkt:old: to edkt:legacy:?') ? 'Move' : undefined));
    const moved = await run('sharedRedis.moveToNamespace', { namespace: 'edkt:old' }, 'edkt:legacy:');
    assert.deepEqual(modal.questions, ['Move 1 key from edkt:old: to edkt:legacy:?']);
    assert.equal(moved.outcome, 'done', moved.message);
    assert.equal(await redis.get('edkt:legacy:42'), 'v42');
    assert.equal(await redis.exists('edkt:legacy::42', 'edkt:old:42'), 0);
    // One key the same way; and the namespace it is already in, typed with the delimiter, moves nothing.
    const key = await run('sharedRedis.moveToNamespace', 'edkt:one:key', 'edkt:two:');
    assert.equal(key.outcome, 'done', key.message);
    assert.equal(await redis.get('edkt:two:key'), 'vkey');
    assert.equal(await redis.exists('edkt:two::key'), 0);
    const same = await run('sharedRedis.moveToNamespace', { namespace: 'edkt:legacy' }, 'edkt:legacy:');
    assert.equal(same.outcome, 'invalid', same.message);
    assert.equal(await redis.get('edkt:legacy:42'), 'v42');
  });

  it('refuses a move target typed with a leading delimiter (:legacy, an empty first segment) with one message, unless the Keys view has such a namespace', async () => {
    await api();
    // No key with an empty first segment (this test's own, left by an earlier run) in the Keys view.
    await redis.del(':edkl:1', ':edkl:2', ':edkl2:2', ':edkl3:1');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    await redis.set('edkl:old:1', 'v1');
    modal.reset(() => 'Move');
    const refusal =
      "The new namespace :edkl begins with the delimiter ':', which would make its first segment empty: type the path without the leading ':' (edkl). Nothing was moved.";
    const namespace = await run('sharedRedis.moveToNamespace', { namespace: 'edkl:old' }, ':edkl');
    assert.equal(namespace.outcome, 'invalid', namespace.message);
    assert.equal(namespace.message, refusal);
    assert.deepEqual(modal.questions, [], 'refused before asking to move');
    const key = await run('sharedRedis.moveToNamespace', 'edkl:old:1', ':edkl');
    assert.equal(key.outcome, 'invalid', key.message);
    assert.equal(key.message, refusal);
    assert.equal(await redis.get('edkl:old:1'), 'v1');
    assert.equal(await redis.exists(':edkl:1', ':edkl:old:1'), 0);
    // Where keys already have an empty first segment, such a path names them: accepted as today.
    await redis.set(':edkl:2', 'v2');
    try {
      const within = await run('sharedRedis.moveToNamespace', ':edkl:2', ':edkl2');
      assert.equal(within.outcome, 'done', within.message);
      assert.equal(await redis.get(':edkl2:2'), 'v2');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
      const into = await run('sharedRedis.moveToNamespace', 'edkl:old:1', ':edkl3');
      assert.equal(into.outcome, 'done', into.message);
      assert.equal(await redis.get(':edkl3:1'), 'v1');
    } finally {
      await redis.del(':edkl:1', ':edkl:2', ':edkl2:2', ':edkl3:1');
    }
  });

  it('moves nothing when the namespace it offers is accepted as is, even one that ends with the delimiter (edkt:dbl: of edkt:dbl::42)', async () => {
    await api();
    await redis.set('edkt:dbl::42', 'v');
    // Anything asked is answered yes: what moves is what the typed path says.
    modal.reset(() => 'Move');
    modal.type = (options) => options?.value;
    const kept = await run('sharedRedis.moveToNamespace', 'edkt:dbl::42');
    assert.equal(kept.outcome, 'invalid', kept.message);
    assert.equal(await redis.get('edkt:dbl::42'), 'v');
    assert.equal(await redis.exists('edkt:dbl:42'), 0);
  });

  it('moves one key into another namespace with RENAMENX, keeping its TTL', async () => {
    await api();
    await redis.set('edk:one:key', 'v', 'EX', 800);
    const moved = await run('sharedRedis.moveToNamespace', 'edk:one:key', 'edk:two');
    assert.equal(moved.outcome, 'done', moved.message);
    assert.equal(await redis.get('edk:two:key'), 'v');
    assert.ok((await ttlOf('edk:two:key')) > 790);
  });

  it('asks before a save of a key document Undo could not put back, as every other change does, and writes nothing unless told to', async () => {
    await api();
    // 400 elements of random text, 1.6 MB: editable, and over the 1 MiB undo limit (random: DUMP hardly compresses it).
    const items = Array.from({ length: 400 }, () => randomBytes(3000).toString('base64'));
    await redis.rpush('edk:save:big', ...items);
    await redis.expire('edk:save:big', 900);
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', 'edk:save:big');
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    assert.ok(document, 'the key document is open');
    const edited = Buffer.from(`${document.getText()}"added"\n`, 'utf8');
    const save = (): Promise<unknown> =>
      Promise.resolve(vscode.workspace.fs.writeFile(document.uri, edited)).then(
        () => 'saved',
        (error: unknown) => error,
      );
    modal.reset(() => undefined);
    const refused = await save();
    assert.deepEqual(modal.questions, ['Save edk:save:big: this change cannot be undone. Go on?']);
    assert.ok(refused instanceof Error, 'the save was refused');
    assert.match(refused.message, /Nothing was written/);
    assert.equal(await redis.llen('edk:save:big'), 400, 'nothing was written');
    modal.reset((message) => (message.includes('this change cannot be undone') ? 'Change Without Undo' : undefined));
    assert.equal(await save(), 'saved');
    assert.equal(await redis.llen('edk:save:big'), 401);
    assert.equal(await redis.lindex('edk:save:big', -1), 'added');
    assert.ok((await ttlOf('edk:save:big')) > 890, 'the TTL was kept');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Undo of a rename whose value was too large to keep deletes nothing: the value stays under its new name', async () => {
    await api();
    const value = randomBytes(1_500_000); // over the 1 MiB undo limit (random: DUMP compresses)
    await redis.set('edk:big:report', value);
    modal.reset((message) =>
      message.includes('this change cannot be undone')
        ? 'Change Without Undo'
        : message.startsWith('Undo')
          ? 'Undo'
          : undefined,
    );
    const renamed = await run('sharedRedis.renameKey', 'edk:big:report', 'edk:big:report-2025');
    assert.equal(renamed.outcome, 'done', renamed.message);
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'unchanged', undone.message);
    assert.match(undone.message, /cannot be undone/);
    assert.match(undone.message, /Nothing was changed\.$/);
    assert.deepEqual(await redis.getBuffer('edk:big:report-2025'), value, 'the value is still under its new name');
    assert.equal(await redis.exists('edk:big:report'), 0);
  });

  it('a write Redis answers only after the command timeout is said to be perhaps applied, and Undo can put it back', async function () {
    this.timeout(90_000);
    await api();
    await redis.set('edk:paused:deleted', 'd', 'EX', 900);
    await redis.set('edk:paused:renamed', 'r');
    modal.reset((message) =>
      message.startsWith('Delete the key') ? 'Delete' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    // Writes wait, reads go on: what a failover or an operator's CLIENT PAUSE does for seconds.
    const pauseMs = 7_000;
    await redis.call('CLIENT', 'PAUSE', String(pauseMs), 'WRITE');
    const pausedUntil = Date.now() + pauseMs;
    const [deleted, renamed] = await Promise.all([
      run('sharedRedis.deleteKey', 'edk:paused:deleted'),
      run('sharedRedis.renameKey', 'edk:paused:renamed', 'edk:paused:renamed-2'),
    ]);
    for (const result of [deleted, renamed]) {
      assert.equal(result.outcome, 'failed', result.message);
      assert.match(result.message, /did not answer in time/);
      assert.match(result.message, /may still be applied/);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, pausedUntil - Date.now()) + 500));
    // Redis applied both once the pause ended.
    assert.equal(await redis.exists('edk:paused:deleted'), 0);
    assert.deepEqual(await redis.mget('edk:paused:renamed', 'edk:paused:renamed-2'), [null, 'r']);
    // Both were recorded for Undo. A name that did not exist is left: the write's late answer
    // does not say whether this change or another client wrote it.
    const undone: string[] = [];
    for (let i = 0; i < 2; i++) {
      const result = await run('sharedRedis.undoLastChange');
      assert.equal(result.outcome, 'done', result.message);
      undone.push(result.message);
    }
    assert.ok(
      undone.some((m) => /Not undone: edk:paused:renamed-2 \(Redis answered too late to know/.test(m)),
      undone.join('\n'),
    );
    assert.deepEqual(await redis.mget('edk:paused:deleted', 'edk:paused:renamed', 'edk:paused:renamed-2'), [
      'd',
      'r',
      'r',
    ]);
    assert.ok((await ttlOf('edk:paused:deleted')) > 850, 'the TTL comes back too');
  });

  it('Undo puts back the TTL left when it writes, not the one left when its question was asked', async () => {
    await api();
    await redis.set('edk:undo:asked', 'v', 'PX', 20_000);
    modal.reset((message) => (message.startsWith('Delete the key') ? 'Delete' : undefined));
    const deleted = await run('sharedRedis.deleteKey', 'edk:undo:asked');
    assert.equal(deleted.outcome, 'done', deleted.message);
    // The person reads the Undo question for 3 s before answering.
    const later = (answer: string): string =>
      new Promise((resolve) => setTimeout(() => resolve(answer), 3000)) as unknown as string;
    modal.reset((message) => (message.startsWith('Undo') ? later('Undo') : undefined));
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'done', undone.message);
    const pttl = await redis.pttl('edk:undo:asked');
    assert.ok(pttl > 0 && pttl <= 17_500, `the key does not live longer for the question (${pttl} ms left)`);
  });

  it('Undo restores a deleted binary key byte-exact with its remaining TTL, after one confirmation naming it', async () => {
    await api();
    const key = Buffer.from([0x65, 0x64, 0x6b, 0x3a, 0xff, 0x00, 0x2a]); // edk:\xff\0*
    const value = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
    await redis.set(key, value, 'EX', 900);
    modal.reset((message) =>
      message.startsWith('Delete the key') ? 'Delete' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    assert.equal((await run('sharedRedis.deleteKey', key)).outcome, 'done');
    assert.equal(await redis.exists(key), 0);
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'done', undone.message);
    assert.equal(modal.questions[1], 'Undo "Delete edk:\\xff\\x00*"?');
    assert.deepEqual(await redis.getBuffer(key), value);
    const ttl = await ttlOf(key);
    assert.ok(ttl > 880 && ttl <= 900, String(ttl));
    // Set TTL is undone too: the key had no TTL before.
    await redis.set('edk:ttl:undo', 'v');
    assert.equal((await run('sharedRedis.setTtl', 'edk:ttl:undo', '1h')).outcome, 'done');
    assert.equal((await run('sharedRedis.undoLastChange')).outcome, 'done');
    assert.equal(await redis.ttl('edk:ttl:undo'), -1);
  });

  it('Undo of a key document save leaves a value another client wrote since, naming the key', async () => {
    await api();
    await redis.set('edk:undo:saved', 'old');
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', 'edk:undo:saved');
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    assert.ok(document, 'the key document is open');
    await vscode.workspace.fs.writeFile(document.uri, Buffer.from(document.getText().replace(/old$/, 'saved'), 'utf8'));
    assert.equal(await redis.get('edk:undo:saved'), 'saved');
    await redis.set('edk:undo:saved', 'newer-from-service');
    modal.reset((message) => (message.startsWith('Undo') ? 'Undo' : undefined));
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'refused', undone.message);
    assert.match(undone.message, /edk:undo:saved no longer holds what this change wrote/);
    assert.equal(await redis.get('edk:undo:saved'), 'newer-from-service');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Undo of Delete Key or Set TTL leaves a value another client wrote since, naming the key', async () => {
    await api();
    await redis.set('edk:undo:deleted', 'old');
    modal.reset((message) =>
      message.startsWith('Delete the key') ? 'Delete' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    assert.equal((await run('sharedRedis.deleteKey', 'edk:undo:deleted')).outcome, 'done');
    // A service writes the key again after the delete.
    await redis.set('edk:undo:deleted', 'recreated-by-service', 'EX', 500);
    const undone = await run('sharedRedis.undoLastChange');
    assert.equal(undone.outcome, 'refused', undone.message);
    assert.match(undone.message, /edk:undo:deleted no longer holds what this change wrote/);
    assert.equal(await redis.get('edk:undo:deleted'), 'recreated-by-service');

    await redis.set('edk:undo:ttl', 'old');
    assert.equal((await run('sharedRedis.setTtl', 'edk:undo:ttl', '1h')).outcome, 'done');
    await redis.set('edk:undo:ttl', 'newer-from-service', 'KEEPTTL');
    const undoneTtl = await run('sharedRedis.undoLastChange');
    assert.equal(undoneTtl.outcome, 'refused', undoneTtl.message);
    assert.equal(await redis.get('edk:undo:ttl'), 'newer-from-service');
  });

  it('Undo of Remove TTL or Set TTL does not bring back a key another client deleted before the TTL could run out', async () => {
    await api();
    modal.reset((message) => (message.startsWith('Undo') ? 'Undo' : undefined));
    // Remove TTL, then a service deletes the key (a logout): without a TTL it cannot have expired.
    await redis.set('edk:undo:persisted', 'session', 'EX', 900);
    assert.equal((await run('sharedRedis.persistKey', 'edk:undo:persisted')).outcome, 'done');
    await redis.del('edk:undo:persisted');
    const undonePersist = await run('sharedRedis.undoLastChange');
    assert.equal(undonePersist.outcome, 'refused', undonePersist.message);
    assert.match(undonePersist.message, /edk:undo:persisted no longer holds what this change wrote/);
    assert.equal(await redis.exists('edk:undo:persisted'), 0);
    // Set TTL of an hour, then a service deletes the key a moment later: the hour has not run out.
    await redis.set('edk:undo:ttl-deleted', 'session');
    assert.equal((await run('sharedRedis.setTtl', 'edk:undo:ttl-deleted', '1h')).outcome, 'done');
    await redis.del('edk:undo:ttl-deleted');
    const undoneTtl = await run('sharedRedis.undoLastChange');
    assert.equal(undoneTtl.outcome, 'refused', undoneTtl.message);
    assert.equal(await redis.exists('edk:undo:ttl-deleted'), 0);
    // A key that really ran out by the TTL set is still put back (the mistake Undo is for).
    await redis.set('edk:undo:ttl-expired', 'kept');
    assert.equal((await run('sharedRedis.setTtl', 'edk:undo:ttl-expired', '1')).outcome, 'done');
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.equal(await redis.exists('edk:undo:ttl-expired'), 0);
    const undoneExpired = await run('sharedRedis.undoLastChange');
    assert.equal(undoneExpired.outcome, 'done', undoneExpired.message);
    assert.equal(await redis.get('edk:undo:ttl-expired'), 'kept');
  });

  it('Undo of New Key, Rename Key or Copy Key leaves a key another client wrote since, naming it', async () => {
    await api();
    modal.reset((message) => (message.startsWith('Undo') ? 'Undo' : undefined));
    // New Key, then a service adds to it: Undo would delete the service's data with it.
    const created = await run('sharedRedis.newKey', undefined, {
      type: 'hash',
      field: 'f',
      value: 'v',
      name: 'edk:undo:new',
      ttl: '',
    });
    assert.equal(created.outcome, 'done', created.message);
    await redis.hset('edk:undo:new', 'from-service', 'kept');
    const undoneNew = await run('sharedRedis.undoLastChange');
    assert.equal(undoneNew.outcome, 'refused', undoneNew.message);
    assert.match(undoneNew.message, /edk:undo:new no longer holds what this change wrote/);
    assert.equal(await redis.hget('edk:undo:new', 'from-service'), 'kept');
    // Rename, then a service writes the new name.
    await redis.set('edk:undo:from', 'v');
    assert.equal((await run('sharedRedis.renameKey', 'edk:undo:from', 'edk:undo:to')).outcome, 'done');
    await redis.set('edk:undo:to', 'newer-from-service');
    const undoneRename = await run('sharedRedis.undoLastChange');
    assert.equal(undoneRename.outcome, 'refused', undoneRename.message);
    assert.equal(await redis.get('edk:undo:to'), 'newer-from-service');
    assert.equal(await redis.exists('edk:undo:from'), 0);
    // Copy, then a service writes the copy.
    await redis.set('edk:undo:source', 'v');
    assert.equal((await run('sharedRedis.copyKey', 'edk:undo:source', 'edk:undo:copy')).outcome, 'done');
    await redis.set('edk:undo:copy', 'newer-from-service');
    const undoneCopy = await run('sharedRedis.undoLastChange');
    assert.equal(undoneCopy.outcome, 'refused', undoneCopy.message);
    assert.equal(await redis.get('edk:undo:copy'), 'newer-from-service');
  });

  it('Undo of a key another client changed since asks nothing: it names the key at once and changes nothing', async () => {
    await api();
    const undoQuestions = (): string[] => modal.questions.filter((q) => q.startsWith('Undo'));
    modal.reset((message) =>
      message.startsWith('Delete the key') ? 'Delete' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    // Delete Key, then a service writes the key again.
    await redis.set('edk:undo:first:deleted', 'old');
    assert.equal((await run('sharedRedis.deleteKey', 'edk:undo:first:deleted')).outcome, 'done');
    await redis.set('edk:undo:first:deleted', 'recreated-by-service');
    const undone = await run('sharedRedis.undoLastChange');
    assert.deepEqual(undoQuestions(), [], 'no Undo question for a change that cannot be undone');
    assert.equal(undone.outcome, 'refused', undone.message);
    assert.match(undone.message, /edk:undo:first:deleted no longer holds what this change wrote/);
    assert.match(undone.message, /Nothing was changed\.$/);
    assert.equal(await redis.get('edk:undo:first:deleted'), 'recreated-by-service');
    // Rename, then a service writes the new name: that name is the one said.
    modal.reset((message) => (message.startsWith('Undo') ? 'Undo' : undefined));
    await redis.set('edk:undo:first:from', 'v');
    assert.equal((await run('sharedRedis.renameKey', 'edk:undo:first:from', 'edk:undo:first:to')).outcome, 'done');
    await redis.set('edk:undo:first:to', 'newer-from-service');
    const undoneRename = await run('sharedRedis.undoLastChange');
    assert.deepEqual(undoQuestions(), [], 'no Undo question for a change that cannot be undone');
    assert.equal(undoneRename.outcome, 'refused', undoneRename.message);
    assert.match(undoneRename.message, /: edk:undo:first:to no longer holds what this change wrote/);
    assert.equal(await redis.get('edk:undo:first:to'), 'newer-from-service');
    assert.equal(await redis.exists('edk:undo:first:from'), 0);
  });

  it('Undo still checks when it writes: a key another client changes while its question is open is left', async () => {
    await api();
    await redis.set('edk:undo:open:deleted', 'old');
    modal.reset((message) => (message.startsWith('Delete the key') ? 'Delete' : undefined));
    assert.equal((await run('sharedRedis.deleteKey', 'edk:undo:open:deleted')).outcome, 'done');
    // A service writes the key while the person reads the question, which was asked: the key matched then.
    modal.reset((message) =>
      message.startsWith('Undo')
        ? (redis.set('edk:undo:open:deleted', 'written-meanwhile').then(() => 'Undo') as unknown as string)
        : undefined,
    );
    const undone = await run('sharedRedis.undoLastChange');
    assert.deepEqual(modal.questions, ['Undo "Delete edk:undo:open:deleted"?']);
    assert.equal(undone.outcome, 'refused', undone.message);
    assert.match(undone.message, /edk:undo:open:deleted no longer holds what this change wrote/);
    assert.equal(await redis.get('edk:undo:open:deleted'), 'written-meanwhile');
  });

  it('with readOnly on, refuses every editing command and changes nothing', async () => {
    await api();
    await redis.set('edk:ro', 'v', 'EX', 400);
    await config().update('readOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const results = [
        await run('sharedRedis.newKey', undefined, { type: 'string', name: 'edk:ro:new', value: 'v' }),
        await run('sharedRedis.renameKey', 'edk:ro', 'edk:ro:renamed'),
        await run('sharedRedis.copyKey', 'edk:ro', 'edk:ro:copy'),
        await run('sharedRedis.moveToNamespace', 'edk:ro', 'edk:elsewhere'),
        await run('sharedRedis.moveToNamespace', { namespace: 'edk' }, 'edk2'),
        await run('sharedRedis.undoLastChange'),
      ];
      for (const result of results) {
        assert.equal(result.outcome, 'refused', result.message);
        assert.match(
          result.message,
          /^Shared Redis is read-only \(setting "sharedRedis\.readOnly"\): .* was not run and nothing was changed\.$/,
        );
      }
      assert.deepEqual(modal.questions, []);
      assert.equal(await redis.get('edk:ro'), 'v');
      assert.equal(await redis.exists('edk:ro:new', 'edk:ro:renamed', 'edk:ro:copy', 'edk:elsewhere:ro'), 0);
    } finally {
      await config().update('readOnly', savedReadOnly, vscode.ConfigurationTarget.Workspace);
    }
  });

  /** `label — description` of the row at `path` (labels from the root down), as the user reads it. */
  const rowAt = async (shared: SharedRedisInternals, ...path: string[]): Promise<string> => {
    let row: KeysRow | undefined;
    for (const label of path) row = await child(shared, row, label);
    return `${path[path.length - 1] ?? ''} — ${String(shared.views.keys.getTreeItem(row as KeysRow).description)}`;
  };

  /** The rows listed under the namespace at `path`. */
  const rowsUnder = async (shared: SharedRedisInternals, ...path: string[]): Promise<string[]> => {
    let row: KeysRow | undefined;
    for (const label of path) row = await child(shared, row, label);
    return rows(shared, row);
  };

  /**
   * A finished walk with `keys` (string values); from then on, every walk the Keys view's browser
   * starts is recorded (a walk publishes a walking state with a new model before its first SCAN).
   */
  const walkedWith = async (shared: SharedRedisInternals, ...keys: string[]) => {
    for (const key of keys) await redis.set(key, 'v');
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    const walked = shared.keys.state;
    assert.ok(walked.kind === 'complete');
    const seen: string[] = [];
    const following = shared.keys.onDidChange((state) => {
      if (state.kind === 'walking') seen.push('the Keys view started a walk');
    });
    stopWatching.push(() => following.dispose());
    return { model: walked.model, seen };
  };
  const stopWatching: (() => void)[] = [];
  afterEach(() => stopWatching.splice(0).forEach((stop) => stop()));

  /** The command's outcome is done, and it asked nothing the test did not answer. */
  const done = async (command: string, ...args: unknown[]): Promise<void> => {
    const result = await run(command, ...args);
    assert.deepEqual(modal.unanswered, [], `${command} asked what the test did not answer`);
    assert.equal(result.outcome, 'done', result.message);
  };

  const sameWalk = (shared: SharedRedisInternals, walked: Awaited<ReturnType<typeof walkedWith>>): void => {
    assert.deepEqual(walked.seen, [], 'the keyspace was not walked again');
    const state = shared.keys.state;
    assert.ok(state.kind === 'complete' && state.model === walked.model, 'the view shows the same walk, patched');
  };

  it("after New Key and Rename Key the Keys view shows the key's row and the new counts, without walking again", async () => {
    const shared = await api();
    const walked = await walkedWith(shared, 'edkv:a:1');
    assert.equal(await rowAt(shared, 'edkv'), 'edkv — 1 key');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'a'), ['1 — string · no TTL']);

    await done('sharedRedis.newKey', undefined, { type: 'hash', name: 'edkv:a:2', field: 'f', value: 'v', ttl: '' });
    assert.equal(await rowAt(shared, 'edkv'), 'edkv — 2 keys');
    assert.equal(await rowAt(shared, 'edkv', 'a'), 'a — 2 keys');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'a'), ['1 — string · no TTL', '2 — hash · no TTL']);

    await done('sharedRedis.renameKey', 'edkv:a:1', 'edkv:b:1');
    assert.equal(await rowAt(shared, 'edkv'), 'edkv — 2 keys');
    assert.deepEqual(await rowsUnder(shared, 'edkv'), ['a — 1 key', 'b — 1 key']);
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'a'), ['2 — hash · no TTL']);
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'b'), ['1 — string · no TTL']);
    sameWalk(shared, walked);
  });

  it("after Copy Key the copy's row is listed and its namespace counts it, without walking again", async () => {
    const shared = await api();
    const walked = await walkedWith(shared, 'edkv:c:1');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'c'), ['1 — string · no TTL']);
    await done('sharedRedis.copyKey', 'edkv:c:1', 'edkv:c:2');
    await done('sharedRedis.copyKey', 'edkv:c:1', 'edkv:d:1');
    assert.equal(await rowAt(shared, 'edkv', 'c'), 'c — 2 keys');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'c'), ['1 — string · no TTL', '2 — string · no TTL']);
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'd'), ['1 — string · no TTL']);
    sameWalk(shared, walked);
  });

  it('after Undo Last Change of a deleted key its row and its count are back, without walking again', async () => {
    const shared = await api();
    const walked = await walkedWith(shared, 'edkv:e:1', 'edkv:e:2');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'e'), ['1 — string · no TTL', '2 — string · no TTL']);
    modal.reset((message) =>
      message.startsWith('Delete the key') ? 'Delete' : message.startsWith('Undo') ? 'Undo' : undefined,
    );
    await done('sharedRedis.deleteKey', 'edkv:e:1');
    assert.equal(await rowAt(shared, 'edkv', 'e'), 'e — 1 key');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'e'), ['2 — string · no TTL']);
    await done('sharedRedis.undoLastChange');
    assert.equal(await rowAt(shared, 'edkv', 'e'), 'e — 2 keys');
    assert.deepEqual(await rowsUnder(shared, 'edkv', 'e'), ['1 — string · no TTL', '2 — string · no TTL']);
    sameWalk(shared, walked);
    // What watches for a walk does see one when there is one.
    assert.equal(await vscode.commands.executeCommand('sharedRedis.refreshKeys'), 'complete');
    assert.ok(walked.seen.length > 0, 'a refresh is seen as a walk');
  });
});

describe('editing keys while connected to a read-only replica: refused before any question, naming the replica and its master', function () {
  this.timeout(90_000);
  const modal = new ModalAnswers();
  let master: RedisServer;
  let replica: RedisServer;
  let onMaster: Redis;
  let onReplica: Redis;
  let restorePort: () => Promise<void>;

  before(async () => {
    master = await startRedisServer({ config: 'repl-diskless-sync-delay 0\n' });
    replica = await startRedisServer({ config: `replicaof 127.0.0.1 ${master.port}\n` });
    onMaster = new Redis({ host: master.host, port: master.port, lazyConnect: true });
    onReplica = new Redis({ host: replica.host, port: replica.port, lazyConnect: true });
    await Promise.all([onMaster.connect(), onReplica.connect()]);
    await onMaster.set('edro:a', 'v');
    await onMaster.set('edro:ns:1', 'one');
    await eventually('the replica holds the master’s keys', async () => (await onReplica.get('edro:ns:1')) === 'one');
    restorePort = await connectExtensionTo(replica.port);
    modal.install();
  });
  after(async () => {
    modal.restore();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await restorePort();
    onMaster.disconnect();
    onReplica.disconnect();
    await Promise.all([replica.stop(), master.stop()]);
  });

  it('New, Rename, Copy, Move to Namespace, Delete, Set and Remove TTL, Undo and Save say so and change nothing', async () => {
    const refusal = (action: string): string =>
      `${action} was not run: the Redis at 127.0.0.1:${replica.port} is a read-only replica of 127.0.0.1:${master.port}, and refuses every write. Connect Shared Redis to its master, 127.0.0.1:${master.port} (the settings sharedRedis.host and sharedRedis.port), to change keys. Nothing was changed.`;
    const attempts: Array<[string, string, ...unknown[]]> = [
      // Asked for its type, name and value first; given them.
      ['New Key', 'sharedRedis.newKey'],
      ['New Key', 'sharedRedis.newKey', undefined, { type: 'string', name: 'edro:new', value: 'v', ttl: null }],
      ['Rename Key', 'sharedRedis.renameKey', 'edro:a'],
      ['Rename Key', 'sharedRedis.renameKey', 'edro:a', 'edro:b'],
      ['Copy Key', 'sharedRedis.copyKey', 'edro:a', 'edro:c'],
      ['Move to Namespace', 'sharedRedis.moveToNamespace', 'edro:a', 'edro:moved'],
      ['Move to Namespace', 'sharedRedis.moveToNamespace', { namespace: 'edro:ns' }, 'edro:moved'],
      ['Delete Key', 'sharedRedis.deleteKey', 'edro:a'],
      ['Delete Namespace', 'sharedRedis.deleteNamespace', 'edro:ns'],
      ['Set TTL', 'sharedRedis.setTtl', 'edro:a', '1h'],
      ['Remove TTL', 'sharedRedis.persistKey', 'edro:a'],
      ['Undo Last Change', 'sharedRedis.undoLastChange'],
    ];
    const seen: string[] = [];
    const expected: string[] = [];
    for (const [action, command, ...args] of attempts) {
      // A person who says yes to every question.
      modal.reset((message) => ['Delete', 'Move', 'Undo'].find((yes) => message.startsWith(yes)));
      const result = await run(command, ...args);
      const asked = JSON.stringify([...modal.questions, ...modal.unanswered]);
      seen.push(`${command}: ${result.outcome}: ${result.message}; asked ${asked}`);
      expected.push(`${command}: refused: ${refusal(action)}; asked []`);
    }
    // Saving a key document opened from the replica.
    const uri = await vscode.commands.executeCommand<string>('sharedRedis.inspectKey', 'edro:a');
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    assert.ok(document, 'the key document is open');
    modal.reset();
    const saved = await Promise.resolve(
      vscode.workspace.fs.writeFile(document.uri, Buffer.from(document.getText().replace(/v$/, 'saved'), 'utf8')),
    ).then(
      () => 'saved',
      (error: Error) => error.message,
    );
    assert.deepEqual(seen, expected);
    assert.ok(saved.includes(refusal('Save edro:a')), saved);
    assert.deepEqual(modal.questions, []);
    // The master holds what it held.
    assert.equal(await onMaster.get('edro:a'), 'v');
    assert.equal(await onMaster.ttl('edro:a'), -1);
    assert.equal(await onMaster.get('edro:ns:1'), 'one');
    assert.deepEqual((await onMaster.keys('edro:*')).sort(), ['edro:a', 'edro:ns:1']);
  });

  it('Set TTL on Keys Without One says so before its questions, with the same message, and sets no TTL', async () => {
    const refusal = `Set TTL on Keys Without One was not run: the Redis at 127.0.0.1:${replica.port} is a read-only replica of 127.0.0.1:${master.port}, and refuses every write. Connect Shared Redis to its master, 127.0.0.1:${master.port} (the settings sharedRedis.host and sharedRedis.port), to change keys. Nothing was changed.`;
    const attempts: unknown[][] = [[], ['edro:ns'], ['edro:ns', '1h'], ['edro:ns', '1h', { confirm: true }]];
    const seen: string[] = [];
    for (const args of attempts) {
      modal.reset(() => 'Set TTL');
      const result = await run('sharedRedis.setTtlOnKeysWithoutTtl', ...args);
      const asked = JSON.stringify([...modal.questions, ...modal.unanswered]);
      seen.push(`${JSON.stringify(args)}: ${result.outcome}: ${result.message}; asked ${asked}`);
    }
    assert.deepEqual(
      seen,
      attempts.map((args) => `${JSON.stringify(args)}: refused: ${refusal}; asked []`),
    );
    assert.equal(await onMaster.ttl('edro:ns:1'), -1);
  });

  it('Import Namespace says so before asking for the file or the prefix, with the same message, and imports nothing', async () => {
    const refusal = `Import Namespace was not run: the Redis at 127.0.0.1:${replica.port} is a read-only replica of 127.0.0.1:${master.port}, and refuses every write. Connect Shared Redis to its master, 127.0.0.1:${master.port} (the settings sharedRedis.host and sharedRedis.port), to change keys. Nothing was changed.`;
    const dir = mkdtempSync(join(tmpdir(), 'edro-'));
    try {
      // A file exported from the replica (reading is allowed there).
      const file = join(dir, 'edro.jsonl');
      modal.reset();
      const exported = await run('sharedRedis.exportNamespace', 'edro:ns', file);
      assert.equal(exported.outcome, 'done', exported.message);
      const attempts: unknown[][] = [[], [file], [file, 'edro:imported']];
      const seen: string[] = [];
      for (const args of attempts) {
        // A person who says yes to every question, and takes the prefix offered.
        const typed: string[] = [];
        modal.reset(() => 'Import');
        modal.type = (options) => {
          typed.push(`input box "${options?.title ?? ''}"`);
          return options?.value;
        };
        const result = await run('sharedRedis.importNamespace', ...args);
        const asked = JSON.stringify([...modal.questions, ...typed, ...modal.unanswered]);
        seen.push(`${JSON.stringify(args.length)} arguments: ${result.outcome}: ${result.message}; asked ${asked}`);
      }
      assert.deepEqual(
        seen,
        attempts.map((args) => `${JSON.stringify(args.length)} arguments: refused: ${refusal}; asked []`),
      );
      assert.deepEqual((await onMaster.keys('edro:*')).sort(), ['edro:a', 'edro:ns:1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes again once the replica is promoted (REPLICAOF NO ONE): the answer is not kept from before', async () => {
    modal.reset();
    assert.equal((await run('sharedRedis.setTtl', 'edro:a', '1h')).outcome, 'refused');
    await onReplica.call('REPLICAOF', 'NO', 'ONE');
    const result = await run('sharedRedis.setTtl', 'edro:a', '1h');
    assert.equal(result.outcome, 'done', result.message);
    assert.ok((await onReplica.ttl('edro:a')) > 3500);
  });
});

describe('Undo Last Change on a server at its maxclients', function () {
  this.timeout(60_000);
  const modal = new ModalAnswers();
  let server: RedisServer;
  let admin: Redis;
  let restorePort: () => Promise<void>;

  before(async () => {
    server = await startRedisServer();
    admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await admin.connect();
    restorePort = await connectExtensionTo(server.port);
    modal.install();
  });
  after(async () => {
    modal.restore();
    await restorePort();
    admin.disconnect();
    await server.stop();
  });

  it('says the server is full (maxclients), not "Connection is closed.", and changes nothing', async () => {
    await admin.set('edfull:a', 'v');
    const set = await run('sharedRedis.setTtl', 'edfull:a', '1h');
    assert.equal(set.outcome, 'done', set.message);
    await fillToMaxclients(admin);
    let undone: KeyOperationResult;
    try {
      modal.reset((message) => (message.startsWith('Undo') ? 'Undo' : undefined));
      undone = await run('sharedRedis.undoLastChange');
    } finally {
      await admin.config('SET', 'maxclients', '10000');
    }
    assert.deepEqual(modal.questions, ['Undo "Set the TTL of edfull:a"?']);
    assert.equal(undone.outcome, 'failed');
    assert.equal(
      undone.message,
      `Could not undo the last change: Redis at 127.0.0.1:${server.port} refused the connection: it already serves its maximum number of clients (maxclients). Close connections that are no longer needed (the Clients view shows who holds them), or raise maxclients; then try again.`,
    );
    const ttl = await admin.ttl('edfull:a');
    assert.ok(ttl > 3500, `the TTL set is still there (${ttl})`);
    assert.equal(await admin.get('edfull:a'), 'v');
  });
});

/** Points the extension at the Redis on `port` (the port setting); the function returned puts the setting back. */
async function connectExtensionTo(port: number): Promise<() => Promise<void>> {
  const saved = config().inspect('port')?.workspaceValue;
  await config().update('port', port, vscode.ConfigurationTarget.Workspace);
  const shared = await api();
  await eventually(`the connection to go to port ${port}`, async () => shared.session.endpoint.port === port);
  return async () => {
    await config().update('port', saved, vscode.ConfigurationTarget.Workspace);
  };
}

/** A workspace state of a fresh window: nothing remembered. */
class MemoryMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, defaultValue?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : defaultValue;
  }
  update(key: string, value: unknown): Thenable<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}
