import { domainToASCII } from 'node:url';
import { checkDelimiter } from './redis/delimiter';
import { BinaryString, toBinary } from './redis/keyspace/binary';

/**
 * Every `sharedRedis.*` setting, read, validated and defaulted: pure data, no VS Code (the
 * thin reader is settings.ts). A value that breaks its rule is replaced by the default and
 * reported once as a problem naming the setting.
 */

/** A namespace the team agreed on (setting `sharedRedis.namespaces`), listed even when empty. */
export interface DeclaredNamespace {
  /** The namespace path as a binary string (`auth`, `user:search`). */
  readonly path: BinaryString;
  readonly name: string;
  readonly owner: string | undefined;
  /** Declared as a cache (`"cache": true` or `"ttlRequired": true`): every key in it should have a TTL (the Checks view says when not). */
  readonly cache: boolean;
}

export interface SettingValues {
  readonly host: string;
  readonly port: number;
  /** Empty: the default user. */
  readonly username: string;
  readonly db: number;
  readonly tls: boolean;
  readonly tlsCaFile: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly tlsServerName: string;
  readonly tlsVerifyCertificate: boolean;
  /** Sentinels as written (`host:port`); with `sentinelMasterName`, the master is found through them. */
  readonly sentinels: readonly string[];
  /** The master name the Sentinels monitor; empty: no Sentinel. */
  readonly sentinelMasterName: string;
  /** Empty: the engine is found the usual ways (DOCKER_HOST, the sockets). */
  readonly dockerHost: string;
  /** The stack's compose file(s), as written (relative to the first workspace folder); empty: none set. */
  readonly composeFile: string | readonly string[];
  readonly projectName: string;
  /** Which bundled stack Start runs and Create Stack writes: one Redis, or a six-node Redis Cluster (then the connection is a cluster client even before INFO says so). */
  readonly stackVariant: StackVariant;
  readonly delimiter: string;
  readonly namespaces: readonly DeclaredNamespace[];
  readonly scanCount: number;
  readonly pageSize: number;
  readonly readOnly: boolean;
  /** As written (`256mb`); the checks parse it. */
  readonly memoryBudget: string;
  readonly memoryWarningPercent: number;
  readonly backupFolder: string;
  /** The profiler (MONITOR) stops by itself after this many seconds. */
  readonly profilerMaxSeconds: number;
  /** ... and after this many commands. */
  readonly profilerMaxLines: number;
}

export type SettingKey = keyof SettingValues;

export const STACK_VARIANTS = ['single', 'cluster'] as const;
export type StackVariant = (typeof STACK_VARIANTS)[number];

/** The setting's default (package.json has the same): the three services' namespaces, and the caches inside them. */
export const DEFAULT_DECLARED_NAMESPACES = [
  { name: 'auth', owner: 'Auth Service' },
  { name: 'user', owner: 'User Service' },
  { name: 'shared', owner: 'Shared' },
  { name: 'user:search', owner: 'User Service', cache: true },
  { name: 'user:profile', owner: 'User Service', cache: true },
  { name: 'shared:cache', owner: 'Shared', cache: true },
];

/** The defaults, the same as package.json's. */
export const DEFAULTS: Omit<SettingValues, 'namespaces'> = {
  host: '127.0.0.1',
  port: 6379,
  username: '',
  db: 0,
  tls: false,
  tlsCaFile: '',
  tlsCertFile: '',
  tlsKeyFile: '',
  tlsServerName: '',
  tlsVerifyCertificate: true,
  sentinels: [],
  sentinelMasterName: '',
  dockerHost: '',
  composeFile: '',
  projectName: '',
  stackVariant: 'single',
  delimiter: ':',
  scanCount: 1000,
  pageSize: 200,
  readOnly: false,
  memoryBudget: '256mb',
  memoryWarningPercent: 80,
  backupFolder: '',
  profilerMaxSeconds: 60,
  profilerMaxLines: 10_000,
};

/** A setting whose value was not used, and why (a sentence that names it). */
export interface SettingProblem {
  readonly key: SettingKey;
  readonly message: string;
}

export interface ReadSettings {
  readonly values: SettingValues;
  readonly problems: readonly SettingProblem[];
  /** A setting that decides which server or database is used (host, port, db) invalid in the most specific scope that sets it: nothing connects until it is fixed. */
  readonly blocked?: SettingProblem | undefined;
}

