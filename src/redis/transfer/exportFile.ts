import { stat } from 'node:fs/promises';
import { ExportEnd, FORMAT_NAME, FORMAT_VERSION, bytesFromJson, decodeBase64 } from './format';
import { MAX_LINE_BYTES, fileLines } from './lines';
import { payloadType } from '../migration/copier';
import { scoreInRange } from '../keyValue/editFormat';
import { jsonTokens } from '../keyValue/jsonLayout';

/** A key's value as people read it in the file, decoded to exact bytes. */
export type ReadableValue =
  | { readonly type: 'string'; readonly bytes: Buffer }
  | { readonly type: 'hash'; readonly entries: readonly (readonly [Buffer, Buffer])[] }
  | { readonly type: 'list' | 'set'; readonly items: readonly Buffer[] }
  | { readonly type: 'zset'; readonly members: readonly (readonly [Buffer, string])[] }
  | {
      readonly type: 'stream';
      readonly entries: readonly { readonly id: string; readonly fields: readonly (readonly [Buffer, Buffer])[] }[];
    };

/** One key line of an export file, checked. */
export interface KeyRecord {
  readonly line: number;
  readonly key: Buffer;
  readonly type: string;
  /** Milliseconds the key had left when it was exported; undefined: no TTL. */
  readonly ttlMs: number | undefined;
  /** undefined for types without a readable form (modules) or when the file says null. */
  readonly value: ReadableValue | undefined;
  /** The DUMP payload; undefined when the line has none (written or edited by hand). */
  readonly dump: Buffer | undefined;
}

export interface FileHeader {
  readonly prefix: Buffer;
  readonly delimiter: Buffer;
  readonly exportedAt: string;
  readonly server: string;
}

export interface InvalidLine {
  readonly line: number;
  readonly reason: string;
}

/** What a whole pass over the file found. */
export interface FileCheck {
  /** undefined when line 1 is not a header of this format (then `invalid` says why). */
  readonly header: FileHeader | undefined;
  readonly keys: number;
  /** At most `maxInvalid` of them; `invalidCount` counts all. */
  readonly invalid: readonly InvalidLine[];
  readonly invalidCount: number;
  /** Size and modification time when the pass started: an import checks the file did not change since. */
  readonly size: number;
  readonly mtimeMs: number;
}

export const MAX_INVALID_LISTED = 20;

const TYPES = new Set(['string', 'hash', 'list', 'set', 'zset', 'stream']);
const STREAM_ID = /^\d+-\d+$/;
const INFINITE_SCORES = new Set(['inf', '+inf', '-inf']);

/**
 * Reads an export file line by line (never whole) and checks every line: the header
 * (line 1), each key line's shape and bytes, that each key is under the header's prefix
 * and appears once, that the DUMP payload is of the declared type, and the last line
 * (`{"end":true,"keys":N}`, so a file cut short is caught) with its count. `visit` gets
 * each valid key line in order; a line found invalid is listed (line number and why).
 * Rejects only when the file cannot be read.
 */
