/**
 * Export and import of a namespace, free of VS Code: a JSON lines file with each key's
 * type, TTL, readable value and DUMP payload (format.ts, docs/export-format.md), written
 * streamed (exportWriter.ts), read and checked whole before any write (exportFile.ts),
 * and restored without overwriting anything (importer.ts).
 */
export { defaultExportFileName, FORMAT_NAME, FORMAT_VERSION, JsonBytes } from './format';
export { DEFAULT_EXPORT_SCAN_COUNT, ExportOptions, ExportResult, ExportSource, exportNamespace } from './exportWriter';
export {
  FileCheck,
  FileHeader,
  InvalidLine,
  KeyRecord,
  MAX_INVALID_LISTED,
  readExportFile,
  readExportHeader,
} from './exportFile';
export {
  DEFAULT_IMPORT_BATCH,
  ImportFailure,
  ImportFileChangedError,
  ImportOptions,
  ImportTargetReadOnlyError,
  ImportPlan,
  ImportResult,
  PlanOptions,
  importNamespace,
  planImport,
  targetKeyOf,
} from './importer';
