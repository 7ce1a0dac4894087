import { deniedAccessItem, slowLogKept, slowLogRow, slowLogThreshold } from '../observe/reports';
import type { ClusterDeniedAccesses, ClusterSlowLog } from './clusterLogs';

const entries = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;

/**
 * Show Slow Log on a cluster as a Markdown document: what each node keeps (a master with its
 * slots, a replica with its master), then every node's entries in one table, newest first,
 * each row naming the node that logged it.
 */
export function clusterSlowLogMarkdown(log: ClusterSlowLog, where: string, now: Date): string {
  const count = log.nodes.length;
  const out = [
    `# Slow log of ${where}`,
    '',
    `Read ${now.toISOString()}: ${entries(log.entries.length)} from ${count} ${count === 1 ? 'node' : 'nodes'}, newest first. ` +
      'Each node of a Redis Cluster logs the commands it ran itself (a replica serves reads too), so every node was read.',
    'Arguments are shortened and passwords redacted. A client that has disconnected since shows its address or name only.',
    '',
  ];
  for (const node of log.nodes) {
    const shown =
      node.log.length > node.log.entries.length
        ? `the newest ${node.log.entries.length} of ${node.log.length}`
        : `${node.log.entries.length}`;
    out.push(
      `- ${node.description}: ${shown} ${node.log.length === 1 ? 'entry' : 'entries'}; ${slowLogKept(node.log)}.${slowLogThreshold(node.log)}`,
    );
  }
  out.push('');
  if (log.entries.length === 0) {
    out.push(`The slow logs of the ${count} ${count === 1 ? 'node is' : 'nodes are'} empty.`);
    return out.join('\n') + '\n';
  }
  out.push('| Time | Node | Service | Duration | Command | Client |', '| --- | --- | --- | --- | --- | --- |');
  for (const entry of log.entries) out.push(slowLogRow(entry, entry.node));
  return out.join('\n') + '\n';
}

/** Show Denied Accesses on a cluster as Markdown: each node's count, then every refusal, the most recent first, naming its node. */
export function clusterDeniedAccessesMarkdown(denied: ClusterDeniedAccesses, where: string, now: Date): string {
  const count = denied.nodes.length;
  const out = [
    `# Denied accesses on ${where}`,
    '',
    `Read ${now.toISOString()} from the ACL LOG of each node: ${entries(denied.entries.length)} from ${count} ${count === 1 ? 'node' : 'nodes'}, the most recent first. ` +
      'Each node of a Redis Cluster checks the ACL and logs its refusals on its own; Redis folds repeats into one, with a count. Passwords never appear.',
    '',
    ...denied.nodes.map((node) => `- ${node.description}: ${entries(node.entries.length)}`),
    '',
  ];
  if (denied.entries.length === 0) {
    out.push('No access was refused on any node since its log was last reset.');
    return out.join('\n') + '\n';
  }
  for (const entry of denied.entries) out.push(deniedAccessItem(entry, entry.node));
  return out.join('\n') + '\n';
}
