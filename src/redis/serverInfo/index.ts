/**
 * The server's side of the extension, free of VS Code: INFO read into a summary a person
 * reads at a glance, and per-namespace statistics from a bounded SCAN with sampled
 * MEMORY USAGE. See summary.ts and namespaceStats.ts.
 */
export {
  InfoSummary,
  KeyspaceDb,
  SummaryField,
  SummarySection,
  describeSummary,
  formatDuration,
  formatPercent,
  hitRatio,
  parseKeyspace,
  summarizeInfo,
} from './summary';
export {
  DEFAULT_MAX_SCAN_CALLS,
  DEFAULT_SAMPLE_SIZE,
  DEFAULT_STATS_SCAN_COUNT,
  NamespaceStats,
  NamespaceStatsOptions,
  NamespaceStatsRow,
  NamespaceTarget,
  NotSampled,
  describeNamespaceStats,
  describeNotSampled,
  namespaceStats,
  namespaceStatsTable,
} from './namespaceStats';
export {
  CliTarget,
  RedisCliLaunch,
  containerCliLaunch,
  findExecutable,
  localCliLaunch,
  redisCliInstallHint,
} from './cli';
