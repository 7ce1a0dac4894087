import { displayBytes, formatKeyCount, groupThousands } from '../keyspace';
import { MigrationMode, MigrationResult, REASON_EXISTS, REASON_EXPIRED, REASON_SAME_TARGET } from './copier';
import { segmentText } from './mapping';

const MODE_TITLE: Record<MigrationMode, string> = {
  'dry-run': 'Dry run',
  copy: 'Copy',
  replace: 'Copy and replace existing',
};

/** One sentence: what was copied, skipped and failed (what would be, for a dry run). */
export function describeMigration(result: MigrationResult): string {
  const skipped = result.skippedExisting + result.skippedExpired + result.skippedSameTarget;
  const skipParts: string[] = [];
  if (result.skippedExisting > 0) {
    skipParts.push(
      `${groupThousands(result.skippedExisting)} ${result.mode === 'dry-run' ? 'exist' : 'existed'} in the target`,
    );
  }
  if (result.skippedExpired > 0) skipParts.push(`${groupThousands(result.skippedExpired)} expired`);
  if (result.skippedSameTarget > 0) {
    skipParts.push(`${groupThousands(result.skippedSameTarget)} sent to a name another key of this migration took`);
  }
  const skipDetail = skipParts.length > 0 ? ` (${skipParts.join(', ')})` : '';
  if (result.mode === 'dry-run') {
    return `Dry run${result.cancelled ? ' (cancelled part-way)' : ''}: ${formatKeyCount(result.copied)} would be copied, ${groupThousands(skipped)} would be skipped${skipDetail}, ${groupThousands(result.failed)} failed; nothing was written.`;
  }
  const skipText = `skipped ${groupThousands(skipped)}${skipDetail}`;
  const failText = `failed ${groupThousands(result.failed)}`;
  const replaced = result.replaced > 0 ? ` (${groupThousands(result.replaced)} replaced existing keys)` : '';
  const copiedText = `copied ${formatKeyCount(result.copied)}${replaced}, ${skipText}, ${failText}`;
  return result.cancelled
    ? `Cancelled after ${formatKeyCount(result.processed)}: ${copiedText}. Keys not reached were not copied; run it again to finish (copied keys are then skipped as existing).`
    : `${copiedText.charAt(0).toUpperCase()}${copiedText.slice(1)}.`;
}

