import * as vscode from 'vscode';
import { aclFileDifferences, aclFileHasUser, addServiceUsers } from '../../docker/stack/serviceAccess';
import { describeAclDifferences } from '../stack/aclDifferences';
import { warnAclReloadFailed } from '../stack/aclReloadFailed';
import type { AclLineDifference } from '../../redis/acl/rules';
import { reloadStackAcl } from '../../docker/stack/stackController';
import { invalidServiceNamespace, serviceUser } from '../../redis/acl/rules';
import { checkDelimiter } from '../../redis/delimiter';
import type { CommandHandler, ExtensionServices } from '../context';
import { namespacePolicy } from '../../stackService';
import { readOnlyRefusal } from '../readOnly';
import { keepOutOfGit } from '../stack/createStack';
import { stackAccess } from './stackAccess';

export interface AddServiceUsersResult {
  readonly outcome: 'added' | 'none-missing' | 'refused' | 'failed' | 'cancelled';
  /** Namespaces whose users were added. */
  readonly added: readonly string[];
  /** Service users whose differing line (a hand edit, another delimiter) was replaced with ours, as the user agreed. */
  readonly replaced?: readonly string[];
  /** `reloaded` when the running Redis took the new users without a restart. */
  readonly reload: 'reloaded' | 'not-running' | 'failed' | 'skipped';
  readonly message: string;
}

/**
 * `sharedRedis.addServiceUsers`: gives each declared namespace without a user its
 * `<ns>-service` user: a generated password in `.env`, its line in `users.acl`, and
 * `ACL LOAD` on the running Redis, so nothing restarts. A service user's line that differs
 * from ours (a hand edit, another window's delimiter) is replaced only when the user says so
 * in a modal question naming those users; ACL LOAD disconnects clients logged in as users
 * other than `default` (Redis 7.0), which the question and the result say.
 */
