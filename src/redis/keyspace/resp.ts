/**
 * A minimal RESP2 writer and an incremental reader for the replies a keyspace walk gets:
 * simple strings, integers and errors (the handshake, DBSIZE), bulk strings (INFO) and SCAN's `[cursor, [key, …]]`. It exists
 * for one reason: it reports a SCAN reply's cursor as soon as the reply's first bytes
 * arrive, so the walker sends the next SCAN while it still reads and counts the keys of
 * the current one; the server and the client then work at the same time instead of
 * taking turns (ioredis hands a reply over only once it has parsed all of it).
 * Keys are handed out as byte ranges of the chunk read, so counting a key allocates nothing.
 */
const CRLF = Buffer.from('\r\n', 'latin1');

export function encodeCommand(args: readonly (Buffer | string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

/**
 * `SCAN <cursor> <rest…>` for a loop that sends thousands of them (a walk of 1M keys in 8
 * parts sends 8,000): everything but the cursor is encoded once, and each call copies it
 * and the cursor's digits into one buffer, where encodeCommand made and joined nine. The
 * cursor is written as latin1, the way ScanReplyReader read it: the server's bytes, exactly.
 */
export function scanCommandEncoder(rest: readonly (Buffer | string | number)[]): (cursor: string) => Buffer {
  const head = Buffer.from(`*${rest.length + 2}\r\n$4\r\nSCAN\r\n`, 'latin1');
  const tail = encodeCommand(rest).subarray(`*${rest.length}\r\n`.length);
  return (cursor) => {
    const length = `$${cursor.length}\r\n`;
    const out = Buffer.allocUnsafe(head.length + length.length + cursor.length + 2 + tail.length);
    let at = head.copy(out, 0);
    at += out.write(length, at, 'latin1');
    at += out.write(cursor, at, 'latin1');
    out[at++] = 0x0d;
    out[at++] = 0x0a;
    tail.copy(out, at);
    return out;
  };
}

export interface ReplyHandler {
  /** `+OK` and other simple strings. */
  simple(text: string): void;
  /** `:42`, an integer reply (DBSIZE). */
  integer(value: number): void;
  /** `-ERR …`: the server's error message. */
  error(message: string): void;
  /** `$…`, a bulk string reply (INFO), as UTF-8 text; undefined for a null bulk. */
  bulk(text: string | undefined): void;
  /** A SCAN reply began: its cursor. Its keys follow, then `scanEnd`. */
  scanCursor(cursor: string): void;
  /** One key of the current SCAN reply: the bytes `chunk[start, end)`, valid only
   * during the call (copy what must be kept). */
  scanKey(chunk: Buffer, start: number, end: number): void;
  scanEnd(): void;
}

export class RespProtocolError extends Error {
  override readonly name = 'RespProtocolError';
}

const enum State {
  Reply,
  ReplyBody,
  CursorHeader,
  CursorBody,
  ItemsHeader,
  ItemHeader,
  ItemBody,
}

const CR = 13;

export class ScanReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Chunks held while a line or bulk is incomplete, and the bytes needed to go on. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private needed = 0;
  private state = State.Reply;
  private bulkLength = 0;
  private remainingItems = 0;

  constructor(private readonly handler: ReplyHandler) {}

  /** Parses what it can of the stream so far; calls the handler synchronously. `reused`:
   * the chunk's memory is read into again after the call, so what is held is copied. */
  feed(chunk: Buffer, reused = false): void {
    if (this.needed > 0) {
      this.held.push(reused ? Buffer.from(chunk) : chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes < this.needed) return;
      this.buffer = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
      this.needed = 0;
    } else {
      this.buffer = chunk;
    }
    this.pos = 0;
    this.parse();
    if (this.pos < this.buffer.length || this.needed > 0) {
      const rest =
        reused && this.buffer === chunk ? Buffer.from(chunk.subarray(this.pos)) : this.buffer.subarray(this.pos);
      this.held = [rest];
      this.heldBytes = rest.length;
      if (this.needed === 0) this.needed = rest.length + 1;
    }
  }

  /** True between replies (nothing half read). */
  get idle(): boolean {
    return this.state === State.Reply && this.heldBytes === 0;
  }

  private parse(): void {
    const buf = this.buffer;
    const end = buf.length;
    for (;;) {
      switch (this.state) {
        case State.Reply: {
          const cr = this.lineEnd();
          if (cr < 0) return;
          const type = buf[this.pos];
          if (type === 0x2b /* + */) {
            const text = buf.toString('utf8', this.pos + 1, cr);
            this.pos = cr + 2;
            this.handler.simple(text);
          } else if (type === 0x2d /* - */) {
            const message = buf.toString('utf8', this.pos + 1, cr);
            this.pos = cr + 2;
            this.handler.error(message);
          } else if (type === 0x3a /* : */) {
            const value = this.integer(this.pos + 1, cr);
            this.pos = cr + 2;
            this.handler.integer(value);
          } else if (type === 0x24 /* $ */) {
            const length = this.integer(this.pos + 1, cr);
            this.pos = cr + 2;
            if (length < 0) {
              this.handler.bulk(undefined);
            } else {
              this.bulkLength = length;
              this.state = State.ReplyBody;
            }
          } else if (type === 0x2a /* * */ && this.integer(this.pos + 1, cr) === 2) {
            this.pos = cr + 2;
            this.state = State.CursorHeader;
          } else {
            throw new RespProtocolError(
              `unexpected reply: ${JSON.stringify(buf.toString('latin1', this.pos, Math.min(cr, this.pos + 40)))}`,
            );
          }
          break;
        }
        case State.ItemHeader: {
          // The hot loop: whole `$<len>\r\n<bytes>\r\n` items, read without touching state.
          let pos = this.pos;
          let remaining = this.remainingItems;
          const handler = this.handler;
          while (remaining > 0 && pos < end && buf[pos] === 0x24 /* $ */) {
            let i = pos + 1;
            let length = 0;
            let c = i < end ? (buf[i] as number) : -1;
            while (c >= 48 && c <= 57) {
              length = length * 10 + c - 48;
              c = ++i < end ? (buf[i] as number) : -1;
            }
            if (c !== CR || i === pos + 1 || i + 1 >= end || buf[i + 1] !== 10) break; // incomplete or unusual: the general path decides
            const from = i + 2;
            const stop = from + length;
            if (stop + 2 > end) break;
            pos = stop + 2;
            remaining--;
            handler.scanKey(buf, from, stop);
          }
          this.pos = pos;
          this.remainingItems = remaining;
          if (remaining === 0) {
            this.endScan();
            break;
          }
          // A partial or unusual item header: the general path.
          if (pos >= end || !this.bulkHeader()) return;
          break;
        }
        case State.CursorHeader: {
          if (!this.bulkHeader()) return;
          break;
        }
        case State.ReplyBody:
        case State.CursorBody:
        case State.ItemBody: {
          const stop = this.pos + this.bulkLength;
          if (stop + 2 > end) {
            this.needed = stop + 2 - this.pos;
            return;
          }
          const from = this.pos;
          this.pos = stop + 2;
          if (this.state === State.ReplyBody) {
            this.state = State.Reply;
            this.handler.bulk(buf.toString('utf8', from, stop));
          } else if (this.state === State.CursorBody) {
            this.state = State.ItemsHeader;
            this.handler.scanCursor(buf.toString('latin1', from, stop));
          } else {
            this.handler.scanKey(buf, from, stop);
            if (--this.remainingItems === 0) this.endScan();
            else this.state = State.ItemHeader;
          }
          break;
        }
        case State.ItemsHeader: {
          const cr = this.lineEnd();
          if (cr < 0) return;
          if (buf[this.pos] !== 0x2a /* * */) throw new RespProtocolError('expected the key array of a SCAN reply');
          this.remainingItems = this.integer(this.pos + 1, cr);
          this.pos = cr + 2;
          if (this.remainingItems <= 0) this.endScan();
          else this.state = State.ItemHeader;
          break;
        }
      }
    }
  }

  /** Reads a `$<len>` line (of the cursor or of an item); false when it is incomplete. */
  private bulkHeader(): boolean {
    const buf = this.buffer;
    const cr = this.lineEnd();
    if (cr < 0) return false;
    if (buf[this.pos] !== 0x24 /* $ */) throw new RespProtocolError('expected a bulk string in a SCAN reply');
    this.bulkLength = this.integer(this.pos + 1, cr);
    if (this.bulkLength < 0) throw new RespProtocolError('unexpected null in a SCAN reply');
    this.pos = cr + 2;
    this.state = this.state === State.CursorHeader ? State.CursorBody : State.ItemBody;
    return true;
  }

  private endScan(): void {
    this.state = State.Reply;
    this.handler.scanEnd();
  }

  /** Index of the CR of a complete line starting at pos, or -1 (then more bytes are needed). */
  private lineEnd(): number {
    const buf = this.buffer;
    if (this.pos >= buf.length) return -1;
    // Header lines are short: look at a few bytes before asking for a native search.
    const limit = Math.min(buf.length - 1, this.pos + 24);
    for (let i = this.pos + 1; i < limit; i++) {
      if (buf[i] === CR) return buf[i + 1] === 10 ? i : this.badLine();
    }
    const cr = buf.indexOf(CR, this.pos);
    if (cr < 0 || cr + 1 >= buf.length) return -1;
    return buf[cr + 1] === 10 ? cr : this.badLine();
  }

  private badLine(): never {
    throw new RespProtocolError('a line did not end with CRLF');
  }

  private integer(from: number, to: number): number {
    const buf = this.buffer;
    let negative = false;
    let i = from;
    if (buf[i] === 0x2d) {
      negative = true;
      i++;
    }
    let n = 0;
    for (; i < to; i++) {
      const digit = (buf[i] as number) - 48;
      if (digit < 0 || digit > 9) throw new RespProtocolError('expected an integer');
      n = n * 10 + digit;
    }
    return negative ? -n : n;
  }
}
