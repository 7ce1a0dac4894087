import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fillEnvTemplate } from './dotenvFile';
import { defaultUserAcl, generatePassword } from './secrets';

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
 * Writes a stack folder: the compose file, a `.env` with freshly generated passwords and
 * the ACL file. Never overwrites: returns the files that already existed instead.
 */
export function writeStackFiles(bundledStackDir: string, targetDir: string): { written: string[]; existing: string[] } {
  const files = {
    compose: join(targetDir, 'docker-compose.yml'),
    env: join(targetDir, '.env'),
    acl: join(targetDir, 'users.acl'),
  };
  const existing = Object.values(files).filter((f) => existsSync(f));
  if (existing.length > 0) return { written: [], existing };
  mkdirSync(targetDir, { recursive: true });
  const password = generatePassword();
  copyFileSync(join(bundledStackDir, 'docker-compose.yml'), files.compose);
  const template = readFileSync(join(bundledStackDir, '.env.example'), 'utf8');
  writeFileSync(files.env, fillEnvTemplate(template, { REDIS_PASSWORD: password, COMMANDER_PASSWORD: generatePassword() }), { mode: 0o600 });
  writeFileSync(files.acl, defaultUserAcl(password), { mode: 0o644 });
  return { written: Object.values(files), existing: [] };
}

/**
 * Keeps the bundled stack in global storage current: the compose file follows the
 * extension's, the `.env` (with its generated password) is created once and then kept.
 */
export function prepareBundledStack(bundledStackDir: string, location: StackLocation): void {
  const dir = dirname(location.composeFile);
  if (!existsSync(location.envFile)) {
    writeStackFiles(bundledStackDir, dir);
    return;
  }
  // Only when the extension's copy changed: this runs on every refresh of the Stack view.
  const shipped = readFileSync(join(bundledStackDir, 'docker-compose.yml'));
  if (!existsSync(location.composeFile) || !readFileSync(location.composeFile).equals(shipped)) {
    writeFileSync(location.composeFile, shipped);
  }
}

/**
 * Makes `users.acl` beside the compose file agree with REDIS_PASSWORD: creates it when
 * missing, rewrites only the `user default` line when the password changed, and keeps
 * any other users in it. Only for stacks that mount it.
 */
export function syncDefaultUserAcl(aclFile: string, password: string): 'created' | 'updated' | 'unchanged' {
  const line = defaultUserAcl(password).split('\n').find((l) => l.startsWith('user default')) ?? '';
  if (!existsSync(aclFile)) {
    writeFileSync(aclFile, defaultUserAcl(password), { mode: 0o644 });
    return 'created';
  }
  const current = readFileSync(aclFile, 'utf8');
  if (current.split('\n').includes(line)) return 'unchanged';
  const lines = current.split('\n');
  const index = lines.findIndex((l) => l.startsWith('user default '));
  if (index === -1) lines.unshift(line); else lines[index] = line;
  writeFileSync(aclFile, lines.join('\n'));
  return 'updated';
}
