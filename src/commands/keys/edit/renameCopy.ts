import * as vscode from 'vscode';
import { displayBytes } from '../../../redis/keyspace';
import { copyKey, renameKey } from '../../../redis/mutations';
import { crossSlotRefusal } from '../../../redis/cluster/clusterRefusals';
import type { ExtensionServices } from '../../context';
import { resolveKey, runOnSession } from '../targets';
import { bytesArgument, DISMISSED, EditResult, tell, typedBytes, UndoRecord, withOwnConnection } from './common';

export const REPLACE = 'Replace';

/** `sharedRedis.renameKey`: RENAMENX only (an existing name is refused), the TTL goes with the value. */
export async function renameKeyCommand(
  services: ExtensionServices,
  target: unknown,
  newName: unknown,
): Promise<EditResult> {
  const names = await askNames(services, target, newName, 'Rename Key');
  if ('outcome' in names) return names;
  const { from, to } = names;
  return renameTo(services, from, to, `Rename ${displayBytes(from)} to ${displayBytes(to)}`, 'Rename Key');
}

/** Renames one key after the gate; used by Rename Key and by Move to Namespace for one key. */
export async function renameTo(
  services: ExtensionServices,
  from: Buffer,
  to: Buffer,
  action: string,
  command: 'Rename Key' | 'Move to Namespace',
): Promise<EditResult> {
  const [a, b] = [displayBytes(from), displayBytes(to)];
  const crossSlot = await crossSlotOnCluster(services, command, from, to);
  if (crossSlot) return crossSlot;
  const gate = await services.keyChanges.confirmWrite([from, to], action);
  if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
  return runOnSession(services, services.logger.child('Keys'), `rename ${a}`, async () => {
    const record = new UndoRecord(services, [from, to], action);
    const outcome = await record.write(
      withOwnConnection(services, (client) => renameKey(client, from, to, record.beforeWrite)),
    );
    record.settle(outcome);
    if (outcome.kind === 'dismissed') return DISMISSED;
    if (outcome.kind === 'refused') return outcome.reason === 'gone' ? gone(a) : taken(b, 'renamed');
    if (outcome.kind === 'conflict') return changedMeanwhile(a, b, 'renamed');
    const db = services.session.endpoint.db;
    services.keyChanges.keysChanged({ keys: [from], kind: 'deleted', db });
    services.keyChanges.keysChanged({ keys: [to], kind: 'created', db });
    await services.keyBrowser.applied();
    return tell('done', `Renamed ${a} to ${b} (value and TTL kept).`);
  });
}

/** `sharedRedis.copyKey`: COPY without REPLACE; onto an existing key only after "Replace" (its value is kept for undo). */
export async function copyKeyCommand(
  services: ExtensionServices,
  target: unknown,
  newName: unknown,
): Promise<EditResult> {
  const names = await askNames(services, target, newName, 'Copy Key');
  if ('outcome' in names) return names;
  const { from, to } = names;
  const [a, b] = [displayBytes(from), displayBytes(to)];
  const action = `Copy ${a} to ${b}`;
  const crossSlot = await crossSlotOnCluster(services, 'Copy Key', from, to);
  if (crossSlot) return crossSlot;
  const gate = await services.keyChanges.confirmWrite([to], action);
  if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
  return runOnSession(services, services.logger.child('Keys'), `copy ${a}`, async () => {
    let replace = false;
    for (;;) {
      const record = new UndoRecord(services, [to], replace ? `Replace ${b} with a copy of ${a}` : action);
      const outcome = await record.write(
        withOwnConnection(services, (client) => copyKey(client, from, to, replace, record.beforeWrite)),
      );
      record.settle(outcome);
      if (outcome.kind === 'dismissed') return DISMISSED;
      if (outcome.kind === 'conflict') return changedMeanwhile(a, b, 'copied');
      if (outcome.kind === 'refused' && outcome.reason === 'gone') return gone(a);
      if (outcome.kind === 'refused') {
        const choice = await vscode.window.showWarningMessage(
          `${b} already exists. Replace it with a copy of ${a}?`,
          {
            modal: true,
            detail: `COPY … REPLACE overwrites the value and TTL of ${b}. Undo Last Change can put its current value back (up to the undo size limit).`,
          },
          REPLACE,
        );
        if (choice !== REPLACE) {
          return { outcome: 'dismissed', message: `${b} exists and was left as it is: nothing was copied.` };
        }
        replace = true;
        continue;
      }
      services.keyChanges.keysChanged({
        keys: [to],
        kind: replace ? 'changed' : 'created',
        db: services.session.endpoint.db,
      });
      await services.keyBrowser.applied();
      return tell('done', `${replace ? 'Replaced' : 'Created'} ${b} with a copy of ${a} (value and TTL).`);
    }
  });
}

/** On a Redis Cluster, the refusal for two names in different hash slots (crossSlotRefusal); undefined elsewhere. */
async function crossSlotOnCluster(
  services: ExtensionServices,
  command: Parameters<typeof crossSlotRefusal>[1],
  from: Buffer,
  to: Buffer,
): Promise<EditResult | undefined> {
  // A connection failure is left to the command's own attempt, which reports it as usual.
  const topology = await services.session.topology().catch(() => undefined);
  if (topology?.kind !== 'cluster') return undefined;
  const refusal = crossSlotRefusal(topology.cluster, command, from, to);
  return refusal === undefined ? undefined : tell('refused', refusal);
}

type Names = { readonly from: Buffer; readonly to: Buffer } | EditResult;

async function askNames(services: ExtensionServices, target: unknown, newName: unknown, what: string): Promise<Names> {
  const early = await services.keyChanges.confirmWrite([], what);
  if (!early.allowed) return { outcome: early.outcome, message: early.message };
  const from = await resolveKey(services, target, `${what}: which key?`);
  if (!from) return DISMISSED;
  let to = bytesArgument(newName);
  if (to === undefined) {
    const current = from.toString('utf8');
    const typed = await vscode.window.showInputBox({
      title: `${what}: ${displayBytes(from)}`,
      prompt: 'The new key name',
      value: current,
      valueSelection: [current.length, current.length],
    });
    if (typed === undefined) return DISMISSED;
    const bytes = typedBytes(typed, from);
    if (!Buffer.isBuffer(bytes)) return tell('invalid', bytes.refused);
    to = bytes;
  }
  if (to.length === 0) return tell('invalid', 'A key name cannot be empty: type a name. Nothing was changed.');
  if (to.equals(from)) {
    return tell('invalid', `The new name is the same as the old one (${displayBytes(from)}): nothing was changed.`);
  }
  return { from, to };
}

function gone(name: string): EditResult {
  return tell('gone', `${name} no longer exists (deleted or expired): nothing was changed.`);
}

function taken(name: string, what: string): EditResult {
  return tell(
    'invalid',
    `A key named ${name} already exists: nothing was ${what}, it was not overwritten. Choose another name.`,
  );
}

function changedMeanwhile(a: string, b: string, what: string): EditResult {
  return tell(
    'gone',
    `Another client changed ${a} or ${b} meanwhile: nothing was ${what}. Look at both and try again.`,
  );
}
