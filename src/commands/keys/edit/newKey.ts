import * as vscode from 'vscode';
import { displayBytes, typeDisplayName } from '../../../redis/keyspace';
import { scoreInRange } from '../../../redis/keyValue';
import { createKey, describeSeconds, NEW_KEY_TYPES, NewKeySpec, NewKeyType } from '../../../redis/mutations';
import { askOptionalTtl } from '../../../views/ttlInput';
import type { ExtensionServices } from '../../context';
import { delimiterOf, resolveNamespace, runOnSession } from '../targets';
import { bytesArgument, DISMISSED, EditResult, tell, typedBytes, UndoRecord, withOwnConnection } from './common';

/** What a caller (a test, another extension) may give instead of being asked. */
export interface NewKeyAnswers {
  readonly type?: string;
  readonly name?: string | Buffer;
  readonly value?: string | Buffer;
  /** hash and stream: the field. */
  readonly field?: string | Buffer;
  /** zset: the member's score, as typed. */
  readonly score?: string | number;
  /** As typed (`90`, `30m`); `''` or null: no TTL. */
  readonly ttl?: string | null;
}

/** The first value's parts each type asks for. */
const FIRST_VALUE: Record<NewKeyType, { readonly field?: string; readonly value: string; readonly score?: boolean }> = {
  string: { value: 'Value' },
  hash: { field: 'Field', value: 'Value of the field' },
  list: { value: 'First element' },
  set: { value: 'First member' },
  zset: { value: 'First member', score: true },
  stream: { field: 'Field of the first entry (added with XADD *)', value: 'Value of the field' },
};

const SCORE = /^\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?inf)\s*$/i;

/**
 * `sharedRedis.newKey`: type, name (pre-filled with the namespace's prefix), first value and
 * optional TTL; created only if no key has the name (WATCH + MULTI: a concurrent writer wins,
 * never overwritten).
 */
