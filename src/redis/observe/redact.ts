/**
 * Which arguments of a command carry a secret and must never be shown (the profiler, the slow log,
 * anything that displays commands). Redis 6.2+/7 hides some of these from MONITOR itself; this
 * does it regardless of the server's version.
 */

export const REDACTED = '(redacted)';

/** CONFIG SET parameters whose value is a secret. */
const SECRET_CONFIG_PARAMETERS = new Set([
  'requirepass',
  'masterauth',
  'masteruser',
  'tls-key-file-pass',
  'tls-client-key-file-pass',
]);

/**
 * The positions (0 = the command name) of `args` that hold a secret: every argument of AUTH; the
 * user and password after HELLO's AUTH; every rule of ACL SETUSER (they hold `>password` and
 * `#hash`); the value of CONFIG SET requirepass/masterauth/…; MIGRATE's AUTH password and
 * AUTH2 user and password; the text and arguments of a script that may call MIGRATE (EVAL,
 * SCRIPT LOAD, FUNCTION LOAD: see mayCallMigrate); the arguments (not the keys) of EVALSHA and
 * FCALL, whose script is not known. `args` are the (lower- or upper-case) texts as sent.
 */
export function secretArgumentPositions(args: readonly string[]): Set<number> {
  const secret = new Set<number>();
  const word = (i: number): string => (args[i] ?? '').toLowerCase();
  const from = (start: number, count = args.length): void => {
    for (let i = start; i < Math.min(args.length, start + count); i++) secret.add(i);
  };
  // numkeys at `at`, then the keys, then the arguments (all of them when numkeys is unreadable).
  const scriptArguments = (at: number): void => {
    const keys = Number(args[at]);
    from(Number.isSafeInteger(keys) && keys >= 0 ? at + 1 + keys : at);
  };
  switch (word(0)) {
    case 'auth':
      from(1);
      break;
    case 'hello':
      // Options read as Redis reads them: SETNAME takes one argument (a client named `auth` is no AUTH).
      for (let i = 1; i < args.length; i++) {
        if (word(i) === 'auth') {
          from(i + 1, 2);
          i += 2;
        } else if (word(i) === 'setname') i += 1;
      }
      break;
    case 'acl':
      if (word(1) === 'setuser') from(3);
      break;
    case 'config':
      if (word(1) === 'set') {
        for (let i = 2; i + 1 < args.length; i += 2) if (SECRET_CONFIG_PARAMETERS.has(word(i))) secret.add(i + 1);
      }
      break;
    case 'migrate':
      for (let i = 6; i < args.length; i++) {
        if (word(i) === 'keys') break;
        // As Redis reads them: an option's own arguments are no options (a password `auth2`).
        if (word(i) === 'auth') {
          from(i + 1, 1);
          i += 1;
        } else if (word(i) === 'auth2') {
          from(i + 1, 2);
          i += 2;
        }
      }
      break;
    case 'eval':
    case 'eval_ro':
      // Scripts may call MIGRATE … AUTH: Redis redacts the MIGRATE the script runs, not the
      // EVAL that carries the password in its text or arguments. Only MIGRATE: AUTH, HELLO,
      // ACL and CONFIG cannot run in a script.
      if (mayCallMigrate(word(1))) {
        secret.add(1);
        scriptArguments(2);
      }
      break;
    case 'evalsha':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      // The script (loaded earlier, maybe before anything here was watching) is not known: its
      // arguments may be a MIGRATE's password. Its keys stay shown.
      scriptArguments(2);
      break;
    case 'script':
      if (word(1) === 'load' && mayCallMigrate(word(2))) secret.add(2);
      break;
    case 'function':
      if (word(1) === 'load' && args.some((_, i) => i > 1 && mayCallMigrate(word(i)))) from(2);
      break;
    default:
      break;
  }
  return secret;
}

/** What SLOWLOG writes for an argument it cut (`return … (120 more bytes)`): the rest is not known. */
const SERVER_CUT = /\.\.\. \(\d+ more bytes\)$/;

/**
 * True when a script's (lower-cased) text may call MIGRATE: it names it; SLOWLOG cut it (the
 * rest is not known); or it calls a command whose name is not a plain string literal
 * (`'MIG'..'RATE'`, `ARGV[1]`, `redis.call` kept in a variable), which no text search can read.
 */
function mayCallMigrate(text: string): boolean {
  if (text.includes('migrate') || SERVER_CUT.test(text)) return true;
  // `redis['c'..'all']`, `rawget(redis, …)`, `_G`, code built at run time: the call cannot be read.
  if (/\b(?:redis|server)\s*\[|\brawget\b|\b_g\b|\bgetfenv\b|\bload(?:string)?\s*\(/.test(text)) return true;
  for (const call of text.matchAll(/\bp?call\b/g)) {
    const after = text.slice((call.index ?? 0) + call[0].length);
    if (!/^\s*\(\s*(['"])[^'"\\\n]*\1\s*[,)]/.test(after)) return true;
  }
  return false;
}
