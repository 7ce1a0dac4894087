import { DeniedAccess, deniedAccessLine, isLibraryHandshake } from '../observe/aclLog';
import { isExtensionConnection } from '../observe/clientList';
import { commandText } from '../observe/commandText';
import { formatMicros, SlowLog } from '../observe/slowLog';
import type { Finding } from './types';

/*
 * The checks that read what the server remembers rather than the keyspace: slow commands
 * a service sent (SLOWLOG) and accesses the ACL refused (ACL LOG). A missing right fails
 * the check with the MissingRightError's message (the right to grant), nothing else.
 */

/**
 * One finding per service whose commands are in the slow log (over the server's
 * `slowlog-log-slower-than`): its slowest command, `KEYS user:* took 120 ms`. Commands of
 * other users (the operator, the extension itself) are not a service's problem.
 */
export function slowLogFindings(log: SlowLog): Finding[] {
  const byUser = new Map<string, SlowLog['entries'][number][]>();
  for (const entry of log.entries) {
    // The extension's own connections (its isolation check logs in as each service) are no service's doing.
    if (!entry.service || !entry.user || isExtensionConnection({ name: entry.clientName, service: entry.service })) {
      continue;
    }
    byUser.set(entry.user, [...(byUser.get(entry.user) ?? []), entry]);
  }
  const threshold =
    log.thresholdMicros === undefined ? 'the threshold' : `the threshold (${formatMicros(log.thresholdMicros)})`;
  return [...byUser.entries()].map(([user, entries]) => {
    const slowest = entries.reduce((a, b) => (b.durationMicros > a.durationMicros ? b : a));
    const more = entries.length - 1;
    return {
      check: 'slowLog',
      id: `slowLog:${user}`,
      severity: 'warning',
      label: user,
      description: `${commandText(slowest.args, { maxArgs: 4 })} took ${formatMicros(slowest.durationMicros)}${more > 0 ? ` (+${more} more slow)` : ''}`,
      detail:
        `${slowest.service ?? user} (user ${user}) ran ${entries.length} ${entries.length === 1 ? 'command' : 'commands'} over ${threshold} of slowlog-log-slower-than; ` +
        `the slowest, at ${slowest.time.toLocaleString()}, blocked every other service for ${formatMicros(slowest.durationMicros)}. Show Slow Log lists them; Reset Slow Log clears the findings.`,
      count: entries.length,
      countExact: true,
      examples: [],
    };
  });
}

/** One finding per user refused by the ACL (a wrong password included): its latest refusal, and how many more. */
export function deniedAccessFindings(entries: readonly DeniedAccess[]): Finding[] {
  const byUser = new Map<string, DeniedAccess[]>();
  for (const entry of entries) {
    // Refusals the extension provoked itself (Verify Namespace Isolation's probes) prove isolation; they are no problem.
    if (isExtensionConnection({ name: entry.clientName, service: entry.service })) continue;
    // Nor is a client library's handshake the server refused: the service works without it.
    if (isLibraryHandshake(entry)) continue;
    byUser.set(entry.username, [...(byUser.get(entry.username) ?? []), entry]);
  }
  return [...byUser.entries()].map(([user, list]) => {
    // ACL LOG is newest first: the first is the latest.
    const latest = list[0] as DeniedAccess;
    const times = list.reduce((sum, e) => sum + e.count, 0);
    const line = deniedAccessLine(latest);
    const more = list.length - 1;
    return {
      check: 'deniedAccesses',
      id: `deniedAccesses:${user}`,
      severity: latest.reason === 'auth' ? 'error' : 'warning',
      label: user || '(no user name)',
      description: `${line.slice(line.indexOf(' ') + 1)}${more > 0 ? ` · +${more} more` : ''}`,
      detail:
        `${latest.service ? `${latest.service} (user ${user})` : `User ${user}`} was refused ${times} ${times === 1 ? 'time' : 'times'}: ` +
        `${list
          .slice(0, 5)
          .map((e) => deniedAccessLine(e))
          .join(
            '; ',
          )}${more >= 5 ? '; …' : ''}. A service that reaches outside its namespace may have forgotten its prefix.`,
      count: times,
      countExact: true,
      examples: [],
    };
  });
}
