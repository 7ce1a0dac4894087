import * as vscode from 'vscode';
import { describeEndpoint } from '../../redis/endpoint';
import { DeniedAccess, readAclLog } from '../../redis/observe/aclLog';
import { MissingRightError } from '../../redis/observe/clientList';
import { deniedAccessesMarkdown, slowLogMarkdown } from '../../redis/observe/reports';
import { readSlowLog, resetSlowLog, SlowLog } from '../../redis/observe/slowLog';
import { settings } from '../../settings';
import type { CommandHandler, ExtensionServices } from '../context';
import { readOnlyRefusal } from '../readOnly';

/** What Show Slow Log / Show Denied Accesses resolve to. */
export type LogResult<T> =
  | { readonly outcome: 'shown'; readonly log: T; readonly uri: string }
  | { readonly outcome: 'failed'; readonly message: string };

export interface ResetSlowLogResult {
  readonly outcome: 'reset' | 'cancelled' | 'refused' | 'failed';
  readonly message: string | undefined;
}

/** `sharedRedis.showSlowLog`, `sharedRedis.resetSlowLog`, `sharedRedis.showDeniedAccesses`. */
export function logCommands(services: ExtensionServices): {
  showSlowLog: CommandHandler;
  resetSlowLog: CommandHandler;
  showDeniedAccesses: CommandHandler;
} {
  const { session, reports } = services;
  const log = services.logger.child('Logs');
  const failed = (what: string, error: unknown): { outcome: 'failed'; message: string } => {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `${what}: ${reason}`;
    log.warn(message);
    void vscode.window.showErrorMessage(message);
    return { outcome: 'failed', message };
  };

  const showSlowLog = async (): Promise<LogResult<SlowLog>> => {
    const config = settings();
    try {
      const slow = await session.use((client) => readSlowLog(client, config.namespaces, config.delimiter));
      const where = describeEndpoint(session.endpoint);
      const document = await reports.show('Slow Log.md', slowLogMarkdown(slow, where, new Date()));
      return { outcome: 'shown', log: slow, uri: document.uri.toString() };
    } catch (error) {
      return failed(error instanceof MissingRightError ? 'Show Slow Log' : 'Show Slow Log failed', error);
    }
  };

  const resetSlow = async (options?: { confirm?: boolean }): Promise<ResetSlowLogResult> => {
    const readOnly = readOnlyRefusal('Reset Slow Log');
    if (readOnly) return { outcome: 'refused', message: readOnly };
    const where = describeEndpoint(session.endpoint);
    try {
      const length = Number(await session.use((client) => client.call('SLOWLOG', 'LEN')).catch(() => NaN));
      if (options?.confirm !== true) {
        const held = Number.isFinite(length) ? `${length} ${length === 1 ? 'entry' : 'entries'}` : 'its entries';
        const choice = await vscode.window.showWarningMessage(
          `Reset the slow log of ${where}?`,
          {
            modal: true,
            detail: `SLOWLOG RESET removes ${held}, for every service sharing this Redis; nobody can read them afterwards. No data is changed.`,
          },
          'Reset Slow Log',
        );
        if (choice !== 'Reset Slow Log') return { outcome: 'cancelled', message: undefined };
      }
      await session.use((client) => resetSlowLog(client));
      const message = `Reset the slow log of ${where}.`;
      log.info(message);
      void vscode.window.showInformationMessage(message);
      // The Checks view's slow-command findings came from the entries just removed.
      if (services.checks.report) void services.checks.run();
      return { outcome: 'reset', message };
    } catch (error) {
      return failed(error instanceof MissingRightError ? 'Reset Slow Log' : 'Reset Slow Log failed', error);
    }
  };

  const showDeniedAccesses = async (): Promise<LogResult<DeniedAccess[]>> => {
    const config = settings();
    try {
      const entries = await session.use((client) => readAclLog(client, config.namespaces, config.delimiter));
      const where = describeEndpoint(session.endpoint);
      const document = await reports.show('Denied Accesses.md', deniedAccessesMarkdown(entries, where, new Date()));
      return { outcome: 'shown', log: entries, uri: document.uri.toString() };
    } catch (error) {
      return failed(error instanceof MissingRightError ? 'Show Denied Accesses' : 'Show Denied Accesses failed', error);
    }
  };

  return { showSlowLog, resetSlowLog: resetSlow, showDeniedAccesses };
}
