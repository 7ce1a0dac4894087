import { REDACTED, secretArgumentPositions } from './redact';

/**
 * A command as a person reads it in the Slow Log and the Denied Accesses: arguments that
 * carry a secret replaced by `(redacted)`, long arguments cut with `…(N bytes)`, and only
 * so many arguments.
 */

export interface CommandTextOptions {
  /** Characters of an argument shown before it is cut (default 40). */
  readonly maxArgLength?: number;
  /** Arguments shown after the command's name (default 12). */
  readonly maxArgs?: number;
}

/** What Redis's SLOWLOG writes for an argument it cut: `aaaa... (172 more bytes)`. */
const SERVER_CUT = /^([\s\S]*)\.\.\. \((\d+) more bytes\)$/;

/** One argument as shown: quoted when it holds a space or is empty, cut when long. */
export function shortArgument(arg: string, maxLength = 40): string {
  const cut = SERVER_CUT.exec(arg);
  const full = cut ? Buffer.byteLength(cut[1] ?? '') + Number(cut[2]) : Buffer.byteLength(arg);
  const text = cut ? (cut[1] ?? '') : arg;
  const printable = [...text]
    .map((c) => (c < ' ' || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
    .join('');
  if (cut || printable.length > maxLength) return `${printable.slice(0, maxLength)}…(${full} bytes)`;
  return printable === '' || /\s|"/.test(printable) ? JSON.stringify(printable) : printable;
}

/** `GET auth:session:42`, `AUTH (redacted)`, `SET k aaaa…(300 bytes)`, `DEL a b c … (+97 more)`. */
export function commandText(args: readonly string[], options: CommandTextOptions = {}): string {
  if (args.length === 0) return '';
  const maxArgs = options.maxArgs ?? 12;
  const secret = secretArgumentPositions(args);
  const [name = '', ...rest] = args;
  // Redis's own marker for arguments it dropped: `... (N more arguments)`.
  const serverMore = /^\.\.\. \((\d+) more arguments\)$/.exec(rest[rest.length - 1] ?? '');
  const shown = serverMore ? rest.slice(0, -1) : rest;
  const parts = [name.toUpperCase()];
  shown.slice(0, maxArgs).forEach((arg, i) => {
    parts.push(secret.has(i + 1) || arg === REDACTED ? REDACTED : shortArgument(arg, options.maxArgLength));
  });
  const more = Math.max(0, shown.length - maxArgs) + (serverMore ? Number(serverMore[1]) : 0);
  if (more > 0) parts.push(`… (+${more} more)`);
  return parts.join(' ');
}
