/**
 * The export file format (docs/export-format.md): JSON lines. Line 1 is the header, then
 * one line per key, then a last line that closes the file with the number of keys (a file
 * cut short has no last line, so it is refused). Bytes (key names, values, fields) are a
 * JSON string when they are valid UTF-8, else `{"base64": "..."}`: readable where they are
 * text, exact always.
 */

export const FORMAT_NAME = 'shared-redis-export';
export const FORMAT_VERSION = 1;

/** Exact bytes in the file: text when valid UTF-8, base64 otherwise. */
export type JsonBytes = string | { readonly base64: string };

export interface ExportHeader {
  readonly format: typeof FORMAT_NAME;
  readonly version: number;
  /** The namespace's prefix (its path and the delimiter), exact bytes. */
  readonly prefix: JsonBytes;
  readonly delimiter: JsonBytes;
  /** ISO 8601, when the export started. */
  readonly exportedAt: string;
  /** `redis 7.0.15`: the server whose DUMP payloads the file holds. */
  readonly server: string;
}

export interface ExportEnd {
  readonly end: true;
  readonly keys: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Valid UTF-8 becomes its text; anything else base64. Exact both ways (see `bytesFromJson`). */
export function jsonBytes(bytes: Buffer): JsonBytes {
  // Plain ASCII is by far the common case and needs no decoder.
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return { base64: bytes.toString('base64') };
  }
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes a JsonBytes stands for, or undefined when it is neither form. */
export function bytesFromJson(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.keys(value);
    const base64 = (value as { base64?: unknown }).base64;
    if (entries.length === 1 && typeof base64 === 'string') return decodeBase64(base64);
  }
  return undefined;
}

/** Strict base64 (Node's decoder skips what it does not know, which would hide damage). */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * The RDB version a DUMP payload was written with: a DUMP payload ends with the 2-byte
 * RDB version (little endian) and an 8-byte CRC64 (Redis's cluster.c/createDumpPayload).
 * A server refuses payloads of a newer RDB version than its own.
 */
export function payloadRdbVersion(payload: Buffer): number | undefined {
  if (payload.length < 11) return undefined;
  return payload.readUInt16LE(payload.length - 10);
}

/** The default file name of an export: `auth.redis.jsonl` for the prefix `auth:`. */
export function defaultExportFileName(prefix: Buffer, delimiter: Buffer): string {
  const path =
    delimiter.length > 0 && prefix.length > delimiter.length && prefix.subarray(-delimiter.length).equals(delimiter)
      ? prefix.subarray(0, prefix.length - delimiter.length)
      : prefix;
  // File names take no path separators or control characters; anything odd becomes '_'.
  const name = [...path.toString('utf8')]
    .map((char) => (char < ' ' || char === '\x7f' || '\\/:*?"<>|\ufffd'.includes(char) ? '_' : char))
    .join('')
    .replace(/^\.+/, '_');
  return `${name || 'namespace'}.redis.jsonl`;
}
