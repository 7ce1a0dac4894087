import type Redis from 'ioredis';
import { ConnectionTuning } from '../connection';
import { RedisCredentials, RedisEndpoint } from '../endpoint';
import { endpointOfClient, KeyspaceCancelledError, keyspaceError } from './errors';
import { IoredisScanSource } from './ioredisScanSource';
import { NamespaceModel, NamespaceModelOptions } from './namespaceModel';
import { RespScanSource } from './respScanSource';
import { ScanRequest, ScanSource } from './scanSource';

export const DEFAULT_SCAN_COUNT = 1000;

/**
 * Where to walk: an endpoint, through a connection of the walk's own (the fast path,
 * RespScanSource), or an open ioredis client (IoredisScanSource).
 */
export type WalkTarget =
  | { readonly endpoint: RedisEndpoint; readonly credentials: RedisCredentials; readonly tuning?: ConnectionTuning }
  | { readonly client: Redis; readonly endpoint?: RedisEndpoint };

export interface WalkProgress {
  /** The live model: counts so far, final only when `done`. */
  readonly model: NamespaceModel;
  /** Distinct keys counted so far. */
  readonly keysCounted: number;
  /** DBSIZE when the walk started (all keys, whatever the filter). */
  readonly expectedKeys: number;
  /** SCAN calls answered so far. */
  readonly batches: number;
  /** Share of the keyspace's hash table walked so far, 0 to 1, from the SCAN cursor
   * (exact while the table is not resized; filters do not skew it). */
  readonly fraction: number;
  readonly elapsedMs: number;
  /** The last event of a complete walk. */
  readonly done: boolean;
}

export interface WalkOptions extends NamespaceModelOptions {
  /** SCAN COUNT: the bound on the work of one call, so that other clients wait at most
   * that long (default 1000; setting `scanCount`). */
  readonly count?: number;
  readonly signal?: AbortSignal;
  /** Called while the walk runs: once as soon as the first keys are counted, then at
   * most every `progressIntervalMs`, and once with `done` at the end. Synchronous;
   * keep it cheap (schedule a tree refresh, don't render here). */
  readonly onProgress?: (progress: WalkProgress) => void;
  /** Default 100 ms. */
  readonly progressIntervalMs?: number;
  /** Tests only: the source to walk with instead of one made from the target. */
  readonly source?: ScanSource;
}

export interface KeyspaceWalk {
  /** Usable at once; filled while the walk runs. `model.complete` only at the end. */
  readonly model: NamespaceModel;
  /** Resolves with the complete model. Rejects with a RedisConnectionError when the
   * connection fails (the model is then `failed`, its counts partial), a
   * KeyspaceCommandError when the server refuses SCAN's arguments, or a
   * KeyspaceCancelledError (name 'AbortError') when the signal fires (`cancelled`). */
  readonly done: Promise<NamespaceModel>;
}

/**
 * Walks the whole keyspace with SCAN (never KEYS) and builds the namespace model:
 * bounded COUNT per call, optional MATCH and TYPE, key names as bytes throughout.
 */
export function walkKeyspace(target: WalkTarget, options: WalkOptions = {}): KeyspaceWalk {
  const model = new NamespaceModel(options);
  const request: ScanRequest = {
    count: options.count ?? DEFAULT_SCAN_COUNT,
    match: model.match,
    type: options.type,
  };
  if (!Number.isInteger(request.count) || request.count < 1) throw new RangeError('SCAN COUNT must be a positive integer.');
  const endpoint = 'client' in target ? target.endpoint ?? endpointOfClient(target.client) : target.endpoint;
  const signal = options.signal;
  const onProgress = options.onProgress;
  const interval = options.progressIntervalMs ?? 100;
  const started = performance.now();
  let batches = 0;
  let lastEmit = -Infinity;
  let shownAny = false;
  let fraction = 0;
  let expectedKeys = 0;

  const emit = (done: boolean): void => {
    lastEmit = performance.now();
    onProgress?.({ model, keysCounted: model.totalKeys, expectedKeys, batches, fraction, elapsedMs: lastEmit - started, done });
  };

  const done = (async (): Promise<NamespaceModel> => {
    let source: ScanSource | undefined = options.source;
    try {
      if (signal?.aborted) throw new KeyspaceCancelledError();
      source ??= 'client' in target
        ? new IoredisScanSource(target.client, endpoint)
        : await RespScanSource.open(target.endpoint, target.credentials, target.tuning, signal);
      expectedKeys = await source.dbsize(signal);
      // A filter may keep few of them: then let the tables grow as keys come.
      model.expectKeys(request.match !== undefined || request.type !== undefined ? Math.min(expectedKeys, 1 << 18) : expectedKeys);
      await source.scanAll(request, {
        key: (bytes, start, end) => model.addBytes(bytes, start, end),
        batchEnd: (cursor) => {
          batches++;
          fraction = cursor === '0' ? 1 : cursorFraction(cursor);
          if (onProgress === undefined) return;
          if (!shownAny) {
            if (model.totalKeys === 0) return;
            shownAny = true;
            emit(false);
          } else if (performance.now() - lastEmit >= interval) {
            emit(false);
          }
        },
      }, signal);
      model.finish('complete');
      fraction = 1;
      emit(true);
      return model;
    } catch (error) {
      const typed = signal?.aborted ? new KeyspaceCancelledError() : keyspaceError(error, endpoint, 'SCAN');
      model.finish(typed instanceof KeyspaceCancelledError ? 'cancelled' : 'failed', typed);
      throw typed;
    } finally {
      source?.close();
    }
  })();
  return { model, done };
}

/**
 * How far a SCAN cursor is through the table: SCAN visits buckets in reverse-binary
 * order, so the cursor's bits reversed (as a 64-bit number) over 2⁶⁴ grow from 0 to 1.
 */
export function cursorFraction(cursor: string): number {
  let value: bigint;
  try {
    value = BigInt(cursor);
  } catch {
    return 0;
  }
  let reversed = 0n;
  for (let i = 0; i < 64; i++) {
    reversed = (reversed << 1n) | (value & 1n);
    value >>= 1n;
  }
  return Number(reversed) / 2 ** 64;
}