/** A scope's value of a setting, as VS Code's inspect() has it; `folder` is the workspace folder's. */
export interface SettingLayer {
  readonly scope: 'folder' | 'workspace' | 'user';
  readonly value: unknown;
}

/**
 * The settings that decide where keys are read and deleted: an invalid value blocks connecting
 * until it is fixed, rather than take another scope's value or the default (either may be
 * another server or database).
 */
// Which server, as whom, and whether in the clear: the default in place of an invalid value of
// any of these is another server or user, or the password sent without TLS (`tls: "true"`).
const WHERE_SETTINGS: ReadonlySet<SettingKey> = new Set([
  'host',
  'port',
  'db',
  'username',
  'tls',
  'sentinels',
  'sentinelMasterName',
]);

/**
 * Reads every setting through `get` (the value under `sharedRedis.<key>`, undefined when unset);
 * `layers`, each scope's value (the most specific first), lets the messages name the scope.
 */
export function readSettings(
  get: (key: SettingKey) => unknown,
  layers: (key: SettingKey) => readonly SettingLayer[] = () => [],
): ReadSettings {
  const problems: SettingProblem[] = [];
  const refuse = <K extends SettingKey>(key: K, rule: string): SettingValues[K] => {
    problems.push({ key, message: `The setting sharedRedis.${key} ${rule}; the default is used until then.` });
    return (key === 'namespaces' ? [] : DEFAULTS[key as Exclude<SettingKey, 'namespaces'>]) as SettingValues[K];
  };
  // checkDelimiter's message already names the setting and why; users.acl's writers refuse
  // the value as typed (see namespacePolicy), so only the tree falls back to the default.
  const refuseDelimiter = (message: string): string => {
    problems.push({
      key: 'delimiter',
      message: `${message.replace(/ Nothing was changed\.$/, '')} Until it is fixed the Keys view splits keys at "${DEFAULTS.delimiter}", and Start and Add Service Users refuse to rewrite users.acl.`,
    });
    return DEFAULTS.delimiter;
  };
  const text = <K extends SettingKey>(key: K, trim = true): SettingValues[K] => {
    const value = get(key);
    if (value === undefined || value === null) {
      return DEFAULTS[key as Exclude<SettingKey, 'namespaces'>] as SettingValues[K];
    }
    if (typeof value !== 'string') return refuse(key, 'must be text');
    return (trim ? value.trim() : value) as SettingValues[K];
  };
  const flag = <K extends SettingKey>(key: K): SettingValues[K] => {
    const value = get(key);
    if (value === undefined || value === null) {
      return DEFAULTS[key as Exclude<SettingKey, 'namespaces'>] as SettingValues[K];
    }
    if (typeof value !== 'boolean') return refuse(key, 'must be true or false');
    return value as SettingValues[K];
  };
  const integer = <K extends SettingKey>(key: K, min: number, max: number): SettingValues[K] => {
    const value = get(key);
    if (value === undefined || value === null) {
      return DEFAULTS[key as Exclude<SettingKey, 'namespaces'>] as SettingValues[K];
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return refuse(key, `must be a whole number from ${min} to ${max}`);
    }
    return value as SettingValues[K];
  };

  const oneOf = <K extends SettingKey, V extends string>(key: K, allowed: readonly V[]): SettingValues[K] => {
    const value = get(key);
    if (value === undefined || value === null) {
      return DEFAULTS[key as Exclude<SettingKey, 'namespaces'>] as SettingValues[K];
    }
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      const quoted = allowed.map((v) => `"${v}"`);
      return refuse(
        key,
        quoted.length === 2 ? `must be ${quoted.join(' or ')}` : `must be one of ${quoted.join(', ')}`,
      );
    }
    return value as SettingValues[K];
  };

  const host = hostName(text('host'), problems);
  const delimiterValue = get('delimiter');
  const delimiter =
    delimiterValue === undefined || delimiterValue === null ? DEFAULTS.delimiter : checkDelimiter(delimiterValue);
  const values: SettingValues = {
    host: host === '' ? DEFAULTS.host : host,
    port: integer('port', 1, 65535),
    username: text('username'),
    db: integer('db', 0, 15),
    tls: flag('tls'),
    tlsCaFile: text('tlsCaFile', false),
    tlsCertFile: text('tlsCertFile', false),
    tlsKeyFile: text('tlsKeyFile', false),
    tlsServerName: text('tlsServerName'),
    tlsVerifyCertificate: flag('tlsVerifyCertificate'),
    sentinels: textList(get('sentinels'), refuse),
    sentinelMasterName: text('sentinelMasterName'),
    dockerHost: text('dockerHost'),
    composeFile: composeFile(get('composeFile'), refuse),
    projectName: text('projectName'),
    stackVariant: oneOf('stackVariant', STACK_VARIANTS),
    delimiter:
      typeof delimiter === 'string'
        ? delimiter
        : delimiter.ok
          ? delimiter.delimiter
          : refuseDelimiter(delimiter.message),
    namespaces: declaredNamespaces(get('namespaces'), problems),
    scanCount: integer('scanCount', 10, 100_000),
    pageSize: integer('pageSize', 10, 5000),
    readOnly: flag('readOnly'),
    memoryBudget: text('memoryBudget'),
    memoryWarningPercent: integer('memoryWarningPercent', 1, 100),
    backupFolder: text('backupFolder'),
    profilerMaxSeconds: integer('profilerMaxSeconds', 1, 3600),
    profilerMaxLines: integer('profilerMaxLines', 10, 1_000_000),
  };
  return failClosed(values, problems, layers);
}

