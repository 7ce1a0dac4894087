import type { BinaryString } from '../keyspace';

/** Which check a finding comes from. */
export type CheckId = 'undeclared' | 'cacheTtl' | 'memory' | 'slowLog' | 'deniedAccesses' | 'clusterSlots';

export type Severity = 'error' | 'warning' | 'info';

/** A namespace the team agreed on, as the checks need it (setting `sharedRedis.namespaces`). */
export interface DeclaredNamespaceSpec {
  /** The path's exact bytes as a binary string (`auth`, `user:search`), no trailing delimiter. */
  readonly path: BinaryString;
  /** A namespace of cached data: every key in it should expire (`cache` or `ttlRequired`). */
  readonly cache?: boolean;
  readonly owner?: string | undefined;
}

/**
 * One problem a check found, with what its quick actions need: the namespace (exact
 * bytes) for "open the keys" and "set a TTL on the keys without one", a few example keys.
 */
export interface Finding {
  readonly check: CheckId;
  /** Stable within a report: `undeclared:orders`, `cacheTtl:user:search`, `memory:usage`. */
  readonly id: string;
  readonly severity: Severity;
  /** What a row shows: `orders`, `user:search`, `Memory`. */
  readonly label: string;
  /** One line: `120 keys outside every declared namespace`. */
  readonly description: string;
  /** A sentence or two for the tooltip: what is wrong and what helps. */
  readonly detail: string;
  /** The namespace path the finding is about (binary string); undefined for keys without a delimiter or a server-wide finding. */
  readonly namespacePath?: BinaryString | undefined;
  /** How many keys it is about (exact when `countExact`). */
  readonly count?: number | undefined;
  readonly countExact?: boolean | undefined;
  /** At most a few example key names (exact bytes). */
  readonly examples: readonly Buffer[];
}
