import * as net from 'node:net';
import type { BinaryString } from './binary';
import { compareNatural } from './naturalOrder';
import { withoutEchoedArguments } from '../replyText';
import { encodeCommand, ReplyHandler, ScanReplyReader } from './resp';

/**
 * The Keys view's first rows before the extension's second stage has loaded: one SCAN (a
 * few if the first finds nothing) on a socket of its own, its keys counted per top-level
 * namespace. In code-server the second stage's load holds the extension host's thread for
 * 120-190 ms and the password read that a connection waits for comes back only after it
 * (docs/benchmarks.md, issue 15): the first row came 380-820 ms after the click. This runs
 * before that load, with nothing but `net` and the RESP reader of resp.ts, so that the
 * first stage (loaded at startup in every window) stays free of ioredis. The walk that
 * follows replaces these rows with its own.
 */
export interface FirstGlanceOptions {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  /** Who logs in (AUTH), as the walk would; no AUTH without a password. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** SCAN's COUNT: the walk's `scanCount`, the same bound on the server's work per call. */
  readonly count: number;
  readonly delimiter: BinaryString;
  /** `<name>-glance` in CLIENT LIST. */
  readonly connectionName: string;
  /** The whole glance (connect, log in, scan), after which it gives up. */
  readonly timeoutMs: number;
}

export interface FirstGlance {
  /** Distinct keys read. */
  readonly keysRead: number;
  /** Keys read per top-level namespace (its path, as a binary string). */
  readonly namespaces: ReadonlyMap<BinaryString, number>;
  /** Keys read without the delimiter: the root's own keys. */
  readonly rootKeys: number;
}

/** At most this many SCAN calls, when the first ones find no key (a sparse table's first buckets). */
const MAX_SCANS = 4;

export function firstGlance(options: FirstGlanceOptions): Promise<FirstGlance> {
  return new Promise((resolve, reject) => {
    const delimiter = Buffer.from(options.delimiter, 'latin1');
    const seen = new Set<BinaryString>();
    const namespaces = new Map<BinaryString, number>();
    let rootKeys = 0;
    let scans = 0;
    let cursor = '0';
    let settled = false;
    const socket = net.connect({ host: options.host, port: options.port });
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve({ keysRead: seen.size, namespaces, rootKeys });
    };
    const timer = setTimeout(
      () => finish(new Error(`Redis did not answer within ${Math.round(options.timeoutMs)} ms`)),
      options.timeoutMs,
    );
    const scan = (): void => {
      scans++;
      socket.write(encodeCommand(['SCAN', cursor, 'COUNT', options.count]));
    };

    // The handshake's replies come in order; only CLIENT SETNAME may be refused (an ACL without CLIENT).
    const handshake: { args: (string | number)[]; optional: boolean }[] = [];
    if (options.password !== undefined && options.password !== '') {
      handshake.push({
        args: options.username ? ['AUTH', options.username, options.password] : ['AUTH', options.password],
        optional: false,
      });
    }
    if (options.db !== 0) handshake.push({ args: ['SELECT', options.db], optional: false });
    handshake.push({ args: ['CLIENT', 'SETNAME', `${options.connectionName}-glance`], optional: true });
    let answered = 0;
    const unexpected = (): void => finish(new Error('Redis sent a reply a SCAN does not have'));
    const handler: ReplyHandler = {
      simple: () => {
        if (answered++ >= handshake.length) unexpected();
      },
      error: (message) => {
        const command = handshake[answered++];
        // A password given to a server without one is not an error (ioredis ignores it too;
        // Redis 6+ and Redis 5 say it so).
        if (command?.optional || /without any password configured|no password is set/i.test(message)) return;
        finish(new Error(withoutEchoedArguments(message)));
      },
      integer: unexpected,
      bulk: unexpected,
      scanCursor: (next) => {
        cursor = next;
      },
      scanKey: (chunk, start, end) => {
        const key = chunk.toString('latin1', start, end);
        if (seen.has(key)) return;
        seen.add(key);
        const at = chunk.subarray(start, end).indexOf(delimiter);
        if (at === -1) {
          rootKeys++;
        } else {
          const path = chunk.toString('latin1', start, start + at);
          namespaces.set(path, (namespaces.get(path) ?? 0) + 1);
        }
      },
      scanEnd: () => {
        if (seen.size > 0 || cursor === '0' || scans >= MAX_SCANS) finish();
        else scan();
      },
    };
    const reader = new ScanReplyReader(handler);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.feed(chunk);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('the connection was closed')));
    // Written at once: Node sends them when the connection is made, as one pipeline.
    for (const command of handshake) socket.write(encodeCommand(command.args));
    scan();
  });
}

/** A top-level row of the glance: its path, the keys read in it, and its declaration if declared. */
export interface GlanceNamespace<D> {
  readonly path: BinaryString;
  readonly count: number;
  readonly declared: D | undefined;
}

/**
 * The top-level namespace rows in the Keys view's order (KeysView.namespaceRows): the
 * declared ones first, also before a key of theirs was read; then the ancestors of nested
 * declared ones (`billing` of `billing:invoices`); then the others in natural order, at
 * most `pageSize` of them (`othersListed` of `othersFound`).
 */
export function glanceNamespaces<D extends { readonly path: BinaryString }>(
  glance: Pick<FirstGlance, 'namespaces'>,
  declared: readonly D[],
  delimiter: BinaryString,
  pageSize: number,
): { readonly rows: GlanceNamespace<D>[]; readonly othersListed: number; readonly othersFound: number } {
  const rows: GlanceNamespace<D>[] = [];
  const seen = new Set<BinaryString>();
  const add = (path: BinaryString, declaration: D | undefined): void => {
    if (seen.has(path)) return;
    seen.add(path);
    rows.push({ path, count: glance.namespaces.get(path) ?? 0, declared: declaration });
  };
  for (const declaration of declared) if (!declaration.path.includes(delimiter)) add(declaration.path, declaration);
  for (const { path } of declared) {
    const at = path.indexOf(delimiter);
    if (at !== -1) add(path.slice(0, at), undefined);
  }
  const others = [...glance.namespaces.keys()].filter((path) => !seen.has(path)).sort(compareNatural);
  const listed = others.slice(0, pageSize);
  for (const path of listed) add(path, undefined);
  return { rows, othersListed: listed.length, othersFound: others.length };
}
