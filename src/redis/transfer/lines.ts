import { constants } from 'node:buffer';
import { createReadStream } from 'node:fs';

/**
 * The longest line an export file may have, in bytes: a line is read as one string, and the
 * JavaScript engine makes no string longer than this (about 512 MiB). A line's UTF-8 text
 * never has more characters than bytes, so a line within this limit always fits.
 */
export const MAX_LINE_BYTES = constants.MAX_STRING_LENGTH;

/** What editors that save "UTF-8 with BOM" put first (Notepad, PowerShell 5's UTF8): not part of the text. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** One line of a file: its text, or only its length when it is longer than the limit. */
export type FileLine =
  { readonly text: string; readonly tooLong?: undefined } | { readonly text?: undefined; readonly tooLong: number };

/**
 * The lines of a file, read streamed, split at `\n` (a `\r` before it is dropped), decoded
 * as UTF-8 (a byte order mark at the start of the file dropped). A line longer than
 * `maxBytes` is not kept (node's readline would try to build it and throw inside its stream,
 * and its reader would then wait forever): its length alone is given, and reading goes on
 * with the next line.
 */
export async function* fileLines(file: string, maxBytes = MAX_LINE_BYTES): AsyncGenerator<FileLine> {
  const input = createReadStream(file, { highWaterMark: 1024 * 1024 });
  let parts: Buffer[] = [];
  let size = 0;
  let first = true;
  const line = (): FileLine => {
    const atStart = first;
    first = false;
    if (size > maxBytes) return { tooLong: size };
    let bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
    if (atStart && bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    return { text: bytes.toString('utf8') };
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      for (let start = 0; ;) {
        const newline = chunk.indexOf(0x0a, start);
        const piece = chunk.subarray(start, newline < 0 ? chunk.length : newline);
        size += piece.length;
        // Past the limit the line's bytes are only counted, not kept.
        if (size > maxBytes) parts = [];
        else if (piece.length > 0) parts.push(piece);
        if (newline < 0) break;
        yield line();
        parts = [];
        size = 0;
        start = newline + 1;
      }
    }
    if (size > 0) yield line();
  } finally {
    input.destroy();
  }
}
