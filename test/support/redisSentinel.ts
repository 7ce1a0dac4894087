import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from './eventually';
import { freePort, RedisServer, startRedisServer, waitForPort } from './redisServer';

/** A real master, its replica, and Sentinels watching them, all on free loopback ports. */
export interface SentinelSetup {
  readonly masterName: string;
  readonly password: string;
  /** The two data servers; which one is master changes with a failover. */
  readonly servers: readonly RedisServer[];
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** Runs `SENTINEL FAILOVER` and resolves once the Sentinels name the other server as master. */
  failover(): Promise<RedisServer>;
  /** The server the Sentinels name as master now. */
  master(): Promise<RedisServer>;
  stop(): Promise<void>;
}

/**
 * Starts a password-protected master, a replica of it and `count` Sentinels (`redis-server
 * --sentinel`, each with its own config file, which Sentinel rewrites), and waits until every
 * Sentinel sees the replica, so that `SENTINEL FAILOVER` has a replica to promote. The master's
 * password reaches the servers and Sentinels through config on stdin or files (mode 0600), never
 * a command line.
 */
export async function startSentinelSetup(count = 2, masterName = 'mymaster'): Promise<SentinelSetup> {
  const password = `sentinel-test-${Math.random().toString(36).slice(2)}`;
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    // repl-diskless-sync-delay 0: a replica's (re)sync, after a failover too, starts at once, not after a 5 s wait.
    const auth = `masterauth "${password}"\nrepl-diskless-sync-delay 0\n`;
    const first = await startRedisServer({ password, config: auth });
    started.push(first);
    const second = await startRedisServer({
      password,
      config: `${auth}replicaof ${first.host} ${first.port}\n`,
    });
    started.push(second);
    const servers = [first, second];
    const sentinels: Array<{ host: string; port: number }> = [];
    for (let i = 0; i < count; i++) {
      const sentinel = await startSentinel(masterName, first, password);
      started.push(sentinel);
      sentinels.push({ host: '127.0.0.1', port: sentinel.port });
    }
    const ask = async <T>(
      at: { host: string; port: number; password?: string | undefined },
      work: (client: Redis) => Promise<T>,
    ): Promise<T> => {
      const client = new Redis({
        host: at.host,
        port: at.port,
        password: at.password,
        lazyConnect: true,
        retryStrategy: () => null,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return await work(client);
      } finally {
        client.disconnect();
      }
    };
    const master = async (): Promise<RedisServer> => {
      const reply = (await ask(sentinels[0] as { host: string; port: number }, (c) =>
        c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName),
      )) as [string, string];
      const found = servers.find((s) => s.port === Number(reply[1]));
      if (!found) throw new Error(`the Sentinels name ${reply.join(':')} as master, which is no server of this setup`);
      return found;
    };
    const replicaSeen = async (): Promise<boolean> => {
      for (const sentinel of sentinels) {
        const replicas = (await ask(sentinel, (c) => c.call('SENTINEL', 'REPLICAS', masterName))) as string[][];
        const ok = replicas.some((fields) => {
          const flags = fields[fields.indexOf('flags') + 1] ?? '';
          const link = fields[fields.indexOf('master-link-status') + 1];
          return link === 'ok' && !/down|disconnected/.test(flags);
        });
        if (!ok) return false;
      }
      return true;
    };
    await eventually('every Sentinel to see the replica in sync', replicaSeen, 30_000);
    return {
      masterName,
      password,
      servers,
      sentinels,
      master,
      failover: async () => {
        const before = await master();
        await eventually(
          'the Sentinel to accept SENTINEL FAILOVER',
          async () =>
            ask(sentinels[0] as { host: string; port: number }, (c) => c.call('SENTINEL', 'FAILOVER', masterName)).then(
              () => true,
              // NOGOODSLAVE / INPROG right after a change: ask again.
              () => false,
            ),
          30_000,
        );
        await eventually(
          'the Sentinels to name the other server as master',
          async () => (await master()) !== before,
          30_000,
        );
        const after = await master();
        // Done when the old master itself says it replicates the new one (Sentinel reconfigures it last).
        await eventually(
          'the old master to become a replica of the new one',
          async () => {
            // Sentinel closes the old master's clients (CLIENT KILL) as it reconfigures it: ask again.
            const info = await ask(before, (c) => c.info('replication')).catch(() => '');
            return (
              info.includes('role:slave') &&
              info.includes(`master_port:${after.port}`) &&
              info.includes('master_link_status:up')
            );
          },
          30_000,
        );
        return after;
      },
      stop: async () => {
        for (const part of started.reverse()) await part.stop();
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.stop();
    throw error;
  }
}

/** One Sentinel monitoring `master` (any address: one nobody can reach too). */
export async function startSentinel(
  masterName: string,
  master: { readonly host: string; readonly port: number },
  password: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shared-redis-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${masterName} ${master.host} ${master.port} 1`,
      `sentinel auth-pass ${masterName} ${password}`,
      `sentinel down-after-milliseconds ${masterName} 2000`,
      `sentinel failover-timeout ${masterName} 10000`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const child: ChildProcess = spawn('redis-server', [config, '--sentinel'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await waitForPort(port, child, () => stderr);
  return {
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
