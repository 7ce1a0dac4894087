import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DotenvError, parseDotenv } from '../compose/dotenv';
import { formatProblem, problemAt } from '../compose/errors';
import {
  AclLineDifference, aclFileUsers, AclUserLine, differingAclLines, managedAclLines, mergeAclFile, serviceNamespaces, servicePasswordIn, serviceUser, ServiceUser,
} from '../../redis/acl/rules';
import { requireDelimiter } from '../../redis/delimiter';
import { refuseLinkedFile, makeStackFolder, writeFileAtomic } from './atomicFile';
import { withStackFilesLock } from './filesLock';
import { fillEnvTemplate } from './dotenvFile';
import { generatePassword } from './secrets';

/**
 * The stack's ACL file: `acl/users.acl` beside the compose file. The container mounts the
 * `acl` folder (not the file), so a new users.acl renamed into place is what Redis reads
 * on `ACL LOAD` or its next start: the file is replaced all or nothing, never rewritten
 * in place under a running Redis.
 */
export function stackAclFile(stackDir: string): string {
  return join(stackDir, 'acl', 'users.acl');
}

/** Where stacks made before the `acl` folder kept it; their compose file mounts this one file. */
export function legacyAclFile(stackDir: string): string {
  return join(stackDir, 'users.acl');
}

/** The stack's `.env` and ACL file. `aclMountedAlone`: the container bind-mounts the ACL file itself (an older stack). */
export interface StackAccessFiles {
  readonly envFile: string;
  readonly aclFile: string;
  readonly aclMountedAlone?: boolean | undefined;
}

/** Which namespaces the team declared (setting `sharedRedis.namespaces`) and the key delimiter. */
export interface NamespacePolicy {
  readonly declared: readonly string[];
  readonly delimiter: string;
}

export interface ServiceCredentials {
  readonly user: ServiceUser;
  readonly password: string;
}

export interface StackAccessState {
  /** REDIS_PASSWORD from `.env`: the operator's password. */
  readonly operatorPassword: string | undefined;
  /** Service users with a password in `.env`. */
  readonly services: readonly ServiceCredentials[];
  /** Declared top-level namespaces whose service has no password in `.env` yet. */
  readonly missing: readonly string[];
}

/** `.env`'s values; a malformed file throws its name and line (never a value), as a compose load does. */
function readEnv(envFile: string): Record<string, string> {
  if (!existsSync(envFile)) return {};
  try {
    return parseDotenv(readFileSync(envFile, 'utf8'));
  } catch (error) {
    if (error instanceof DotenvError) throw new Error(formatProblem(problemAt(envFile, error.line, undefined, error.message)));
    throw error;
  }
}

/**
 * What `.env` and `users.acl` say about the stack's users. Service namespaces are the
 * declared ones plus any `<ns>-service` user already in the ACL file.
 */
export function readStackAccess(files: StackAccessFiles, policy: NamespacePolicy): StackAccessState {
  const env = readEnv(files.envFile);
  const declared = serviceNamespaces(policy.declared, policy.delimiter);
  const namespaces = knownServiceNamespaces(files, policy);
  const services: ServiceCredentials[] = [];
  for (const namespace of namespaces) {
    const user = serviceUser(namespace);
    const password = servicePasswordIn(env, namespace, namespaces);
    if (password) services.push({ user, password });
  }
  return {
    operatorPassword: env['REDIS_PASSWORD'] || undefined,
    services,
    missing: declared.filter((ns) => !services.some((s) => s.user.namespace === ns)),
  };
}

/** The declared service namespaces and those of any `<ns>-service` user already in the ACL file. */
function knownServiceNamespaces(files: StackAccessFiles, policy: NamespacePolicy): string[] {
  const fromAcl = aclFileUsers(readAclText(files.aclFile) ?? '').filter((u) => u.endsWith('-service')).map((u) => u.slice(0, -'-service'.length));
  return serviceNamespaces([...serviceNamespaces(policy.declared, policy.delimiter), ...fromAcl], policy.delimiter);
}

