import { DeniedAccess, deniedAccessLine } from './aclLog';
import { isExtensionConnection } from './clientList';
import { commandText } from './commandText';
import { formatMicros, SlowLog, slowLogSender } from './slowLog';

/** A table cell: pipes and line breaks would break the Markdown table. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** The slow log as a Markdown document: what the server keeps, then one row per entry, newest first. */
export function slowLogMarkdown(log: SlowLog, where: string, now: Date): string {
  const kept =
    log.maxLength === undefined
      ? 'how many it keeps is unknown (CONFIG GET not allowed)'
      : `it keeps the newest ${log.maxLength} (slowlog-max-len)`;
  const threshold =
    log.thresholdMicros === undefined
      ? ''
      : log.thresholdMicros < 0
        ? ' The slow log is off (slowlog-log-slower-than is negative).'
        : ` It logs every command slower than ${formatMicros(log.thresholdMicros)} (slowlog-log-slower-than).`;
  const shown =
    log.length > log.entries.length ? `the newest ${log.entries.length} of ${log.length}` : `${log.entries.length}`;
  const out = [
    `# Slow log of ${where}`,
    '',
    `Read ${now.toISOString()}: ${shown} ${log.length === 1 ? 'entry' : 'entries'}; ${kept}.${threshold}`,
    'Arguments are shortened and passwords redacted. A client that has disconnected since shows its address or name only.',
    '',
  ];
  if (log.entries.length === 0) {
    out.push('The slow log is empty.');
    return out.join('\n') + '\n';
  }
  out.push('| Time | Service | Duration | Command | Client |', '| --- | --- | --- | --- | --- |');
  for (const e of log.entries) {
    const who = e.service && e.service !== e.user ? `${slowLogSender(e)} (${e.service})` : slowLogSender(e);
    const client = [e.clientAddr, e.clientName ? `"${e.clientName}"` : ''].filter(Boolean).join(' ');
    out.push(
      `| ${e.time
        .toISOString()
        .replace('T', ' ')
        .replace(
          /\.\d+Z$/,
          ' UTC',
        )} | ${cell(who)} | ${formatMicros(e.durationMicros)} | \`${cell(commandText(e.args)).replace(/`/g, "'")}\` | ${cell(client)} |`,
    );
  }
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
  for (const entry of entries) {
    const service = entry.service && entry.service !== entry.username ? ` (${entry.service})` : '';
    const client = [entry.clientAddr, entry.clientName ? `"${entry.clientName}"` : ''].filter(Boolean).join(' ');
    const own = isExtensionConnection({ name: entry.clientName })
      ? ' (a probe of this extension, e.g. Verify Namespace Isolation)'
      : '';
    const line = deniedAccessLine(entry) + own;
    const user = entry.username || '(no user name)';
    out.push(`- ${line.replace(user, `**${user}**${service}`)}${client ? ` — from ${client}` : ''}`);
  }
  return out.join('\n') + '\n';
}
