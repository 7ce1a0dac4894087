import type Docker from 'dockerode';
import { posix } from 'node:path';
import { readFileOut } from './containerFiles';
import { BackupError } from './errors';
import type { PersistenceConfig } from './persistence';
import { redisVersionOf } from './rdbCheck';

/** The settings a restore needs; the rest of a config file is not read. */
const NAMES = ['dir', 'dbfilename', 'appendonly', 'appenddirname', 'appendfilename'] as const;
type Name = (typeof NAMES)[number];
/** Nested `include`s deeper than this are refused (a file that includes itself). */
const MAX_INCLUDE_DEPTH = 8;

/**
 * Where a Redis container that is not running keeps its data: what CONFIG GET would answer
 * once it runs, read from what it starts with. That is the container's command line (its
 * Path and Args from inspect: the stack's `command:` with `--appendonly yes`), the config
 * file named first on it if there is one (read out of the stopped container, its `include`s
 * too), and, for what neither sets, Redis's own defaults: `dir` "./" (the process's working
 * directory: the container's WorkingDir, `/` when the image sets none), `dbfilename`
 * dump.rdb, `appendonly` no, `appendfilename` appendonly.aof, and on Redis 7 `appenddirname`
 * appendonlydir. The options on the command line win over the file, as they do in Redis
 * (it appends them to the file's text). The version is the image's redis-server's own
 * (`--version`, in a one-off container).
 */
export async function stoppedPersistenceConfig(
  docker: Docker,
  container: Docker.Container,
  info: Docker.ContainerInspectInfo,
): Promise<PersistenceConfig> {
  const first = info.Args[0] ?? '';
  // The official image's docker-entrypoint.sh runs `redis-server "$@"` when its first argument is
  // an option or a .conf file (`command: --appendonly yes`).
  const byEntrypoint =
    posix.basename(info.Path) === 'docker-entrypoint.sh' && (first.startsWith('-') || first.endsWith('.conf'));
  const argv = [info.Path, ...(byEntrypoint ? ['redis-server'] : []), ...info.Args];
  const server = argv.findIndex((arg) => posix.basename(arg) === 'redis-server');
  if (server < 0) {
    throw new BackupError(
      'engine',
      // Its program alone: its arguments may hold a password (`sh -c "redis-server --requirepass …"`).
      `The Redis container does not start redis-server directly (it runs ${posix.basename(info.Path)}), so where it keeps its data cannot be read without it running.`,
    );
  }
  let options = argv.slice(server + 1);
  const settings = new Map<Name, string>();
  const workingDir = info.Config.WorkingDir || '/';
  const configFile = options[0];
  if (configFile !== undefined && !configFile.startsWith('--')) {
    options = options.slice(1);
    if (configFile !== '-') await readConfigFile(container, workingDir, configFile, settings, 0);
  }
  for (const [name, value] of commandLineOptions(options)) set(settings, workingDir, name, value);

  const redisVersion = await redisVersionOf(docker, info);
  const major = Number(/^(\d+)/.exec(redisVersion ?? '')?.[1] ?? '7');
  return {
    fromConfig: true,
    dir: settings.get('dir') ?? workingDir,
    dbfilename: settings.get('dbfilename') || 'dump.rdb',
    appendonly: (settings.get('appendonly') ?? 'no').toLowerCase() === 'yes',
    appenddirname: settings.get('appenddirname') || (major >= 7 ? 'appendonlydir' : undefined),
    appendfilename: settings.get('appendfilename') || 'appendonly.aof',
    redisVersion,
  };
}

/**
 * The settings read here that redis-server's command line sets, in order, as Redis reads it
 * (server.c): `--name` starts an option line and the arguments after it are its values, the
 * first of them even when it starts with `--` (except after a bare `--save`); an argument
 * `--name value` holds the option and its value together (`["redis-server", "--appendonly yes"]`).
 */
export function commandLineOptions(args: readonly string[]): Array<[Name, string]> {
  const lines: string[][] = [];
  let wantsValue = false;
  args.forEach((arg, i) => {
    const line = lines[lines.length - 1];
    if (!wantsValue && arg.startsWith('--')) {
      const words = configWords(arg.slice(2));
      lines.push(words);
      wantsValue = words.length <= 1;
      if (wantsValue && words[0]?.toLowerCase() === 'save' && args[i + 1]?.startsWith('--')) {
        words.push('');
        wantsValue = false;
      }
    } else {
      line?.push(arg);
      wantsValue = false;
    }
  });
  const found: Array<[Name, string]> = [];
  for (const [directive, value, ...rest] of lines) {
    const name = directive?.toLowerCase() ?? '';
    if (isName(name) && value !== undefined && rest.length === 0) found.push([name, value]);
  }
  return found;
}

/** Sets a setting as Redis does while it reads its config: `dir` changes into the folder, relative to the one before. */
function set(settings: Map<Name, string>, workingDir: string, name: Name, value: string): void {
  settings.set(name, name === 'dir' ? posix.resolve(settings.get('dir') ?? workingDir, value) : value);
}

/** The settings a redis.conf text sets, in order (a later line wins), and the files it includes. */
export function configFileSettings(text: string): { settings: Array<[Name, string]>; includes: string[] } {
  const settings: Array<[Name, string]> = [];
  const includes: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [directive, value] = splitConfigLine(line);
    const name = directive?.toLowerCase() ?? '';
    if (name === 'include' && value !== undefined) includes.push(value);
    else if (isName(name) && value !== undefined) settings.push([name, value]);
  }
  return { settings, includes };
}

/** Reads a config file into `settings`; relative paths are the working directory's, as Redis opens them. */
async function readConfigFile(
  container: Docker.Container,
  workingDir: string,
  file: string,
  settings: Map<Name, string>,
  depth: number,
): Promise<void> {
  // Redis opens it from the folder it is in at that moment: the last `dir` read before.
  const path = posix.resolve(settings.get('dir') ?? workingDir, file);
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new BackupError('engine', `Redis's config file ${path} includes files more than ${MAX_INCLUDE_DEPTH} deep.`);
  }
  const text = (await readFileOut(container, path)).toString('utf8');
  // Redis reads an include where it stands: a setting after it wins over the included file's.
  for (const line of text.split(/\r?\n/)) {
    const { settings: found, includes } = configFileSettings(line);
    for (const [name, value] of found) set(settings, workingDir, name, value);
    for (const include of includes) {
      if (/[*?[]/.test(include)) {
        throw new BackupError(
          'engine',
          `Redis's config file ${path} includes files by a pattern (${include}), which cannot be read without Redis running.`,
        );
      }
      await readConfigFile(container, workingDir, include, settings, depth + 1);
    }
  }
}

/** A config line's first two words as Redis splits them (sdssplitargs: quotes and backslash escapes). */
function splitConfigLine(line: string): [string | undefined, string | undefined] {
  const trimmed = line.trim();
  if (trimmed.startsWith('#')) return [undefined, undefined];
  const words = configWords(trimmed);
  return [words[0], words[1]];
}

/** The words of a config line as Redis splits them (sdssplitargs: quotes and backslash escapes). */
function configWords(line: string): string[] {
  const pattern = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  return [...line.trim().matchAll(pattern)].map((match) => {
    const quoted = match[1] ?? match[2];
    return quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (match[3] ?? '');
  });
}

function isName(name: string): name is Name {
  return (NAMES as readonly string[]).includes(name);
}
