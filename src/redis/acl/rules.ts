import { createHash } from 'node:crypto';
import { escapeGlob } from '../keyspace/binary';

/**
 * The shared Redis's users, one per service, as Redis 7 ACL rules. A service's user may
 * read and write only its own namespace (keys and Pub/Sub channels), may read the shared
 * namespace, and may not run dangerous or admin commands. Redis checks the key patterns
 * on every command, inside scripts too, so isolation holds for EVAL as well.
 */

/** The extension's own user: every key, every command but those that wipe or block a shared server. */
export const OPERATOR_USER = 'operator';

/** The namespace every service may read; its own service may write it. */
export const SHARED_NAMESPACE = 'shared';

/**
 * Commands a service user never gets, beyond the whole `@dangerous` and `@admin`
 * categories, named so that the rule reads as the list the team agreed on.
 */
export const SERVICE_DENIED_COMMANDS = [
  'flushall',
  'flushdb',
  'keys',
  'config',
  'debug',
  'shutdown',
  'acl',
  'module',
  'monitor',
  'swapdb',
  'migrate',
  'randomkey',
  'function',
  // A script or its cache is server-wide: one service must not kill or drop another's.
  'script|kill',
  'script|flush',
] as const;

/**
 * INFO is in `@dangerous`, but client libraries ask it for readiness (ioredis's ready
 * check) and it shows no key or value, so services keep it.
 */
export const SERVICE_ALLOWED_EXTRAS = ['info'] as const;

/** Commands the operator does without: on a shared server they wipe or stop everyone's data. */
export const OPERATOR_DENIED_COMMANDS = ['flushall', 'flushdb', 'keys', 'debug', 'shutdown', 'module'] as const;

export interface ServiceUser {
  /** The namespace's first segment, e.g. `auth`. */
  readonly namespace: string;
  readonly username: string;
  /** `.env` variable that holds the password. */
  readonly envKey: string;
}

export function serviceUser(namespace: string): ServiceUser {
  return { namespace, username: `${namespace}-service`, envKey: serviceEnvKey(namespace) };
}

/** Every service password's `.env` key starts so. */
export const ENV_KEY_PREFIX = 'REDIS_SERVICE_PASSWORD_';

/**
 * The `.env` variable of a namespace's password, one per namespace (Redis user names are
 * case-sensitive, so `auth` and `Auth` are two users with two passwords):
 * - lowercase letters and digits, words joined by single `_` (`auth`, `user_profile`):
 *   upper-cased, as since the first release (`REDIS_SERVICE_PASSWORD_USER_PROFILE`), so
 *   existing stacks' `.env` files keep working;
 * - any other name: one more `_` after the prefix (no name of the first kind starts so),
 *   lowercase letters upper-cased, digits kept, every other byte as `_` and two hex
 *   digits (`user-profile` → `REDIS_SERVICE_PASSWORD__USER_2DPROFILE`, `Auth` →
 *   `REDIS_SERVICE_PASSWORD___41UTH`). `_` starts every escape and nothing else there,
 *   so two names never share a variable.
 */
