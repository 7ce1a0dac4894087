import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary, KeyspaceCancelledError, NamespaceModel, NamespaceNode, toBinary } from '../keyspace';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
import { prefixOf, pttlOf, ScanBound, scanPrefix } from './scan';
import type { DeclaredNamespaceSpec } from './types';
import { DEFAULT_EXAMPLES } from './undeclared';

/** What the check found in one namespace declared as a cache. */
export interface CacheTtlResult {
  readonly path: BinaryString;
  /** The exact key prefix (path + delimiter). */
  readonly prefix: Buffer;
  /** Keys looked at (alive when their TTL was read). */
  readonly keys: number;
  /** Keys without a TTL among them. */
  readonly withoutTtl: number;
  /** Keys in the namespace by the walk, when there was one (the SCAN may have looked at fewer). */
  readonly total: number | undefined;
  /** True when every key of the namespace was looked at; false when the SCAN bound stopped it (then counts are lower bounds). */
  readonly exact: boolean;
  readonly examples: readonly Buffer[];
  /** Where the names came from: the walk's kept names (small namespaces) or a SCAN MATCH. */
  readonly source: 'walk' | 'scan';
  readonly scanCalls: number;
}

export interface CacheTtlOptions extends ScanBound {
  /** A complete, unfiltered walk: empty namespaces are skipped, small ones need no SCAN. */
  readonly model?: NamespaceModel | undefined;
  /** When there is no model (default `:`). */
  readonly delimiter?: Buffer | undefined;
  readonly examples?: number;
}

const PTTL_BATCH = 1000;

/** The namespaces declared as caches (`cache` or `ttlRequired`). */
export function cacheNamespaces(declared: readonly DeclaredNamespaceSpec[]): DeclaredNamespaceSpec[] {
  return declared.filter((d) => d.cache === true);
}

/**
 * Keys without a TTL in each namespace declared as a cache: how many, with a few
 * examples. Names come from the walk when it kept all of a namespace's (small
 * namespaces), else from a bounded `SCAN MATCH <escaped prefix>*`; TTLs from pipelined
 * PTTL, one round trip per batch. Namespaces the walk found empty cost nothing.
 */