export async function newKey(services: ExtensionServices, target: unknown, given: unknown): Promise<EditResult> {
  const answers = (given && typeof given === 'object' ? given : {}) as NewKeyAnswers;
  const early = await services.keyChanges.confirmWrite([], 'New Key');
  if (!early.allowed) return { outcome: early.outcome, message: early.message };
  const delimiter = delimiterOf(services);
  const path =
    target === undefined
      ? undefined
      : await resolveNamespace(services, target, delimiter, 'New key in which namespace?');
  const prefix = path ? Buffer.concat([path, delimiter]) : Buffer.alloc(0);

  const type = await askType(answers.type);
  if (type === undefined) return DISMISSED;
  if (!NEW_KEY_TYPES.includes(type as NewKeyType)) {
    return tell(
      'invalid',
      `"${type}" is not a type New Key creates: use one of ${NEW_KEY_TYPES.join(', ')}. Nothing was created.`,
    );
  }
  const keyType = type as NewKeyType;
  const key = await askName(
    answers.name,
    { title: `New ${typeDisplayName(keyType)} key`, prompt: 'The full key name' },
    prefix,
  );
  if (key === undefined) return DISMISSED;
  if (!Buffer.isBuffer(key)) return tell('invalid', key.refused);
  if (key.length === 0) return tell('invalid', 'A key name cannot be empty: type a name. Nothing was created.');
  const name = displayBytes(key);
  const taken = (await services.session.use((c) => c.exists(key))) === 1;
  if (taken) return exists(name);

  const parts = FIRST_VALUE[keyType];
  const field = parts.field ? await askBytes(answers.field, { title: `New ${name}`, prompt: parts.field }) : undefined;
  if (parts.field && field === undefined) return DISMISSED;
  const value = await askBytes(answers.value, { title: `New ${name}`, prompt: parts.value });
  if (value === undefined) return DISMISSED;
  let score: number | undefined;
  if (parts.score) {
    const typed =
      answers.score === undefined
        ? await vscode.window.showInputBox({ title: `New ${name}`, prompt: 'Score of the member (a number)' })
        : String(answers.score);
    if (typed === undefined) return DISMISSED;
    if (!SCORE.test(typed)) {
      return tell(
        'invalid',
        `The score "${typed}" is not a number: type one such as 1, -2.5 or 1e3. Nothing was created.`,
      );
    }
    if (!scoreInRange(typed)) {
      return tell(
        'invalid',
        `The score "${typed}" is a number Redis cannot keep (beyond about ±1.8e308, or so small it would be 0): type a smaller one, or inf or -inf for no bound. Nothing was created.`,
      );
    }
    score = Number(typed.trim().replace(/^([+-]?)inf$/i, '$1Infinity'));
  }
  const ttl = await askOptionalTtl(answers.ttl, {
    title: `TTL of ${name}`,
    prompt: 'Leave empty for no TTL; or seconds, or with a unit: 90, 30m, 1h, 2d',
    placeHolder: 'no TTL',
  });
  if (ttl.kind === 'dismissed') return DISMISSED;
  if (ttl.kind === 'invalid') return { outcome: 'invalid', message: ttl.message };
  const ttlSeconds = ttl.kind === 'ok' ? ttl.seconds : undefined;

  const gate = await services.keyChanges.confirmWrite([key], `Create ${name}`);
  if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
  const spec: NewKeySpec = { type: keyType, key, value, field, score, ttlSeconds };
  const log = services.logger.child('Keys');
  return runOnSession(services, log, `create ${name}`, async () => {
    const record = new UndoRecord(services, [key], `Create ${name}`);
    const outcome = await record.write(
      withOwnConnection(services, (client) => createKey(client, spec, record.beforeWrite)),
    );
    record.settle(outcome);
    if (outcome.kind === 'dismissed') return DISMISSED;
    if (outcome.kind === 'refused') return exists(name);
    if (outcome.kind === 'conflict') {
      return tell(
        'gone',
        `Another client wrote ${name} meanwhile: nothing was created, and its value was left as it is.`,
      );
    }
    services.keyChanges.keysChanged({ keys: [key], kind: 'created', db: services.session.endpoint.db });
    await services.keyBrowser.applied();
    const expiry = ttlSeconds === undefined ? 'no TTL' : `expires in ${describeSeconds(ttlSeconds)}`;
    return tell('done', `Created ${name} (${typeDisplayName(keyType)}, ${expiry}).`);
  });
}

function exists(name: string): EditResult {
  return tell('invalid', `A key named ${name} already exists: nothing was changed. Choose another name.`);
}

async function askType(given: string | undefined): Promise<string | undefined> {
  if (given !== undefined) return given;
  const picked = await vscode.window.showQuickPick(
    NEW_KEY_TYPES.map((type) => ({ label: type, description: typeDisplayName(type) })),
    { title: 'New Key: which type?' },
  );
  return picked?.label;
}

async function askBytes(
  given: unknown,
  ask: { title: string; prompt: string; value?: string },
): Promise<Buffer | undefined> {
  if (given !== undefined) return bytesArgument(given) ?? Buffer.from(String(given), 'utf8');
  const end = ask.value?.length ?? 0;
  const typed = await vscode.window.showInputBox({ ...ask, valueSelection: [end, end] });
  return typed === undefined ? undefined : Buffer.from(typed, 'utf8');
}

/**
 * The key's name, given or typed into a box prefilled with the namespace's `prefix`. A typed name
 * that still holds the stand-in for the prefix's bytes that are not UTF-8 is refused (typedBytes),
 * as Rename does: written as typed it would land in a look-alike namespace.
 */
async function askName(
  given: unknown,
  ask: { title: string; prompt: string },
  prefix: Buffer,
): Promise<Buffer | { readonly refused: string } | undefined> {
  if (given !== undefined) return askBytes(given, ask);
  const value = prefix.toString('utf8');
  const typed = await vscode.window.showInputBox({ ...ask, value, valueSelection: [value.length, value.length] });
  return typed === undefined ? undefined : typedBytes(typed, prefix);
}
