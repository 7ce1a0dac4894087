import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { serviceNamespaces, serviceUser } from '../../redis/acl/rules';
import { requireDelimiter } from '../../redis/delimiter';
import { fillEnvTemplate } from './dotenvFile';
import { generatePassword } from './secrets';
import { writeFileAtomic } from './atomicFile';
import { legacyAclFile, NamespacePolicy, stackAclFile, syncAclFile } from './serviceAccess';

export type StackSource = 'setting' | 'workspace' | 'bundled';

/** Which compose file is "the stack", and where its `.env` is. */
export interface StackLocation {
  readonly composeFile: string;
  readonly envFile: string;
  readonly source: StackSource;
}

export const WORKSPACE_STACK_DIR = 'shared-redis';

/**
 * `sharedRedis.composeFile` if set (relative to the first workspace folder), else
 * `shared-redis/docker-compose.yml` in a workspace folder, else the stack bundled with
 * the extension, kept in its global storage so one click works in an empty window.
 */
export function resolveStackLocation(options: { setting?: string | undefined; workspaceFolders: readonly string[]; globalStorageDir: string }): StackLocation {
  const { setting, workspaceFolders, globalStorageDir } = options;
  if (setting && setting.trim()) {
    const base = workspaceFolders[0] ?? process.cwd();
    const composeFile = isAbsolute(setting) ? setting : resolve(base, setting);
    return { composeFile, envFile: join(dirname(composeFile), '.env'), source: 'setting' };
  }
  for (const folder of workspaceFolders) {
    const composeFile = join(folder, WORKSPACE_STACK_DIR, 'docker-compose.yml');
    if (existsSync(composeFile)) return { composeFile, envFile: join(dirname(composeFile), '.env'), source: 'workspace' };
  }
  // The folder's name is the project name: `shared-redis`, as in a workspace.
  const dir = join(globalStorageDir, WORKSPACE_STACK_DIR);
  return { composeFile: join(dir, 'docker-compose.yml'), envFile: join(dir, '.env'), source: 'bundled' };
}

/**
 * Writes a stack folder: the compose file, a `.env` with freshly generated passwords (the
 * operator's, Redis Commander's and one per declared service) and the ACL file with a
 * user per service. Never overwrites: returns the files that already existed instead.
 */
export function writeStackFiles(bundledStackDir: string, targetDir: string, policy: NamespacePolicy): { written: string[]; existing: string[] } {
  const files = {
    compose: join(targetDir, 'docker-compose.yml'),
    env: join(targetDir, '.env'),
    acl: stackAclFile(targetDir),
  };
  const existing = [...Object.values(files), legacyAclFile(targetDir)].filter((f) => existsSync(f));
  if (existing.length > 0) return { written: [], existing };
  requireDelimiter(policy.delimiter);
  mkdirSync(targetDir, { recursive: true });
  copyFileSync(join(bundledStackDir, 'docker-compose.yml'), files.compose);
  const template = readFileSync(join(bundledStackDir, '.env.example'), 'utf8');
  const servicePasswords = Object.fromEntries(serviceNamespaces(policy.declared, policy.delimiter).map((ns) => [serviceUser(ns).envKey, generatePassword()]));
  writeFileAtomic(files.env, fillEnvTemplate(template, { REDIS_PASSWORD: generatePassword(), COMMANDER_PASSWORD: generatePassword(), ...servicePasswords }), 0o600);
  syncAclFile({ envFile: files.env, aclFile: files.acl }, policy);
  return { written: Object.values(files), existing: [] };
}

/**
 * Keeps the bundled stack in global storage current: the compose file follows the
 * extension's, the `.env` (with its generated password) is created once and then kept.
 */
export function prepareBundledStack(bundledStackDir: string, location: StackLocation, policy: NamespacePolicy): void {
  const dir = dirname(location.composeFile);
  if (!existsSync(location.envFile)) {
    writeStackFiles(bundledStackDir, dir, policy);
    return;
  }
  // Only when the extension's copy changed: this runs on every refresh of the Stack view.
  const shipped = readFileSync(join(bundledStackDir, 'docker-compose.yml'));
  if (!existsSync(location.composeFile) || !readFileSync(location.composeFile).equals(shipped)) {
    // A bundled stack from before the `acl` folder: its users (hand-added ones too) move with it.
    if (existsSync(legacyAclFile(dir)) && !existsSync(stackAclFile(dir))) {
      mkdirSync(dirname(stackAclFile(dir)), { recursive: true });
      renameSync(legacyAclFile(dir), stackAclFile(dir));
    }
    writeFileSync(location.composeFile, shipped);
  }
}