/** What to do about a reason, when we know. */
export function hintFor(reason: string): string | undefined {
  if (reason === REASON_EXISTS) {
    return 'Choose "Copy and replace existing" to overwrite them, or map the segment to another prefix.';
  }
  if (reason === REASON_EXPIRED) return 'Nothing to do: the key no longer existed in the source when its turn came.';
  if (reason === REASON_SAME_TARGET) {
    return 'Two mappings send keys to one name here: the first key copied keeps it. Map one of the segments to a prefix outside the other to copy both.';
  }
  if (/DUMP payload version or checksum are wrong/i.test(reason)) {
    return "The target Redis cannot read the source's DUMP format: it is usually older than the source (a payload of Redis 7.2 cannot be restored on 7.0). Upgrade the target's Redis, or copy these keys another way.";
  }
  if (/^source refused: NOPERM/i.test(reason)) {
    return 'The source user may not read these keys: it needs the SCAN, PTTL, TYPE and DUMP commands and access to the keys (and INFO, for the import to tell the source from the shared Redis without asking).';
  }
  if (/^NOPERM/i.test(reason)) {
    return "The target's user may not write these keys (ACL): give it access to the target prefix and the RESTORE command.";
  }
  if (/^READONLY/i.test(reason)) {
    return 'The target is a read-only replica: import into its master (the server it replicates).';
  }
  if (/^OOM/i.test(reason)) {
    return 'The target reached its maxmemory: free memory or raise maxmemory, then run the import again (copied keys are skipped).';
  }
  if (/Bad data format/i.test(reason)) {
    return 'The payload was not understood by the target: check that both servers run compatible Redis versions and modules.';
  }
  return undefined;
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

export interface ReportContext {
  /** `127.0.0.1:6380 (db 2)`, no password. */
  readonly source: string;
  readonly target: string;
  readonly sourceVersion?: string;
  readonly targetVersion?: string;
  /** Keys the scan counted in the mapped segments. */
  readonly expected?: number;
  readonly warnings?: readonly string[];
  readonly finishedAt?: Date;
}

/** The summary document: totals, per mapping, per type, and every reason with examples. */
export function renderMigrationReport(result: MigrationResult, context: ReportContext): string {
  const lines: string[] = [];
  const version = (v: string | undefined): string => (v ? ` (Redis ${v})` : '');
  lines.push(`# Import from Redis: ${MODE_TITLE[result.mode]}${result.cancelled ? ' (cancelled)' : ''}`, '');
  lines.push(`- From: ${code(context.source)}${version(context.sourceVersion)}`);
  lines.push(`- Into: ${code(context.target)}${version(context.targetVersion)}`);
  lines.push(
    `- ${(context.finishedAt ?? new Date()).toISOString()}, took ${(result.elapsedMs / 1000).toFixed(1)} s`,
    '',
  );
  lines.push(describeMigration(result), '');
  for (const warning of context.warnings ?? []) lines.push(`> ⚠ ${warning}`, '');

  const would = result.mode === 'dry-run';
  lines.push('## Totals', '', '| | Keys |', '| --- | ---: |');
  lines.push(`| ${would ? 'Would be copied' : 'Copied'} | ${groupThousands(result.copied)} |`);
  if (result.mode === 'replace') {
    lines.push(`| … of which replaced an existing key | ${groupThousands(result.replaced)} |`);
  }
  lines.push(
    `| ${would ? 'Would be skipped' : 'Skipped'}: ${REASON_EXISTS} | ${groupThousands(result.skippedExisting)} |`,
  );
  lines.push(`| ${would ? 'Would be skipped' : 'Skipped'}: expired | ${groupThousands(result.skippedExpired)} |`);
  if (result.skippedSameTarget > 0) {
    lines.push(
      `| ${would ? 'Would be skipped' : 'Skipped'}: another key of this migration took the name | ${groupThousands(result.skippedSameTarget)} |`,
    );
  }
  lines.push(`| Failed | ${groupThousands(result.failed)} |`);
  if (result.cancelled && context.expected !== undefined) {
    lines.push(`| Not reached (cancelled) | ${groupThousands(Math.max(0, context.expected - result.processed))} |`);
  }
  lines.push(`| Source keys scanned (mapped or not) | ${groupThousands(result.scanned)} |`, '');

  lines.push(
    '## Mappings',
    '',
    `| Source segment | Target prefix | Looked at | ${would ? 'Would copy' : 'Copied'} | Skipped | Failed |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const totals of result.perMapping) {
    const from = totals.mapping.source === null ? segmentText(null) : code(displayBytes(totals.mapping.source));
    lines.push(
      `| ${cell(from)} | ${cell(code(displayBytes(totals.mapping.target)))} | ${groupThousands(totals.processed)} | ${groupThousands(totals.copied)} | ${groupThousands(totals.skipped)} | ${groupThousands(totals.failed)} |`,
    );
  }
  lines.push('');

  const types = Object.entries(result.byType).sort((a, b) => b[1] - a[1]);
  if (types.length > 0) {
    lines.push(`## ${would ? 'Would be copied' : 'Copied'}, by type`, '', '| Type | Keys |', '| --- | ---: |');
    for (const [type, count] of types) lines.push(`| ${cell(type)} | ${groupThousands(count)} |`);
    lines.push('');
  }

  if (result.reasons.length > 0) {
    lines.push('## Skipped and failed keys', '');
    for (const group of result.reasons) {
      lines.push(
        `### ${group.kind === 'failed' ? 'Failed' : would ? 'Would be skipped' : 'Skipped'}: ${group.reason} (${formatKeyCount(group.count)})`,
        '',
      );
      const hint = hintFor(group.reason);
      if (hint) lines.push(hint, '');
      for (const example of group.examples) {
        lines.push(`- ${code(displayBytes(example.source))} → ${code(displayBytes(example.target))}`);
      }
      if (group.count > group.examples.length) {
        lines.push(`- … and ${formatKeyCount(group.count - group.examples.length)} more`);
      }
      lines.push('');
    }
  }

  lines.push('## Next', '');
  if (would) {
    lines.push(
      'Nothing was written. Run **Shared Redis: Import from Another Redis** again and choose **Copy** (or **Copy and replace existing**) to import.',
    );
  } else if (result.cancelled) {
    lines.push(
      'Run the import again with the same mapping to finish: keys already copied are skipped as existing, the rest is copied.',
    );
  } else lines.push('When every service reads the shared Redis, the per-service Redis instances can be retired.');
  lines.push('');
  return lines.join('\n');
}
