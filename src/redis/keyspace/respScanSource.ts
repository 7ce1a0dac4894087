import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConnectionTuning, DEFAULT_TUNING } from '../connection';
import { RedisCredentials, RedisEndpoint } from '../endpoint';
import { SERVER_FULL, tlsHandshakeTimeout } from '../errors';
import { tlsConnectionOptions } from '../tls';
import { KeyspaceCancelledError, keyspaceError, ServerReplyError } from './errors';
import { encodeCommand, ReplyHandler, scanCommandEncoder, ScanReplyReader } from './resp';
import { firstCursor, isLastCursor, ScanJob, ScanRequest, scanArguments, ScanSink, ScanSource } from './scanSource';

/**
 * A dedicated connection for one keyspace walk, speaking RESP2 itself (see resp.ts):
 * as soon as a SCAN reply's cursor arrives, the next SCAN goes out, and the keys of the
 * current reply are read and counted while the server works on the next batch. Each
 * SCAN loop has one SCAN ahead; a walk runs up to four loops on one connection
 * (scanParts), so the server does bounded work per call and another client waits
 * behind at most the few calls outstanding (see walkCallCount).
 *
 * A connection of its own also keeps the walk from queueing in front of the commands
 * the tree sends on the main connection (TYPE, PTTL of an expanded namespace).
 * It authenticates and selects the database like connectRedis, with the same timeouts;
 * the password is sent once and kept nowhere else.
 */
export class RespScanSource implements ScanSource {
  private readonly reader: ScanReplyReader;
  private handler: ReplyHandler;
  private failure: ((error: unknown) => void) | undefined;
  /** Why the socket broke while no command was out; the next exchange fails with it at once. */
  private broken: unknown;
  private closedByUs = false;
  /** SCAN calls to send when the read being parsed is done: one write for all of them. */
  private readonly outgoing: Buffer[] = [];