/**
 * What an invalid value of a safety setting means: readOnly counts as read-only; host, port, db,
 * username, tls and the Sentinel settings block connecting (never another scope's value, never
 * the default in its place).
 */
function failClosed(
  values: SettingValues,
  problems: SettingProblem[],
  layers: (key: SettingKey) => readonly SettingLayer[],
): ReadSettings {
  let blocked: SettingProblem | undefined;
  const result = { ...values };
  const kept: SettingProblem[] = [];
  for (const problem of problems) {
    const key = problem.key;
    const scopes = layers(key);
    const at = scopes.findIndex((l) => l.value !== undefined && l.value !== null);
    const where = at >= 0 ? ` in the ${scopes[at]?.scope ?? ''} settings` : '';
    const rule = problem.message
      .replace(`sharedRedis.${key} `, `sharedRedis.${key}${where} `)
      .replace(/;[^;]*used until then\.$/, '');
    if (key === 'readOnly') {
      result.readOnly = true;
      kept.push({
        key,
        message: `${rule}; until it is fixed the extension is read-only: commands that change or delete keys are disabled.`,
      });
      continue;
    }
    if (!WHERE_SETTINGS.has(key)) {
      kept.push(problem);
      continue;
    }
    const refusal = {
      key,
      message: `${rule}; until it is fixed the extension connects to no Redis (never to another server or database).`,
    };
    blocked ??= refusal;
    kept.push(refusal);
  }
  return { values: result, problems: kept, blocked };
}

const ASCII_HOST = /^[A-Za-z0-9._-]+$/;
const IPV6 = /^[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?$/;

/**
 * A host name (an internationalized one as its punycode form), an IPv4 address or an IPv6 one
 * (a zone after `%`; `[::1]` is taken as `::1`), as ioredis takes it. Anything else (a pasted
 * `redis://user:password@host` URL, `host:port`, a path) is refused without repeating it, since
 * it may hold a password: the message would show it. Nothing connects meanwhile (failClosed), so
 * the value is never sent anywhere, and no other server is used in its place.
 */
function hostName(value: string, problems: SettingProblem[]): string {
  if (value === '' || ASCII_HOST.test(value) || IPV6.test(value)) return value;
  const bracketed = /^\[(.*)\]$/.exec(value)?.[1];
  if (bracketed !== undefined && IPV6.test(bracketed)) return bracketed;
  // Letters of any script: domainToASCII alone would drop a path ("rédis/x" → "xn--rdis-bpa").
  if (/^[\p{L}\p{M}\p{N}._-]+$/u.test(value)) {
    const ascii = domainToASCII(value);
    if (ascii !== '' && ASCII_HOST.test(ascii)) return ascii;
  }
  problems.push({
    key: 'host',
    message:
      'The setting sharedRedis.host must be a host name or IP address only, like redis.internal or 192.168.1.20: not a URL, and no user, password, port or database in it (what it holds is not repeated here). ' +
      'Put the port in sharedRedis.port, the user in sharedRedis.username and the password in "Shared Redis: Set Password"; it is not used until then.',
  });
  return DEFAULTS.host;
}

/** One path, or several (Compose merges them in order); empty entries are dropped. */
function composeFile(
  value: unknown,
  refuse: (key: 'composeFile', rule: string) => string | readonly string[],
): string | readonly string[] {
  if (value === undefined || value === null) return DEFAULTS.composeFile;
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) {
    const files = (value as string[]).map((entry) => entry.trim()).filter((entry) => entry !== '');
    return files.length === 1 ? (files[0] as string) : files;
  }
  return refuse('composeFile', 'must be a path, or a list of paths, to compose files');
}

