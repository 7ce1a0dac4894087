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
  const argv = [info.Path, ...info.Args];
  const server = argv.findIndex((arg) => posix.basename(arg) === 'redis-server');
  if (server < 0) {
    throw new BackupError(
      'engine',
      `The Redis container does not start redis-server directly (it runs ${argv.join(' ')}), so where it keeps its data cannot be read without it running.`,
    );
  }
  let options = argv.slice(server + 1);
  const settings = new Map<Name, string>();
  const workingDir = info.Config.WorkingDir || '/';
  const first = options[0];
  if (first !== undefined && !first.startsWith('--')) {
    options = options.slice(1);
    if (first !== '-') await readConfigFile(container, workingDir, first, settings, 0);
  }
  for (const [name, value] of commandLineOptions(options)) settings.set(name, value);

  const redisVersion = await redisVersionOf(docker, info);
  const major = Number(/^(\d+)/.exec(redisVersion ?? '')?.[1] ?? '7');
  return {
    fromConfig: true,
    dir: posix.resolve(workingDir, settings.get('dir') ?? './'),
    dbfilename: settings.get('dbfilename') || 'dump.rdb',
    appendonly: (settings.get('appendonly') ?? 'no').toLowerCase() === 'yes',
    appenddirname: settings.get('appenddirname') || (major >= 7 ? 'appendonlydir' : undefined),
    appendfilename: settings.get('appendfilename') || 'appendonly.aof',
    redisVersion,
  };
}

/** `--name value` pairs of redis-server's command line, for the settings read here. */
export function commandLineOptions(args: readonly string[]): Array<[Name, string]> {
  const found: Array<[Name, string]> = [];
  args.forEach((arg, i) => {
    const name = arg.startsWith('--') ? arg.slice(2).toLowerCase() : '';
    const value = args[i + 1];
    if (isName(name) && value !== undefined && !value.startsWith('--')) found.push([name, value]);
  });
  return found;
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
  const path = posix.resolve(workingDir, file);
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new BackupError('engine', `Redis's config file ${path} includes files more than ${MAX_INCLUDE_DEPTH} deep.`);
  }
  const text = (await readFileOut(container, path)).toString('utf8');
  // Redis reads an include where it stands: a setting after it wins over the included file's.
  for (const line of text.split(/\r?\n/)) {
    const { settings: set, includes } = configFileSettings(line);
    for (const [name, value] of set) settings.set(name, value);
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
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  const trimmed = line.trim();
  if (trimmed.startsWith('#')) return [undefined, undefined];
  for (const match of trimmed.matchAll(pattern)) {
    const quoted = match[1] ?? match[2];
    words.push(quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (match[3] ?? ''));
    if (words.length === 2) break;
  }
  return [words[0], words[1]];
}

function isName(name: string): name is Name {
  return (NAMES as readonly string[]).includes(name);
}