/**
 * Generates passwords for `namespaces` that have none in `.env` and appends them there
 * (the file keeps its comments, order and 0600 mode). Returns the namespaces added.
 * `known`: every service namespace of the stack, so that a legacy key another one holds is
 * not taken for this one's password.
 */
export function addServicePasswords(envFile: string, namespaces: readonly string[], known: readonly string[] = namespaces): string[] {
  const env = readEnv(envFile);
  const added: Record<string, string> = {};
  const names: string[] = [];
  const all = [...new Set([...known, ...namespaces])];
  for (const namespace of namespaces) {
    const user = serviceUser(namespace);
    if (servicePasswordIn(env, namespace, all)) continue;
    added[user.envKey] = generatePassword();
    names.push(namespace);
  }
  if (names.length === 0) return [];
  const current = existsSync(envFile) ? readFileSync(envFile, 'utf8') : '';
  // All or nothing, and 0600 from now on even if the team's file was readable by others.
  writeFileAtomic(envFile, `${fillEnvTemplate(current.replace(/\n+$/, ''), added)}\n`, 0o600);
  return names;
}

/**
 * Add Service Users' change to the stack's files: passwords for `namespaces` that have none
 * in `.env`, then `users.acl` brought in line with it (the differing service lines named in
 * `replace` replaced, the others kept), under the stack folder's lock (another window may do
 * the same at once). Returns the namespaces added.
 */
export function addServiceUsers(
  files: StackAccessFiles,
  namespaces: readonly string[],
  policy: NamespacePolicy,
  replace: readonly string[] = [],
): Promise<string[]> {
  return withStackFilesLock(dirname(files.envFile), () => {
    // Both before either is written: a refused users.acl leaves .env as it was.
    refuseLinkedFile(files.envFile);
    refuseLinkedFile(files.aclFile);
    // A user whose line the team wrote (with its own password) and chose to keep gets no
    // password in .env: the kept line would refuse it, and Copy Service Connection hands it out.
    const aclUsers = aclFileUsers(readAclText(files.aclFile) ?? '');
    const keptLine = (ns: string): boolean => {
      const { username } = serviceUser(ns);
      return aclUsers.includes(username) && !replace.includes(username);
    };
    const added = addServicePasswords(
      files.envFile,
      namespaces.filter((ns) => !keptLine(ns)),
      knownServiceNamespaces(files, policy),
    );
    syncAclFile(files, policy, { replace });
    return added;
  });
}

/**
 * Makes `users.acl` agree with `.env`: the default user (PING only), the operator and one
 * user per service with a password, each line replaced or added; other users kept.
 *
 * The file is 0644, not 0600: the official Redis image runs redis-server as its own
 * unprivileged user, which reads the file through the bind mount. It holds SHA-256
 * hashes of the passwords, never a password. It is replaced by a rename (all or
 * nothing), which the container sees because it mounts the folder; an older stack that
 * mounts the file alone keeps the inode, so that file is rewritten in place.
 */
export function syncAclFile(files: StackAccessFiles, policy: NamespacePolicy, options: SyncAclOptions = {}): 'created' | 'updated' | 'unchanged' | 'no-password' {
  requireDelimiter(policy.delimiter);
  // Also for the in-place write of an older stack's file below, which would follow the link.
  refuseLinkedFile(files.aclFile);
  const access = readStackAccess(files, policy);
  if (!access.operatorPassword) return 'no-password';
  const text = readAclText(files.aclFile);
  const exists = text !== undefined;
  const current = text ?? '';
  const managed = managedAclLines({ operatorPassword: access.operatorPassword, services: access.services, delimiter: policy.delimiter });
  // A service's line the team changed (or another window's delimiter wrote) stays, unless named.
  const replace = new Set(options.replace ?? []);
  const keep = new Set(
    differingAclLines(current, serviceAclLines(access, policy))
      .map((d) => d.username)
      .filter((name) => !replace.has(name)),
  );
  const next = mergeAclFile(current, managed, keep);
  if (exists && next === current) return 'unchanged';
  if (files.aclMountedAlone) {
    writeFileSync(files.aclFile, next, exists ? undefined : { mode: 0o644 });
  } else {
    makeStackFolder(dirname(files.aclFile));
    writeFileAtomic(files.aclFile, next, 0o644);
  }
  return exists ? 'updated' : 'created';
}

