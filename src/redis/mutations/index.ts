/**
 * Changes to keys, free of VS Code: TTL input, EXPIRE/PERSIST/UNLINK on exact bytes, and
 * deleting a namespace (exact count first, then UNLINK in batches with progress and cancel).
 * Never KEYS, never FLUSH*.
 */
export { describeSeconds, MAX_TTL_SECONDS, parseTtl, TTL_FORMS_MESSAGE, TtlParse } from './ttl';
export { KeyChange, keyPttl, persistKey, setKeyTtl, unlinkKey } from './keyOperations';
export {
  CountOptions,
  DEFAULT_COUNT_SCAN,
  DEFAULT_UNLINK_BATCH,
  DeleteOptions,
  DeleteResult,
  NamespacePlan,
  deleteNamespaceKeys,
  describeDeletion,
  namespacePrefix,
  planNamespaceDeletion,
} from './namespaceDelete';
export {
  DEFAULT_UNDO_LIMIT_BYTES,
  KeySnapshot,
  SnapshotOptions,
  UndoResult,
  UndoStep,
  WrittenState,
  applyUndo,
  changedSinceWritten,
  describeNotKept,
  monotonicNow,
  planUndo,
  snapshotBytes,
  snapshotKeys,
} from './undoJournal';
export {
  AfterWrite,
  ConditionalOutcome,
  BeforeWrite,
  ConditionalWrite,
  NEW_KEY_TYPES,
  NewKeySpec,
  NewKeyType,
  conditionalWrite,
  copyKey,
  createKey,
  movedName,
  renameKey,
} from './keyEdits';
export { MoveOptions, MoveResult, describeMove, moveNamespaceKeys } from './namespaceMove';
