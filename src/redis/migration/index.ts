/**
 * Importing keys from another Redis into the shared one, free of VS Code: count the
 * source's keys per first segment, map segments to target prefixes, copy with
 * DUMP/RESTORE in batches (types and TTLs kept, existing keys skipped unless replacing,
 * dry run by default), and a summary. See README.md.
 */
export {
  CompiledMapping,
  KeyMapper,
  MappingCheck,
  MappingError,
  MappingIssue,
  NamespaceOwner,
  SegmentMapping,
  GuessContext,
  checkMappings,
  compileMappings,
  guessTargetPrefix,
  ownerOf,
  segmentText,
} from './mapping';
export {
  DataRelation,
  SegmentCount,
  ServerIdentity,
  SourceScan,
  SourceScanOptions,
  compareVersions,
  dataRelation,
  sameDatabase,
  scanSourceSegments,
  serverIdentity,
} from './sourceScan';
export {
  DEFAULT_EXAMPLES,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MIGRATION_BATCH,
  DEFAULT_MIGRATION_SCAN_COUNT,
  ExistingTargets,
  KeyExample,
  MappingTotals,
  MigrationMode,
  MigrationOptions,
  MigrationProgress,
  MigrationResult,
  PartialMigration,
  REASON_EXISTS,
  REASON_EXPIRED,
  ReasonGroup,
  migrateKeys,
} from './copier';
export { ReportContext, describeMigration, hintFor, renderMigrationReport } from './report';
