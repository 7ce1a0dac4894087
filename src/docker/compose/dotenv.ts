import { readFile } from 'node:fs/promises';
import { interpolate, InterpolationError, Lookup } from './interpolate';

/**
 * `.env` and `env_file` parsing as Docker Compose (compose-go's `dotenv`) does it:
 *
 * - `KEY=VALUE`, `KEY: VALUE`, optional `export ` prefix, blank lines and `#` comment lines;
 * - unquoted values end at the line end or at ` #` (an inline comment), trailing blanks trimmed,
 *   and are interpolated (`${OTHER:-x}`);
 * - single quotes are literal (only `\'` is unescaped) and may span lines;
 * - double quotes may span lines, know `\n`, `\t`, `\r`, `\\`, `\"`, `\$` and are interpolated;
 * - `KEY` alone takes KEY's value from the lookup (the process environment), or is skipped;
 * - an empty value (`KEY=`) is the empty string.
 *
 * Interpolation inside the file sees the lookup first, then keys defined earlier in the file.
 * Error messages name keys and lines, never values (they are often passwords).
 */
export class DotenvError extends Error {
  override readonly name = 'DotenvError';
  constructor(
    message: string,
    readonly line: number,
    readonly variable?: string,
  ) {
    super(message);
  }
}

const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;

export function parseDotenv(text: string, lookup: Lookup = () => undefined): Record<string, string> {
  const src = text.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '');
  const values = new Map<string, string>();
  const resolve: Lookup = (name) => lookup(name) ?? values.get(name);
  let i = 0;
  let line = 1;

  const skipBlank = (): void => {
    while (i < src.length && /[ \t\f\v]/.test(src[i] ?? '')) i++;
  };
  const skipToLineEnd = (): void => {
    while (i < src.length && src[i] !== '\n') i++;
  };

  while (i < src.length) {
    const char = src[i];
    if (char === '\n') {
      line++;
      i++;
      continue;
    }
    if (char !== undefined && /\s/.test(char)) {
      i++;
      continue;
    }
    if (char === '#') {
      skipToLineEnd();
      continue;
    }

    const statementLine = line;
    if (/^export[ \t]/.test(src.slice(i, i + 7))) {
      i += 6;
      skipBlank();
    }
    const keyStart = i;
    while (i < src.length && !['=', ':', '\n'].includes(src[i] ?? '')) {
      const c = src[i] ?? '';
      if (!KEY_CHAR.test(c) && !/[ \t]/.test(c)) {
        // Not even the name so far: a line without "=" may be a password of its own.
        throw new DotenvError(
          `unexpected character ${JSON.stringify(c)} in a variable name (names hold letters, digits, "_", ".", "-", "[" and "]"; the line is not shown, it may be a secret)`,
          statementLine,
        );
      }
      i++;
    }
    const key = src.slice(keyStart, i).trim();
    if (key === '') throw new DotenvError('a line starts with "=" or ":" but names no variable', statementLine);
    if (/\s/.test(key)) {
      throw new DotenvError(
        'a variable name contains a space (the line is not shown, it may be a secret)',
        statementLine,
      );
    }

    if (i >= src.length || src[i] === '\n') {
      const inherited = lookup(key);
      if (inherited !== undefined) values.set(key, inherited);
      continue;
    }
    i++; // '=' or ':'
    skipBlank();

    const quote = src[i];
    let value: string;
    try {
      if (quote === '"' || quote === "'") {
        let raw = '';
        let escaped = false;
        let closed = false;
        for (i = i + 1; i < src.length; i++) {
          const c = src[i] ?? '';
          if (c === '\n') line++;
          if (c !== quote) {
            if (!escaped && c === '\\') {
              escaped = true;
              continue;
            }
            if (escaped) {
              escaped = false;
              raw += '\\';
            }
            raw += c;
            continue;
          }
          if (escaped) {
            escaped = false;
            raw += c;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (!closed) throw new DotenvError(`the quoted value of ${key} has no closing ${quote}`, statementLine);
        value = quote === '"' ? interpolate(expandEscapes(raw), resolve) : raw;
        skipBlank();
        if (src[i] === '#') skipToLineEnd();
        if (i < src.length && src[i] !== '\n') {
          throw new DotenvError(`unexpected text after the closing quote of ${key}`, line);
        }
      } else {
        const end = src.indexOf('\n', i);
        let raw = src.slice(i, end < 0 ? src.length : end);
        i = end < 0 ? src.length : end;
        const comment = raw.indexOf(' #');
        if (comment >= 0) raw = raw.slice(0, comment);
        value = interpolate(raw.trimEnd(), resolve);
      }
    } catch (error) {
      // The message of a `${VAR:?message}` is part of this value: left out with the value.
      if (error instanceof InterpolationError) {
        const what =
          error.kind === 'required' ? `required variable ${error.variable ?? ''} is missing a value` : error.message;
        throw new DotenvError(`${key}: ${what}`, statementLine, error.variable);
      }
      throw error;
    }
    values.set(key, value);
  }
  return Object.fromEntries(values);
}

/** `\n`, `\t`, `\r`, `\\`, `\"` and friends as Go would unquote them; `\$` stays a literal `$`. */
function expandEscapes(raw: string): string {
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    a: '\x07',
    b: '\b',
    f: '\f',
    v: '\v',
    '\\': '\\',
    '"': '"',
  };
  return raw.replace(/\\(.)/gs, (match, c: string) => {
    if (c === '$') return '$$';
    return simple[c] ?? match;
  });
}

/** Reads and parses one env file; undefined when it does not exist. */
export async function readDotenvFile(
  path: string,
  lookup: Lookup = () => undefined,
): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseDotenv(text, lookup);
}