export async function checkCacheTtl(
  client: Redis,
  namespaces: readonly DeclaredNamespaceSpec[],
  options: CacheTtlOptions = {},
): Promise<CacheTtlResult[]> {
  const model = options.model;
  const delimiter = model?.delimiter ?? options.delimiter ?? Buffer.from(':');
  const wanted = Math.max(0, Math.floor(options.examples ?? DEFAULT_EXAMPLES));
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const results: CacheTtlResult[] = [];
  for (const ns of namespaces) {
    if (options.signal?.aborted) throw new KeyspaceCancelledError();
    const prefix = prefixOf(ns.path, delimiter);
    const node = model?.findNamespace(ns.path);
    if (
      model &&
      model.complete &&
      model.match === undefined &&
      model.type === undefined &&
      (!node || node.count === 0)
    ) {
      results.push({
        path: ns.path,
        prefix,
        keys: 0,
        withoutTtl: 0,
        total: 0,
        exact: true,
        examples: [],
        source: 'walk',
        scanCalls: 0,
      });
      continue;
    }
    const tally = { keys: 0, withoutTtl: 0, examples: [] as Buffer[] };
    const count = (names: readonly Buffer[], ttls: readonly number[]): void => {
      names.forEach((key, i) => {
        const ttl = ttls[i] as number;
        if (ttl === -2) return;
        tally.keys++;
        if (ttl === -1) {
          tally.withoutTtl++;
          if (tally.examples.length < wanted) tally.examples.push(key);
        }
      });
    };
    const names = node && model?.complete ? namesUnder(node) : undefined;
    if (names) {
      for (let i = 0; i < names.length; i += PTTL_BATCH) {
        if (options.signal?.aborted) throw new KeyspaceCancelledError();
        const batch = names.slice(i, i + PTTL_BATCH);
        count(batch, await pttlOf(client, batch, endpoint));
      }
      results.push({ path: ns.path, prefix, ...tally, total: node?.count, exact: true, source: 'walk', scanCalls: 0 });
      continue;
    }
    const seen = new Set<BinaryString>();
    const outcome = await scanPrefix(client, prefix, { ...options, endpoint }, async (keys) => {
      const fresh = keys.filter((key) => {
        const id = toBinary(key);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      count(fresh, await pttlOf(client, fresh, endpoint));
    });
    results.push({
      path: ns.path,
      prefix,
      ...tally,
      total: node?.count,
      exact: outcome.complete,
      source: 'scan',
      scanCalls: outcome.calls,
    });
  }
  return results;
}

/** Every key name under `node` (all depths) when the walk kept them all, else undefined. */
function namesUnder(node: NamespaceNode): Buffer[] | undefined {
  if (node.untrackedCount > 0) return undefined;
  const own = node.directKeyNames();
  if (own === undefined) return undefined;
  const all = [...own];
  for (const child of node.childNamespaces('name')) {
    const names = namesUnder(child);
    if (names === undefined) return undefined;
    all.push(...names);
  }
  return all;
}

/** The keys without a TTL under one namespace, found just now, each once: what a bulk EXPIRE will touch. */
export interface NoTtlPlan {
  readonly prefix: Buffer;
  /** Exact names as binary strings. */
  readonly keys: readonly BinaryString[];
  readonly count: number;
  /** Keys under the prefix looked at. */
  readonly scanned: number;
}

export interface PlanOptions {
  readonly scanCount?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly endpoint?: RedisEndpoint | undefined;
  /** After each SCAN call: keys without a TTL found so far, keys looked at so far. */
  readonly onProgress?: (found: number, scanned: number) => void;
}

/** Walks the whole keyspace with `SCAN MATCH <escaped prefix>*` (bounded COUNT, no call limit: the count must be exact) and PTTL. */
export async function planTtlForKeysWithoutOne(
  client: Redis,
  prefix: Buffer,
  options: PlanOptions = {},
): Promise<NoTtlPlan> {
  if (prefix.length === 0) throw new RangeError('An empty prefix would be every key: refusing.');
  const endpoint = options.endpoint ?? endpointOfClient(client);
  const seen = new Set<BinaryString>();
  const found: BinaryString[] = [];
  await scanPrefix(
    client,
    prefix,
    { scanCount: options.scanCount, signal: options.signal, endpoint, maxScanCalls: Number.MAX_SAFE_INTEGER },
    async (keys) => {
      const fresh = keys.filter((key) => {
        const id = toBinary(key);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      const ttls = await pttlOf(client, fresh, endpoint);
      fresh.forEach((key, i) => {
        if (ttls[i] === -1) found.push(toBinary(key));
      });
      options.onProgress?.(found.length, seen.size);
    },
  );
  return { prefix, keys: found, count: found.length, scanned: seen.size };
}

export interface ExpireOptions {
  /** Keys per pipelined batch (default 500). */
  readonly batchSize?: number;
  /** Checked between batches: a batch sent is finished, nothing after it is sent. */
  readonly signal?: AbortSignal | undefined;
  readonly endpoint?: RedisEndpoint | undefined;
  readonly onProgress?: (progress: { expired: number; processed: number; total: number }) => void;
}

export interface ExpireResult {
  readonly prefix: Buffer;
  readonly total: number;
  /** Keys that got the TTL. */
  readonly expired: number;
  /** Keys of the plan sent (given the TTL, or skipped because they meanwhile had one or were gone). */
  readonly processed: number;
  /** Keys skipped: they got a TTL of their own since, or are gone. */
  readonly skipped: number;
  /** Keys of the plan never sent. */
  readonly remaining: number;
  readonly cancelled: boolean;
}

export const DEFAULT_EXPIRE_BATCH = 500;

/**
 * Gives each key of the plan the TTL, in pipelined batches of `EXPIRE key seconds NX`
 * (Redis 7: only keys that still have no TTL, so a TTL set meanwhile is kept). On an
 * older Redis that refuses NX, each batch reads PTTL first and expires the keys still
 * without one. A cancel between batches stops there and reports what was done.
 */
export async function expireKeysWithoutTtl(
  client: Redis,
  plan: NoTtlPlan,
  seconds: number,
  options: ExpireOptions = {},
): Promise<ExpireResult> {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new RangeError('A TTL is a positive whole number of seconds.');
  }
  const batchSize = options.batchSize ?? DEFAULT_EXPIRE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('The batch size must be a positive integer.');
  const endpoint = options.endpoint ?? endpointOfClient(client);
  let expired = 0;
  let processed = 0;
  let nx = true;
  const result = (cancelled: boolean): ExpireResult => ({
    prefix: plan.prefix,
    total: plan.count,
    expired,
    processed,
    skipped: processed - expired,
    remaining: plan.count - processed,
    cancelled,
  });
  while (processed < plan.count) {
    if (options.signal?.aborted) return result(true);
    const batch = plan.keys.slice(processed, processed + batchSize).map(fromBinary);
    try {
      let changed = nx ? await expireBatch(client, batch, seconds, true) : undefined;
      if (changed === undefined) {
        nx = false;
        const ttls = await pttlOf(client, batch, endpoint);
        changed =
          (await expireBatch(
            client,
            batch.filter((_, i) => ttls[i] === -1),
            seconds,
            false,
          )) ?? 0;
      }
      expired += changed;
    } catch (error) {
      // A key refused (NOPERM) does not stop the rest of its pipeline: those TTLs were set.
      const batchChanged = (error as { changed?: unknown }).changed;
      if (typeof batchChanged === 'number') {
        expired += batchChanged;
        processed += batch.length;
      }
      throw Object.assign(keyspaceError(error, endpoint, 'EXPIRE'), { partial: result(false) });
    }
    processed += batch.length;
    options.onProgress?.({ expired, processed, total: plan.count });
  }
  return result(false);
}

/** Keys that got the TTL; undefined when the server refuses `NX` (Redis before 7). A key refused (NOPERM) rejects with `changed`, the keys that got it. */
async function expireBatch(
  client: Redis,
  keys: readonly Buffer[],
  seconds: number,
  nx: boolean,
): Promise<number | undefined> {
  if (keys.length === 0) return 0;
  const pipeline = client.pipeline();
  for (const key of keys) {
    if (nx) pipeline.call('EXPIRE', key, seconds, 'NX');
    else pipeline.expire(key, seconds);
  }
  const replies = await pipeline.exec();
  if (replies === null) throw new Error('the pipeline was not run');
  let changed = 0;
  let refused: Error | undefined;
  for (const [error, value] of replies) {
    if (error) {
      if (nx && /syntax|wrong number|unsupported option/i.test(error.message)) return undefined;
      refused ??= error;
    } else if (Number(value) === 1) changed++;
  }
  // The keys the server took got their TTL all the same: the failure counts them.
  if (refused) throw Object.assign(refused, { changed });
  return changed;
}
