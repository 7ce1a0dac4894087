import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../../logger';
import type { AclLineDifference } from '../../redis/acl/rules';

const TOLD_KEY = 'sharedRedis.aclDifferencesTold';

/** `auth-service (key patterns), user-service (password)`. */
export function describeAclDifferences(differs: readonly AclLineDifference[]): string {
  return differs.map((d) => `${d.username} (${d.parts.join(', ')})`).join(', ');
}

/** ` As the file is now, auth-service may reach every key.`, or nothing. */
function describeOpenings(differs: readonly AclLineDifference[]): string {
  const opened = differs.flatMap((d) =>
    d.opens.map((what) =>
      what === 'every key' ? `${d.username} may reach every key` : `${d.username} logs in with no password`,
    ),
  );
  return opened.length > 0 ? ` As the file is now, ${opened.join(' and ')}.` : '';
}

/**
 * After a start that left service users' lines as the team wrote them (or as a window with
 * another delimiter did): one notification, once per workspace for the same differences,
 * naming the users and how to apply ours. Returns false when there was nothing new to say,
 * so the caller shows its usual message instead.
 */
export function tellAclDifferences(
  text: string,
  started: { aclDiffers: readonly AclLineDifference[]; aclFile: string | undefined },
  delimiter: string,
  state: vscode.Memento,
  log: Logger,
): boolean {
  const { aclDiffers: differs, aclFile } = started;
  if (differs.length === 0 || aclFile === undefined) {
    if (state.get(TOLD_KEY) !== undefined) void state.update(TOLD_KEY, undefined);
    return false;
  }
  // The kept lines themselves, hashed (they hold password hashes): any further change is told again.
  const signature = createHash('sha256')
    .update(`${aclFile}\n${differs.map((d) => `${d.username}\n${d.line}`).join('\n')}`)
    .digest('hex');
  if (state.get(TOLD_KEY) === signature) return false;
  void state.update(TOLD_KEY, signature);
  const file = vscode.workspace.asRelativePath(aclFile);
  const message =
    `${text} In ${file}, the line${differs.length === 1 ? '' : 's'} of ${describeAclDifferences(differs)} differ${differs.length === 1 ? 's' : ''} ` +
    `from what Shared Redis writes (from .env, with the delimiter ${JSON.stringify(delimiter)}); Start left ${differs.length === 1 ? 'it' : 'them'} as ${differs.length === 1 ? 'it is' : 'they are'}. ` +
    `To use Shared Redis's line${differs.length === 1 ? '' : 's'} instead, run Add Service Users: it asks before replacing ${differs.length === 1 ? 'it' : 'them'}.` +
    describeOpenings(differs);
  log.warn(message);
  void vscode.window.showWarningMessage(message, 'Add Service Users…', 'Open users.acl').then((choice) => {
    if (choice === 'Add Service Users…') void vscode.commands.executeCommand('sharedRedis.addServiceUsers');
    else if (choice) void vscode.window.showTextDocument(vscode.Uri.file(aclFile));
  });
  return true;
}
