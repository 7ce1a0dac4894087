/**
 * The lines `MONITOR` streams, parsed exactly. Redis writes each as
 * `<seconds>.<micros> [<db> <source>] "<arg>" "<arg>" ...` followed by CRLF, where the source is
 * the peer (`127.0.0.1:53422`, `[::1]:53422`), `lua` or `unix:<path>`, and each argument is
 * quoted by sdscatrepr: `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, printable ASCII as is, any other
 * byte as `\xNN`. Hence a line holds no raw newline and is plain ASCII. Own code because no
 * library parses these lines faithfully (ioredis's monitor mode splits on `" "`, which a value
 * may contain, and leaves the escapes in).
 */

/** Where a monitored command came from. */
export type MonitorSource =
  | { readonly kind: 'client'; readonly addr: string }
  | { readonly kind: 'lua' }
  | { readonly kind: 'unix'; readonly path: string };

/** One argument, unescaped, kept only up to the parser's limit (a 1 MB value is never copied whole). */
export interface MonitorArgument {
  /** The first bytes of the argument (at most the parser's `maxArgumentBytes`). */
  readonly bytes: Buffer;
  /** Its full length in bytes; undefined when the line was cut before the argument ended. */
  readonly length: number | undefined;
}

export interface MonitorLine {
  /** Seconds since the epoch with microseconds, as Redis printed them (`1700000000.123456`). */
  readonly timestamp: string;
  /** Milliseconds since the epoch (for clocks and rates). */
  readonly timeMs: number;
  readonly db: number;
  readonly source: MonitorSource;
  /** The arguments kept (at most `maxArguments`), the command name first. */
  readonly args: readonly MonitorArgument[];
  /** How many arguments the line has in all (more than `args.length` when some were left out). */
  readonly argumentCount: number;
  /** True when the line was longer than the framer keeps and its end was dropped. */
  readonly cut: boolean;
}

export interface MonitorParseLimits {
  readonly maxArgumentBytes: number;
  readonly maxArguments: number;
}

export const DEFAULT_PARSE_LIMITS: MonitorParseLimits = { maxArgumentBytes: 256, maxArguments: 16 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SPACE = 0x20;
const ESCAPES: Record<number, number> = {
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x61: 0x07, // \a
  0x62: 0x08, // \b
  0x5c: 0x5c, // \\
  0x22: 0x22, // \"
};

/**
 * Parses one line (without its CRLF). `cut` says the framer dropped the line's end: the last
 * argument may then be unterminated. Returns undefined for anything that is not a monitor line
 * (the `OK` that answers MONITOR itself, a truncated header).
 */
export function parseMonitorLine(
  line: Buffer,
  cut = false,
  limits: MonitorParseLimits = DEFAULT_PARSE_LIMITS,
): MonitorLine | undefined {
  const header = /^(\d+)\.(\d{1,6}) \[(\d+) /.exec(line.subarray(0, 64).toString('latin1'));
  if (!header) return undefined;
  const [whole, seconds = '0', micros = '0', db = '0'] = header;
  // The source ends at the `] ` before the first argument's quote; an IPv6 peer has its own brackets.
  const end = line.indexOf('] "', whole.length, 'latin1');
  if (end < 0) return undefined;
  const source = parseSource(line.subarray(whole.length, end).toString('latin1'));
  const args: MonitorArgument[] = [];
  let argumentCount = 0;
  let i = end + 2;
  while (i < line.length) {
    if (line[i] !== QUOTE) return undefined;
    const parsed = readQuoted(line, i + 1, args.length < limits.maxArguments ? limits.maxArgumentBytes : 0);
    argumentCount += 1;
    if (args.length < limits.maxArguments) {
      args.push({ bytes: parsed.bytes, length: parsed.closed ? parsed.length : undefined });
    }
    if (!parsed.closed) {
      if (!cut) return undefined;
      break;
    }
    i = parsed.next;
    if (i < line.length) {
      if (line[i] !== SPACE) return undefined;
      i += 1;
    }
  }
  if (argumentCount === 0) return undefined;
  return {
    timestamp: `${seconds}.${micros}`,
    timeMs: Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, '0')) / 1000),
    db: Number(db),
    source,
    args,
    argumentCount,
    cut,
  };
}

function parseSource(text: string): MonitorSource {
  if (text === 'lua') return { kind: 'lua' };
  if (text.startsWith('unix:')) return { kind: 'unix', path: text.slice('unix:'.length) };
  return { kind: 'client', addr: text };
}

