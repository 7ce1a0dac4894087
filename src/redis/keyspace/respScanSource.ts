import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConnectionTuning, DEFAULT_TUNING } from '../connection';
import { RedisCredentials, RedisEndpoint } from '../endpoint';
import { SERVER_FULL, tlsHandshakeTimeout } from '../errors';
import { tlsConnectionOptions } from '../tls';
import { KeyspaceCancelledError, keyspaceError, ServerReplyError } from './errors';
import { encodeCommand, ReplyHandler, scanCommandEncoder, ScanReplyReader } from './resp';
import { firstCursor, isLastCursor, ScanRequest, scanArguments, ScanSink, ScanSource } from './scanSource';

/**
 * A dedicated connection for one keyspace walk, speaking RESP2 itself (see resp.ts):
 * as soon as a SCAN reply's cursor arrives, the next SCAN goes out, and the keys of the
 * current reply are read and counted while the server works on the next batch. Only
 * one SCAN is ever ahead, so the server still does bounded work per call and other
 * clients are served between calls exactly as with a plain SCAN loop.
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
    // The arguments after the cursor (COUNT, MATCH, TYPE) are the same for every call.
    const scan = scanCommandEncoder(scanArguments('0', request).slice(1));
    return this.exchange(signal, 'SCAN', (resolve, reject) => {
      let last = false;
      let cursor = '0';
      this.handler = {
        ...unexpected(reject),
        error: (message) => reject(new ServerReplyError(message)),
        scanCursor: (next) => {
          cursor = next;
          last = isLastCursor(next, request);
          // The point of this class: ask for the next batch before reading this one.
          if (!last) this.socket.write(scan(next));
        },
        scanKey: (chunk, start, end) => sink.key(chunk, start, end),
        scanEnd: () => {
          sink.batchEnd(cursor);
          if (last) resolve();
        },
      };
      this.socket.write(scan(firstCursor(request)));
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
