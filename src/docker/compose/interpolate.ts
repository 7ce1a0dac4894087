/**
 * Variable interpolation exactly as Docker Compose (compose-go's `template` package)
 * does it in compose files and `.env` files:
 *
 * - `$$` is a literal `$`;
 * - `$VAR` and `${VAR}` are the value, or empty when unset;
 * - `${VAR:-word}` word when VAR is unset or empty, `${VAR-word}` when unset;
 * - `${VAR:+word}` word when VAR is set and not empty, `${VAR+word}` when set;
 * - `${VAR:?message}` fails when VAR is unset or empty, `${VAR?message}` when unset;
 * - words nest (`${A:-${B:-x}}`) and are themselves interpolated, eagerly (as compose-go
 *   does: a `${B:?}` inside an unused default still fails);
 * - any other `$` (`$1`, `$ `, a trailing `$`, `${1}`, `${A.B}`) is an invalid template.
 *
 * Names match `[_a-zA-Z][_a-zA-Z0-9]*`.
 */

/** Value of a variable, or undefined when it is not set at all (empty string = set and empty). */
export type Lookup = (name: string) => string | undefined;

/**
 * A template that cannot be interpolated. The message never quotes the template: it is
 * often a password (`REDIS_PASSWORD=s3cr$1t`); callers add the file, line and key.
 */
export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(
    message: string,
    readonly variable?: string,
    readonly kind: 'invalid' | 'required' = 'invalid',
  ) {
    super(message);
  }
}

const NAME_START = /[_a-zA-Z]/;
const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/**
 * Interpolates `template`. `used`, when given, receives the name of every variable the
 * template looked up (so callers can tell whether a value came from, say, a password).
 */
export function interpolate(template: string, lookup: Lookup, used?: Set<string>): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    if (char !== '$') {
      out += char;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(template.slice(i + 1))?.[0] ?? '';
      used?.add(name);
      out += lookup(name) ?? '';
      i += 1 + name.length;
      continue;
    }
    if (next === '{') {
      const close = closingBrace(template, i);
      if (close < 0) throw invalid();
      out += braced(template.slice(i + 2, close), lookup, used);
      i = close + 1;
      continue;
    }
    throw invalid();
  }
  return out;
}

/** Index of the `}` closing the `${` at `start`, counting nested `${`, as compose-go does. */
function closingBrace(s: string, start: number): number {
  let open = 0;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '}') {
      open--;
      if (open === 0) return i;
    }
    if (s[i] === '$' && s[i + 1] === '{') {
      open++;
      i++;
    }
  }
  return -1;
}

function braced(body: string, lookup: Lookup, used: Set<string> | undefined): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw invalid();
  used?.add(name);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';

  const operator = /^:?[-+?]/.exec(rest)?.[0];
  if (operator === undefined) throw invalid();
  const word = interpolate(rest.slice(operator.length), lookup, used);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (operator) {
    case ':-':
      return nonEmpty ? value : word;
    case '-':
      return set ? value : word;
    case ':+':
      return nonEmpty ? word : (value ?? '');
    case '+':
      return set ? word : '';
    case ':?':
    case '?':
      if (operator === ':?' ? nonEmpty : set) return value ?? '';
      throw new InterpolationError(
        `required variable ${name} is missing a value${word ? `: ${word}` : ''}`,
        name,
        'required',
      );
  }
  throw invalid();
}

function invalid(): InterpolationError {
  return new InterpolationError(
    'invalid interpolation format: a "$" starts no ${VAR} or $VAR (write "$$" for a literal "$"; the value is not shown, it may be a secret)',
  );
}
