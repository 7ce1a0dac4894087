import * as vscode from 'vscode';
import { describeOrigins, ForeignStackError } from '../../docker/stack/ownership';

export type ForeignStackChoice = 'use' | 'replace' | undefined;

/**
 * Start found the project run from another stack's files: says which files own it and
 * asks whether to use that stack as it is or replace it, naming the volumes a replace
 * keeps. Nothing has changed yet; Cancel changes nothing either.
 */
export async function askAboutForeignStack(error: ForeignStackError): Promise<ForeignStackChoice> {
  const running = error.containers.some((c) => c.running);
  const names = error.containers.map((c) => c.name).join(', ');
  const volumes = [...new Set(error.containers.flatMap((c) => c.volumes))];
  const shared = volumes.filter((v) => error.ourVolumes.includes(v));
  const other = volumes.filter((v) => !error.ourVolumes.includes(v));
  const kept = [
    shared.length ? `The volume${shared.length > 1 ? 's' : ''} ${shared.join(', ')} ${shared.length > 1 ? 'are' : 'is'} kept and used again by this stack (volumes are shared by name), so the keys stay.` : '',
    other.length ? `The volume${other.length > 1 ? 's' : ''} ${other.join(', ')} ${other.length > 1 ? 'stay' : 'stays'} on the engine, but this stack does not mount ${other.length > 1 ? 'them' : 'it'}.` : '',
  ].filter(Boolean).join(' ');
  const choice = await vscode.window.showWarningMessage(
    `The ${error.project} project ${running ? 'is already running' : 'already exists'} from another stack's files.`,
    {
      modal: true,
      detail: `${names} ${error.containers.length > 1 ? 'were' : 'was'} started from ${describeOrigins(error.containers)}; this window's stack is ${error.composeFile}.\n\n`
        + `Use That Stack: connect to it as it is; nothing is changed${running ? '' : ' (its containers are started as they are)'}.\n`
        + `Replace It: stop and remove ${names} and start this stack's instead. ${kept}`.trimEnd(),
    },
    'Use That Stack', 'Replace It');
  return choice === 'Use That Stack' ? 'use' : choice === 'Replace It' ? 'replace' : undefined;
}
