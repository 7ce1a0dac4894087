import { displayBytes } from '../keyspace/display';
import { formatBytes, formatTtl, groupThousands, typeDisplayName } from '../keyspace/format';
import { prettyJson } from './jsonLayout';
import { KeyHeader, KeyTypeChangedError, KeyValue, shownCount } from './read';

/** What an editor shows for a key. */
export interface RenderedKey {
  readonly text: string;
  /** `jsonc` for a JSON value (its header is in `//` comments), else `plaintext`. */
  readonly language: 'jsonc' | 'plaintext';
  /** Elements (or bytes of a string) not shown yet; 0 when everything is shown. */
  readonly remaining: number;
  /** 0-based line of the "… more" note, where a Load More lens belongs; undefined without one. */
  readonly moreLine: number | undefined;
}

/** Longest rendering of one element of a collection, in characters. */
export const MAX_ELEMENT_CHARS = 10_000;

/**
 * Spaces at a line's edges cannot be seen, nor an empty element: they show as `\x20`, and the
 * empty element as `""` (the element that is those two quotes then as `\x22"`). displayBytes
 * shows `\` as `\\`, so `\x20` never stands for those four characters themselves.
 */
function edgesShown(bytes: Buffer, shown: string): string {
  if (bytes.length === 0) return '""';
  if (shown === '""') return '\\x22"';
  return shown.replace(/^ +| +$/g, (spaces) => '\\x20'.repeat(spaces.length));
}

/**
 * Elements as one line each, escaped (see edgesShown). One longer than MAX_ELEMENT_CHARS is cut, and the cut
 * says the element's whole length: `…` alone would look like a value that ends in `…`, and two
 * long values that differ only past the cut would look the same. `cuts` counts them for the
 * header's note.
 */
class ElementLines {
  cuts = 0;

  readonly of = (bytes: Buffer): string => {
    const shown = edgesShown(bytes, displayBytes(bytes, { maxLength: MAX_ELEMENT_CHARS }));
    // A character of the display stands for at most 3 bytes (4-byte code points take two UTF-16
    // units): a longer element is cut for sure, a shorter one is cheap to display whole.
    const cut =
      bytes.length > 3 * MAX_ELEMENT_CHARS ||
      displayBytes(bytes, { maxLength: Number.MAX_SAFE_INTEGER }).length > MAX_ELEMENT_CHARS;
    if (!cut) return shown;
    this.cuts++;
    return `${shown} [cut: ${groupThousands(bytes.length)} bytes in all]`;
  };
}

/** The key's name as a header shows it: escaped, cut at 1,000 characters. */
export function keyTitle(key: Buffer): string {
  return displayBytes(key, { maxLength: 1000 });
}

/**
 * The document of a key: a header in `//` comments (key, type, TTL, encoding, memory,
 * size), then the value by type. Strings: text as it is; a JSON object or array
 * pretty-printed (language `jsonc`); anything that is not UTF-8 text a hex dump.
 * Hashes field/value, lists with indexes, sets sorted, sorted sets by rank with
 * scores, streams by id with their fields. Collection elements are shown escaped on one
 * line each (see displayBytes), so binary members are exact and unambiguous.
 */
export function renderKeyValue(value: KeyValue, now: Date = new Date()): RenderedKey {
  if (value.kind === 'gone') {
    return { text: goneMessage(value.key), language: 'plaintext', remaining: 0, moreLine: undefined };
  }
  const header = value.header;
  const lines = headerLines(header, now);
  const shown = shownCount(value);
  const remaining = Math.max(0, header.length - shown);
  let language: RenderedKey['language'] = 'plaintext';
  const unit =
    value.kind === 'string'
      ? 'byte'
      : value.kind === 'hash'
        ? 'field'
        : value.kind === 'stream'
          ? 'entry'
          : value.kind === 'set' || value.kind === 'zset'
            ? 'member'
            : 'element';
  if (value.kind !== 'unsupported') {
    lines.push(`// ${summary(header.length, shown, unit, value.kind === 'string')}`);
  }
  const body: string[] = [];
  const cutter = new ElementLines();
  const element = cutter.of;
  switch (value.kind) {
    case 'string': {
      const shape = stringShape(value.bytes, remaining > 0);
      if (value.bytes.length === 0) lines.push('// (empty string)');
      else if (shape.kind === 'json') {
        language = 'jsonc';
        body.push(shape.text);
      } else if (shape.kind === 'text') body.push(shape.text);
      else {
        lines.push('// not UTF-8 text: shown as a hex dump');
        body.push(...hexDump(value.bytes));
      }
      break;
    }
    case 'hash': {
      const fields = value.entries.map(([field]) => element(field));
      const width = Math.min(40, Math.max(5, ...fields.map((f) => f.length)));
      body.push(`${'field'.padEnd(width)}  value`);
      value.entries.forEach(([, v], i) => body.push(`${(fields[i] ?? '').padEnd(width)}  ${element(v)}`));
      if (remaining > 0) {
        lines.push('// fields are sorted among those read so far (HSCAN reads them in no particular order)');
      }
      break;
    }
    case 'list': {
      const width = String(Math.max(0, value.items.length - 1)).length;
      value.items.forEach((item, i) => body.push(`${String(i).padStart(width)}  ${element(item)}`));
      break;
    }
    case 'set':
      body.push(...value.members.map(element));
      if (remaining > 0) {
        lines.push('// members are sorted among those read so far (SSCAN reads them in no particular order)');
      }
      break;
    case 'zset': {
      const width = String(Math.max(0, value.members.length - 1)).length;
      const scoreWidth = Math.min(24, Math.max(5, ...value.members.map(([, s]) => s.length)));
      body.push(`${'#'.padStart(width)}  ${'score'.padStart(scoreWidth)}  member`);
      value.members.forEach(([member, score], i) =>
        body.push(`${String(i).padStart(width)}  ${score.padStart(scoreWidth)}  ${element(member)}`),
      );
      break;
    }
    case 'stream':
      for (const entry of value.entries) {
        body.push(entry.id);
        const names = entry.fields.map(([f]) => element(f));
        const width = Math.min(40, Math.max(0, ...names.map((n) => n.length)));
        entry.fields.forEach(([, v], i) => body.push(`  ${(names[i] ?? '').padEnd(width)}  ${element(v)}`));
      }
      break;
    case 'unsupported':
      lines.push(`// Values of type ${typeDisplayName(header.type)} are not shown here; use the Redis CLI for them.`);
      break;
  }
  if (cutter.cuts > 0) {
    lines.push(
      `// ${plural(cutter.cuts, 'element')} longer than ${groupThousands(MAX_ELEMENT_CHARS)} characters ${cutter.cuts === 1 ? 'is' : 'are'} cut here, ending in "… [cut: N bytes in all]"; read ${cutter.cuts === 1 ? 'it' : 'them'} whole with the Redis CLI`,
    );
  }
  let moreLine: number | undefined;
  const text = [...lines, ...(language === 'jsonc' ? [] : ['']), ...body];
  if (remaining > 0) {
    text.push('');
    moreLine = text.length;
    text.push(
      `// … ${moreNote(remaining, value.kind === 'string')} Use "Load More" (the editor's title bar or the line above) to read the next ${value.kind === 'string' ? '1 MB' : 'page'}.`,
    );
  }
  return { text: `${text.join('\n')}\n`, language, remaining, moreLine: moreLine === undefined ? undefined : moreLine };
}