/** A list of texts (each entry's form is checked where it is used: src/redis/sentinel/config.ts). */
function textList(value: unknown, refuse: (key: 'sentinels', rule: string) => readonly string[]): readonly string[] {
  if (value === undefined || value === null) return DEFAULTS.sentinels;
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value as string[];
  return refuse('sentinels', 'must be a list of "host:port" texts, like ["127.0.0.1:26379"]');
}

/**
 * Entries that are not `{ "name": "...", "owner": "...", "cache": true }` (owner and cache
 * optional; `ttlRequired` means the same as `cache`) are left out and reported.
 */
function declaredNamespaces(raw: unknown, problems: SettingProblem[]): DeclaredNamespace[] {
  if (raw === undefined || raw === null) raw = DEFAULT_DECLARED_NAMESPACES;
  if (!Array.isArray(raw)) {
    problems.push({
      key: 'namespaces',
      message:
        'The sharedRedis.namespaces setting must be a list like [{ "name": "auth", "owner": "Auth Service" }]; it is ignored until then.',
    });
    return [];
  }
  const declared: DeclaredNamespace[] = [];
  const bad: string[] = [];
  /** Where each name was first declared: a second entry would list the namespace twice in every view. */
  const firstAt = new Map<string, number>();
  for (const [index, entry] of raw.entries()) {
    const name = (entry as { name?: unknown } | null)?.name;
    const owner = (entry as { owner?: unknown } | null)?.owner;
    const cache = (entry as { cache?: unknown } | null)?.cache;
    const ttlRequired = (entry as { ttlRequired?: unknown } | null)?.ttlRequired;
    if (
      typeof name !== 'string' ||
      name.trim() === '' ||
      (owner !== undefined && typeof owner !== 'string') ||
      (cache !== undefined && typeof cache !== 'boolean') ||
      (ttlRequired !== undefined && typeof ttlRequired !== 'boolean')
    ) {
      bad.push(`[${index}]`);
      continue;
    }
    const first = firstAt.get(name.trim());
    if (first !== undefined) {
      problems.push({
        key: 'namespaces',
        message: `sharedRedis.namespaces[${index}] declares "${name.trim()}" again, as [${first}] does: each namespace is declared once; [${index}] is ignored (merge what it adds into [${first}]).`,
      });
      continue;
    }
    firstAt.set(name.trim(), index);
    declared.push({
      path: toBinary(Buffer.from(name.trim(), 'utf8')),
      name: name.trim(),
      owner: typeof owner === 'string' && owner.trim() ? owner.trim() : undefined,
      cache: cache === true || ttlRequired === true,
    });
  }
  if (bad.length > 0) {
    problems.push({
      key: 'namespaces',
      message: `sharedRedis.namespaces${bad.join(', ')}: each entry needs a "name" (like "auth" or "user:search") and may have an "owner" (like "Auth Service") and "cache": true; ${bad.length === 1 ? 'that entry is' : 'those entries are'} ignored.`,
    });
  }
  return declared;
}

/** The settings whose value differs between `before` and `after`. */
export function changedSettings(before: SettingValues, after: SettingValues): Set<SettingKey> {
  const keys = new Set<SettingKey>();
  for (const key of Object.keys(after) as SettingKey[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) keys.add(key);
  }
  return keys;
}

/** The settings (under `sharedRedis.`) that decide which Redis we talk to and how. */
export const REDIS_CONNECTION_SETTINGS = [
  'host',
  'port',
  'db',
  'username',
  'tls',
  'tlsCaFile',
  'tlsCertFile',
  'tlsKeyFile',
  'tlsServerName',
  'tlsVerifyCertificate',
  'sentinels',
  'sentinelMasterName',
  'stackVariant',
] as const satisfies readonly SettingKey[];
