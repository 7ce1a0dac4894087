import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real `redis-server` on a free loopback port, with no persistence, for one test run. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly password: string | undefined;
  /** SIGSTOP: the kernel still accepts connections but Redis answers nothing (a real hang). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * A loopback port nothing listens on now. The unit level takes its ports from the kernel (port
 * 0: the ephemeral range), hundreds of redis-servers over its run; the integration level, running
 * beside it, takes its own below that range (SHARED_REDIS_PORT_BAND=below-ephemeral, set by
 * scripts/test-all.mjs), so that a port one level picked and released is never the other's to
 * take before its use (the integration level's closed port is used minutes later).
 */
export async function freePort(): Promise<number> {
  const band = BELOW_EPHEMERAL;
  return (band && (await portInBand(band.from, band.to, portIsFree))) ?? ephemeralPort();
}

/** The 20,000 ports below the kernel's ephemeral range, when this process keeps to them. */
const BELOW_EPHEMERAL = ((): { from: number; to: number } | undefined => {
  if (process.env['SHARED_REDIS_PORT_BAND'] !== 'below-ephemeral') return undefined;
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 22_000 ? { from: low - 20_000, to: low - 1 } : undefined;
  } catch {
    return undefined;
  }
})();

/** A random port in [from, to] that `usable` accepts, or undefined after 200 tries. */
async function portInBand(
  from: number,
  to: number,
  usable: (port: number) => Promise<boolean>,
): Promise<number | undefined> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await usable(port)) return port;
  }
  return undefined;
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** How to start a test's redis-server. */
export interface RedisServerOptions {
  /** Set with `requirepass` through the config on stdin, never on the command line. */
  readonly password?: string;
  /** The text of an ACL file, written next to the server's data and loaded with `--aclfile`. */
  readonly acl?: string;
  readonly extraArgs?: readonly string[];
  /** More config lines through stdin (secrets such as `masterauth` never go on the command line). */
  readonly config?: string;
  /** The port to listen on (a restart on the port of a stopped server); else a free one. */
  readonly port?: number;
  /** Another server than Debian 12's `redis-server` (7.0): see NEWER_SERVERS. */
  readonly binary?: string;
}

/** The server a test starts unless it asks for one: SHARED_REDIS_TEST_SERVER=redis-8 or valkey-8
 * runs a whole level against a newer server (NEWER_SERVERS) to see what it breaks. */
export const DEFAULT_BINARY = ((): string => {
  const wanted = process.env['SHARED_REDIS_TEST_SERVER'];
  if (wanted === undefined || wanted === '') return 'redis-server';
  if (wanted === 'redis-8') return join(__dirname, '../../../test/harness/servers/bin/redis-server-8');
  if (wanted === 'valkey-8') return join(__dirname, '../../../test/harness/servers/bin/valkey-server-8');
  throw new Error(`SHARED_REDIS_TEST_SERVER=${wanted}: use redis-8 or valkey-8, or leave it unset for redis-server`);
})();

/** Redis 8.0 and Valkey 8.1 from Debian 13, unpacked by scripts/install-newer-servers.sh (setup). */
export const NEWER_SERVERS = {
  'Redis 8.0': join(__dirname, '../../../test/harness/servers/bin/redis-server-8'),
  'Valkey 8.1': join(__dirname, '../../../test/harness/servers/bin/valkey-server-8'),
} as const;

/**
 * A free port for a cluster node: Redis opens its cluster bus at the port + 10,000, so the port
 * must be at most 55,535 (a higher one exits with "Redis port number too high") and its bus port
 * free too. freePort() alone hands out ports up to 60,999 on Linux.
 */
async function freeClusterPort(): Promise<number> {
  const band = BELOW_EPHEMERAL;
  // Its bus port (+ 10,000) in the band too.
  const banded =
    band &&
    (await portInBand(
      band.from,
      band.to - 10_000,
      async (port) => (await portIsFree(port)) && portIsFree(port + 10_000),
    ));
  if (banded !== undefined) return banded;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await freePort();
    if (port <= 55_535 && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('found no free port pair (port, port + 10,000) for a cluster node in 200 tries');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const cluster =
    /^cluster-enabled yes$/m.test(options.config ?? '') || options.extraArgs?.includes('--cluster-enabled');
  const port = options.port ?? (cluster ? await freeClusterPort() : await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'shared-redis-test-'));
  const aclArgs = options.acl === undefined ? [] : ['--aclfile', writeAclFile(dir, options.acl)];
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...aclArgs,
    ...(options.extraArgs ?? []),
  ];
  // The password goes through a config on stdin, never on the command line.
  const config = (options.password ? `requirepass "${options.password}"\n` : '') + (options.config ?? '');
  const child: ChildProcess = spawn(options.binary ?? DEFAULT_BINARY, ['-', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(config);
  // Redis logs to stdout, where it says why it did not start: the last of it goes in the error.
  let stderr = '';
  const keep = (chunk: Buffer): void => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  };
  child.stderr?.on('data', keep);
  child.stdout?.on('data', keep);
  await waitForPort(port, child, () => stderr);
  const pid = child.pid ?? 0;
  return {
    host: '127.0.0.1',
    port,
    pid,
    password: options.password,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* already gone */
        }
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `port` accepts connections; fails when `child` exits first or after 10 s. */
export async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function writeAclFile(dir: string, text: string): string {
  const file = join(dir, 'users.acl');
  writeFileSync(file, text, { mode: 0o600 }); // it may hold password hashes
  return file;
}
