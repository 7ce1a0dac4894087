import type Redis from 'ioredis';
import { connectRedis, ConnectionTuning, DEFAULT_TUNING } from '../connection';
import { RedisCredentials, RedisEndpoint } from '../endpoint';
import { RedisConnectionError } from '../errors';
import { endpointOfClient, KeyspaceCancelledError, keyspaceError } from './errors';
import { IoredisScanSource } from './ioredisScanSource';
import { cursorCarriesSlot, keepsReverseBinaryCursor, slotCursorFraction } from './cursorContract';
import { NamespaceModel, NamespaceModelOptions } from './namespaceModel';
import { RespScanSource } from './respScanSource';
import {
  CursorPart,
  cursorParts,
  DEFAULT_PARTS,
  WALK_CONNECTIONS,
  isLastCursor,
  ScanJob,
  ScanRequest,
  ScanSource,
  walkCallCount,
} from './scanSource';

export const DEFAULT_SCAN_COUNT = 1000;
// Where the first stage's glance (firstGlance.ts) reads them too, without the walker's imports.
export { DEFAULT_PARTS, WALK_CONNECTIONS, walkCallCount } from './scanSource';

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
  /** The bound on the SCAN work per call, in keys (default 1000; setting `scanCount`).
   * With one loop it is each call's COUNT; with n parts, each loop's calls use COUNT
   * ⌈2·count/n⌉ (walkCallCount), so that the n calls the server may run back to back
   * before another client's command add up to twice `count`, each call a short one. */
  readonly count?: number;
  readonly signal?: AbortSignal;
  /** Called while the walk runs: once as soon as the first keys are counted, then at
   * most every `progressIntervalMs`, and once with `done` at the end. Synchronous;
   * keep it cheap (schedule a tree refresh, don't render here). */
  readonly onProgress?: (progress: WalkProgress) => void;
  /** Default 100 ms. */
  readonly progressIntervalMs?: number;
  /** Parts of the cursor space walked side by side (an endpoint target; default 8): 2, 4
   * or 8 SCAN loops (see CursorPart in scanSource.ts) on two connections of the walk's own
   * (WALK_CONNECTIONS), so the server always has the next SCAN at hand when it finishes
   * one, instead of idling for a round trip after each call; 1 is the plain loop on one
   * connection. Several only on a server known to keep Redis's reverse-binary cursor
   * order (Redis, Valkey: see cursorContract.ts); any other server, or a user who may not
   * run INFO, walks with one. An ioredis client target always walks with one loop. */
  readonly parts?: 1 | 2 | 4 | 8;
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
  const count = options.count ?? DEFAULT_SCAN_COUNT;
  if (!Number.isInteger(count) || count < 1) throw new RangeError('SCAN COUNT must be a positive integer.');
  const partCount = 'client' in target || options.source ? 1 : (options.parts ?? DEFAULT_PARTS);
  if (partCount !== 1 && partCount !== 2 && partCount !== 4 && partCount !== 8) {
    throw new RangeError('A walk has 1, 2, 4 or 8 parts.');
  }
  if (partCount > 1 && options.dedupe === false) {
    throw new RangeError('Several parts need dedupe: they may overlap.');
  }
  const request = (partsWalked: number): ScanRequest => ({
    count: walkCallCount(count, partsWalked),
    match: model.match,
    type: options.type,
  });
  const endpoint = 'client' in target ? (target.endpoint ?? endpointOfClient(target.client)) : target.endpoint;
  const signal = options.signal;
  const onProgress = options.onProgress;
  const interval = options.progressIntervalMs ?? 100;
  const started = performance.now();
  let batches = 0;
  let lastEmit = -Infinity;
  let shownAny = false;
  let fraction = 0;
  let expectedKeys = 0;

  let parts: (CursorPart | undefined)[] = partCount === 1 ? [undefined] : cursorParts(partCount);
  /** Each part's request (as sent, once a connection takes it), and its newest cursor (none
   * before its first reply): turned into `fraction` only when progress is reported, not for
   * each of the thousands of replies. */
  let requestOf: ScanRequest[] = [];
  let cursorOf: (string | undefined)[] = [];
  /** The cursor holds the slot in its low bits (cursorCarriesSlot): its reversed bits say nothing of the walk's share. */
  let slotCursor = false;
  const walkedFraction = (): number =>
    requestOf.reduce((sum, own, i) => {
      const cursor = cursorOf[i];
      if (cursor === undefined) return sum;
      return sum + (slotCursor ? slotCursorFraction(cursor) : partProgress(cursor, own));
    }, 0);

  const emit = (done: boolean): void => {
    lastEmit = performance.now();
    if (!done) fraction = walkedFraction();
    onProgress?.({
      model,
      keysCounted: model.totalKeys,
      expectedKeys,
      batches,
      fraction,
      elapsedMs: lastEmit - started,
      done,
    });
  };

  const done = (async (): Promise<NamespaceModel> => {
    const sources: ScanSource[] = [];
    /** Stops the connections still opening: once every part is taken they are not needed. */
    const opening = new AbortController();
    const own = !options.source && !('client' in target) ? target : undefined;
    try {
      if (signal?.aborted) throw new KeyspaceCancelledError();
      let first: ScanSource;
      /** One Redis or Valkey server: SCAN returns keys in the order of a seeded hash of each whole key. */
      let hashOrder = false;
      /** SCAN loops side by side on each connection (RespScanSource.scanParts). */
      let partsPerConnection = parts.length > 1 ? parts.length / WALK_CONNECTIONS : 1;
      if (own) {
        // One connection first: a wrong password or a bad certificate then costs one attempt, not one per part.
        const opened = await RespScanSource.open(own.endpoint, own.credentials, own.tuning, signal);
        sources.push(opened);
        const facts = await opened.facts(signal);
        const info = facts.info ?? '';
        slotCursor = cursorCarriesSlot(info);
        hashOrder = keepsReverseBinaryCursor(info) && !slotCursor;
        // The parts rely on Redis's cursor order, the table's alone: elsewhere (or unknown) one plain loop.
        if (parts.length > 1 && !hashOrder) {
          partsPerConnection = 1;
          parts = [undefined];
        }
        expectedKeys = facts.dbsize;
        first = opened;
      } else {
        first = options.source ?? new IoredisScanSource((target as { client: Redis }).client, endpoint);
        sources.push(first);
        expectedKeys = await first.dbsize(signal);
      }
      // A filter may keep few of them: then let the tables grow as keys come.
      model.expectKeys(
        model.match !== undefined || options.type !== undefined ? Math.min(expectedKeys, 1 << 18) : expectedKeys,
        hashOrder,
      );
      cursorOf = parts.map(() => undefined);
      requestOf = parts.map((part) => ({ ...request(parts.length), part }));
      // All parts feed the one model; a failure of any stops the others.
      const inner = new AbortController();
      const stop = (): void => inner.abort();
      signal?.addEventListener('abort', stop, { once: true });
      inner.signal.addEventListener('abort', () => opening.abort(), { once: true });
      // Each connection runs `partsPerConnection` loops side by side, each walking the next
      // part nobody has taken until none is left: the first connection starts at once, the
      // other joins when it opens. A server near its client limit (maxclients) may refuse
      // it; the first then walks every part, each with the COUNT for the loops there are
      // when it is taken.
      let nextPart = 0;
      let stillOpening = own && parts.length > 1 ? WALK_CONNECTIONS - 1 : 0;
      const take = (): ScanJob | undefined => {
        const i = nextPart++;
        if (i >= parts.length) return undefined;
        const taken: ScanRequest = { ...request((sources.length + stillOpening) * partsPerConnection), part: parts[i] };
        requestOf[i] = taken;
        return {
          request: taken,
          sink: {
            key: (bytes, start, end) => model.addBytes(bytes, start, end),
            batchEnd: (cursor) => {
              model.settle();
              batches++;
              cursorOf[i] = cursor;
              if (onProgress === undefined) return;
              if (!shownAny) {
                if (model.totalKeys === 0) return;
                shownAny = true;
                emit(false);
              } else if (performance.now() - lastEmit >= interval) {
                emit(false);
              }
            },
          },
        };
      };
      const walkParts = async (source: ScanSource): Promise<void> => {
        if (source instanceof RespScanSource) return source.scanParts(take, partsPerConnection, inner.signal);
        for (let job = take(); job !== undefined; job = take()) {
          await source.scanAll(job.request, job.sink, inner.signal);
        }
      };
      const walkers: Promise<void>[] = [];
      /** The first failure of any walker: the others then stop, cancelled by it. */
      let failure: { error: unknown } | undefined;
      const join = (source: ScanSource): void => {
        walkers.push(
          walkParts(source).catch((error: unknown) => {
            failure ??= { error };
            inner.abort();
          }),
        );
      };
      join(first);
      const others = stillOpening;
      for (let i = 0; own && i < others; i++) {
        RespScanSource.open(own.endpoint, own.credentials, own.tuning, opening.signal).then(
          (source) => {
            stillOpening--;
            if (opening.signal.aborted || nextPart >= parts.length) return source.close();
            sources.push(source);
            join(source);
          },
          () => {
            stillOpening--;
          },
        );
      }
      try {
        // A walker ends only when no part is left to take: when every walker that joined has
        // ended, every part is walked, whatever is still opening.
        for (let joined = 0; joined < walkers.length;) {
          joined = walkers.length;
          await Promise.all(walkers);
        }
        if (failure) throw failure.error;
      } finally {
        signal?.removeEventListener('abort', stop);
      }
      if (signal?.aborted) throw new KeyspaceCancelledError();
      model.finish('complete');
      fraction = 1;
      emit(true);
      return model;
    } catch (error) {
      let typed = signal?.aborted ? new KeyspaceCancelledError() : keyspaceError(error, endpoint, 'SCAN');
      if (own && batches > 0 && isClosedConnection(typed)) typed = await closedWhileAnswering(own, typed);
      model.finish(typed instanceof KeyspaceCancelledError ? 'cancelled' : 'failed', typed);
      throw typed;
    } finally {
      // A connection that opens after this closes itself (above).
      opening.abort();
      for (const source of sources) source.close();
    }
  })();
  return { model, done };
}