/** The key the versions before the collision-free keys used: anything outside [A-Z0-9] became `_`. */
export function legacyServiceEnvKey(namespace: string): string {
  return `${ENV_KEY_PREFIX}${namespace.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * A service's password in `.env`: under its key, or under the key an earlier version gave
 * it, when no other of `namespaces` has (or had) that key; so an existing stack's service
 * keeps its password instead of being given a new one that locks it out.
 */
export function servicePasswordIn(
  env: Readonly<Record<string, string>>,
  namespace: string,
  namespaces: readonly string[],
): string | undefined {
  const key = serviceEnvKey(namespace);
  if (env[key]) return env[key];
  const legacy = legacyServiceEnvKey(namespace);
  if (legacy === key) return undefined;
  const claimed = namespaces.some(
    (other) => other !== namespace && (serviceEnvKey(other) === legacy || legacyServiceEnvKey(other) === legacy),
  );
  return claimed ? undefined : env[legacy] || undefined;
}

export function serviceEnvKey(namespace: string): string {
  if (/^[a-z0-9]+(_[a-z0-9]+)*$/.test(namespace)) return `${ENV_KEY_PREFIX}${namespace.toUpperCase()}`;
  const encoded = [...Buffer.from(namespace, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[a-z0-9]/.test(char) ? char.toUpperCase() : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  return `${ENV_KEY_PREFIX}_${encoded}`;
}

/** Why a namespace cannot have a service user, or undefined when it can. */
export function invalidServiceNamespace(namespace: string, delimiter: string): string | undefined {
  if (namespace === '') return 'the namespace is empty';
  if (delimiter !== '' && namespace.includes(delimiter)) {
    return `a service owns a top-level namespace; "${namespace}" contains the delimiter "${delimiter}"`;
  }
  // ACL usernames and patterns are split on spaces, and globs would widen the pattern.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(namespace)) {
    return `"${namespace}" may hold only letters, digits, "_", "." and "-" to be a Redis user name and key pattern`;
  }
  return undefined;
}

/** Top-level namespaces that get a service user: the first segment of each declared one, in order, once. */
export function serviceNamespaces(declared: readonly string[], delimiter: string): string[] {
  const names = declared.map((name) => (delimiter ? (name.split(delimiter)[0] ?? '') : name).trim());
  return [...new Set(names)].filter((name) => invalidServiceNamespace(name, delimiter) === undefined);
}

export function passwordHash(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

/**
 * `prefix*` as an ACL glob that matches exactly the names starting with `prefix`: the
 * glob characters of a delimiter (`*`, `?`, `[`, `]`, `\\`) are escaped, as Redis's
 * `stringmatchlen` reads them for key (`~`, `%R~`) and channel (`&`) patterns alike.
 */
export function prefixPattern(prefix: string): string {
  return `${escapeGlob(Buffer.from(prefix, 'utf8')).toString('utf8')}*`;
}

/** The rule for a service's user, without `user <name>` and without the password. */
export function serviceRules(namespace: string, delimiter: string): string {
  const own = prefixPattern(`${namespace}${delimiter}`);
  const shared = prefixPattern(`${SHARED_NAMESPACE}${delimiter}`);
  const sharedRead = namespace === SHARED_NAMESPACE ? [] : [`%R~${shared}`];
  return [
    'resetkeys',
    `~${own}`,
    ...sharedRead,
    'resetchannels',
    `&${own}`,
    '+@all',
    '-@dangerous',
    '-@admin',
    ...SERVICE_DENIED_COMMANDS.map((c) => `-${c}`),
    ...SERVICE_ALLOWED_EXTRAS.map((c) => `+${c}`),
  ].join(' ');
}

export function operatorRules(): string {
  return ['~*', '&*', '+@all', ...OPERATOR_DENIED_COMMANDS.map((c) => `-${c}`)].join(' ');
}

/**
 * The default user is restricted to match the operator, with the same password: whoever
 * knows REDIS_PASSWORD is the operator anyway, and the tools that cannot name a user keep
 * working (the compose healthcheck's `redis-cli ping`, redis-cli in the container, Redis
 * Commander's REDIS_HOSTS). Services get their own users and passwords instead.
 */
export function defaultRules(): string {
  return `resetkeys resetchannels ${operatorRules()}`;
}

export interface AclUserLine {
  readonly username: string;
  readonly password: string;
  readonly rules: string;
}

/** `user <name> on #<sha256> <rules>`: the file never holds a plaintext password. */
export function aclLine(user: AclUserLine): string {
  return `user ${user.username} on #${passwordHash(user.password)} ${user.rules}`;
}

export interface StackAccess {
  /** REDIS_PASSWORD: the operator's, and the default user's for the healthcheck. */
  readonly operatorPassword: string;
  readonly services: readonly { readonly user: ServiceUser; readonly password: string }[];
  readonly delimiter: string;
}

export function managedAclLines(access: StackAccess): AclUserLine[] {
  return [
    { username: 'default', password: access.operatorPassword, rules: defaultRules() },
    { username: OPERATOR_USER, password: access.operatorPassword, rules: operatorRules() },
    ...access.services.map((s) => ({
      username: s.user.username,
      password: s.password,
      rules: serviceRules(s.user.namespace, access.delimiter),
    })),
  ];
}

/**
 * A `user` line and its user's name. Redis trims every line of the file (spaces, tabs,
 * `\r`) before reading it, so an indented line is that user's line too.
 */
const USER_LINE = /^\s*user\s+(\S+)/;

/**
 * The ACL file's text with the managed users' lines replaced or added, in place, and
 * every other line (users the team added by hand) kept as it was, and so are the lines of
 * the users in `keep`. Redis ACL files take no comments, so the file is only `user` lines.
 */
export function mergeAclFile(
  current: string,
  managed: readonly AclUserLine[],
  keep: ReadonlySet<string> = new Set(),
): string {
  const lines = current.split('\n').filter((line) => line.trim() !== '');
  const byName = new Map(managed.map((user) => [user.username, aclLine(user)]));
  const out = lines.map((line) => {
    const name = USER_LINE.exec(line)?.[1];
    if (name === undefined || !byName.has(name)) return line;
    const replacement = keep.has(name) ? line : (byName.get(name) ?? line);
    byName.delete(name);
    return replacement;
  });
  return [...out, ...byName.values()].join('\n') + '\n';
}

/** The user names that have a `user` line in an ACL file's text. */
export function aclFileUsers(text: string): string[] {
  return text
    .split('\n')
    .map((line) => USER_LINE.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** What differs between a user's line in the file and ours. */
export type AclLinePart = 'password' | 'key patterns' | 'other rules';

/** A user whose line in an ACL file differs from the one we would write, and in what. */
export interface AclLineDifference {
  readonly username: string;
  readonly parts: readonly AclLinePart[];
  /** The line as it is in the file (it holds password hashes: for comparing, not for showing). */
  readonly line: string;
  /** What the kept line opens beyond a service's own: any password (nopass), every key. */
  readonly opens: readonly ('no password' | 'every key')[];
}

function linePart(token: string): AclLinePart {
  if (/^([#<>!]|nopass$|resetpass$)/.test(token)) return 'password';
  return /^([~%&]|allkeys$|allchannels$|resetkeys$|resetchannels$)/.test(token) ? 'key patterns' : 'other rules';
}

/**
 * The users among `managed` whose line in the ACL file's text is not the one we would write
 * (a hand edit, another delimiter's key patterns, another password), in `managed`'s order.
 * Users without a line are not listed: adding a line replaces nothing.
 */
export function differingAclLines(current: string, managed: readonly AclUserLine[]): AclLineDifference[] {
  const lines = new Map<string, string>();
  for (const line of current.split('\n')) {
    const name = USER_LINE.exec(line)?.[1];
    if (name !== undefined && !lines.has(name)) lines.set(name, line.trim());
  }
  const rules = (line: string): string[] => line.split(/\s+/).slice(2);
  const differences: AclLineDifference[] = [];
  for (const user of managed) {
    const theirs = lines.get(user.username);
    const ours = aclLine(user);
    if (theirs === undefined || theirs === ours) continue;
    const of = (line: string, part: AclLinePart): string =>
      rules(line)
        .filter((t) => linePart(t) === part)
        .join(' ');
    const parts = (['password', 'key patterns', 'other rules'] as const).filter(
      (part) => of(theirs, part) !== of(ours, part),
    );
    const tokens = rules(theirs);
    const opens = [
      ...(tokens.includes('nopass') ? (['no password'] as const) : []),
      ...(tokens.some((t) => t === '~*' || t === 'allkeys' || t === '%RW~*') ? (['every key'] as const) : []),
    ];
    differences.push({
      username: user.username,
      parts: parts.length > 0 ? parts : ['other rules'],
      line: theirs,
      opens,
    });
  }
  return differences;
}
