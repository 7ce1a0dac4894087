import { copyFileSync, existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { serviceNamespaces, serviceUser } from '../../redis/acl/rules';
import { requireDelimiter } from '../../redis/delimiter';
import { ComposeFilesError, composeFilesFromSetting, discoverComposeFiles, stackFolderComposeFiles } from '../compose/files';
import { loadComposeProject } from '../compose/load';
import type { ComposeProject, LoadComposeOptions } from '../compose/model';
import { fillEnvTemplate } from './dotenvFile';
import { generatePassword } from './secrets';
import { createFileAtomic, makeStackFolder, writeFileAtomic } from './atomicFile';
import { legacyAclFile, NamespacePolicy, stackAclFile, syncAclFile } from './serviceAccess';
import { replicationConfFile, syncReplicationConf } from './clusterStack';

export type StackSource = 'setting' | 'workspace' | 'bundled';

/** Which compose files are "the stack", and where its `.env` is. */
export interface StackLocation {
  /** The main file: the first of {@link composeFiles} (what "Open Stack File" opens first). */
  readonly composeFile: string;
  /**
   * Every file, in merge order, as Compose reads them (`-f a -f b`, COMPOSE_FILE, or the
   * file and its override). Absent (a location built by hand): just {@link composeFile}.
   */
  readonly composeFiles?: readonly string[];
  readonly envFile: string;
  readonly source: StackSource;
  /** Compose's warnings about the choice of files (two files with supported names, ...). */
  readonly warnings?: readonly string[];
  /** Set when `sharedRedis.composeFile` is not a path or a list of paths: loading the stack fails with it. */
  readonly settingError?: string;
}

export const WORKSPACE_STACK_DIR = 'shared-redis';
/** The bundled cluster stack's folder in global storage, and so its project name. */
export const BUNDLED_CLUSTER_STACK_DIR = 'shared-redis-cluster';

function location(composeFiles: readonly string[], envFile: string, source: StackSource, warnings: readonly string[] = []): StackLocation {
  return { composeFile: composeFiles[0] ?? '', composeFiles, envFile, source, warnings };
}

/**
 * `sharedRedis.composeFile` if set (one path or a list, like `-f a -f b`; relative to the
 * first workspace folder; no override is added, as with `-f`), else the files of a
 * `shared-redis` folder in a workspace folder as Compose picks them there (COMPOSE_FILE
 * from the environment or its `.env`, else `compose.yaml` ... `docker-compose.yaml` and
 * its override), else the stack bundled with the extension, kept in its global storage so
 * one click works in an empty window.
 */
export function resolveStackLocation(options: { setting?: unknown; workspaceFolders: readonly string[]; globalStorageDir: string; env?: NodeJS.ProcessEnv; variant?: 'single' | 'cluster' }): StackLocation {
  const { setting, workspaceFolders, globalStorageDir } = options;
  const base = workspaceFolders[0] ?? process.cwd();
  let named: string[];
  try {
    named = composeFilesFromSetting(setting, base);
  } catch (error) {
    const message = `sharedRedis.composeFile: ${(error as Error).message}`;
    return { ...location([], join(base, '.env'), 'setting'), settingError: message };
  }
  const first = named[0];
  if (first !== undefined) return location(named, join(dirname(first), '.env'), 'setting');
  for (const folder of workspaceFolders) {
    const dir = join(folder, WORKSPACE_STACK_DIR);
    if (!existsSync(dir)) continue;
    const found = stackFolderComposeFiles(dir, options.env ?? process.env);
    if (found.files.length > 0) return location(found.files, join(dir, '.env'), 'workspace', found.warnings);
  }
  // The folder's name is the project name: `shared-redis`, as in a workspace; the cluster
  // variant is its own project (`shared-redis-cluster`), so each keeps its own volumes.
  const dir = join(globalStorageDir, options.variant === 'cluster' ? BUNDLED_CLUSTER_STACK_DIR : WORKSPACE_STACK_DIR);
  return location([join(dir, 'docker-compose.yml')], join(dir, '.env'), 'bundled');
}

/** The stack's files in merge order (`composeFiles`, or just `composeFile` for a location built by hand). */
export function stackFiles(stack: StackLocation): readonly string[] {
  return stack.composeFiles ?? [stack.composeFile];
}

/** Loads the stack's files as Compose would; a bad `sharedRedis.composeFile` fails here with its message. */
export function loadStackProject(stack: StackLocation, options: Omit<LoadComposeOptions, 'envFile' | 'warnings'> = {}): Promise<ComposeProject> {
  if (stack.settingError !== undefined) return Promise.reject(new ComposeFilesError(`${stack.settingError} (set it to a file path or a list of file paths, or clear it)`));
  return loadComposeProject(stackFiles(stack), { ...options, envFile: stack.envFile, warnings: stack.warnings ?? [] });
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
  // Any file Compose would read as the stack counts: a second one would make Compose warn.
  // A link counts too, one to nothing as well: nothing is ever written through it.
  const existing = [...new Set([...Object.values(files), legacyAclFile(targetDir), ...discoverComposeFiles(targetDir).files])].filter(
    (f) => lstatSync(f, { throwIfNoEntry: false }) !== undefined,
  );
  if (existing.length > 0) return { written: [], existing };
  requireDelimiter(policy.delimiter);
  makeStackFolder(targetDir);
  // Not copied: a copy keeps the shipped file's mode, 0666 when the extension was unpacked under umask 000.
  writeFileAtomic(files.compose, readFileSync(join(bundledStackDir, 'docker-compose.yml'), 'utf8'), 0o644);
  writeFileAtomic(files.env, generatedEnvText(bundledStackDir, policy), 0o600);
  const written = [...Object.values(files), ...writePasswordFiles(files.compose, files.env, policy)];
  return { written, existing: [] };
}

/** A `.env` from the stack's template with freshly generated passwords: the operator's, Redis
 * Commander's where the template has it (the cluster stack has no Commander), one per declared service. */
function generatedEnvText(bundledStackDir: string, policy: NamespacePolicy): string {
  const template = readFileSync(join(bundledStackDir, '.env.example'), 'utf8');
  const servicePasswords = Object.fromEntries(serviceNamespaces(policy.declared, policy.delimiter).map((ns) => [serviceUser(ns).envKey, generatePassword()]));
  const commander = /^COMMANDER_PASSWORD=/m.test(template) ? { COMMANDER_PASSWORD: generatePassword() } : {};
  return fillEnvTemplate(template, { REDIS_PASSWORD: generatePassword(), ...commander, ...servicePasswords });
}

/** The files made from `.env`'s passwords: the ACL file, and for the cluster stack replication.conf
 * (the replicas' masterauth). Returns those beyond the ACL file. */
function writePasswordFiles(composeFile: string, envFile: string, policy: NamespacePolicy): string[] {
  const dir = dirname(composeFile);
  syncAclFile({ envFile, aclFile: stackAclFile(dir) }, policy);
  if (!readFileSync(composeFile, 'utf8').includes('--cluster-enabled')) return [];
  syncReplicationConf(envFile, replicationConfFile(dir));
  return [replicationConfFile(dir)];
}

/**
 * Keeps the bundled stack in global storage current: the compose file follows the
 * extension's, the `.env` (with its generated password) is created once and then kept.
 */
export function prepareBundledStack(bundledStackDir: string, location: StackLocation, policy: NamespacePolicy): void {
  const dir = dirname(location.composeFile);
  if (!existsSync(location.envFile)) {
    if (writeStackFiles(bundledStackDir, dir, policy).existing.length === 0) return;
    // A first writing that stopped part-way (the extension host killed after the compose file
    // was copied) left no .env, and Start failed for good. The folder is the extension's own:
    // the .env is made now (never over one another window just made), and the files made from it.
    requireDelimiter(policy.delimiter);
    createFileAtomic(location.envFile, generatedEnvText(bundledStackDir, policy), 0o600);
    if (existsSync(location.composeFile)) writePasswordFiles(location.composeFile, location.envFile, policy);
  }
  // Only when the extension's copy changed: this runs on every refresh of the Stack view.
  const shipped = readFileSync(join(bundledStackDir, 'docker-compose.yml'));
  if (!existsSync(location.composeFile) || !readFileSync(location.composeFile).equals(shipped)) {
    // A bundled stack from before the `acl` folder: its users (hand-added ones too) are copied
    // into it. The old file stays: a container made before the upgrade bind-mounts it alone,
    // and a restart of that container (by the engine too) needs its source to still be a file.
    if (existsSync(legacyAclFile(dir)) && !existsSync(stackAclFile(dir))) {
      makeStackFolder(dirname(stackAclFile(dir)));
      copyFileSync(legacyAclFile(dir), stackAclFile(dir));
    }
    // 0644 whatever the umask or the older file's mode: it is what the engine runs.
    writeFileAtomic(location.composeFile, shipped.toString('utf8'), 0o644);
  }
}