/** "Unreachable (the connection was closed)": what a connection that worked and was then closed says; or
 * reset (ECONNRESET, EPIPE), as a server closes one whose SCANs it has not read yet. */
export function isClosedConnection(error: Error): error is RedisConnectionError {
  return (
    error instanceof RedisConnectionError &&
    error.kind === 'unreachable' &&
    /connection was closed|\b(ECONNRESET|EPIPE)\b/.test(error.reason)
  );
}

/**
 * A walk's connection that had been answering was closed: by the server going away, or by a
 * server that goes on (another client's CLIENT KILL, as a "kill all clients" in another tool
 * does; a client-output-buffer-limit). One new connection tells which: "unreachable" with
 * its Start action would send the user to start a stack that runs.
 */
export async function closedWhileAnswering(
  own: {
    readonly endpoint: RedisEndpoint;
    readonly credentials: RedisCredentials;
    readonly tuning?: ConnectionTuning | undefined;
  },
  closed: RedisConnectionError,
): Promise<Error> {
  try {
    // The session's way of connecting: it reads a refusal the server sends before hanging up
    // (maxclients, protected mode), which a plain socket sees only as a reset.
    const tuning = own.tuning ?? DEFAULT_TUNING;
    const probe = await connectRedis(own.endpoint, own.credentials, {
      ...tuning,
      timeoutMs: Math.min(tuning.timeoutMs, 2000),
      maxReconnects: 0,
    });
    probe.disconnect();
  } catch (error) {
    // No answer: the server went away. A refusal (a changed password, a server at its
    // maxclients) is the server answering: that failure, with its own fix.
    const refused = error instanceof RedisConnectionError ? error : undefined;
    return refused === undefined || refused.kind === 'unreachable' || refused.kind === 'timeout' ? closed : refused;
  }
  return new RedisConnectionError(
    'connection-closed',
    closed.endpoint,
    'closed the connection of the walk and still answers',
    'Another client may have closed it (CLIENT KILL, as "kill all clients" in another tool does), or the walk passed the server\'s client-output-buffer-limit. Refresh to walk again.',
  );
}

/** How much of the whole table a loop over `request`'s part has walked when it returned
 * `cursor`: 0 to 1/of (0 to 1 without a part). */
export function partProgress(cursor: string, request: ScanRequest): number {
  const part = request.part;
  const share = part === undefined ? 1 : 1 / part.of;
  if (isLastCursor(cursor, request)) return share;
  const start = part === undefined ? 0 : part.index / part.of;
  return Math.min(Math.max(cursorFraction(cursor) - start, 0), share);
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
