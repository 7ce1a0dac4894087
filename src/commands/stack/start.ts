import * as vscode from 'vscode';
import { EnvFileFix, envFileFix } from '../../docker/stack/checkoutEnv';
import { ForeignStackError } from '../../docker/stack/ownership';
import type { StackSettings } from '../../docker/stack/stackController';
import type { UpOptions } from '../../docker/stack/up';
import type { Logger } from '../../logger';
import { StackBusyError, StackService, stackState } from '../../stackService';
import { presentError } from '../presentError';
import type { CommandHandler, ExtensionServices } from '../context';
import { askAboutForeignStack } from './foreignStack';
import { tellAclDifferences } from './aclDifferences';
import { warnAclReloadFailed } from './aclReloadFailed';
import type { AclLineDifference } from '../../redis/acl/rules';

/**
 * `sharedRedis.start`: up, then wait for healthy, with progress and cancel. Resolves to the
 * state reached, `busy` when another stack operation runs, `cancelled` when the user
 * declined to touch a project that another stack's files started.
 */
export function startCommand({ stack, logger, context }: ExtensionServices): CommandHandler {
  const log = logger.child('Stack');
  const start = async (): Promise<string> => {
    const settings = stack.settings();
    try {
      const outcome = await stack.run('Starting', () => startOrAsk(stack, settings, log), { cancellable: true });
      if (outcome === 'cancelled') return outcome;
      const snapshot = await stack.refresh();
      const where = snapshot.redis ? ` at ${snapshot.redis.host}:${snapshot.redis.port}` : '';
      const text = typeof outcome === 'string' ? `Using the shared Redis that ${outcome} started${where}, as it is; nothing was changed.`
        : outcome.changed.length === 0 ? `Shared Redis was already running${where}.` : `Shared Redis is running and healthy${where}.`;
      log.info(`${text}${typeof outcome === 'string' ? '' : ` (${outcome.summary})`}`);
      if (typeof outcome !== 'string' && outcome.aclRefused) warnAclReloadFailed(`Shared Redis is running${where}`, outcome.aclRefused.reloadFailed, outcome.aclRefused.file, log);
      else if (typeof outcome === 'string' || !tellAclDifferences(text, outcome, settings.policy.delimiter, context.workspaceState, log)) {
        void vscode.window.showInformationMessage(text);
      }
      return stackState(snapshot);
    } catch (error) {
      if (error instanceof StackBusyError) {
        void vscode.window.showInformationMessage(error.message);
        return 'busy';
      }
      const fix = envFileFix(error, settings.location, process.env);
      if (fix) offerEnvFix(fix, log);
      else presentError('Could not start the shared Redis', error, log, start);
      return stackState(await stack.refresh());
    }
  };
  return start;
}

/** A checkout without the stack's .env, or a .env without its passwords: said as the step to take, with the click that takes it. */
function offerEnvFix(fix: EnvFileFix, log: Logger): void {
  const file = vscode.workspace.asRelativePath(fix.file);
  const message = fix.exists
    ? `Could not start the shared Redis: ${file} leaves ${fix.passwords.join(', ')} empty or out.`
    : `Could not start the shared Redis: ${file} is missing. This checkout has the stack's compose file but not its passwords (.env is never committed).`;
  const action = fix.exists ? 'Add New Passwords' : 'Create .env';
  log.warn(message);
  void vscode.window.showErrorMessage(message, action, 'Open Stack File').then((choice) => {
    if (choice === action) void vscode.commands.executeCommand('sharedRedis.createStack');
    else if (choice === 'Open Stack File') void vscode.commands.executeCommand('sharedRedis.openStackFile');
  });
}

interface Started {
  readonly changed: string[];
  readonly summary: string;
  /** Redis refused to reload the users.acl the start wrote. */
  readonly aclRefused: { reloadFailed: string; file: string } | undefined;
  /** Service users' lines in users.acl that differ from ours, left as they are. */
  readonly aclDiffers: readonly AclLineDifference[];
  readonly aclFile: string | undefined;
}

/** Starts the stack; if another stack's files own the project, asks first (see foreignStack.ts). */
async function startOrAsk(stack: StackService, settings: StackSettings, log: Logger): Promise<Started | string> {
  const controller = await stack.controller();
  const up = (options: UpOptions & { replaceForeign?: ForeignStackError['containers'] }): Promise<Started> =>
    controller.start(settings, options).then((result) => {
      if (result.acl !== 'unchanged' && result.acl !== 'not-managed' && typeof result.acl !== 'object') log.info(`users.acl ${result.acl}`);
      return {
        changed: [...result.actions].filter(([, action]) => action !== 'unchanged').map(([service]) => service),
        summary: [...result.actions].map(([s, a]) => `${s}: ${a}`).join(', '),
        aclRefused: typeof result.acl === 'object' ? result.acl : undefined,
        aclDiffers: result.aclDiffers,
        aclFile: result.aclFile,
      };
    });
  try {
    return await withStartProgress(log, (options) => up(options));
  } catch (error) {
    if (!(error instanceof ForeignStackError)) throw error;
    log.info(error.message);
    const choice = await askAboutForeignStack(error);
    if (choice === undefined) return 'cancelled';
    if (choice === 'replace') return withStartProgress(log, (options) => up({ ...options, replaceForeign: error.containers }));
    await withStartProgress(log, (options) => controller.useForeign(error.containers, options));
    return error.containers[0]?.origin.composeFile ?? 'another stack';
  }
}

/** The one notification of a start: its progress lines, and Cancel. */
function withStartProgress<T>(log: Logger, work: (options: UpOptions) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Shared Redis', cancellable: true }, (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return work({ signal: abort.signal, onProgress: (p) => { progress.report({ message: p.message }); if (!p.pull) log.info(p.message); } });
  });
}
