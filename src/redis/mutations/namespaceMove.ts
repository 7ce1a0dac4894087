import type Redis from 'ioredis';
import type { RedisEndpoint } from '../endpoint';
import { fromBinary } from '../keyspace/binary';
import { isReplyError } from '../errors';
import { endpointOfClient, keyspaceError } from '../keyspace/errors';
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
  /** Keys not moved for another reason (gone meanwhile, refused by the server). */
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
  const skipped: Buffer[] = [];
  const failed: { key: Buffer; reason: string }[] = [];
  const result = (cancelled: boolean): MoveResult => ({
    from,
    to,
    total: plan.count,
    moved,
    skipped,
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
      throw Object.assign(keyspaceError(error, endpoint, 'RENAMENX'), { partial: result(false) });
    }
    replies.forEach(([error, reply], i) => {
      const key = batch[i] as Buffer;
      if (error) {
        if (!isReplyError(error)) {
          throw Object.assign(keyspaceError(error, endpoint, 'RENAMENX'), { partial: result(false) });
        }
        failed.push({ key, reason: /no such key/i.test(error.message) ? 'it no longer exists' : error.message });
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

/** `Moved 120 keys from auth: to legacy:auth:; 2 skipped (the new name exists); 1 failed`. */
export function describeMove(result: MoveResult, fromText: string, toText: string): string {
  const parts = [
    `${result.cancelled ? 'Cancelled after moving' : 'Moved'} ${groupThousands(result.moved)} of ${formatKeyCount(result.total)} from ${fromText} to ${toText}`,
  ];
  if (result.skipped.length > 0) parts.push(`${groupThousands(result.skipped.length)} skipped (the new name exists)`);
  if (result.failed.length > 0) parts.push(`${groupThousands(result.failed.length)} failed`);
  if (result.cancelled) parts.push(`${formatKeyCount(result.remaining)} not looked at remain`);
  return parts.join('; ');
}
