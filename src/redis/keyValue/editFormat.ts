import { typeDisplayName } from '../keyspace/format';
import { compactJson, isCompactJson, JsonSyntaxError, jsonTokens, prettyJson } from './jsonLayout';
import { ELEMENT_PAGE_SIZE, KeyValue, shownCount, STRING_PAGE_BYTES, StreamEntry } from './read';
import { headerLines, renderKeyValue, RenderedKey, summary } from './render';

/**
 * The editable document of a key, and the way back from its text to the value.
 *
 * Layout: a header of `//` lines (key, type, TTL, …, and how to edit), one empty line,
 * then the value. A string's value is its text exactly (no newline added). A collection
 * has one element per line, each element a JSON string literal, so that every element
 * survives the round trip, newlines, leading spaces, quotes and empty strings included:
 *   hash        "field": "value"
 *   list        "element"                 (in order)
 *   set         "member"
 *   sorted set  "member": score           (score: a number, inf or -inf)
 *   stream      <id>  "field": "value", "field": "value"
 *               (existing entries are kept as they are; delete a line to XDEL it; a new line
 *               with the id `*` is XADDed)
 * Empty lines and `//` lines in a collection's body are ignored.
 */

/** What the editor shows; `readOnlyReason` says why it cannot be saved (undefined: editable). */
export interface EditableDocument extends RenderedKey {
  readonly readOnlyReason: string | undefined;
}

/** A value as the edited document says it should be. */
export type EditedValue =
  | { readonly kind: 'string'; readonly bytes: Buffer }
  | { readonly kind: 'hash'; readonly entries: readonly (readonly [Buffer, Buffer])[] }
  | { readonly kind: 'list'; readonly items: readonly Buffer[] }
  | { readonly kind: 'set'; readonly members: readonly Buffer[] }
  | { readonly kind: 'zset'; readonly members: readonly (readonly [Buffer, string])[] }
  | { readonly kind: 'stream'; readonly entries: readonly StreamEntry[] };

/** The edited text is not a value of its type: `line` is the document's (1-based). Nothing is written. */
export class EditFormatError extends Error {
  override readonly name = 'EditFormatError';

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`Line ${line}: ${reason}`);
  }
}

