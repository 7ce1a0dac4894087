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
  /** Declared as a cache (`"cache": true` or `"ttlRequired": true`): every key in it should have a TTL (the Checks view says when not). */
  readonly cache: boolean;
}

/** The setting's default (package.json has the same): the three services' namespaces, and the caches inside them. */
export const DEFAULT_DECLARED_NAMESPACES = [
  { name: 'auth', owner: 'Auth Service' },
  { name: 'user', owner: 'User Service' },
  { name: 'shared', owner: 'Shared' },
  { name: 'user:search', owner: 'User Service', cache: true },
  { name: 'user:profile', owner: 'User Service', cache: true },
  { name: 'shared:cache', owner: 'Shared', cache: true },
];

/**
 * Reads the setting; entries that are not `{ "name": "...", "owner": "...", "cache": true }`
 * (owner and cache optional; `ttlRequired` means the same as `cache`) are reported and left
 * out. Without a logger, or with `quiet`, they are left out without a message (a second
 * reader of the same setting: the Keys view reports them).
 */
export function readDeclaredNamespaces(log: Logger | undefined, options: { quiet?: boolean } = {}): DeclaredNamespace[] {
  const quiet = options.quiet === true || log === undefined;
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown>('namespaces', DEFAULT_DECLARED_NAMESPACES);
  if (!Array.isArray(raw)) {
    if (quiet) return [];
    void vscode.window.showWarningMessage('The sharedRedis.namespaces setting must be a list like [{ "name": "auth", "owner": "Auth Service" }]; it is ignored until then.');
    return [];
  }
  const declared: DeclaredNamespace[] = [];
  const bad: string[] = [];
  for (const [index, entry] of raw.entries()) {
    const name = (entry as { name?: unknown } | null)?.name;
    const owner = (entry as { owner?: unknown } | null)?.owner;
    const cache = (entry as { cache?: unknown } | null)?.cache;
    const ttlRequired = (entry as { ttlRequired?: unknown } | null)?.ttlRequired;
    if (typeof name !== 'string' || name.trim() === '' || (owner !== undefined && typeof owner !== 'string')
      || (cache !== undefined && typeof cache !== 'boolean') || (ttlRequired !== undefined && typeof ttlRequired !== 'boolean')) {
      bad.push(`[${index}]`);
      continue;
    }
    declared.push({
      path: toBinary(Buffer.from(name.trim(), 'utf8')),
      name: name.trim(),
      owner: typeof owner === 'string' && owner.trim() ? owner.trim() : undefined,
      cache: cache === true || ttlRequired === true,
    });
  }
  if (bad.length > 0 && !quiet) {
    const message = `sharedRedis.namespaces${bad.join(', ')}: each entry needs a "name" (like "auth" or "user:search") and may have an "owner" (like "Auth Service") and "cache": true; ${bad.length === 1 ? 'that entry is' : 'those entries are'} ignored.`;
    log?.warn(message);
    void vscode.window.showWarningMessage(message, 'Open Settings').then((c) => { if (c) void vscode.commands.executeCommand('workbench.action.openSettings', 'sharedRedis.namespaces'); });
  }
  return declared;
}
