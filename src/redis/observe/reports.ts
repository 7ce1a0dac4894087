import { DeniedAccess, deniedAccessLine } from './aclLog';
import { isExtensionConnection } from './clientList';
import { commandText } from './commandText';
import { formatMicros, SlowLog, SlowLogEntry, slowLogSender } from './slowLog';

/** A table cell: pipes and line breaks would break the Markdown table. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** `it keeps the newest 128 (slowlog-max-len)`: how many entries the server keeps. */
export function slowLogKept(log: Pick<SlowLog, 'maxLength'>): string {
  return log.maxLength === undefined
    ? 'how many it keeps is unknown (CONFIG GET not allowed)'
    : `it keeps the newest ${log.maxLength} (slowlog-max-len)`;
}

/** ` It logs every command slower than 10 ms (slowlog-log-slower-than).`, or empty when unknown. */
export function slowLogThreshold(log: Pick<SlowLog, 'thresholdMicros'>): string {
  if (log.thresholdMicros === undefined) return '';
  return log.thresholdMicros < 0
    ? ' The slow log is off (slowlog-log-slower-than is negative).'
    : ` It logs every command slower than ${formatMicros(log.thresholdMicros)} (slowlog-log-slower-than).`;
}

/** A slow log table row: time, service, duration, command, client; `node` adds its column after the time. */
export function slowLogRow(e: SlowLogEntry, node?: string): string {
  const who = e.service && e.service !== e.user ? `${slowLogSender(e)} (${e.service})` : slowLogSender(e);
  const client = [e.clientAddr, e.clientName ? `"${e.clientName}"` : ''].filter(Boolean).join(' ');
  const time = e.time
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const cells = [
    time,
    ...(node === undefined ? [] : [node]),
    cell(who),
    formatMicros(e.durationMicros),
    `\`${cell(commandText(e.args)).replace(/`/g, "'")}\``,
    cell(client),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The slow log as a Markdown document: what the server keeps, then one row per entry, newest first. */
export function slowLogMarkdown(log: SlowLog, where: string, now: Date): string {
  const shown =
    log.length > log.entries.length ? `the newest ${log.entries.length} of ${log.length}` : `${log.entries.length}`;
  const unknown = log.lengthUnknown ? ' (maybe more: how many it holds is unknown, SLOWLOG LEN is not allowed)' : '';
  const out = [
    `# Slow log of ${where}`,
    '',
    `Read ${now.toISOString()}: ${shown} ${log.length === 1 ? 'entry' : 'entries'}${unknown}; ${slowLogKept(log)}.${slowLogThreshold(log)}`,
    'Arguments are shortened and passwords redacted. A client that has disconnected since shows its address or name only.',
    '',
  ];
  if (log.entries.length === 0) {
    out.push('The slow log is empty.');
    return out.join('\n') + '\n';
  }
  out.push('| Time | Service | Duration | Command | Client |', '| --- | --- | --- | --- | --- |');
  for (const e of log.entries) out.push(slowLogRow(e));
  return out.join('\n') + '\n';
}

/** The ACL LOG as a Markdown document: one line per refusal, newest first. */
export function deniedAccessesMarkdown(entries: readonly DeniedAccess[], where: string, now: Date): string {
  const out = [
    `# Denied accesses on ${where}`,
    '',
    `Read ${now.toISOString()} from ACL LOG: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} (Redis folds repeats into one, with a count). Passwords never appear.`,
    '',
  ];
  if (entries.length === 0) {
    out.push('No access was refused since the log was last reset.');
    return out.join('\n') + '\n';
  }
  for (const entry of entries) out.push(deniedAccessItem(entry));
  return out.join('\n') + '\n';
}

/** One refusal as a list item: who tried what, why, how often, from which client; `node` says which node refused it. */
export function deniedAccessItem(entry: DeniedAccess, node?: string): string {
  const service = entry.service && entry.service !== entry.username ? ` (${entry.service})` : '';
  const client = [entry.clientAddr, entry.clientName ? `"${entry.clientName}"` : ''].filter(Boolean).join(' ');
  const own = isExtensionConnection({ name: entry.clientName, service: entry.service })
    ? ' (a probe of this extension, e.g. Verify Namespace Isolation)'
    : '';
  const line = deniedAccessLine(entry) + own;
  const user = entry.username || '(no user name)';
  const from = client ? ` — from ${client}` : '';
  const on = node === undefined ? '' : `${client ? ',' : ' —'} on ${node}`;
  // A replacement function: a string would read `$&`, `$'` or `` $` `` in a user name as patterns.
  return `- ${line.replace(user, () => `**${user}**${service}`)}${from}${on}`;
}
