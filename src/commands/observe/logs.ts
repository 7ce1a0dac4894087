import * as vscode from 'vscode';
import { describeEndpoint } from '../../redis/endpoint';
import { DeniedAccess, readAclLog } from '../../redis/observe/aclLog';
import { MissingRightError } from '../../redis/observe/clientList';
import { deniedAccessesMarkdown, slowLogMarkdown } from '../../redis/observe/reports';
import { readSlowLog, resetSlowLog, SlowLog } from '../../redis/observe/slowLog';
import {
  clusterSlowLogLengths,
  readClusterAclLog,
  readClusterSlowLog,
  resetClusterSlowLogs,
} from '../../redis/cluster/clusterLogs';
import { clusterDeniedAccessesMarkdown, clusterSlowLogMarkdown } from '../../redis/cluster/clusterReports';
import { groupThousands } from '../../redis/keyspace/format';
import type { Topology } from '../../redis/cluster/topology';
import { settings } from '../../settings';
import type { CommandHandler, ExtensionServices } from '../context';
import { readOnlyRefusal } from '../readOnly';

type ClusterTopology = Extract<Topology, { kind: 'cluster' }>;

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
      const where = describeEndpoint(session.endpoint);
      const topology = await session.topology();
      if (topology.kind === 'cluster') {
        // Each node logs what it ran itself: every master's and replica's log, merged, each row naming its node.
        const cluster = await readClusterSlowLog(topology, config.namespaces, config.delimiter);
        const markdown = clusterSlowLogMarkdown(cluster, `${where} (Redis Cluster)`, new Date());
        const document = await reports.show('Slow Log.md', markdown);
        const slow: SlowLog = {
          entries: cluster.entries,
          length: cluster.nodes.reduce((sum, node) => sum + node.log.length, 0),
          maxLength: cluster.nodes[0]?.log.maxLength,
          thresholdMicros: cluster.nodes[0]?.log.thresholdMicros,
        };
        return { outcome: 'shown', log: slow, uri: document.uri.toString() };
      }
      const slow = await session.use((client) => readSlowLog(client, config.namespaces, config.delimiter));
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
      const topology = await session.topology();
      if (topology.kind === 'cluster') return await resetClusterSlow(topology, where, options);
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

  /**
   * Reset on a cluster: SLOWLOG RESET on every node Show Slow Log reads (masters and
   * replicas), after the same confirmation, which says how many entries each node holds.
   */
  const resetClusterSlow = async (
    topology: ClusterTopology,
    where: string,
    options: { confirm?: boolean } | undefined,
  ): Promise<ResetSlowLogResult> => {
    const lengths = await clusterSlowLogLengths(topology);
    const nodes = `${lengths.length} ${lengths.length === 1 ? 'node' : 'nodes'}`;
    if (options?.confirm !== true) {
      const total = lengths.reduce((sum, node) => sum + node.length, 0);
      const perNode = lengths.map((node) => `${node.node} ${groupThousands(node.length)}`).join(', ');
      const choice = await vscode.window.showWarningMessage(
        `Reset the slow logs of the ${nodes} of the Redis Cluster at ${where}?`,
        {
          modal: true,
          detail:
            `SLOWLOG RESET on every master and replica removes ${groupThousands(total)} ${total === 1 ? 'entry' : 'entries'} (${perNode}), ` +
            'for every service sharing this Redis; nobody can read them afterwards. No data is changed.',
        },
        'Reset Slow Log',
      );
      if (choice !== 'Reset Slow Log') return { outcome: 'cancelled', message: undefined };
    }
    const reset = await resetClusterSlowLogs(topology);
    const message = `Reset the slow logs of the ${reset.length} ${reset.length === 1 ? 'node' : 'nodes'} of the Redis Cluster at ${where} (${reset.join(', ')}).`;
    log.info(message);
    void vscode.window.showInformationMessage(message);
    if (services.checks.report) void services.checks.run();
    return { outcome: 'reset', message };
  };

  const showDeniedAccesses = async (): Promise<LogResult<DeniedAccess[]>> => {
    const config = settings();
    try {
      const where = describeEndpoint(session.endpoint);
      const topology = await session.topology();
      if (topology.kind === 'cluster') {
        // Each node checks the ACL and logs its refusals on its own: every node's ACL LOG, each line naming its node.
        const denied = await readClusterAclLog(topology, config.namespaces, config.delimiter);
        const markdown = clusterDeniedAccessesMarkdown(denied, `${where} (Redis Cluster)`, new Date());
        const document = await reports.show('Denied Accesses.md', markdown);
        return { outcome: 'shown', log: [...denied.entries], uri: document.uri.toString() };
      }
      const entries = await session.use((client) => readAclLog(client, config.namespaces, config.delimiter));
      const document = await reports.show('Denied Accesses.md', deniedAccessesMarkdown(entries, where, new Date()));
      return { outcome: 'shown', log: entries, uri: document.uri.toString() };
    } catch (error) {
      return failed(error instanceof MissingRightError ? 'Show Denied Accesses' : 'Show Denied Accesses failed', error);
    }
  };

  return { showSlowLog, resetSlowLog: resetSlow, showDeniedAccesses };
}