const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8(bytes: Buffer): string | undefined {
  try {
    return DECODER.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A JSON string literal of the text. JSON.stringify leaves U+2028, U+2029 and U+0085
 * as they are, and an editor takes them for line breaks: they are escaped too.
 */
function literal(text: string): string {
  return JSON.stringify(text).replace(
    /[\u2028\u2029\u0085]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Why a string cannot be edited as text in an editor exactly (undefined: it can). */
function stringTextProblem(bytes: Buffer): string | undefined {
  const text = utf8(bytes);
  if (text === undefined) return 'the value is not UTF-8 text (shown as a hex dump)';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return 'the value holds control characters (shown as a hex dump)';
  if (text.includes('\r')) return 'the value holds carriage returns (\\r), which an editor would not keep exactly';
  if (/[\u2028\u2029\u0085]/.test(text)) {
    return 'the value holds Unicode line separators, which an editor would not keep exactly';
  }
  if (text.startsWith('\ufeff')) {
    return 'the value starts with a byte order mark, which an editor would not keep exactly';
  }
  return undefined;
}

function readOnlyReasonOf(value: KeyValue): string | undefined {
  if (value.kind === 'gone') return 'the key no longer exists';
  if (value.kind === 'unsupported') return `values of type ${typeDisplayName(value.header.type)} are not edited here`;
  const header = value.header;
  if (value.kind === 'string') {
    if (header.length > STRING_PAGE_BYTES) {
      return `the value is larger than 1 MB (${header.length} bytes); only values up to 1 MB are edited here, use the Redis CLI for it`;
    }
    return stringTextProblem(value.bytes);
  }
  // A scan that stopped at its limit with the cursor not yet back at 0 still read everything when it read HLEN/SCARD distinct elements.
  const complete =
    (value.kind !== 'hash' && value.kind !== 'set') || value.complete || shownCount(value) === header.length;
  if (header.length > ELEMENT_PAGE_SIZE) {
    return `it has more than ${ELEMENT_PAGE_SIZE.toLocaleString('en-US')} elements; only values an editor shows whole are edited here, use the Redis CLI for it`;
  }
  if (shownCount(value) < header.length || !complete) {
    // Large elements: a page holds fewer (see elementsPerPage); Load More reads the rest.
    return `only ${shownCount(value).toLocaleString('en-US')} of its ${header.length.toLocaleString('en-US')} elements are shown (they are large); only values an editor shows whole are edited here: Load More until all are shown, or use the Redis CLI`;
  }
  const texts: Buffer[] =
    value.kind === 'hash'
      ? value.entries.flat()
      : value.kind === 'list'
        ? [...value.items]
        : value.kind === 'set'
          ? [...value.members]
          : value.kind === 'zset'
            ? value.members.map(([m]) => m)
            : value.entries.flatMap((e) => e.fields.flat());
  const binary = texts.findIndex((bytes) => utf8(bytes) === undefined);
  if (binary >= 0) return 'some elements are not UTF-8 text (they are shown escaped)';
  return undefined;
}

const HOW_TO: Record<EditedValue['kind'], string> = {
  string: '// edit the text below the empty line, then save (Ctrl+S): it is the exact value',
  hash: '// one "field": "value" per line (JSON strings); change, add or remove lines, then save (Ctrl+S)',
  list: '// one element per line, in order, as a JSON string; change, add or remove lines, then save (Ctrl+S)',
  set: '// one member per line, as a JSON string; add or remove lines, then save (Ctrl+S)',
  zset: '// one "member": score per line (score: a number, inf or -inf); change, add or remove lines, then save (Ctrl+S)',
  stream:
    '// one entry per line: id  "field": "value", …; remove a line to delete the entry, add a line with the id * to add one; existing entries cannot be changed',
};

const UNIT: Record<EditedValue['kind'], string> = {
  string: 'byte',
  hash: 'field',
  list: 'element',
  set: 'member',
  zset: 'member',
  stream: 'entry',
};

/**
 * The document of a key as the editor shows it. An editable value in the format above;
 * otherwise the inspection rendering (renderKeyValue) with a first line saying why it
 * is read-only. A JSON object or array written compact is shown indented (and saved
 * compact again); JSON written in any other layout is shown, and saved, as it is.
 */
export function renderEditable(value: KeyValue, now: Date = new Date()): EditableDocument {
  const reason = readOnlyReasonOf(value);
  if (reason !== undefined || value.kind === 'gone' || value.kind === 'unsupported') {
    const shown = renderKeyValue(value, now);
    if (value.kind === 'gone') return { ...shown, readOnlyReason: reason };
    return {
      ...shown,
      text: `// Read-only: ${reason ?? 'not editable'}.\n${shown.text}`,
      moreLine: shown.moreLine === undefined ? undefined : shown.moreLine + 1,
      readOnlyReason: reason,
    };
  }
  const header = value.header;
  const lines = headerLines(header, now);
  lines.push(`// ${summary(header.length, shownCount(value), UNIT[value.kind], value.kind === 'string')}`);
  let language: RenderedKey['language'] = 'plaintext';
  let body: string;
  switch (value.kind) {
    case 'string': {
      const text = utf8(value.bytes) ?? '';
      const json = jsonShape(text);
      if (json === 'compact') {
        language = 'jsonc';
        lines.push('// JSON, stored compact: shown indented, saved compact (checked before it is saved)');
        body = prettyJson(text);
      } else {
        if (json === 'laid-out') {
          language = 'jsonc';
          lines.push('// JSON: saved as you write it (checked before it is saved)');
        }
        if (text.length === 0) lines.push('// (empty string)');
        lines.push(HOW_TO.string);
        body = text;
      }
      if (json === 'compact') lines.push(HOW_TO.string);
      return {
        text: `${lines.join('\n')}\n\n${body}`,
        language,
        remaining: 0,
        moreLine: undefined,
        readOnlyReason: undefined,
      };
    }
    case 'hash':
      body = value.entries.map(([f, v]) => `${literal(utf8(f) ?? '')}: ${literal(utf8(v) ?? '')}`).join('\n');
      break;
    case 'list':
      body = value.items.map((item) => literal(utf8(item) ?? '')).join('\n');
      break;
    case 'set':
      body = value.members.map((member) => literal(utf8(member) ?? '')).join('\n');
      break;
    case 'zset':
      body = value.members.map(([member, score]) => `${literal(utf8(member) ?? '')}: ${score}`).join('\n');
      break;
    case 'stream':
      body = value.entries.map(renderStreamEntry).join('\n');
      break;
  }
  lines.push(HOW_TO[value.kind]);
  return {
    text: `${lines.join('\n')}\n\n${body}\n`,
    language,
    remaining: 0,
    moreLine: undefined,
    readOnlyReason: undefined,
  };
}

function renderStreamEntry(entry: StreamEntry): string {
  return `${entry.id}  ${entry.fields.map(([f, v]) => `${literal(utf8(f) ?? '')}: ${literal(utf8(v) ?? '')}`).join(', ')}`;
}

/** `compact`: a JSON object or array without whitespace; `laid-out`: one with; undefined: not JSON. */
function jsonShape(text: string): 'compact' | 'laid-out' | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    jsonTokens(text);
  } catch {
    return undefined;
  }
  return isCompactJson(text) ? 'compact' : 'laid-out';
}

/** The type the document's header names (`// type      hash`), as TYPE names it; undefined without that line. */
export function documentType(text: string): string | undefined {
  const match = /^\/\/ type +(.+?)\r?$/m.exec(text.slice(0, 4096));
  if (!match) return undefined;
  const shown = match[1] ?? '';
  return ['string', 'hash', 'list', 'set', 'zset', 'stream'].find((type) => typeDisplayName(type) === shown) ?? shown;
}

interface SplitDocument {
  readonly body: string;
  /** The document's line number (1-based) of the body's first line. */
  readonly firstLine: number;
}

/** Header (`//` lines) and body, split at the first empty line. */
function splitDocument(text: string): SplitDocument {
  let at = 0;
  let line = 1;
  for (;;) {
    const end = text.indexOf('\n', at);
    const raw = end < 0 ? text.slice(at) : text.slice(at, end);
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content === '') return { body: end < 0 ? '' : text.slice(end + 1), firstLine: line + 1 };
    if (!content.startsWith('//') || end < 0) {
      throw new EditFormatError(
        line,
        'the document starts with its header (the // lines) and one empty line before the value; Undo or Revert to get them back',
      );
    }
    at = end + 1;
    line++;
  }
}

/**
 * The value the edited document describes, for a key of the type (and, for a string, the
 * JSON layout) of `base`, the value the editor read. Throws EditFormatError naming the
 * first line that is not right; nothing is half-parsed.
 */
export function parseEdited(base: KeyValue, text: string): EditedValue {
  if (base.kind === 'gone' || base.kind === 'unsupported') throw new EditFormatError(1, 'this key cannot be edited');
  const { body, firstLine } = splitDocument(text);
  if (base.kind === 'string') return { kind: 'string', bytes: parseStringBody(base.bytes, body, firstLine) };
  const lines: { text: string; line: number }[] = [];
  body.split('\n').forEach((raw, i) => {
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '' || content.trimStart().startsWith('//')) return;
    lines.push({ text: content, line: firstLine + i });
  });
  if (lines.length === 0 && base.kind !== 'stream') {
    throw new EditFormatError(
      firstLine,
      `a ${typeDisplayName(base.kind)} cannot be empty in Redis; to remove the key, use Delete Key in the Keys view`,
    );
  }
  switch (base.kind) {
    case 'hash': {
      const once = onlyOnce('field');
      const entries = lines.map(({ text: content, line }) => {
        const [field, value] = pairLine(content, line, 'field', 'value');
        return [once(field, line), value] as const;
      });
      return { kind: 'hash', entries };
    }
    case 'list':
      return { kind: 'list', items: lines.map(({ text: content, line }) => soleString(content, line, 'element')) };
    case 'set': {
      const once = onlyOnce('member');
      const members = lines.map(({ text: content, line }) => once(soleString(content, line, 'member'), line));
      return { kind: 'set', members };
    }
    case 'zset': {
      const once = onlyOnce('member');
      const members = lines.map(({ text: content, line }) => {
        const scanner = new LineScanner(content, line);
        const member = scanner.string('a member as a JSON string');
        scanner.expect(':', 'after the member');
        const score = scanner.rest().trim();
        if (!SCORE.test(score)) {
          throw new EditFormatError(
            line,
            `the score of ${literal(member.toString('utf8'))} is ${JSON.stringify(score)}, not a number (write e.g. 1.5, -3, 2e10 or inf)`,
          );
        }
        if (!scoreInRange(score)) {
          throw new EditFormatError(
            line,
            `the score of ${literal(member.toString('utf8'))} is ${score}, which Redis cannot keep (beyond about ±1.8e308, or so small it would be 0): write a smaller one, or inf or -inf for no bound`,
          );
        }
        return [once(member, line), score] as const;
      });
      return { kind: 'zset', members };
    }
    case 'stream':
      return { kind: 'stream', entries: lines.map(({ text: content, line }) => streamLine(content, line)) };
  }
}