export async function readExportFile(
  file: string,
  visit: (record: KeyRecord, header: FileHeader) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<FileCheck> {
  const { size, mtimeMs } = await stat(file);
  const invalid: InvalidLine[] = [];
  let invalidCount = 0;
  const fail = (line: number, reason: string): void => {
    invalidCount++;
    if (invalid.length < MAX_INVALID_LISTED) invalid.push({ line, reason });
  };
  const seen = new Set<string>();
  let header: FileHeader | undefined;
  let end: ExportEnd | undefined;
  let endLine = 0;
  let keys = 0;
  let lineNumber = 0;
  let lastLine = 0;
  for await (const { text, tooLong } of fileLines(file)) {
    lineNumber++;
    if (signal?.aborted) break;
    if (tooLong !== undefined) {
      lastLine = lineNumber;
      fail(lineNumber, tooLongReason(tooLong));
      if (!header) break;
      continue;
    }
    if (text.trim() === '') continue;
    lastLine = lineNumber;
    const parsed = parseJson(text);
    if (parsed.error !== undefined) {
      if (lineNumber === 1) {
        fail(1, `not a Shared Redis export (line 1 is not JSON: ${parsed.error})`);
        break;
      }
      fail(lineNumber, `not valid JSON: ${parsed.error}`);
      continue;
    }
    if (!header) {
      const checked = checkHeader(parsed.value);
      if (typeof checked === 'string') {
        fail(lineNumber, checked);
        break;
      }
      header = checked;
      continue;
    }
    if (end) {
      fail(lineNumber, `a line after the last line (line ${endLine} closed the file)`);
      continue;
    }
    if (isEnd(parsed.value)) {
      end = parsed.value as ExportEnd;
      endLine = lineNumber;
      continue;
    }
    const record = checkKeyLine(parsed.value, lineNumber, header.prefix, text);
    if (typeof record === 'string') {
      fail(lineNumber, record);
      continue;
    }
    const name = record.key.toString('latin1');
    if (seen.has(name)) {
      fail(
        lineNumber,
        `the key ${JSON.stringify(parsed.value && (parsed.value as { key?: unknown }).key)} appears twice in the file`,
      );
      continue;
    }
    seen.add(name);
    keys++;
    await visit(record, header);
  }
  if (lineNumber === 0) fail(1, 'the file is empty (an export has a header line, one line per key and a last line)');
  else if (header && !end && !signal?.aborted) {
    fail(
      lastLine + 1,
      'the file ends without its last line {"end":true,"keys":N}: it was cut short (or that line was removed)',
    );
  } else if (end && invalidCount === 0 && end.keys !== keys) {
    // Checked only when every key line is valid: an invalid line is already the reason to stop.
    fail(
      endLine,
      `the last line says ${JSON.stringify(end.keys)} keys but the file has ${keys} (a line removed or added by hand? correct "keys")`,
    );
  }
  return { header, keys, invalid, invalidCount, size, mtimeMs };
}

/** The header of a file (its first line that is not blank), or why it is not an export. */
export async function readExportHeader(file: string): Promise<FileHeader | string> {
  for await (const { text, tooLong } of fileLines(file)) {
    if (tooLong !== undefined) return `not a Shared Redis export (${tooLongReason(tooLong)})`;
    if (text.trim() === '') continue;
    const parsed = parseJson(text);
    if (parsed.error !== undefined) return `not a Shared Redis export (line 1 is not JSON: ${parsed.error})`;
    return checkHeader(parsed.value);
  }
  return 'the file is empty (an export has a header line, one line per key and a last line)';
}

function tooLongReason(bytes: number): string {
  return `the line is too long to read (${bytes} bytes; a line holds at most ${MAX_LINE_BYTES})`;
}

function parseJson(text: string): { value: unknown; error?: undefined } | { value?: undefined; error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEnd(value: unknown): boolean {
  return isObject(value) && value['end'] === true;
}

function checkHeader(value: unknown): FileHeader | string {
  if (!isObject(value) || value['format'] !== FORMAT_NAME) {
    return `not a Shared Redis export (line 1 has no "format":"${FORMAT_NAME}")`;
  }
  const version = value['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return 'line 1: "version" is not a positive integer';
  }
  if (version > FORMAT_VERSION) {
    return `written by a newer Shared Redis (format version ${version}; this one reads up to ${FORMAT_VERSION}): update the extension`;
  }
  const prefix = bytesFromJson(value['prefix']);
  if (!prefix || prefix.length === 0) return 'line 1: "prefix" is missing or empty';
  const delimiter = bytesFromJson(value['delimiter']) ?? Buffer.alloc(0);
  const exportedAt = typeof value['exportedAt'] === 'string' ? value['exportedAt'] : '';
  const server = typeof value['server'] === 'string' ? value['server'] : '';
  return { prefix, delimiter, exportedAt, server };
}

const KEY_FIELDS = new Set(['key', 'type', 'ttlMs', 'value', 'dump']);

/** A key line checked, or the reason it is invalid. */
function checkKeyLine(value: unknown, line: number, prefix: Buffer, text: string): KeyRecord | string {
  if (!isObject(value)) return 'not a key line (a JSON object with "key", "type", "ttlMs", "value", "dump")';
  const unknown = Object.keys(value).filter((field) => !KEY_FIELDS.has(field));
  if (unknown.length > 0) return `unknown field ${JSON.stringify(unknown[0])}`;
  const key = bytesFromJson(value['key']);
  if (!key) return '"key" is missing or is neither text nor {"base64": …}';
  // The prefix itself counts as under it (a key named `auth:`): export, delete and move include it too.
  if (key.length < prefix.length || !key.subarray(0, prefix.length).equals(prefix)) {
    return `the key ${JSON.stringify(value['key'])} is not under the file's prefix ${JSON.stringify(prefix.toString('utf8'))}`;
  }
  const type = value['type'];
  if (typeof type !== 'string' || type === '') return '"type" is missing';
  const ttl = value['ttlMs'];
  if (ttl !== null && ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 1)) {
    return '"ttlMs" must be a positive whole number of milliseconds, or null for no TTL';
  }
  let dump: Buffer | undefined;
  if (value['dump'] !== undefined && value['dump'] !== null) {
    dump = typeof value['dump'] === 'string' ? decodeBase64(value['dump']) : undefined;
    if (!dump || dump.length < 11) return '"dump" is not a base64 DUMP payload';
    const dumpType = payloadType(dump);
    if (dumpType !== 'other' && dumpType !== type && TYPES.has(type)) {
      return `"dump" holds a ${dumpType} but "type" says ${type}`;
    }
  }
  let readable: ReadableValue | undefined;
  if (value['value'] !== undefined && value['value'] !== null) {
    if (!TYPES.has(type)) return `"value" given for the type ${type}, which has no readable form (use null)`;
    const checked = checkValue(type, value['value'], text);
    if (typeof checked === 'string') return `"value" of a ${type}: ${checked}`;
    readable = checked;
  }
  if (!dump && !readable) return 'neither "dump" nor "value": nothing to write';
  return { line, key, type, ttlMs: typeof ttl === 'number' ? ttl : undefined, value: readable, dump };
}

function bytesList(value: unknown, what: string): Buffer[] | string {
  if (!Array.isArray(value)) return `expected a list of ${what}`;
  const items: Buffer[] = [];
  for (const [i, item] of value.entries()) {
    const bytes = bytesFromJson(item);
    if (!bytes) return `item ${i + 1} is neither text nor {"base64": …}`;
    items.push(bytes);
  }
  return items;
}

function pairs(value: unknown, what: string): [Buffer, Buffer][] | string {
  if (!Array.isArray(value)) return `expected ${what}`;
  const result: [Buffer, Buffer][] = [];
  for (const [i, pair] of value.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) return `item ${i + 1} is not a [field, value] pair`;
    const field = bytesFromJson(pair[0]);
    const fieldValue = bytesFromJson(pair[1]);
    if (!field || !fieldValue) return `item ${i + 1} is neither text nor {"base64": …}`;
    result.push([field, fieldValue]);
  }
  return result;
}

