import * as vscode from 'vscode';
import { SECTION } from '../config';
import type { Logger } from '../logger';
import { BinaryString, toBinary } from '../redis/keyspace';

/** A namespace the team agreed on (setting `sharedRedis.namespaces`), listed even when empty. */
export interface DeclaredNamespace {
  /** The namespace path as a binary string (`auth`, `user:search`). */
  readonly path: BinaryString;
  readonly name: string;
  readonly owner: string | undefined;
}

const DEFAULT = [{ name: 'auth', owner: 'Auth Service' }, { name: 'user', owner: 'User Service' }, { name: 'shared', owner: 'Shared' }];

/** Reads the setting; entries that are not `{ "name": "...", "owner": "..." }` are reported once and left out. */
export function readDeclaredNamespaces(log: Logger): DeclaredNamespace[] {
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown>('namespaces', DEFAULT);
  if (!Array.isArray(raw)) {
    void vscode.window.showWarningMessage('The sharedRedis.namespaces setting must be a list like [{ "name": "auth", "owner": "Auth Service" }]; it is ignored until then.');
    return [];
  }
  const declared: DeclaredNamespace[] = [];
  const bad: string[] = [];
  for (const [index, entry] of raw.entries()) {
    const name = (entry as { name?: unknown } | null)?.name;
    const owner = (entry as { owner?: unknown } | null)?.owner;
    if (typeof name !== 'string' || name.trim() === '' || (owner !== undefined && typeof owner !== 'string')) {
      bad.push(`[${index}]`);
      continue;
    }
    declared.push({ path: toBinary(Buffer.from(name.trim(), 'utf8')), name: name.trim(), owner: typeof owner === 'string' && owner.trim() ? owner.trim() : undefined });
  }
  if (bad.length > 0) {
    const message = `sharedRedis.namespaces${bad.join(', ')}: each entry needs a "name" (like "auth") and may have an "owner" (like "Auth Service"); ${bad.length === 1 ? 'that entry is' : 'those entries are'} ignored.`;
    log.warn(message);
    void vscode.window.showWarningMessage(message, 'Open Settings').then((c) => { if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'sharedRedis.namespaces'); });
  }
  return declared;
}
