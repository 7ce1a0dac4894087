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

export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(message: string, readonly variable?: string) {
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
      if (close < 0) throw invalid(template);
      out += braced(template.slice(i + 2, close), template, lookup, used);
      i = close + 1;
      continue;
    }
    throw invalid(template);
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

function braced(body: string, template: string, lookup: Lookup, used: Set<string> | undefined): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) throw invalid(template);
  used?.add(name);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';

  const operator = /^:?[-+?]/.exec(rest)?.[0];
  if (operator === undefined) throw invalid(template);
  const word = interpolate(rest.slice(operator.length), lookup, used);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (operator) {
    case ':-': return nonEmpty ? value : word;
    case '-': return set ? value : word;
    case ':+': return nonEmpty ? word : value ?? '';
    case '+': return set ? word : '';
    case ':?':
    case '?':
      if (operator === ':?' ? nonEmpty : set) return value ?? '';
      throw new InterpolationError(`required variable ${name} is missing a value${word ? `: ${word}` : ''}`, name);
  }
  throw invalid(template);
}

function invalid(template: string): InterpolationError {
  return new InterpolationError(`invalid interpolation format in ${JSON.stringify(template)} (write "$$" for a literal "$")`);
}
