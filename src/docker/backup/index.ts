export { BackupError, BackupFailureKind } from './errors';
export {
  backupFileName,
  backupRedis,
  backupStamp,
  BackupFile,
  BackupOptions,
  BackupResult,
  listBackups,
} from './backup';
export {
  BackupInspection,
  cutOffCopies,
  cutOffCopiesNote,
  inspectBackup,
  inspectStoppedBackup,
  rawFilesFolder,
  restoreBackup,
  restoreStoppedBackup,
  restoreEntries,
  RestoreOptions,
  RestoreResult,
  StoppedRestoreOptions,
  StoppedRestoreResult,
} from './restore';
export { countKeys, persistenceConfig, PersistenceConfig, snapshot } from './persistence';
export { newestRdbVersion, readRdbHeader } from './rdbHeader';
export { checkRdbFile, parseCheckOutput, RdbCheck } from './rdbCheck';
