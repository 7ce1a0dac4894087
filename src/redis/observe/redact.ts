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
 * AUTH2 user and password; the text and arguments of a script that calls MIGRATE (EVAL,
 * SCRIPT LOAD, FUNCTION LOAD). `args` are the (lower- or upper-case) texts as sent.
 */
export function secretArgumentPositions(args: readonly string[]): Set<number> {
  const secret = new Set<number>();
  const word = (i: number): string => (args[i] ?? '').toLowerCase();
  const from = (start: number, count = args.length): void => {
    for (let i = start; i < Math.min(args.length, start + count); i++) secret.add(i);
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
        if (word(i) === 'auth') from(i + 1, 1);
        if (word(i) === 'auth2') from(i + 1, 2);
      }
      break;
    case 'eval':
    case 'eval_ro':
      // Scripts may call MIGRATE … AUTH: Redis redacts the MIGRATE the script runs, not the
      // EVAL that carries the password in its text or arguments. Only MIGRATE: AUTH, HELLO,
      // ACL and CONFIG cannot run in a script.
      if (word(1).includes('migrate')) {
        secret.add(1);
        const keys = Number(args[2]);
        from(Number.isSafeInteger(keys) && keys >= 0 ? 3 + keys : 2);
      }
      break;
    case 'script':
      if (word(1) === 'load' && word(2).includes('migrate')) secret.add(2);
      break;
    case 'function':
      if (word(1) === 'load' && args.some((_, i) => i > 1 && word(i).includes('migrate'))) from(2);
      break;
    default:
      break;
  }
  return secret;
}