/** A check that each field (or member) is on one line only: returns it, or names both lines. */
function onlyOnce(what: 'field' | 'member'): (name: Buffer, line: number) => Buffer {
  const seen = new Map<string, number>();
  return (name, line) => {
    const first = seen.get(name.toString('hex'));
    if (first !== undefined) {
      throw new EditFormatError(
        line,
        `the ${what} ${literal(name.toString('utf8'))} is also on line ${first}; a ${what} appears once`,
      );
    }
    seen.set(name.toString('hex'), line);
    return name;
  };
}

/** A score as ZADD takes it: a decimal number, `inf`, `+inf` or `-inf` (NaN is refused by Redis). */
const SCORE = /^[+-]?(?:inf|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/i;

/**
 * Whether Redis keeps a score written as `score` (which SCORE accepts): its strtod refuses
 * one that overflows a double (1e400) or underflows to 0 from digits that are not all zero
 * (1e-400), but takes the tiny ones that stay above 0 (5e-324). Checked before anything is
 * sent: a ZADD refused at EXEC would leave the MULTI's other commands (a ZREM) applied.
 */
export function scoreInRange(score: string): boolean {
  const value = scoreValue(score);
  if (!Number.isFinite(value)) return /inf$/i.test(score.trim());
  return value !== 0 || !/[1-9]/.test(score.trim().replace(/[eE].*$/, ''));
}

/** The value of a number a score stands for (`inf` included). */
export function scoreValue(score: string): number {
  const lower = score.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return Number(score);
}

function parseStringBody(stored: Buffer, body: string, firstLine: number): Buffer {
  const storedText = utf8(stored) ?? '';
  const shape = jsonShape(storedText);
  if (shape === undefined) return Buffer.from(body, 'utf8');
  try {
    return Buffer.from(shape === 'compact' ? compactJson(body) : (jsonTokens(body), body), 'utf8');
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw new EditFormatError(
        firstLine + error.line - 1,
        `not valid JSON at column ${error.column}: ${error.reason} (the value was JSON and stays JSON)`,
      );
    }
    throw error;
  }
}

