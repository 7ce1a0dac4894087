import type Redis from 'ioredis';
import { RedisEndpoint } from '../endpoint';
import { KeyspaceCancelledError, endpointOfClient, keyspaceError } from './errors';
import {
  asScanReply,
  firstCursor,
  isLastCursor,
  quietly,
  ScanRequest,
  scanArguments,
  ScanSink,
  ScanSource,
} from './scanSource';

/**
 * SCAN through an open ioredis client (`callBuffer`, keys as Buffers). The next SCAN is
 * sent before the current batch is counted, so counting overlaps the server's work;
 * but ioredis hands a reply over only when it has parsed all of it, so parsing does
 * not. RespScanSource overlaps both and is what the walker uses by default; this one
 * serves callers that have only a client (and the tests, as an independent reference).
 * The client is not closed here.
 */
export class IoredisScanSource implements ScanSource {
  private readonly endpoint: RedisEndpoint;

  constructor(
    private readonly client: Redis,
    endpoint?: RedisEndpoint,
  ) {
    this.endpoint = endpoint ?? endpointOfClient(client);
  }

  async scanAll(request: ScanRequest, sink: ScanSink, signal?: AbortSignal): Promise<void> {
    let aborted: (() => void) | undefined;
    const abort = new Promise<never>((_, reject) => {
      aborted = () => reject(new KeyspaceCancelledError());
      if (signal?.aborted) aborted();
      else signal?.addEventListener('abort', aborted, { once: true });
    });
    quietly(abort);
    try {
      let pending = this.scan(firstCursor(request), request);
      for (;;) {
        const [cursor, keys] = await Promise.race([pending, abort]);
        const more = !isLastCursor(cursor, request);
        if (more) pending = this.scan(cursor, request);
        for (const key of keys) sink.key(key, 0, key.length);
        sink.batchEnd(cursor);
        if (!more) return;
      }
    } catch (error) {
      throw keyspaceError(error, this.endpoint, 'SCAN');
    } finally {
      if (aborted) signal?.removeEventListener('abort', aborted);
    }
  }

  async dbsize(): Promise<number> {
    try {
      return await this.client.dbsize();
    } catch (error) {
      throw keyspaceError(error, this.endpoint, 'DBSIZE');
    }
  }

  close(): void {
    // The client belongs to the caller.
  }

  private scan(cursor: string, request: ScanRequest): Promise<[string, Buffer[]]> {
    return quietly(this.client.callBuffer('SCAN', ...scanArguments(cursor, request)).then(asScanReply));
  }
}
