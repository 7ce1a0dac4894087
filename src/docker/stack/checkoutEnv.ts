import { lstatSync, readFileSync, statSync } from 'node:fs';
import { ENV_KEY_PREFIX, serviceNamespaces, serviceUser } from '../../redis/acl/rules';
import { requireDelimiter } from '../../redis/delimiter';
import { ComposeFileError } from '../compose/errors';
import { parseDotenv } from '../compose/dotenv';
import { createFileAtomic, writeFileAtomic } from './atomicFile';
import { loadStackProject, stackFiles, StackLocation } from './location';
import { generatePassword } from './secrets';
import { NamespacePolicy } from './serviceAccess';

/*
 * A teammate's checkout of a workspace stack: the compose file is committed, its `.env`
 * (the generated passwords) never is, so the compose file fails on `${REDIS_PASSWORD:?…}`.
 * The extension writes that `.env` when asked, with new passwords: each laptop runs its own
 * Redis, and Start writes the ACL file from it.
 */

/** The variables the extension generates in a stack's `.env`. */
function isGenerated(variable: string | undefined): boolean {
  return (
    variable === 'REDIS_PASSWORD' ||
    variable === 'COMMANDER_PASSWORD' ||
    (variable?.startsWith(ENV_KEY_PREFIX) ?? false)
  );
}

/** What the extension can write into a stack's `.env` so that its compose files load. */
export interface EnvFileFix {
  readonly file: string;
  /** False: the file does not exist (a checkout). True: it lacks `passwords`, or holds them empty. */
  readonly exists: boolean;
  /** The passwords the compose files asked for in vain, in their order. */
  readonly passwords: readonly string[];
}

/**
 * What to write into the stack's `.env` when loading its compose files failed (`error`) for
 * want of passwords the extension generates: the whole file when none exists, or those
 * passwords when the file (a regular file, or a link to one) lacks them or holds them empty.
 * Undefined otherwise: the bundled stack (it writes its own), only variables of the team's
 * own, a link to nothing or a folder in its place, or such a variable set in the process
 * environment (which wins over `.env`: that is the cause to name).
 */
export function envFileFix(error: unknown, stack: StackLocation, env: NodeJS.ProcessEnv): EnvFileFix | undefined {
  if (stack.source === 'bundled' || !(error instanceof ComposeFileError)) return undefined;
  const passwords = [
    ...new Set(
      error.problems.flatMap((problem) =>
        problem.variable !== undefined && isGenerated(problem.variable) ? [problem.variable] : [],
      ),
    ),
  ];
  if (passwords.length === 0 || passwords.some((variable) => env[variable] !== undefined)) return undefined;
  try {
    lstatSync(stack.envFile);
  } catch {
    return { file: stack.envFile, exists: false, passwords };
  }
  try {
    if (!statSync(stack.envFile).isFile()) return undefined;
    const values = parseDotenv(readFileSync(stack.envFile, 'utf8'));
    const lacking = passwords.filter((variable) => !values[variable]);
    return lacking.length === 0 ? undefined : { file: stack.envFile, exists: true, passwords: lacking };
  } catch {
    return undefined; // a link to nothing, or unreadable: the load's own message stands
  }
}

/** The fix for the stack's `.env` as its files are now (loaded here, no engine needed), or undefined. */
export function stackEnvFileFix(stack: StackLocation, env: NodeJS.ProcessEnv): Promise<EnvFileFix | undefined> {
  return loadStackProject(stack, { env }).then(
    () => undefined,
    (error: unknown) => envFileFix(error, stack, env),
  );
}

/**
 * Writes new passwords for `fix.passwords` into the stack's existing `.env`: a line that holds
 * one empty (`REDIS_PASSWORD=`, `=""`) gets the value, a missing one is added at the end (in
 * the file's line ending), and every other byte stays. The result is parsed again before it is
 * written: unless each password now reads as written and every other value as before, but for
 * the passwords it refers to (not so: a line inside a quoted value, a key defined again
 * below), they are added at the end instead, and
 * failing that nothing is written and the error says so. All or nothing, 0600. False,
 * changing nothing, when the file no longer lacks them (another window filled them in).
 */