export function headerLines(header: KeyHeader, now: Date): string[] {
  const expires =
    header.pttlMs >= 0
      ? ` (expires around ${new Date(now.getTime() + header.pttlMs).toISOString().replace(/\.\d+Z$/, 'Z')})`
      : '';
  return [
    `// key       ${keyTitle(header.key)}`,
    `// type      ${typeDisplayName(header.type)}`,
    `// TTL       ${formatTtl(header.pttlMs)}${expires}`,
    `// encoding  ${header.encoding ?? 'unknown'}`,
    `// memory    ${header.memoryBytes === undefined ? 'unknown' : formatBytes(header.memoryBytes)}`,
  ];
}

function plural(n: number, unit: string): string {
  if (n === 1) return `1 ${unit}`;
  return `${groupThousands(n)} ${unit === 'entry' ? 'entries' : `${unit}s`}`;
}

export function summary(total: number, shown: number, unit: string, isString: boolean): string {
  if (isString) {
    const size = `${groupThousands(total)} ${total === 1 ? 'byte' : 'bytes'}`;
    return shown >= total ? `length    ${size}` : `length    ${size}, the first ${formatBytes(shown)} shown`;
  }
  return shown >= total
    ? `length    ${plural(total, unit)}`
    : `length    ${plural(total, unit)}, ${groupThousands(shown)} shown`;
}

function moreNote(remaining: number, isString: boolean): string {
  return isString
    ? `${formatBytes(remaining)} more (${groupThousands(remaining)} bytes) not shown.`
    : `${groupThousands(remaining)} more not shown.`;
}

/** The one message for a key that no longer exists. */
export function goneMessage(key: Buffer): string {
  return `${keyTitle(key)} no longer exists (deleted or expired).\n`;
}

/**
 * One clear message for a read that failed, as the document shows it instead of the value.
 * The text never contains a password (RedisConnectionError's messages do not).
 */
export function describeReadFailure(key: Buffer, error: unknown): string {
  const name = keyTitle(key);
  if (error instanceof KeyTypeChangedError) {
    return `${name} changed type while it was read (it was a ${typeDisplayName(error.expectedType)}). Refresh to read it again.\n`;
  }
  return `Could not read ${name}: ${error instanceof Error ? error.message : String(error)}\n`;
}

type StringShape = { kind: 'json' | 'text'; text: string } | { kind: 'binary' };

const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Text when the bytes are UTF-8 without control characters other than tab, newline and
 * carriage return; JSON when that text is a JSON object or array (not when `truncated`:
 * half a document does not parse). A cut in the middle of a UTF-8 sequence at the end
 * of a truncated string is forgiven. JSON is laid out again with each token kept as written.
 */
export function stringShape(bytes: Buffer, truncated = false): StringShape {
  let text: string | undefined;
  for (let cut = 0; cut <= (truncated ? 3 : 0) && text === undefined; cut++) {
    try {
      text = DECODER.decode(bytes.subarray(0, bytes.length - cut));
    } catch {
      /* try a shorter cut */
    }
  }
  // eslint-disable-next-line no-control-regex
  if (text === undefined || /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) return { kind: 'binary' };
  const trimmed = text.trim();
  if (!truncated && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    try {
      // Token-exact: JSON.parse would round an int64 id, drop a repeated member, and show 1.10 as 1.1.
      return { kind: 'json', text: prettyJson(text) };
    } catch {
      /* text, not JSON */
    }
  }
  return { kind: 'text', text };
}

/** `00000000  48 65 6c 6c 6f 20 77 6f  72 6c 64 00 ff           |Hello world..|`, 16 bytes a line. */
export function hexDump(bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = row[i];
      hex += b === undefined ? '   ' : `${b.toString(16).padStart(2, '0')} `;
      if (i === 7) hex += ' ';
      if (b !== undefined) ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}
