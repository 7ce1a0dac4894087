/**
 * JSON text kept exact while its layout changes. JSON.parse + JSON.stringify would
 * round numbers past 2^53, turn `1.0` into `1` and `\u00e9` into `é`, and drop a duplicate
 * member: a value saved back would differ from what the service wrote in more than
 * whitespace. So this scans the JSON grammar (RFC 8259) itself and only ever moves the
 * whitespace between tokens; each token is kept byte for byte.
 */

export interface JsonToken {
  readonly kind: 'punctuation' | 'value';
  readonly text: string;
}

/** Invalid JSON, with where (1-based line and column of the text given). */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';

  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

const WHITESPACE = /[ \t\n\r]*/y;
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;

/** The tokens of one JSON text, or JsonSyntaxError naming the first place it is not JSON. */
export function jsonTokens(text: string): JsonToken[] {
  const tokens: JsonToken[] = [];
  let at = 0;
  const position = (offset: number): { line: number; column: number } => {
    const before = text.slice(0, offset).split('\n');
    return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 };
  };
  const fail = (reason: string): never => {
    const { line, column } = position(at);
    throw new JsonSyntaxError(reason, line, column);
  };
  const skip = (): void => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const take = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) return undefined;
    at = pattern.lastIndex;
    return match[0];
  };
  const found = (): string => (at >= text.length ? 'the end of the text' : JSON.stringify(text.slice(at, at + 1)));
  const punctuation = (char: string): boolean => {
    skip();
    if (text[at] !== char) return false;
    tokens.push({ kind: 'punctuation', text: char });
    at++;
    return true;
  };
  const value = (depth: number): void => {
    if (depth > 500) fail('nested too deeply');
    skip();
    const char = text[at];
    if (char === '{') {
      punctuation('{');
      if (punctuation('}')) return;
      do {
        skip();
        const name = take(STRING);
        if (name === undefined) fail(`expected a member name in double quotes, found ${found()}`);
        tokens.push({ kind: 'value', text: name as string });
        if (!punctuation(':')) fail(`expected ':' after a member name, found ${found()}`);
        value(depth + 1);
      } while (punctuation(','));
      if (!punctuation('}')) fail(`expected ',' or '}', found ${found()}`);
      return;
    }
    if (char === '[') {
      punctuation('[');
      if (punctuation(']')) return;
      do value(depth + 1);
      while (punctuation(','));
      if (!punctuation(']')) fail(`expected ',' or ']', found ${found()}`);
      return;
    }
    const scalar = take(STRING) ?? take(NUMBER) ?? take(LITERAL);
    if (scalar === undefined) fail(`expected a value, found ${found()}`);
    tokens.push({ kind: 'value', text: scalar as string });
  };
  value(0);
  skip();
  if (at < text.length) fail(`expected the end of the JSON value, found ${found()}`);
  return tokens;
}

/** The JSON text without any whitespace between tokens. */
export function compactJson(text: string): string {
  return jsonTokens(text)
    .map((t) => t.text)
    .join('');
}

/** The JSON text indented by two spaces, laid out as `JSON.stringify(value, null, 2)` would, tokens unchanged. */
export function prettyJson(text: string): string {
  const tokens = jsonTokens(text);
  let out = '';
  let depth = 0;
  const newline = (): string => `\n${'  '.repeat(depth)}`;
  tokens.forEach((token, i) => {
    const next = tokens[i + 1]?.text;
    switch (token.text) {
      case '{':
      case '[':
        if (token.kind === 'punctuation') {
          if (next === (token.text === '{' ? '}' : ']')) {
            out += token.text;
          } else {
            depth++;
            out += token.text + newline();
          }
          return;
        }
        break;
      case '}':
      case ']':
        if (token.kind === 'punctuation') {
          const previous = tokens[i - 1]?.text;
          const empty = previous === (token.text === '}' ? '{' : '[') && tokens[i - 1]?.kind === 'punctuation';
          if (!empty) {
            depth--;
            out += newline();
          }
          out += token.text;
          return;
        }
        break;
      case ',':
        if (token.kind === 'punctuation') {
          out += `,${newline()}`;
          return;
        }
        break;
      case ':':
        if (token.kind === 'punctuation') {
          out += ': ';
          return;
        }
        break;
    }
    out += token.text;
  });
  return out;
}

/** True when the text is a JSON object or array written without any whitespace. */
export function isCompactJson(text: string): boolean {
  try {
    return compactJson(text) === text;
  } catch {
    return false;
  }
}
