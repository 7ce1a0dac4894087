import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parseDotenv } from './dotenv';

/**
 * Which files make a project, as Compose v2 picks them. Follows compose-go `cli/options.go`
 * (DefaultFileNames, DefaultOverrideFileNames, WithDefaultConfigPath, WithConfigFileEnv)
 * and its warning texts.
 */

/** In Compose's order of preference (compose-go DefaultFileNames). */
export const COMPOSE_FILE_NAMES: readonly string[] = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yml',
  'docker-compose.yaml',
];
/** In Compose's order of preference (compose-go DefaultOverrideFileNames); any of them goes with any base name. */
export const COMPOSE_OVERRIDE_FILE_NAMES: readonly string[] = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

export interface ComposeFiles {
  /** Absolute paths, in merge order: the main file first. Empty: the folder has none. */
  readonly files: readonly string[];
  /** Compose's own warnings about the choice, worded as Compose prints them. */
  readonly warnings: readonly string[];
}

/** Names present in `dir`, in order (compose-go findFiles: anything `stat` finds counts). */
function present(dir: string, names: readonly string[]): string[] {
  return names
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * The main file of `dir` and its override, as `docker compose` finds them when run in
 * `dir` with no `-f` and no COMPOSE_FILE. Unlike Compose, parent folders are not searched:
 * a stack folder is the folder that holds its file.
 */
export function discoverComposeFiles(dir: string): ComposeFiles {
  const candidates = present(dir, COMPOSE_FILE_NAMES);
  const winner = candidates[0];
  if (winner === undefined) return { files: [], warnings: [] };
  const warnings: string[] = [];
  if (candidates.length > 1) {
    warnings.push(`Found multiple config files with supported names: ${candidates.join(', ')}`, `Using ${winner}`);
  }
  const overrides = present(dir, COMPOSE_OVERRIDE_FILE_NAMES);
  const override = overrides[0];
  if (overrides.length > 1 && override !== undefined) {
    warnings.push(`Found multiple override files with supported names: ${overrides.join(', ')}`, `Using ${override}`);
  }
  return { files: override !== undefined ? [winner, override] : [winner], warnings };
}

export class ComposeFilesError extends Error {
  override readonly name = 'ComposeFilesError';
}

/**
 * The files a `composeFile`-style setting names, absolute (relative ones against `base`),
 * like `-f a -f b`: a path, or a list of paths. Empty string, empty list, null or
 * undefined: not set (an empty array). Throws {@link ComposeFilesError} for anything else.
 */
export function composeFilesFromSetting(value: unknown, base: string): string[] {
  if (value === undefined || value === null) return [];
  const list: unknown[] =
    typeof value === 'string' ? (value.trim() === '' ? [] : [value]) : Array.isArray(value) ? value : [value];
  if (typeof value !== 'string' && !Array.isArray(value)) {
    throw new ComposeFilesError(`expected a compose file path or a list of paths, got ${JSON.stringify(value)}`);
  }
  return list.map((item, index) => {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new ComposeFilesError(
        `expected a compose file path or a list of paths, but item ${index + 1} is ${JSON.stringify(item)}: give each file's path, or remove the item`,
      );
    }
    return isAbsolute(item) ? item : resolve(base, item);
  });
}

/**
 * COMPOSE_FILE as Compose reads it (compose-go WithConfigFileEnv): split on
 * COMPOSE_PATH_SEPARATOR, else the platform's path-list separator (`:`, `;` on Windows);
 * relative paths against `base` (Compose's current folder: here, the stack folder).
 */
export function composeFilesFromEnv(value: string, separator: string | undefined, base: string): string[] {
  // Unlike compose-go, an empty item (`a.yml::b.yml`) is skipped rather than read as the folder itself.
  return value
    .split(separator || delimiter)
    .filter((item) => item !== '')
    .map((item) => (isAbsolute(item) ? item : resolve(base, item)));
}

/** The variables that choose files: the process environment wins over the folder's `.env` (compose-go Mapping.Merge). */
function composeVariable(
  name: string,
  env: NodeJS.ProcessEnv,
  dotenv: Readonly<Record<string, string>>,
): string | undefined {
  return Object.prototype.hasOwnProperty.call(env, name)
    ? env[name]
    : Object.prototype.hasOwnProperty.call(dotenv, name)
      ? dotenv[name]
      : undefined;
}

/**
 * The files of the stack folder `dir` when no file is named explicitly: COMPOSE_FILE (from
 * the environment, else from `dir/.env`) if set, else discovery with the override. A
 * `.env` that cannot be read or parsed here is left to the loader, which reports it.
 */
export function stackFolderComposeFiles(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): ComposeFiles & { readonly fromEnv: boolean } {
  let dotenv: Record<string, string> = {};
  const envFile = join(dir, '.env');
  if (existsSync(envFile)) {
    try {
      dotenv = parseDotenv(readFileSync(envFile, 'utf8'), (name) =>
        Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined,
      );
    } catch {
      dotenv = {};
    }
  }
  const composeFile = composeVariable('COMPOSE_FILE', env, dotenv);
  // An empty COMPOSE_FILE counts as unset (compose-go would read the folder itself as a file).
  if (composeFile !== undefined && composeFile !== '') {
    return {
      files: composeFilesFromEnv(composeFile, composeVariable('COMPOSE_PATH_SEPARATOR', env, dotenv), dir),
      warnings: [],
      fromEnv: true,
    };
  }
  return { ...discoverComposeFiles(dir), fromEnv: false };
}
