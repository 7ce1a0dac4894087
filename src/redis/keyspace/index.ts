/**
 * The key browser's core, free of VS Code: walk the keyspace with SCAN into a namespace
 * model with exact counts, page a namespace's direct keys with TYPE and PTTL, format
 * what a row shows. See walker.ts, namespaceModel.ts and pager.ts.
 */
export { BinaryString, KeyBytes, bytesOf, escapeGlob, filterPatternFor, fromBinary, toBinary } from './binary';
export { DisplayOptions, displayBytes, displaySegment } from './display';
export { KeyspaceCancelledError, KeyspaceCommandError } from './errors';
export {
  GONE,
  KEY_TYPES,
  NO_ACCESS,
  NO_TTL,
  describeKey,
  formatBytes,
  formatKeyCount,
  formatTtl,
  groupThousands,
  isCoreKeyType,
  typeDisplayName,
} from './format';
export { globMatches } from './glob';
export { KeyEntry, describeKeys, memoryUsage } from './keyInfo';
export {
  ChildOrder,
  DEFAULT_KEEP_NAMES_UP_TO,
  DEFAULT_MAX_NAMESPACES,
  DEFAULT_MAX_STORED_NAMES,
  NamespaceModel,
  NamespaceModelOptions,
  NamespaceNode,
  WalkState,
  compareBinary,
} from './namespaceModel';
export { NamespaceChoices, namespaceChoices } from './namespaceChoices';
export { compareNatural } from './naturalOrder';
export {
  ID_SEGMENT,
  isIdLike,
  LITERAL_ID_SEGMENT,
  literalSegment,
  mostlyIds,
  PatternChild,
  PatternNode,
} from './idPatterns';
export { patternSelection } from './patternPaging';
export { DEFAULT_PREFIX_SCAN_COUNT, ScanBound, ScanOutcome, scanKeysWithPrefix } from './prefixScan';
export {
  DEFAULT_PAGE_SIZE,
  KeyPage,
  NamespaceKeyPager,
  PagedKey,
  PagerOptions,
  PatternSelection,
  keyLabel,
} from './pager';
export {
  DEFAULT_PARTS,
  DEFAULT_SCAN_COUNT,
  KeyspaceWalk,
  WalkOptions,
  WalkProgress,
  WalkTarget,
  cursorFraction,
  walkKeyspace,
} from './walker';
