import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { displayBytes } from '../../../redis/keyspace';
import { applyUndo, changedSinceWritten, describeSeconds, planUndo, UndoStep } from '../../../redis/mutations';
import type { ExtensionServices } from '../../context';
import type { RecordedChange } from '../../../keyChanges';
import { runOnSession, whereOf } from '../targets';
import { EditResult, tell, withOwnConnection } from './common';

export const UNDO = 'Undo';

/**
 * `sharedRedis.undoLastChange`: puts back the keys of the last recorded change (RESTORE …
 * REPLACE with the TTL that remains now; a key that did not exist is deleted), after one
 * confirmation naming them. A namespace move or delete is named, not undone. A key another
 * client has changed since is named at once, without the question (Undo would refuse).
 */
export async function undoLastChange(services: ExtensionServices): Promise<EditResult> {
  const gate = await services.keyChanges.confirmWrite([], 'Undo Last Change');
  if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
  const last = services.keyChanges.lastChange;
  if (!last) {
    return tell('unchanged', 'Nothing to undo: no change made with Shared Redis was recorded in this session.');
  }
  if (!last.undoable) {
    services.keyChanges.forget(last);
    return tell('unchanged', `The last change, ${last.label}, cannot be undone (${last.reason}). Nothing was changed.`);
  }
  const here = whereOf(services);
  if (last.where !== here) {
    return tell(
      'invalid',
      `The last change (${last.label}) was made at ${last.where}, and Shared Redis is now connected to ${here}: nothing was changed. Connect to ${last.where} again to undo it.`,
    );
  }
  const plan = { unanswered: last.unanswered, written: last.written };
  const steps = planUndo(last.snapshots, undefined, plan);
  const writes = steps.filter((s) => s.action === 'restore' || s.action === 'delete');
  const left = describeLeft(steps);
  if (writes.length === 0) {
    services.keyChanges.forget(last);
    return tell('unchanged', `${last.label} cannot be undone: ${left}. Nothing was changed.`);
  }
  if (writes.some((s) => s.written !== undefined)) {
    // Read now, without WATCH: a question whose Undo would be refused is not asked. Checked again when it writes.
    const changed = await runOnSession(services, services.logger.child('Keys'), 'undo the last change', (client) =>
      changedSinceWritten(client, steps, services.session.endpoint),
    );
    if (!Array.isArray(changed)) return changed;
    if (changed.length > 0) return refusedChangedSince(services, last, changed);
  }
  const choice = await vscode.window.showWarningMessage(
    `Undo "${last.label}"?`,
    {
      modal: true,
      detail: `${writes.map(describeStep).join('; ')}.${left ? ` Not undone: ${left}.` : ''} ${
        writes.every((s) => s.written !== undefined)
          ? 'If another client has written one of these keys since, nothing is changed.'
          : 'Whatever was written to these keys since is replaced.'
      }`,
    },
    UNDO,
  );
  if (choice !== UNDO) return { outcome: 'dismissed', message: '' };
  // A connection of its own: Undo WATCHes the keys it checks, and a shared connection's WATCH could be cleared by another EXEC.
  return runOnSession(services, services.logger.child('Keys'), 'undo the last change', () =>
    withOwnConnection(services, (client) => undoNow(services, client, last)),
  );
}

async function undoNow(
  services: ExtensionServices,
  client: Redis,
  last: RecordedChange & { undoable: true },
): Promise<EditResult> {
  // Planned again now: the question may have been open for a while, and a TTL put back is the one left now.
  const stepsNow = planUndo(last.snapshots, undefined, { unanswered: last.unanswered, written: last.written });
  const writesNow = stepsNow.filter((s) => s.action === 'restore' || s.action === 'delete');
  const leftNow = describeLeft(stepsNow);
  if (writesNow.length === 0) {
    services.keyChanges.forget(last);
    return tell('unchanged', `${last.label} cannot be undone: ${leftNow}. Nothing was changed.`);
  }
  const existed = await existing(
    client,
    writesNow.map((s) => s.key),
  );
  const result = await applyUndo(client, stepsNow, services.session.endpoint);
  if (result.changedSince.length > 0) return refusedChangedSince(services, last, result.changedSince);
  services.keyChanges.forget(last);
  const db = services.session.endpoint.db;
  const back = result.restored.filter((key) => !existed.has(key.toString('latin1')));
  const changed = result.restored.filter((key) => existed.has(key.toString('latin1')));
  const removed = result.deleted.filter((key) => existed.has(key.toString('latin1')));
  if (back.length > 0) services.keyChanges.keysChanged({ keys: back, kind: 'created', db });
  if (changed.length > 0) services.keyChanges.keysChanged({ keys: changed, kind: 'changed', db });
  if (removed.length > 0) services.keyChanges.keysChanged({ keys: removed, kind: 'deleted', db });
  await services.keyBrowser.applied();
  return tell(
    'done',
    `Undid ${last.label}: ${writesNow.map(describeStep).join('; ')}.${leftNow ? ` Not undone: ${leftNow}.` : ''}`,
  );
}

/** Never over another client's newer write: that write is live data of a service sharing this Redis. */
function refusedChangedSince(services: ExtensionServices, last: RecordedChange, keys: readonly Buffer[]): EditResult {
  services.keyChanges.forget(last);
  const names = keys.map((key) => displayBytes(key)).join(', ');
  return tell(
    'refused',
    `${last.label} was not undone: ${names} no longer ${keys.length === 1 ? 'holds' : 'hold'} what this change wrote (another client changed or deleted it since, or it expired), and Undo does not overwrite a newer write. Nothing was changed.`,
  );
}

function describeStep(step: UndoStep): string {
  const name = displayBytes(step.key);
  if (step.action === 'delete') return `deletes ${name} (it did not exist before)`;
  if (step.action === 'restore') {
    const ttl = step.ttlMs === 0 ? 'no TTL' : `${describeSeconds(Math.ceil(step.ttlMs / 1000))} left`;
    return `restores ${name} as it was (${ttl})`;
  }
  return name;
}

/** The keys Undo leaves as they are, and why. */
function describeLeft(steps: readonly UndoStep[]): string {
  return steps
    .flatMap((s) =>
      s.action === 'expired'
        ? [`${displayBytes(s.key)} (its TTL would have run out by now)`]
        : s.action === 'notKept'
          ? [`${displayBytes(s.key)} (${s.reason})`]
          : [],
    )
    .join('; ');
}

async function existing(client: Redis, keys: readonly Buffer[]): Promise<Set<string>> {
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.exists(key);
  const replies = (await pipeline.exec()) ?? [];
  return new Set(keys.filter((_, i) => Number(replies[i]?.[1]) === 1).map((key) => key.toString('latin1')));
}
