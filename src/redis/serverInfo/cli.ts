import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RedisEndpoint } from '../endpoint';

/**
 * How redis-cli is started. The password is never an argument (anyone can read a
 * process's command line): it goes in the REDISCLI_AUTH environment variable.
 */
export interface RedisCliLaunch {
  readonly args: readonly string[];
  /** Variables to add to the environment; REDISCLI_AUTH only when there is a password. */
  readonly env: Readonly<Record<string, string>>;
}

/** How the server answers: a Redis Cluster node replies MOVED for a key it does not serve. */
export interface CliTarget {
  /** Start redis-cli with `-c`, so that it follows MOVED and ASK to the node serving the key. */
  readonly cluster?: boolean;
}

/**
 * Arguments for a local redis-cli with pipes for stdin and stdout: `--no-raw` keeps the
 * `(integer) 1` / `(nil)` formatting a person expects even though stdout is not a TTY.
 */
export function localCliLaunch(
  endpoint: RedisEndpoint,
  password: string | undefined,
  target: CliTarget = {},
): RedisCliLaunch {
  const args = ['--no-raw', '-h', endpoint.host, '-p', String(endpoint.port), '-n', String(endpoint.db)];
  if (target.cluster) args.push('-c');
  if (endpoint.username) args.push('--user', endpoint.username);
  args.push(...cliTlsArguments(endpoint));
  return { args, env: password === undefined || password === '' ? {} : { REDISCLI_AUTH: password } };
}

/**
 * redis-cli's TLS flags for the endpoint's settings: `--tls`, `--cacert`, `--cert`, `--key`,
 * `--sni` (the server name, else the host), and `--insecure` only when certificate checking
 * was turned off. Paths only: the files' contents never reach the command line.
 */
export function cliTlsArguments(endpoint: RedisEndpoint): string[] {
  if (!endpoint.tls) return [];
  const settings = endpoint.tlsSettings ?? {};
  const args = ['--tls'];
  if (settings.caFile) args.push('--cacert', settings.caFile);
  if (settings.certFile) args.push('--cert', settings.certFile);
  if (settings.keyFile) args.push('--key', settings.keyFile);
  args.push('--sni', settings.serverName?.trim() || endpoint.host);
  if (settings.verifyCertificate === false) args.push('--insecure');
  return args;
}

/** The command for redis-cli inside the stack's container, which listens on its own 6379; the password goes in the exec's Env. */
export function containerCliLaunch(
  endpoint: RedisEndpoint,
  password: string | undefined,
  target: CliTarget = {},
): RedisCliLaunch {
  const args = ['redis-cli', '-n', String(endpoint.db)];
  if (target.cluster) args.push('-c');
  if (endpoint.username) args.push('--user', endpoint.username);
  return { args, env: password === undefined || password === '' ? {} : { REDISCLI_AUTH: password } };
}

/** What a person does to get redis-cli, by platform. */
export function redisCliInstallHint(platform: NodeJS.Platform = process.platform): string {
  const how =
    platform === 'darwin'
      ? 'brew install redis'
      : platform === 'win32'
        ? 'install Redis in WSL (sudo apt-get install redis-tools) or use Memurai'
        : 'sudo apt-get install redis-tools (Debian/Ubuntu), sudo dnf install redis (Fedora), or brew install redis (macOS)';
  return `redis-cli was not found on the PATH. Install it: ${how}. Or start the Shared Redis stack: its container has redis-cli.`;
}

/** The first executable named `name` on `pathVariable` (PATH), or undefined. */
export function findExecutable(
  name: string,
  pathVariable = process.env['PATH'] ?? '',
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const names = platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue;
    for (const candidate of names) {
      const file = join(dir, candidate);
      try {
        if (!statSync(file).isFile()) continue;
        if (platform !== 'win32') accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not there, or not executable
      }
    }
  }
  return undefined;
}
