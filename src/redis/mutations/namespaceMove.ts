import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { BinaryString, fromBinary } from '../keyspace/binary';
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
  const keys = movingOrder(plan.keys, from, to);
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
    const batch = keys.slice(processed, processed + batchSize).map(fromBinary);
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

/**
 * The plan's keys in an order in which no key is renamed after another was renamed onto its
 * name. When one prefix starts with the other (auth: to auth:v1:), a key's new name may be a
 * counted key's (auth:1 to auth:v1:1); were that key gone since (expired), auth:1 would take
 * its name and then be moved on as it (to auth:v1:v1:1). A new name is longer (shorter) by
 * the same bytes for every key: the longer (shorter) names go first.
 */
function movingOrder(keys: readonly BinaryString[], from: Buffer, to: Buffer): readonly BinaryString[] {
  const nested =
    to.length > from.length ? to.subarray(0, from.length).equals(from) : from.subarray(0, to.length).equals(to);
  if (!nested) return keys;
  const sign = to.length > from.length ? -1 : 1;
  return [...keys].sort((a, b) => sign * (a.length - b.length));
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
