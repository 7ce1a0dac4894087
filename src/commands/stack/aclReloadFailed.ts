import * as vscode from 'vscode';
import type { Logger } from '../../logger';

/**
 * The running Redis did not reload users.acl after we wrote it (Start, Add Service Users).
 * When Redis refused the file (an `ERR` reply) it keeps the users it had, but would not start
 * on that file, so a restart is the wrong advice: the warning names the file and Redis's
 * reason and opens the file. Otherwise the reload did not run, and a restart applies the file.
 * `done` is what was done first (`Shared Redis is running at …`). Returns the message shown.
 */
export function warnAclReloadFailed(done: string, reason: string, aclFile: string, log: Logger): string {
  const file = vscode.workspace.asRelativePath(aclFile);
  const said = reason.replace(/^ERR\s+/, '').trim();
  const sentence = /[.!?)]$/.test(said) ? said : `${said}.`;
  const refused = /^ERR\s/.test(reason);
  const message = refused
    ? `${done}, but Redis refused to reload ${file}: ${sentence} It keeps the users it had; fix the file before the stack restarts, or Redis will not start.`
    : `${done}, but could not reload ${file} on the running Redis: ${sentence} Restart the stack to apply the file.`;
  log.warn(message);
  const action = refused ? 'Open users.acl' : 'Restart';
  void vscode.window.showWarningMessage(message, action).then((choice) => {
    if (choice === 'Open users.acl') void vscode.window.showTextDocument(vscode.Uri.file(aclFile));
    else if (choice) void vscode.commands.executeCommand('sharedRedis.restart');
  });
  return message;
}
