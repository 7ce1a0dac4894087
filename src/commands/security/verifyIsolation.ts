import * as vscode from 'vscode';
import { describeEndpoint } from '../../redis/endpoint';
import {
  breachedOnlySomeNodes,
  IsolationReport,
  clusterNodeCounts,
  isolationMarkdown,
  onNode,
  verifyIsolation,
} from '../../redis/acl/isolation';
import type { CommandHandler, ExtensionServices } from '../context';
import { namespacePolicy } from '../../stackService';
import { presentError } from '../presentError';
import { NoStackRedis, StackTarget, stackTarget } from '../stackTarget';
import { stackAccess } from './stackAccess';

export interface VerifyIsolationResult {
  readonly outcome: 'verified' | 'breach' | 'errors' | 'failed';
  readonly report?: IsolationReport;
  readonly message: string;
}

/**
 * `sharedRedis.verifyIsolation`: logs in as each service user (passwords from the stack's
 * `.env`) and proves its limits on the live server; the table opens in an editor, and any
 * breach is an error naming the rule that allowed it.
 */
export function verifyIsolationCommand(services: ExtensionServices): CommandHandler {
  const { reports } = services;
  const log = services.logger.child('Isolation');
  return async (): Promise<VerifyIsolationResult> => {
    const context = await stackAccess(services.stack);
    if (typeof context === 'string') {
      void vscode.window.showErrorMessage(context);
      return { outcome: 'failed', message: context };
    }
    if (context.access.services.length === 0) {
      const message = `The stack has no service users yet (${context.files.envFile} holds none of their passwords): run "Shared Redis: Add Service Users".`;
      void vscode.window.showErrorMessage(message, 'Add Service Users').then((c) => {
        if (c) void vscode.commands.executeCommand('sharedRedis.addServiceUsers');
      });
      return { outcome: 'failed', message };
    }
    try {
      let target: StackTarget;
      try {
        target = await stackTarget(services);
      } catch (error) {
        if (!(error instanceof NoStackRedis)) throw error;
        const message = `Cannot verify isolation: ${error.message}.`;
        void vscode.window.showErrorMessage(message, ...(error.canStart ? ['Start'] : [])).then((c) => {
          if (c) void vscode.commands.executeCommand('sharedRedis.start');
        });
        return { outcome: 'failed', message };
      }
      const server = { ...target.endpoint, username: undefined };
      const where = describeEndpoint(server);
      const operator = await target.connect();
      let report: IsolationReport;
      try {
        report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Verifying namespace isolation on ${where}` },
          async (progress) => {
            return verifyIsolation({
              endpoint: server,
              operator,
              delimiter: namespacePolicy().delimiter,
              services: context.access.services.map((s) => ({
                namespace: s.user.namespace,
                username: s.user.username,
                password: s.password,
              })),
              // Each service on each node of a cluster: the bar fills once over all of them.
              onService: (username, _done, total) =>
                progress.report({ increment: 100 / total, message: `${username} done` }),
            });
          },
        );
      } finally {
        operator.disconnect();
      }
      await reports.show('Namespace Isolation.md', isolationMarkdown(report, where, new Date()));
      const users = context.access.services.length;
      if (report.breaches.length > 0) {
        const first = report.breaches[0];
        const failed = `${report.breaches.length} check${report.breaches.length === 1 ? '' : 's'} failed`;
        const example = `${first?.service}${first ? onNode(first) : ''} — ${first?.check}: ${first?.actual}, allowed by ${first?.rule ?? 'an unknown rule'}.`;
        // On a cluster, breaches on some masters only mean those nodes' users drifted from
        // users.acl (which every node loads); "Add Service Users" adds no user there and reloads nothing.
        const only = breachedOnlySomeNodes(report);
        const message = only
          ? `Isolation breach on ${only.join(', ')} only: ${failed}. ${example} The other nodes refuse the same, so ${only.length === 1 ? "that node's" : "those nodes'"} users differ from users.acl (changed there with ACL SETUSER?): restart the stack to load users.acl on every node again.`
          : `Isolation breach: ${failed}. ${example} Fix users.acl, then run "Add Service Users" or restart the stack.`;
        log.error(message);
        void vscode.window.showErrorMessage(message);
        return { outcome: 'breach', report, message };
      }
      if (report.errors.length > 0) {
        const first = report.errors[0];
        const message = `${report.errors.length} isolation check${report.errors.length === 1 ? '' : 's'} could not run: ${first?.service}${first ? onNode(first) : ''} — ${first?.check}: ${first?.answer}`;
        log.warn(message);
        void vscode.window.showWarningMessage(message);
        return { outcome: 'errors', report, message };
      }
      const nodes = new Set(report.checks.map((c) => c.node).filter((n) => n !== undefined)).size;
      const message = `Namespace isolation holds on ${where}${nodes > 0 ? ` and every node of its cluster (${clusterNodeCounts(report)})` : ''}: ${users} service user${users === 1 ? '' : 's'}, ${report.checks.length} checks, no breach.`;
      log.info(message);
      void vscode.window.showInformationMessage(message);
      return { outcome: 'verified', report, message };
    } catch (error) {
      return { outcome: 'failed', message: presentError('Could not verify isolation', error, log) };
    }
  };
}
