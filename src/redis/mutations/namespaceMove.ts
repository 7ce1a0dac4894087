import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { fromBinary } from '../keyspace/binary';
import { isReplyError } from '../errors';
import { endpointOfClient, writeError } from '../keyspace/errors';
import { formatKeyCount, groupThousands } from '../keyspace/format';
import { DEFAULT_UNLINK_BATCH, NamespacePlan } from './namespaceDelete';
import { movedName } from './keyEdits';

/**
 * Moves the keys of a counted namespace (see planNamespaceDeletion: exactly the keys under
 * the prefix) to another prefix, RENAMENX per key in pipelined batches: a key whose new
 * name exists is skipped (never overwritten) and listed; nothing outside the plan is touched.
 */
export interface MoveOptions {
  readonly batchSize?: number;
  /** Checked between batches: a batch sent is finished, nothing after it is sent. */
  readonly signal?: AbortSignal;
  readonly endpoint?: RedisEndpoint;
  readonly onProgress?: (progress: { moved: number; processed: number; total: number }) => void;
}

export interface MoveResult {
  readonly from: Buffer;
  readonly to: Buffer;
  readonly total: number;
  readonly moved: number;
  /** Keys left where they were because their new name exists (the source key). */
  readonly skipped: readonly Buffer[];
  /** Keys deleted or expired since the count: nothing to move. */
  readonly gone: number;
  /** Keys not moved because the server refused them (an ACL key pattern). */
  readonly failed: readonly { readonly key: Buffer; readonly reason: string }[];
  /** Keys of the plan never sent (after a cancel). */
  readonly remaining: number;
  readonly cancelled: boolean;
}

export async function moveNamespaceKeys(
  client: Redis,
  plan: NamespacePlan,
  to: Buffer,
  options: MoveOptions = {},
): Promise<MoveResult> {
  const from = plan.prefix;
  if (from.equals(to)) throw new RangeError('The namespace is moved onto itself.');
  const batchSize = options.batchSize ?? DEFAULT_UNLINK_BATCH;
  const endpoint = options.endpoint ?? endpointOfClient(client);
  let moved = 0;
  let processed = 0;
  let gone = 0;
  const skipped: Buffer[] = [];
  const failed: { key: Buffer; reason: string }[] = [];
  const result = (cancelled: boolean): MoveResult => ({
    from,
    to,
    total: plan.count,
    moved,
    skipped,
    gone,
    failed,
    remaining: plan.count - processed,
    cancelled,
  });
  while (processed < plan.count) {
    if (options.signal?.aborted) return result(true);
    const batch = plan.keys.slice(processed, processed + batchSize).map(fromBinary);
    const pipeline = client.pipeline();
    for (const key of batch) pipeline.renamenx(key, movedName(key, from, to));
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await pipeline.exec();
      if (!replies) throw new Error('the pipeline was not sent');
    } catch (error) {
      throw Object.assign(writeError(error, endpoint, 'RENAMENX'), { partial: result(false) });
    }
    replies.forEach(([error, reply], i) => {
      const key = batch[i] as Buffer;
      if (error) {
        // A transport failure, or a refusal that holds for every key (the server is a
        // replica now): stop here instead of sending every batch to be refused.
        if (!isReplyError(error) || /^READONLY\b/.test(error.message)) {
          if (isReplyError(error)) processed += batch.length; // sent, and refused whole
          // ioredis times out each command of a pipeline on its own: a write that may still land.
          throw Object.assign(writeError(error, endpoint, 'RENAMENX'), { partial: result(false) });
        }
        if (/no such key/i.test(error.message)) gone++;
        else failed.push({ key, reason: error.message });
      } else if (Number(reply) === 1) {
        moved++;
      } else {
        skipped.push(key);
      }
    });
    processed += batch.length;
    options.onProgress?.({ moved, processed, total: plan.count });
  }
  return result(false);
}

/** `Moved 120 of 123 keys from auth: to legacy:auth: (1 key had already gone); 2 skipped (the new name exists); 1 failed (NOPERM …)`. */
export function describeMove(result: MoveResult, fromText: string, toText: string): string {
  const gone = result.gone > 0 ? ` (${formatKeyCount(result.gone)} had already gone)` : '';
  const parts = [
    `${result.cancelled ? 'Cancelled after moving' : 'Moved'} ${groupThousands(result.moved)} of ${formatKeyCount(result.total)} from ${fromText} to ${toText}${gone}`,
  ];
  if (result.skipped.length > 0) parts.push(`${groupThousands(result.skipped.length)} skipped (the new name exists)`);
  const firstFailure = result.failed[0];
  if (firstFailure) parts.push(`${groupThousands(result.failed.length)} failed (${firstFailure.reason})`);
  if (result.cancelled) parts.push(`${formatKeyCount(result.remaining)} not looked at remain`);
  return parts.join('; ');
}