/** `text`: the line as written, for what JSON.parse does not keep (a number's digits). */
function checkValue(type: string, value: unknown, text: string): ReadableValue | string {
  switch (type) {
    case 'string': {
      const bytes = bytesFromJson(value);
      return bytes ? { type, bytes } : 'expected text or {"base64": …}';
    }
    case 'hash': {
      let entries: [Buffer, Buffer][] | string;
      // Any object is the field map, also {"base64": …}: a hash whose one field is named so (a hash's value is never bytes).
      if (isObject(value)) {
        entries = [];
        for (const [field, fieldValue] of Object.entries(value)) {
          const bytes = bytesFromJson(fieldValue);
          if (!bytes) return `the field ${JSON.stringify(field)} is neither text nor {"base64": …}`;
          entries.push([Buffer.from(field, 'utf8'), bytes]);
        }
      } else entries = pairs(value, 'an object of field: value, or a list of [field, value] pairs');
      if (typeof entries === 'string') return entries;
      const fields = new Set(entries.map(([field]) => field.toString('latin1')));
      if (fields.size !== entries.length) return 'a field appears twice';
      if (entries.length === 0) return 'a hash has at least one field';
      return { type, entries };
    }
    case 'list':
    case 'set': {
      const items = bytesList(value, type === 'list' ? 'elements' : 'members');
      if (typeof items === 'string') return items;
      if (items.length === 0) return `a ${type} has at least one ${type === 'list' ? 'element' : 'member'}`;
      if (type === 'set' && new Set(items.map((item) => item.toString('latin1'))).size !== items.length) {
        return 'a member appears twice';
      }
      return { type, items };
    }
    case 'zset': {
      if (!Array.isArray(value) || value.length === 0) return 'expected a list of [member, score] pairs';
      const members: [Buffer, string][] = [];
      for (const [i, pair] of value.entries()) {
        if (!Array.isArray(pair) || pair.length !== 2) return `item ${i + 1} is not a [member, score] pair`;
        const member = bytesFromJson(pair[0]);
        if (!member) return `item ${i + 1}: the member is neither text nor {"base64": …}`;
        const score = pair[1] as unknown;
        // JSON reads a number too small for a double (1e-400) as 0; ZADD refuses it.
        const tooSmall = score === 0 ? numbersRoundedToZero(text)[0] : undefined;
        if (tooSmall !== undefined) {
          return `item ${i + 1}: the score ${tooSmall} is too small for a double (it would be 0)`;
        }
        if (typeof score === 'number' && Number.isFinite(score)) members.push([member, String(score)]);
        else if (typeof score === 'string' && INFINITE_SCORES.has(score)) members.push([member, score]);
        // JSON reads a number past the double range (1e400) as Infinity; ZADD refuses it.
        else if (typeof score === 'number') return `item ${i + 1}: the score is past the range of a double`;
        else return `item ${i + 1}: the score is not a number (or "inf", "-inf")`;
      }
      if (new Set(members.map(([member]) => member.toString('latin1'))).size !== members.length) {
        return 'a member appears twice';
      }
      return { type, members };
    }
    case 'stream': {
      if (!Array.isArray(value)) return 'expected a list of entries {"id": "…", "fields": [[field, value], …]}';
      const entries: { id: string; fields: [Buffer, Buffer][] }[] = [];
      for (const [i, entry] of value.entries()) {
        if (!isObject(entry) || typeof entry['id'] !== 'string' || !STREAM_ID.test(entry['id'])) {
          return `entry ${i + 1} has no id like "1700000000000-0"`;
        }
        const id = streamId(entry['id']);
        if (typeof id === 'string') return `entry ${i + 1}: ${id}`;
        const fields = pairs(entry['fields'], 'a list of [field, value] pairs');
        if (typeof fields === 'string') return `entry ${i + 1}: ${fields}`;
        if (fields.length === 0) return `entry ${i + 1} has no fields`;
        const previous = entries[entries.length - 1];
        if (previous && !idAfter(id, previous.id)) {
          return `entry ${i + 1}: the id ${entry['id']} is not after ${previous.id} (XADD refuses an id not above the last)`;
        }
        entries.push({ id: `${id.ms}-${id.seq}`, fields });
      }
      return { type, entries };
    }
    default:
      return 'no readable form';
  }
}

