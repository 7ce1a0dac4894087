import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerOptions } from 'dockerode';

/** One place an engine might answer, and why we looked there. */
export interface EngineCandidate {
  /** `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`, `npipe:////./pipe/docker_engine`. */
  readonly url: string;
  /** `setting sharedRedis.dockerHost`, `DOCKER_HOST`, `context colima`, `default socket` ... */
  readonly source: string;
  readonly tls?: { readonly certPath: string; readonly verify: boolean } | undefined;
}

export interface EndpointEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly platform: NodeJS.Platform;
  readonly uid: number | undefined;
  readonly exists: (path: string) => boolean;
  readonly readText: (path: string) => string | undefined;
}

export function processEnvironment(): EndpointEnvironment {
  return {
    env: process.env,
    home: homedir(),
    platform: process.platform,
    uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
    exists: existsSync,
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Every endpoint worth probing, in the order the Docker CLI would pick them, followed
 * by the well-known sockets of Docker Desktop, rootless Docker, Podman, Colima and
 * Rancher Desktop. An explicit choice (setting, DOCKER_HOST, a context) comes first and
 * the well-known sockets only follow when they exist on disk.
 */
export function engineCandidates(
  setting: string | undefined,
  environment: EndpointEnvironment = processEnvironment(),
): EngineCandidate[] {
  const { env, home, platform, uid } = environment;
  const candidates: EngineCandidate[] = [];
  const add = (url: string, source: string, tls?: EngineCandidate['tls']): void => {
    if (!candidates.some((c) => c.url === url)) candidates.push({ url, source, tls });
  };

  if (setting && setting.trim()) add(setting.trim(), 'setting sharedRedis.dockerHost');
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost) {
    const verify = Boolean(env['DOCKER_TLS_VERIFY']) && env['DOCKER_TLS_VERIFY'] !== '0';
    const certPath = env['DOCKER_CERT_PATH'] || join(home, '.docker');
    add(dockerHost, 'DOCKER_HOST', dockerHost.startsWith('tcp://') && verify ? { certPath, verify } : undefined);
  }
  const context = contextEndpoint(environment);
  if (context) add(context.url, `context ${context.name}`);

  if (platform === 'win32') {
    add('npipe:////./pipe/docker_engine', 'default pipe');
    add('npipe:////./pipe/podman-machine-default', 'Podman pipe');
    return candidates;
  }
  add('unix:///var/run/docker.sock', 'default socket');
  const wellKnown: Array<[string, string]> = [
    [join(home, '.docker/run/docker.sock'), 'Docker Desktop'],
    [join(home, '.docker/desktop/docker.sock'), 'Docker Desktop'],
    [env['XDG_RUNTIME_DIR'] ? join(env['XDG_RUNTIME_DIR'], 'docker.sock') : '', 'rootless Docker'],
    [uid !== undefined ? `/run/user/${uid}/docker.sock` : '', 'rootless Docker'],
    [env['XDG_RUNTIME_DIR'] ? join(env['XDG_RUNTIME_DIR'], 'podman/podman.sock') : '', 'Podman'],
    [uid !== undefined ? `/run/user/${uid}/podman/podman.sock` : '', 'Podman'],
    ['/run/podman/podman.sock', 'Podman'],
    [join(home, '.colima/default/docker.sock'), 'Colima'],
    [join(home, '.colima/docker.sock'), 'Colima'],
    [join(home, '.rd/docker.sock'), 'Rancher Desktop'],
  ];
  for (const [path, source] of wellKnown) {
    if (path && environment.exists(path)) add(`unix://${path}`, source);
  }
  return candidates;
}

/** The endpoint of `DOCKER_CONTEXT`, else of `currentContext` in the CLI's config.json. */
function contextEndpoint(environment: EndpointEnvironment): { name: string; url: string } | undefined {
  const configDir = environment.env['DOCKER_CONFIG'] || join(environment.home, '.docker');
  let name = environment.env['DOCKER_CONTEXT'];
  if (!name) {
    const config = environment.readText(join(configDir, 'config.json'));
    if (config) {
      try {
        name = (JSON.parse(config) as { currentContext?: string }).currentContext;
      } catch {
        /* an unreadable config names no context */
      }
    }
  }
  if (!name || name === 'default') return undefined;
  // The CLI stores each context under the SHA-256 of its name.
  const metaPath = join(configDir, 'contexts/meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
  const meta = environment.readText(metaPath);
  if (!meta) return undefined;
  try {
    const url = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: string } } }).Endpoints?.docker?.Host;
    return url ? { name, url } : undefined;
  } catch {
    return undefined;
  }
}

/** dockerode's options for a candidate. */
export function dockerOptions(
  candidate: EngineCandidate,
  readFile: (path: string) => Buffer = readFileSync,
): DockerOptions {
  const url = new URL(candidate.url.replace(/^npipe:\/\/\/\//, 'npipe://x/'));
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: decodeURIComponent(url.pathname) };
    case 'npipe:':
      return { socketPath: candidate.url.replace(/^npipe:\/\//, '').replace(/\//g, '\\') };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = candidate.tls ?? (url.protocol === 'https:' ? { certPath: '', verify: true } : undefined);
      const port = Number(url.port || (tls ? 2376 : 2375));
      if (!tls) return { host: url.hostname, port, protocol: 'http' };
      const options: DockerOptions = { host: url.hostname, port, protocol: 'https' };
      if (tls.certPath) {
        options.ca = readFile(join(tls.certPath, 'ca.pem'));
        options.cert = readFile(join(tls.certPath, 'cert.pem'));
        options.key = readFile(join(tls.certPath, 'key.pem'));
      }
      return options;
    }
    default:
      throw new Error(`Unsupported Docker endpoint "${candidate.url}": use unix://, tcp:// or npipe://.`);
  }
}
