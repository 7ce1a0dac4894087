import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { DONT_ASK_AGAIN, KeyChanges, WRITE } from '../../../src/keyChanges';
import type { Logger } from '../../../src/logger';
import { suiteConfig } from './config';
import { api } from './extensionApi';

type Answer = (message: string) => string | undefined;

/** Modal questions (which a test cannot click) get `answer`'s reply and are recorded; other calls go through. */
class ModalAnswers {
  readonly questions: string[] = [];
  answer: Answer = () => undefined;
  private readonly original = vscode.window.showWarningMessage;

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
    });
  }

  reset(answer: Answer = () => undefined): void {
    this.questions.length = 0;
    this.answer = answer;
  }

  restore(): void {
    Object.assign(vscode.window, { showWarningMessage: this.original });
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
