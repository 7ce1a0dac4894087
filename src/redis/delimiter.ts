/**
 * The one rule for the namespace delimiter (`sharedRedis.delimiter`), shared by the Keys
 * tree, the checks and the ACL file, so that they always agree on what a namespace is.
 *
 * Any character that is not whitespace or a control character is accepted: glob
 * characters (`*`, `?`, `[`, `\`) are escaped wherever the delimiter goes into a pattern.
 * Refused: the empty string (no segments at all) and whitespace or control characters,
 * because Redis splits each line of an ACL file on spaces and has no quoting there, so
 * `~auth *` could never be written into users.acl (and a line break ends the rule).
 */
export type DelimiterCheck =
  { readonly ok: true; readonly delimiter: string } | { readonly ok: false; readonly message: string };

export const DELIMITER_SETTING = 'sharedRedis.delimiter';

export function checkDelimiter(value: unknown): DelimiterCheck {
  if (typeof value !== 'string') {
    return {
      ok: false,
      message: `The setting ${DELIMITER_SETTING} must be text, such as ":" (the default). Nothing was changed.`,
    };
  }
  if (value === '') {
    return {
      ok: false,
      message: `The setting ${DELIMITER_SETTING} is empty: key names need a separator between namespace segments. Set it to ":" (the default) or another visible character. Nothing was changed.`,
    };
  }
  const bad = /[\s\p{Cc}]/u.exec(value)?.[0];
  if (bad !== undefined) {
    const what =
      bad === ' '
        ? 'a space'
        : /[\n\r]/.test(bad)
          ? 'a line break'
          : /\s/.test(bad)
            ? 'a blank character'
            : 'a control character';
    return {
      ok: false,
      message: `The setting ${DELIMITER_SETTING} (${JSON.stringify(value)}) contains ${what}: Redis reads users.acl split on spaces, so no service user could be limited to its namespace. Use visible characters only, such as ":" (the default). Nothing was changed.`,
    };
  }
  return { ok: true, delimiter: value };
}

/** An error carrying {@link checkDelimiter}'s message, for code that cannot go on without a valid delimiter. */
export class DelimiterError extends Error {
  override readonly name = 'DelimiterError';
}

/** The delimiter, or a {@link DelimiterError} saying why it cannot be used. */
export function requireDelimiter(value: unknown): string {
  const checked = checkDelimiter(value);
  if (!checked.ok) throw new DelimiterError(checked.message);
  return checked.delimiter;
}
