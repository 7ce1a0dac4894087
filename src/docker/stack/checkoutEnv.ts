import { lstatSync, readFileSync } from 'node:fs';
import { serviceNamespaces, serviceUser } from '../../redis/acl/rules';
import { requireDelimiter } from '../../redis/delimiter';
import { ComposeFileError } from '../compose/errors';
import { createFileAtomic } from './atomicFile';
import { stackFiles, StackLocation } from './location';
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
    (variable?.startsWith('REDIS_SERVICE_PASSWORD_') ?? false)
  );
}

/**
 * The stack's `.env`, when loading its compose files failed (`error`) for want of a password
 * the extension generates there and no `.env` exists (a link to nothing counts as one: it
 * is someone's). Undefined otherwise: the bundled stack (it writes its own), only variables
 * of the team's own, a `.env` that exists without them (the message names the variable), or
 * such a variable set empty in the process environment (which wins over `.env`).
 */
export function missingEnvFile(error: unknown, stack: StackLocation, env: NodeJS.ProcessEnv): string | undefined {
  if (stack.source === 'bundled' || !(error instanceof ComposeFileError)) return undefined;
  const generated = error.problems.flatMap((problem) =>
    problem.variable !== undefined && isGenerated(problem.variable) ? [problem.variable] : [],
  );
  // One of them set empty in the environment: that is the cause to name, a .env would not help.
  if (generated.length === 0 || generated.some((variable) => env[variable] !== undefined)) return undefined;
  try {
    lstatSync(stack.envFile);
    return undefined;
  } catch {
    return stack.envFile;
  }
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
  for (const [key] of text.matchAll(/\bREDIS_SERVICE_PASSWORD_[A-Z0-9_]+/g)) keys.add(key);
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