/** `replace`: the service users whose line {@link syncAclFile} replaces even when it differs from ours (the user agreed). */
export interface SyncAclOptions {
  readonly replace?: readonly string[];
}

/**
 * The service users whose line in users.acl differs from the one {@link syncAclFile} would
 * write from `.env` and `policy`: a hand edit, or another window's delimiter.
 */
export function aclFileDifferences(
  files: StackAccessFiles,
  policy: NamespacePolicy,
  adding: readonly string[] = [],
): AclLineDifference[] {
  const access = readStackAccess(files, policy);
  if (!access.operatorPassword) return [];
  // Users about to be added whose line is already there (written by hand, with its own
  // password): the password Add Service Users generates differs from it, whatever it is.
  const known = new Set(access.services.map((s) => s.user.namespace));
  const newcomers = adding
    .filter((ns) => !known.has(ns))
    .map((ns) => ({ user: serviceUser(ns), password: NOT_YET_GENERATED }));
  return differingAclLines(
    readAclText(files.aclFile) ?? '',
    serviceAclLines({ ...access, services: [...access.services, ...newcomers] }, policy),
  );
}

/** Stands in for a password not generated yet: no line's hash matches it. */
const NOT_YET_GENERATED = '\u0000not yet generated';

/** The service users' lines as we would write them (not the default user's or the operator's). */
function serviceAclLines(access: StackAccessState, policy: NamespacePolicy): AclUserLine[] {
  const services = new Set(access.services.map((s) => s.user.username));
  return managedAclLines({ operatorPassword: access.operatorPassword ?? '', services: access.services, delimiter: policy.delimiter }).filter((line) =>
    services.has(line.username),
  );
}

/**
 * Why REDIS_PASSWORD in the process environment would lock the extension or the
 * healthcheck out, or undefined. Compose interpolates the compose file with the
 * environment first, so its value becomes the healthcheck's REDISCLI_AUTH, while
 * users.acl is written from `.env`: when `.env` sets REDIS_PASSWORD and the environment
 * holds another value (an empty one too), one of them is refused by Redis. Neither value
 * is in the message.
 */
export function operatorPasswordConflict(envFile: string, environment: NodeJS.ProcessEnv): string | undefined {
  const fromEnvironment = environment['REDIS_PASSWORD'];
  const fromFile = readEnv(envFile)['REDIS_PASSWORD'];
  if (fromEnvironment === undefined || fromFile === undefined || fromEnvironment === fromFile) return undefined;
  return `REDIS_PASSWORD is set in the environment VS Code was started from${fromEnvironment === '' ? ' (empty)' : ''}, and differs from the one in ${envFile}. ` +
    'Compose takes the environment\'s value (it wins over .env) for the healthcheck\'s REDISCLI_AUTH, while users.acl is written from .env, so Redis would refuse one of them. ' +
    'Unset REDIS_PASSWORD in that environment (or give it the value in .env), restart VS Code from there, and start again. Nothing was changed.';
}

/** True when the ACL file has the operator user, i.e. the extension connects as `operator`. */
export function aclFileHasUser(aclFile: string, username: string): boolean {
  return aclFileUsers(readAclText(aclFile) ?? '').includes(username);
}

/**
 * The ACL file's text, undefined when it does not exist. A folder in its place is what
 * the engine makes of a missing bind-mount source (an older stack's short-syntax mount,
 * started without the file): said plainly instead of EISDIR.
 */
function readAclText(aclFile: string): string | undefined {
  if (!existsSync(aclFile)) return undefined;
  if (statSync(aclFile).isDirectory()) {
    throw new Error(`${aclFile} is a folder, not the ACL file: the Docker engine made it when the stack was started without that file. ` +
      'Stop the stack, remove the empty folder, and start the stack from VS Code, which writes the file first.');
  }
  return readFileSync(aclFile, 'utf8');
}