export function addServiceUsersCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('ACL');

  const addUsers = async (namespaces?: readonly string[]): Promise<AddServiceUsersResult> => {
    const refusal = readOnlyRefusal('adding service users to users.acl');
    if (refusal) return { outcome: 'refused', added: [], reload: 'skipped', message: refusal };
    const context = await stackAccess(services.stack);
    if (typeof context === 'string') {
      void vscode.window.showErrorMessage(context);
      return { outcome: 'failed', added: [], reload: 'skipped', message: context };
    }
    if (!context.access.operatorPassword) {
      const message = `${context.files.envFile} has no REDIS_PASSWORD: set one (or run "Create Stack") before adding service users.`;
      void vscode.window.showErrorMessage(message);
      return { outcome: 'failed', added: [], reload: 'skipped', message };
    }
    const policy = namespacePolicy();
    const delimiter = checkDelimiter(policy.delimiter);
    if (!delimiter.ok) {
      void vscode.window.showErrorMessage(delimiter.message);
      return { outcome: 'failed', added: [], reload: 'skipped', message: delimiter.message };
    }
    const wanted = (namespaces ?? context.access.missing).filter((ns) => context.access.missing.includes(ns));
    const invalid = (namespaces ?? [])
      .map((ns) => [ns, invalidServiceNamespace(ns, policy.delimiter)] as const)
      .filter(([, why]) => why);
    if (invalid.length > 0) {
      const message = `Cannot add a user for ${invalid.map(([ns, why]) => `"${ns}" (${why})`).join(', ')}. Nothing was changed.`;
      void vscode.window.showErrorMessage(message);
      return { outcome: 'failed', added: [], reload: 'skipped', message };
    }
    // A wanted user whose line the team already wrote is asked about like a changed line: the
    // password generated now would not be the one that line holds.
    const differing = aclFileDifferences(context.files, policy, wanted);
    const hasLine = (ns: string): boolean => differing.some((d) => d.username === serviceUser(ns).username);
    const fresh = wanted.filter((ns) => !hasLine(ns));
    if (wanted.length === 0 && differing.length === 0) {
      const message = 'Every declared namespace already has its service user.';
      void vscode.window.showInformationMessage(message);
      return { outcome: 'none-missing', added: [], reload: 'skipped', message };
    }
    const replace = differing.length === 0 ? [] : await askToReplace(differing, fresh);
    if (replace === undefined || (fresh.length === 0 && replace.length === 0)) {
      const message = 'Nothing was changed: users.acl keeps its lines.';
      return { outcome: 'cancelled', added: [], replaced: [], reload: 'skipped', message };
    }
    // Before .env is written: a crash mid-write leaves its temporary file, which git must not take.
    keepOutOfGit(context.files.envFile, services.stack.settings().location);
    const added = await addServiceUsers(context.files, wanted, policy, replace);
    const addedUsers = added.map((ns) => serviceUser(ns).username);
    const replacedOnly = replace.filter((name) => !addedUsers.includes(name));
    const names = [...addedUsers, ...replacedOnly].join(', ');
    const keptLines = wanted.filter((ns) => hasLine(ns) && !added.includes(ns)).map((ns) => serviceUser(ns).username);
    const done = [
      addedUsers.length > 0 ? `added ${addedUsers.join(', ')}` : '',
      replacedOnly.length > 0 ? `replaced the lines of ${replacedOnly.join(', ')}` : '',
    ]
      .filter((part) => part !== '')
      .join(' and ');
    const kept =
      keptLines.length > 0
        ? ` ${keptLines.join(', ')} kept ${keptLines.length === 1 ? 'its line' : 'their lines'} in users.acl and got no password in .env: ${keptLines.length === 1 ? 'its service logs' : 'their services log'} in with the password the team gave ${keptLines.length === 1 ? 'it' : 'them'}.`
        : '';
    if (done === '') {
      // Another window added them meanwhile, or the lines were kept: no reload (it would disconnect every service).
      const message = `Nothing was changed in users.acl.${kept}`;
      void vscode.window.showInformationMessage(message);
      return { outcome: 'none-missing', added: [], replaced: [], reload: 'skipped', message };
    }
    const did = `${done.charAt(0).toUpperCase()}${done.slice(1)}`;
    log.info(`${did} in ${context.files.aclFile} (passwords in ${context.files.envFile})`);
    const redis = (await services.stack.refresh()).redis;
    if (!redis) {
      const message = `${did} in users.acl; they apply when the stack starts.${kept}`;
      void vscode.window.showInformationMessage(message);
      return { outcome: 'added', added, replaced: replace, reload: 'not-running', message };
    }
    try {
      await reloadStackAcl(redis, context.access.operatorPassword);
      // ACL LOAD closes every client that was logged in, ours included.
      services.session.reset('the ACL was reloaded');
      const message = `${did} and reloaded the ACL without a restart; Redis disconnected the clients logged in as service users or the operator (they reconnect). "Copy Service Connection" gives each service its .env lines.${kept}`;
      log.info(`ACL LOAD on ${redis.host}:${redis.port} took ${names}`);
      void vscode.window.showInformationMessage(message, 'Copy Service Connection').then((c) => {
        if (c) void vscode.commands.executeCommand('sharedRedis.serviceConnection');
      });
      return { outcome: 'added', added, replaced: replace, reload: 'reloaded', message };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const message = warnAclReloadFailed(did, reason, context.files.aclFile, log) + kept;
      return { outcome: 'added', added, replaced: replace, reload: 'failed', message };
    }
  };

  /** Offers the users a newly declared namespace lacks; not awaited, so nothing blocks on it. */
  const offerMissing = async (): Promise<void> => {
    const context = await stackAccess(services.stack);
    if (typeof context === 'string' || !context.access.operatorPassword || context.access.missing.length === 0) return;
    // A user whose line the team wrote by hand exists: it is not offered as missing.
    const missing = context.access.missing.filter(
      (ns) => !aclFileHasUser(context.files.aclFile, serviceUser(ns).username),
    );
    if (missing.length === 0) return;
    const text = `Namespace${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no Redis user yet. Add ${missing.map((ns) => `${ns}-service`).join(', ')} to users.acl and reload the ACL (no restart; Redis disconnects the clients logged in as service users, and they reconnect)?`;
    void vscode.window.showInformationMessage(text, 'Add Users').then((choice) => {
      if (choice) void vscode.commands.executeCommand('sharedRedis.addServiceUsers', missing);
    });
  };

  // Once per session, when the stack's Redis first turns healthy: a stack made before
  // service users existed, or started without them, gets the offer too.
  let offered = false;
  services.context.subscriptions.push(
    services.stack.onDidChange((snapshot) => {
      if (snapshot.redis && !offered) {
        offered = true;
        void offerMissing();
      }
    }),
    services.settings.onDidChange((change) => {
      if (change.affects('namespaces')) void offerMissing();
    }),
  );
  return (namespaces?: unknown) =>
    addUsers(Array.isArray(namespaces) ? namespaces.filter((n): n is string => typeof n === 'string') : undefined);
}

/**
 * Asks (modal) before replacing service users' lines that differ from ours, naming them.
 * Resolves to the users to replace: all of them, none (add only the new users), or
 * undefined (cancelled: nothing changes).
 */
async function askToReplace(
  differing: readonly AclLineDifference[],
  wanted: readonly string[],
): Promise<string[] | undefined> {
  const adding =
    wanted.length > 0 ? ` ${wanted.map((ns) => `${ns}-service`).join(', ')} will be added either way.` : '';
  const question =
    `Replace the lines of ${describeAclDifferences(differing)} in users.acl with Shared Redis's? What was changed there by hand (or by a window with another delimiter) is lost, ` +
    `and reloading the ACL disconnects every client logged in as a service user or the operator; they must reconnect.${adding}`;
  const buttons = wanted.length > 0 ? ['Replace', 'Keep Them'] : ['Replace'];
  const choice = await vscode.window.showWarningMessage(question, { modal: true }, ...buttons);
  if (choice === 'Replace') return differing.map((d) => d.username);
  return choice === 'Keep Them' ? [] : undefined;
}