/** The numbers of a JSON line written with digits that are not all zero but read as 0 (1e-400). */
function numbersRoundedToZero(text: string): string[] {
  let tokens;
  try {
    tokens = jsonTokens(text);
  } catch {
    return []; // JSON.parse took it: this tokenizer's stricter reading is not the judge
  }
  return tokens
    .filter((token) => token.kind === 'value' && /^-?[\d.]/.test(token.text))
    .map((token) => token.text)
    .filter((number) => Number(number) === 0 && !scoreInRange(number));
}

/** The largest part of a stream id: each is a 64-bit unsigned number. */
const MAX_ID_PART = 2n ** 64n - 1n;

interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

/** An id of the form `ms-seq` as XADD accepts it (both parts fit 64 bits unsigned, above 0-0), or why not. */
function streamId(text: string): StreamId | string {
  const [ms, seq] = text.split('-').map(BigInt) as [bigint, bigint];
  if (ms > MAX_ID_PART || seq > MAX_ID_PART) {
    return `the id ${text} does not fit a stream id (each part is at most ${MAX_ID_PART})`;
  }
  if (ms === 0n && seq === 0n) return `the id ${text} is not above 0-0 (XADD refuses it)`;
  return { ms, seq };
}

/** Stream ids in order (XADD refuses an id not after the last one). */
function idAfter(id: StreamId, previous: string): boolean {
  const [previousMs, previousSeq] = previous.split('-').map(BigInt) as [bigint, bigint];
  return id.ms > previousMs || (id.ms === previousMs && id.seq > previousSeq);
}