// eslint-disable-next-line no-control-regex
const STRING_LITERAL = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Reads JSON strings and punctuation along one line of a collection's body. */
class LineScanner {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly line: number,
  ) {}

  private skip(): void {
    while (this.text[this.at] === ' ' || this.text[this.at] === '\t') this.at++;
  }

  fail(reason: string): never {
    throw new EditFormatError(this.line, reason);
  }

  private found(): string {
    return this.at >= this.text.length ? 'the end of the line' : JSON.stringify(this.text.slice(this.at, this.at + 12));
  }

  string(what: string): Buffer {
    this.skip();
    STRING_LITERAL.lastIndex = this.at;
    const match = STRING_LITERAL.exec(this.text);
    if (!match) {
      this.fail(
        `expected ${what} (in double quotes, with \\" for a quote and \\\\ for a backslash), found ${this.found()}`,
      );
    }
    this.at = STRING_LITERAL.lastIndex;
    const value = JSON.parse(match[0]) as string;
    if (LONE_SURROGATE.test(value)) this.fail(`${match[0]} holds half of a UTF-16 surrogate pair, which is not text`);
    return Buffer.from(value, 'utf8');
  }

  expect(char: string, where: string): void {
    this.skip();
    if (this.text[this.at] !== char) this.fail(`expected '${char}' ${where}, found ${this.found()}`);
    this.at++;
  }

  /** True (and moves past it) when the next character is `char`. */
  accept(char: string): boolean {
    this.skip();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  end(): void {
    this.skip();
    if (this.at < this.text.length) this.fail(`unexpected ${this.found()} after the value`);
  }

  rest(): string {
    return this.text.slice(this.at);
  }

  take(pattern: RegExp): string | undefined {
    this.skip();
    const sticky = new RegExp(pattern.source, 'y');
    sticky.lastIndex = this.at;
    const match = sticky.exec(this.text);
    if (!match) return undefined;
    this.at = sticky.lastIndex;
    return match[0];
  }
}

function soleString(content: string, line: number, what: string): Buffer {
  const scanner = new LineScanner(content, line);
  const value = scanner.string(`the ${what} as a JSON string`);
  scanner.end();
  return value;
}

function pairLine(content: string, line: number, first: string, second: string): [Buffer, Buffer] {
  const scanner = new LineScanner(content, line);
  const name = scanner.string(`the ${first} as a JSON string`);
  scanner.expect(':', `after the ${first}`);
  const value = scanner.string(`the ${second} as a JSON string`);
  scanner.end();
  return [name, value];
}

function streamLine(content: string, line: number): StreamEntry {
  const scanner = new LineScanner(content, line);
  const id = scanner.take(/\*|\d+-\d+/);
  if (id === undefined) {
    scanner.fail(
      `expected an entry id (like 1700000000000-0, or * for a new entry), found ${JSON.stringify(content.slice(0, 20))}`,
    );
  }
  const fields: [Buffer, Buffer][] = [];
  do {
    const field = scanner.string('a field name as a JSON string');
    scanner.expect(':', 'after the field name');
    fields.push([field, scanner.string('the value as a JSON string')]);
  } while (scanner.accept(','));
  scanner.end();
  return { id: id as string, fields };
}