  private constructor(
    private readonly socket: net.Socket,
    reads: SocketReads,
    private readonly endpoint: RedisEndpoint,
    private readonly timeoutMs: number,
  ) {
    this.handler = ignoring;
    this.reader = new ScanReplyReader({
      simple: (text) => this.handler.simple(text),
      integer: (value) => this.handler.integer(value),
      error: (message) => this.handler.error(message),
      bulk: (text) => this.handler.bulk(text),
      scanCursor: (cursor) => this.handler.scanCursor(cursor),
      scanKey: (chunk, start, end) => this.handler.scanKey(chunk, start, end),
      scanEnd: () => this.handler.scanEnd(),
    });
    const feed = (chunk: Buffer, reused: boolean): void => {
      try {
        this.reader.feed(chunk, reused);
      } catch (error) {
        this.fail(error);
      }
      this.flush();
    };
    if (reads.ownBuffer) reads.deliver = (chunk) => feed(chunk, true);
    else socket.on('data', (chunk: Buffer) => feed(chunk, false));
    socket.on('error', (error) => this.fail(error));
    socket.on('timeout', () =>
      this.fail(Object.assign(new Error('Redis did not answer: the command timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.on('close', () => this.fail(new Error('the connection was closed')));
  }

  /** Connects, authenticates, selects the database and names the connection
   * (`<connectionName>-walk`). Failures are RedisConnectionError. */
  static async open(
    endpoint: RedisEndpoint,
    credentials: RedisCredentials,
    tuning: ConnectionTuning = DEFAULT_TUNING,
    signal?: AbortSignal,
  ): Promise<RespScanSource> {
    if (signal?.aborted) throw new KeyspaceCancelledError();
    const reads: SocketReads = { ownBuffer: false, deliver: () => undefined };
    const socket = await connectSocket(endpoint, tuning, signal, reads);
    const source = new RespScanSource(socket, reads, endpoint, tuning.timeoutMs);
    try {
      await source.handshake(credentials, tuning, signal);
      return source;
    } catch (error) {
      source.close();
      throw error;
    }
  }

  dbsize(signal?: AbortSignal): Promise<number> {
    let size = 0;
    return this.exchange(signal, 'DBSIZE', (resolve, reject) => {
      this.handler = {
        ...unexpected(reject),
        integer: (value) => {
          size = value;
          resolve();
        },
        error: (message) => reject(new ServerReplyError(message)),
      };
      this.send(['DBSIZE']);
    }).then(() => size);
  }

  /**
   * `INFO server` (undefined when refused or unknown) and DBSIZE in one round trip: what a walk must know
   * before its first SCAN. Each round trip before it waits for a turn of a busy extension
   * host's event loop (the Keys view's first row).
   */
  facts(signal?: AbortSignal): Promise<{ info: string | undefined; dbsize: number }> {
    let info: string | undefined;
    let dbsize = 0;
    return this.exchange(signal, 'INFO', (resolve, reject) => {
      let refused: string | undefined;
      this.handler = {
        ...unexpected(reject),
        bulk: (reply) => {
          info = reply;
          this.handler = sizeReply;
        },
        error: (message) => {
          // A user who may not run INFO, or a server without it (renamed away, a proxy): unknown.
          if (!/^NOPERM\b/.test(message) && !/unknown command/i.test(message)) refused = message;
          this.handler = sizeReply;
        },
      };
      const sizeReply: ReplyHandler = {
        ...unexpected(reject),
        integer: (value) => {
          dbsize = value;
          if (refused === undefined) resolve();
          else reject(new ServerReplyError(refused));
        },
        error: (message) => reject(new ServerReplyError(refused ?? message)),
      };
      this.socket.write(Buffer.concat([encodeCommand(['INFO', 'server']), encodeCommand(['DBSIZE'])]));
    }).then(() => ({ info, dbsize }));
  }

  scanAll(request: ScanRequest, sink: ScanSink, signal?: AbortSignal): Promise<void> {
    let taken = false;
    return this.scanParts(() => (taken ? undefined : ((taken = true), { request, sink })), 1, signal);
  }

  /**
   * Runs up to `inFlight` SCAN loops side by side on this one connection, their calls
   * pipelined: each loop's next SCAN goes out as soon as its reply's cursor is read (while
   * the replies queued at the server stay small: see `room`), and when a loop ends it
   * takes the next job from `take` (undefined: none left). Resolves when every loop has ended.
   *
   * Why pipelined on one connection rather than a connection per loop: the SCANs that
   * come in one read go back in one write, and the server, which runs a connection's
   * queued commands together, sends their replies in one write too. Eight loops on two
   * connections instead of one on each of eight: the server's own CPU 1.04× its SCAN time
   * instead of 1.07×, the walk of 1M keys 1.13–1.14× it instead of 1.14–1.16×
   * (keyspaceScale.bench, docs/benchmarks.md).
   * Other clients wait behind no more SCAN work than before: the loops outstanding at
   * once are as many (see walkCallCount).
   */
  scanParts(take: () => ScanJob | undefined, inFlight: number, signal?: AbortSignal): Promise<void> {
    return this.exchange(signal, 'SCAN', (resolve, reject) => {
      interface Loop {
        readonly job: ScanJob;
        /** SCAN with this loop's arguments after the cursor (COUNT, MATCH, TYPE), encoded once. */
        readonly scan: (cursor: string) => Buffer;
        cursor: string;
        last: boolean;
      }
      /** Loops with a SCAN out, in the order sent: the replies come in that order. */
      const waiting: Loop[] = [];
      /** Loops whose next SCAN waits for room in the pipeline (see `room`). */
      const ready: Loop[] = [];
      let reading: Loop | undefined;
      let running = 0;
      let jobsLeft = true;
      /** Bytes and keys of the reply being read, and the bytes of the largest read so far. */
      let replyBytes = 0;
      let replyKeys = 0;
      let largest = 0;
      /** Keys of the replies read so far and their bytes, and the largest COUNT a loop asks for: a reply of few
       * keys or none (a MATCH or TYPE filter, a stretch of deleted keys) says nothing of the next. */
      let keysRead = 0;
      let keyBytesRead = 0;
      let countAsked = 0;
      // One loop: write at once (nothing else will come back in this read to share a write).
      const send =
        inFlight > 1 ? (bytes: Buffer) => this.outgoing.push(bytes) : (bytes: Buffer) => this.socket.write(bytes);
      // The server queues the replies of pipelined SCANs for this one client, and a shared server
      // may close a client whose queue passes its client-output-buffer-limit: one more SCAN
      // goes out only while the replies it may queue stay within PIPELINED_REPLY_BYTES, each
      // at the size of the largest yet or of COUNT keys of the average size read, whichever is
      // more (long key names: one at a time, as a loop alone sends). Before any key, at
      // UNREAD_KEY_BYTES a key: two (a filter that matches nothing yet walks 1M keys in ~410 ms
      // so, ~540 ms one at a time, ~360 ms four at a time).
      const room = (): boolean =>
        waiting.length === 0 ||
        (waiting.length + 1) *
          (keysRead > 0 ? Math.max(largest, (keyBytesRead / keysRead) * countAsked) : UNREAD_KEY_BYTES * countAsked) <=
          PIPELINED_REPLY_BYTES;
      const pump = (): void => {
        while (room()) {
          const loop = ready.shift();
          if (loop !== undefined) {
            waiting.push(loop);
            send(loop.scan(loop.cursor));
          } else if (running < inFlight && jobsLeft) {
            startNext();
          } else {
            return;
          }
        }
      };
      const startNext = (): void => {
        const job = take();
        if (job === undefined) {
          jobsLeft = false;
          return;
        }
        const loop: Loop = {
          job,
          scan: scanCommandEncoder(scanArguments('0', job.request).slice(1)),
          cursor: '0',
          last: false,
        };
        waiting.push(loop);
        running++;
        countAsked = Math.max(countAsked, job.request.count);
        send(loop.scan(firstCursor(job.request)));
      };
      this.handler = {
        ...unexpected(reject),
        error: (message) => reject(new ServerReplyError(message)),
        scanCursor: (next) => {
          const loop = waiting.shift();
          if (loop === undefined) return reject(new Error('unexpected reply'));
          reading = loop;
          replyBytes = 0;
          replyKeys = 0;
          loop.cursor = next;
          loop.last = isLastCursor(next, loop.job.request);
          // The point of this class: ask for the next batch before reading this one.
          if (!loop.last) ready.push(loop);
          pump();
        },
        scanKey: (chunk, start, end) => {
          // The key and its `$<length>` line.
          replyBytes += end - start + 8;
          replyKeys++;
          (reading as Loop).job.sink.key(chunk, start, end);
        },
        scanEnd: () => {
          const loop = reading as Loop;
          largest = Math.max(largest, replyBytes);
          keysRead += replyKeys;
          keyBytesRead += replyBytes;
          loop.job.sink.batchEnd(loop.cursor);
          if (loop.last) running--;
          pump();
          if (running === 0 && !jobsLeft) resolve();
        },
      };
      pump();
      if (running === 0) resolve();
      this.flush();
    });
  }

  close(): void {
    this.closedByUs = true;
    this.handler = ignoring;
    this.failure = undefined;
    this.socket.destroy();
  }

  private async handshake(
    credentials: RedisCredentials,
    tuning: ConnectionTuning,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // Replies come in order: `optional` marks a command whose refusal does not matter.
    const commands: { args: (string | number)[]; optional: boolean }[] = [];
    const password = credentials.password;
    if (password !== undefined && password !== '') {
      commands.push({
        args: this.endpoint.username ? ['AUTH', this.endpoint.username, password] : ['AUTH', password],
        optional: false,
      });
    }
    if (this.endpoint.db !== 0) commands.push({ args: ['SELECT', this.endpoint.db], optional: false });
    // The name only helps CLIENT LIST readers; a user whose ACL forbids CLIENT (`~* +@read`)
    // must still walk, as ioredis also ignores a refused SETNAME.
    commands.push({ args: ['CLIENT', 'SETNAME', `${tuning.connectionName}-walk`], optional: true });
    await this.exchange(signal, 'the handshake', (resolve, reject) => {
      let answers = 0;
      let firstError: string | undefined;
      const answered = (error?: string): void => {
        const command = commands[answers++];
        // A server at its maxclients answers the first command so, then closes: never optional.
        const full = error !== undefined && SERVER_FULL.test(error);
        if (error !== undefined && firstError === undefined && (!command?.optional || full)) firstError = error;
        if (answers < commands.length) return;
        if (firstError === undefined) resolve();
        else reject(new ServerReplyError(firstError));
      };
      this.handler = {
        ...unexpected(reject),
        simple: () => answered(),
        // A password given to a server that has none is not an error (ioredis ignores it too).
        error: (message) => answered(/without any password configured/i.test(message) ? undefined : message),
      };
      for (const command of commands) this.send(command.args);
    });
  }

  /** Runs one request/reply exchange: settles once, on the first of the handler's
   * resolve/reject, a transport failure, or the signal. */
  private exchange(
    signal: AbortSignal | undefined,
    command: string,
    start: (resolve: () => void, reject: (error: unknown) => void) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => settle(new KeyspaceCancelledError());
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.handler = ignoring;
        this.failure = undefined;
        this.socket.setTimeout(0);
        if (error === undefined) {
          resolve();
        } else {
          // After a failure or a cancellation the stream is in an unknown state: drop it.
          this.close();
          reject(keyspaceError(error, this.endpoint, command));
        }
      };
      if (signal?.aborted) return settle(new KeyspaceCancelledError());
      if (this.broken !== undefined || this.socket.destroyed) {
        return settle(this.broken ?? new Error('the connection was closed'));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.failure = settle;
      // Silence while a command is out means no answer (a paused or unreachable server);
      // an idle connection between commands owes nothing, so the clock runs only now.
      this.socket.setTimeout(this.timeoutMs);
      start(
        () => settle(),
        (error) => settle(error ?? new Error('failed')),
      );
    });
  }

  /** Writes the SCAN calls queued while a read was parsed, in one write. */
  private flush(): void {
    const queued = this.outgoing;
    if (queued.length === 0) return;
    const bytes = queued.length === 1 ? (queued[0] as Buffer) : Buffer.concat(queued);
    queued.length = 0;
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  private send(args: readonly (string | Buffer | number)[]): void {
    this.socket.write(encodeCommand(args));
  }

  private fail(error: unknown): void {
    if (this.closedByUs) return;
    const failure = this.failure;
    if (failure) {
      failure(error);
    } else {
      this.broken ??= error;
      this.socket.destroy();
    }
  }
}

/** A handler that rejects every reply; exchanges override what they expect. */
function unexpected(reject: (error: unknown) => void): ReplyHandler {
  const fail = (): void => reject(new Error('unexpected reply'));
  return { simple: fail, integer: fail, error: fail, bulk: fail, scanCursor: fail, scanKey: fail, scanEnd: fail };
}

const ignoring: ReplyHandler = {
  simple: () => undefined,
  integer: () => undefined,
  error: () => undefined,
  bulk: () => undefined,
  scanCursor: () => undefined,
  scanKey: () => undefined,
  scanEnd: () => undefined,
};

/**
 * Where a plain TCP socket's reads go. Node reads them into one buffer of the connection's
 * own (net's `onread`) instead of a new 64 KiB buffer per read pushed through the socket's
 * stream and its 'data' event: a walk of 1M keys in 8 parts reads ~8,000 replies. TLS
 * sockets have no `onread`: they emit 'data' (`ownBuffer` stays false).
 */
interface SocketReads {
  /** Set by connectSocket: reads come through `deliver`, not 'data'. */
  ownBuffer: boolean;
  /** Takes a read; the chunk's memory is read into again afterwards. */
  deliver: (chunk: Buffer) => void;
}

const READ_BUFFER_BYTES = 64 * 1024;

/** The SCAN replies one walk connection may leave queued at the server, beyond the one being
 * read: four of 250 keys of ~100 bytes (see scanParts). */
const PIPELINED_REPLY_BYTES = 128 * 1024;

/** A key's bytes in a SCAN reply assumed before any is read: twice a usual name (`user:1234:profile`) and more. */
const UNREAD_KEY_BYTES = 200;

/** A TCP socket, or with TLS on a TLS socket with the same certificates and checks as connectRedis. */
function connectSocket(
  endpoint: RedisEndpoint,
  tuning: ConnectionTuning,
  signal: AbortSignal | undefined,
  reads: SocketReads,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let tlsOptions: tls.ConnectionOptions | undefined;
    try {
      tlsOptions = tlsConnectionOptions(endpoint);
    } catch (error) {
      reject(keyspaceError(error, endpoint, 'connect'));
      return;
    }
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const socket: net.Socket = tlsOptions
      ? tls.connect({ ...tlsOptions, host: endpoint.host, port: endpoint.port })
      : net.connect({
          host: endpoint.host,
          port: endpoint.port,
          onread: {
            buffer: readBuffer,
            callback: (bytes) => {
              reads.deliver(readBuffer.subarray(0, bytes));
              return true;
            },
          },
        });
    reads.ownBuffer = !tlsOptions;
    let done = false;
    let tcpConnected = false;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', finish);
      if (error === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        const timedOut = (error as { code?: unknown }).code === 'ETIMEDOUT';
        reject(
          error instanceof KeyspaceCancelledError
            ? error
            : // TCP connected, TLS never answered: a server without TLS (as connectRedis says).
              tlsOptions && tcpConnected && timedOut
              ? tlsHandshakeTimeout(endpoint)
              : keyspaceError(error, endpoint, 'connect'),
        );
      }
    };
    const onAbort = (): void => finish(new KeyspaceCancelledError());
    const timer = setTimeout(
      () => finish(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
      tuning.timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (tlsOptions) {
      socket.once('connect', () => {
        tcpConnected = true;
      });
    }
    socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
      socket.setNoDelay(true);
      finish();
    });
    socket.on('error', finish);
  });
}
