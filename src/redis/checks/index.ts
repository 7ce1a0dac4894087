/**
 * Checks of the shared keyspace, free of VS Code: keys outside every declared namespace,
 * keys without a TTL in namespaces declared as caches (and a bulk EXPIRE for them),
 * memory against maxmemory or a budget. Bounded SCAN with COUNT, never KEYS.
 */
export { CheckId, DeclaredNamespaceSpec, Finding, Severity } from './types';
export {
  DEFAULT_CHECK_MAX_SCAN_CALLS,
  DEFAULT_CHECK_SCAN_COUNT,
  ScanBound,
  prefixOf,
  pttlOf,
  scanPrefix,
} from './scan';
export {
  DEFAULT_EXAMPLES,
  UndeclaredGroup,
  UndeclaredOptions,
  UndeclaredResult,
  assertFullWalk,
  checkUndeclaredKeys,
} from './undeclared';
export {
  CacheTtlOptions,
  CacheTtlResult,
  DEFAULT_EXPIRE_BATCH,
  ExpireOptions,
  ExpireResult,
  NoTtlPlan,
  PlanOptions,
  cacheNamespaces,
  checkCacheTtl,
  expireKeysWithoutTtl,
  planTtlForKeysWithoutOne,
} from './cacheTtl';
export {
  DEFAULT_WARN_AT,
  LimitSource,
  MemoryOptions,
  MemoryResult,
  NamespaceMemory,
  checkMemory,
  parseMemorySize,
} from './memory';
export { CheckOptions, CheckReport, findingsOf, percent, runChecks } from './run';
export {
  CrossSlotShape,
  DEFAULT_SLOT_ADVICE_MAX_KEYS,
  EntityGroup,
  SlotAdviceResult,
  checkClusterSlots,
  clusterSlotFindings,
  findCrossSlotShapes,
} from './clusterSlots';
export { hashSlot, hashTagOf } from '../hashSlot';