/** Reads a quoted argument starting after its opening quote; keeps at most `keep` bytes. */
function readQuoted(
  line: Buffer,
  start: number,
  keep: number,
): { bytes: Buffer; length: number; closed: boolean; next: number } {
  const kept = Buffer.allocUnsafe(Math.min(keep, line.length - start));
  let keptLength = 0;
  let length = 0;
  let i = start;
  const push = (byte: number): void => {
    if (keptLength < kept.length) kept[keptLength++] = byte;
    length += 1;
  };
  while (i < line.length) {
    const byte = line[i] as number;
    if (byte === QUOTE) return { bytes: kept.subarray(0, keptLength), length, closed: true, next: i + 1 };
    if (byte !== BACKSLASH) {
      push(byte);
      i += 1;
      continue;
    }
    const next = line[i + 1];
    if (next === undefined) break;
    if (next === 0x78 /* x */ && i + 3 < line.length) {
      const hex = line.subarray(i + 2, i + 4).toString('latin1');
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        push(parseInt(hex, 16));
        i += 4;
        continue;
      }
    }
    const escaped = ESCAPES[next];
    // sdscatrepr writes no other escape; an unknown one is taken literally, backslash and all.
    if (escaped === undefined) push(byte);
    else {
      push(escaped);
      i += 1;
    }
    i += 1;
  }
  return { bytes: kept.subarray(0, keptLength), length, closed: false, next: i };
}

/**
 * Splits the MONITOR stream into lines, whatever the TCP chunks. Keeps at most `maxLineBytes` of a
 * line (a 1 MB SET value would otherwise be held whole): the rest, up to its newline, is dropped
 * and the line marked `cut`. Splitting at `\n` is exact: sdscatrepr escapes every raw newline.
 */
export class MonitorLineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private cut = false;

  constructor(private readonly maxLineBytes = 64 * 1024) {}

  /** The complete lines in `chunk` (with what came before it), without their CRLF. */
  push(chunk: Buffer): Array<{ line: Buffer; cut: boolean }> {
    const lines: Array<{ line: Buffer; cut: boolean }> = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, newline < 0 ? chunk.length : newline);
      this.hold(piece);
      if (newline < 0) break;
      let line = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.held);
      if (!this.cut && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      lines.push({ line, cut: this.cut });
      this.parts = [];
      this.held = 0;
      this.cut = false;
      start = newline + 1;
    }
    return lines;
  }

  private hold(piece: Buffer): void {
    const room = this.maxLineBytes - this.held;
    if (piece.length > room) this.cut = true;
    const kept = piece.length > room ? piece.subarray(0, room) : piece;
    if (kept.length > 0) {
      // Copy: the socket's chunk must not stay referenced (and alive) through a slice.
      this.parts.push(Buffer.from(kept));
      this.held += kept.length;
    }
  }
}

/**
 * An argument for display: UTF-8 text when it is valid UTF-8 and printable, otherwise Redis's own
 * escaped form; at most `maxChars`, with `…` and the full size when shortened.
 */
export function showArgument(arg: MonitorArgument, maxChars = 60): string {
  const total = arg.length;
  const kept = total === undefined || total > arg.bytes.length;
  // Kept bytes may end inside a character: without its first bytes the rest still reads as text
  // (binary keeps every byte it has, escaped).
  const whole = kept ? withoutCutCharacter(arg.bytes) : arg.bytes;
  const text = isText(whole) ? printable(whole) : printable(arg.bytes);
  const shortened = text.length > maxChars || kept;
  if (!shortened) return text;
  const size = total === undefined ? 'cut' : formatBytes(total);
  return `${text.slice(0, maxChars)}… (${size})`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` without a UTF-8 character's first bytes at its end (the rest of it was not kept). */
function withoutCutCharacter(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if (byte < 0x80) return bytes; // ASCII: nothing cut.
    if (byte >= 0xc0) {
      // A lead byte: its character needs 2, 3 or 4 bytes; fewer are here when it was cut.
      const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return needs > back ? bytes.subarray(0, bytes.length - back) : bytes;
    }
  }
  return bytes;
}

function isText(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function printable(bytes: Buffer): string {
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    // Not UTF-8 (binary): Redis's escaped form below.
    text = undefined;
  }
  // A backslash is doubled, as in the escaped form below: a literal `\x00` must not read as a NUL byte.
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && !/[\x00-\x1f\x7f]/.test(text)) return text.replace(/\\/g, '\\\\');
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