export function fillEnvFile(fix: EnvFileFix): boolean {
  const text = readFileSync(fix.file, 'utf8');
  const before = parseDotenv(text);
  const lacking = fix.passwords.filter((variable) => !before[variable]);
  if (lacking.length === 0) return false;
  const passwords = new Map(lacking.map((variable) => [variable, generatePassword()]));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const appended = (start: string, variables: readonly string[]): string =>
    variables.length === 0
      ? start
      : `${start}${start === '' || start.endsWith('\n') ? '' : eol}${variables.map((v) => `${v}=${passwords.get(v) ?? ''}${eol}`).join('')}`;
  let inPlace = text;
  const missing: string[] = [];
  for (const [variable, password] of passwords) {
    // The line as Compose's dotenv reads it (CRLF kept): an `export ` prefix, spaces, empty quotes.
    const line = new RegExp(`^([ \\t]*(?:export[ \\t]+)?${variable}[ \\t]*=)[ \\t]*(?:""|'')?[ \\t]*(\\r?)$`, 'm');
    if (line.test(inPlace)) inPlace = inPlace.replace(line, (_, start: string, cr: string) => `${start}${password}${cr}`);
    else missing.push(variable);
  }
  const reads = (candidate: string): boolean => {
    const after = parseDotenv(candidate);
    return (
      [...passwords].every(([variable, password]) => after[variable] === password) &&
      // Another value may now hold a password it refers to (`URL=redis://:${REDIS_PASSWORD}@…`), nothing else new.
      Object.entries(before).every(
        ([key, value]) =>
          passwords.has(key) || [...passwords.values()].reduce((v, p) => v.split(p).join(''), after[key] ?? '') === value,
      )
    );
  };
  const next = [appended(inPlace, missing), appended(text, lacking)].find(reads);
  if (next === undefined) {
    throw new Error(
      `its lines could not be changed so that ${lacking.join(', ')} read as written and everything else as before; add ${lacking.length === 1 ? 'it' : 'them'} by hand`,
    );
  }
  writeFileAtomic(fix.file, next, 0o600);
  return true;
}

/**
 * Writes the stack's missing `.env` (0600, all or nothing, never over a file that appeared
 * meanwhile: false then): the operator's password, Redis Commander's when the compose files
 * use it, and one per declared service. Only passwords: the compose files' own defaults for
 * the port, image and memory stay in force, even where the team changed them.
 */
export function writeMissingEnvFile(stack: StackLocation, policy: NamespacePolicy): boolean {
  requireDelimiter(policy.delimiter);
  const text = composeText(stack);
  const keys = new Set(['REDIS_PASSWORD']);
  if (text.includes('COMMANDER_PASSWORD')) keys.add('COMMANDER_PASSWORD');
  for (const namespace of serviceNamespaces(policy.declared, policy.delimiter)) keys.add(serviceUser(namespace).envKey);
  // A service the team's compose file names that this machine's settings do not declare.
  for (const [key] of text.matchAll(new RegExp(`\\b${ENV_KEY_PREFIX}[A-Z0-9_]+`, 'g'))) keys.add(key);
  const values = [...keys].map((key): [string, string] => [key, generatePassword()]);
  const env =
    '# Written by the Shared Redis extension for this checkout, with new passwords: .env is never\n' +
    '# committed. The operator\'s (REDIS_PASSWORD), and one per service ("Shared Redis: Copy Service\n' +
    '# Connection" gives a service its lines). Start writes the stack\'s users from it.\n' +
    values.map(([key, value]) => `${key}=${value}\n`).join('');
  return createFileAtomic(stack.envFile, env, 0o600);
}

/** True for the cluster variant's compose files (Start writes its `acl/replication.conf` from `.env`). */
export function isClusterStack(stack: StackLocation): boolean {
  return composeText(stack).includes('--cluster-enabled');
}

function composeText(stack: StackLocation): string {
  return stackFiles(stack)
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n');
}
