import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import Redis from 'ioredis';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { listClients, MissingRightError } from '../../../../src/redis/observe/clientList';
import {
  PROFILER_CONNECTION_NAME,
  ProfiledCommand,
  Profiler,
  ProfilerEnded,
  ProfilerOptions,
} from '../../../../src/redis/observe/profiler';
import { freePort, startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import { eventually } from '../../../support/eventually';
import { login } from './login';
import { MIGRATE_LIBRARY, MIGRATE_SCRIPT } from './migrateScripts';
import { settled } from '../../../support/settled';

const ACL = [
  'user default on nopass ~* &* +@all',
  'user auth-service on >auth-pw ~auth:* &auth:* +@all -monitor',
  'user user-service on >user-pw ~user:* &user:* +@all -monitor',
].join('\n');

describe('Profiler (MONITOR) on a real Redis', function () {
  this.timeout(30_000);
  const server = useRedisServer({ acl: ACL });
  const endpoint = () => ({ host: server.host, port: server.port, db: 0, tls: false });
  let admin: Redis;
  before(async () => {
    admin = await server.connect();
  });
  const running: Profiler[] = [];
  afterEach(() => running.splice(0).forEach((profiler) => profiler.stop()));

  /** Starts a profile that records what it shows; `ended` settles when it stops. */
  async function profile(options: Partial<ProfilerOptions> = {}, credentials: { password?: string } = {}) {
    const commands: ProfiledCommand[] = [];
    let resolveEnded: (ended: ProfilerEnded) => void = () => undefined;
    const ended = new Promise<ProfilerEnded>((resolve) => (resolveEnded = resolve));
    const profiler = await Profiler.start(endpoint(), credentials, {
      maxSeconds: 60,
      maxLines: 10_000,
      delimiter: ':',
      listClients: () => listClients(admin),
      onCommand: (command) => commands.push(command),
      onEnd: resolveEnded,
      ...options,
    });
    running.push(profiler);
    return { profiler, commands, ended };
  }

  async function serviceClient(user: string, password: string): Promise<Redis> {
    return server.keep(new Redis({ host: server.host, port: server.port, username: user, password }));
  }

  const monitorConnections = async (): Promise<number> =>
    (await listClients(admin)).filter((c) => c.name === PROFILER_CONNECTION_NAME || c.flags.includes('O')).length;

  it('attributes each command to the service that sent it, with its exact bytes', async function () {
    const { profiler, commands, ended } = await profile();
    const auth = await serviceClient('auth-service', 'auth-pw');
    const user = await serviceClient('user-service', 'user-pw');
    const tricky = Buffer.concat([Buffer.from('a" "b\nc\\'), Buffer.from([0x00, 0xff])]);
    await auth.set('auth:session:1', 'x');
    await user.set('user:profile:1', tricky);
    await user.get('user:profile:1');
    await eventually('the GET profiled', () => commands.some((c) => c.command === 'GET' && c.key === 'user:profile:1'));
    profiler.stop();
    const mine = commands.filter((c) => c.key?.startsWith('auth:') || c.key?.startsWith('user:'));
    assert.deepEqual(
      mine.map((c) => [c.service, c.command, c.key, c.namespace]),
      [
        ['auth-service', 'SET', 'auth:session:1', 'auth'],
        ['user-service', 'SET', 'user:profile:1', 'user'],
        ['user-service', 'GET', 'user:profile:1', 'user'],
      ],
    );
    assert.equal(mine[1]?.args[0], String.raw`a" "b\x0ac\\\x00\xff`);
    const end = await ended;
    assert.equal(end.end.reason, 'stopped');
    assert.match(end.rates.services.map((s) => s.service).join(','), /auth-service/);
    assert.equal(await monitorConnections(), 0);
  });

  it('shows a long text value in a non-Latin script as text, not as escaped bytes, when it cuts it', async function () {
    const { profiler, commands } = await profile();
    const user = await serviceClient('user-service', 'user-pw');
    // 300 bytes: the parser keeps the first 256, which end inside the 86th character.
    const text = 'ユーザー'.repeat(25);
    await user.set('user:greeting:1', text);
    await eventually('the SET profiled', () => commands.some((c) => c.key === 'user:greeting:1'));
    profiler.stop();
    const shown = commands.find((c) => c.key === 'user:greeting:1')?.args[0] ?? '';
    assert.doesNotMatch(shown, /\\x/, `shown as escaped bytes: ${shown}`);
    assert.ok(shown.startsWith(text.slice(0, 60)), `not the value's text: ${shown}`);
    assert.match(shown, /… \(300 B\)$/, 'says it is shortened, with its size');
  });

  it('names a service that connects right after another (within the one CLIENT LIST a second)', async function () {
    const { profiler, commands } = await profile();
    const auth = await serviceClient('auth-service', 'auth-pw');
    await auth.set('auth:first', 'x');
    await eventually('the first service named', () => commands.some((c) => c.service === 'auth-service'));
    const user = await serviceClient('user-service', 'user-pw');
    await user.set('user:right-after', 'x');
    await eventually('the second command shown', () => commands.some((c) => c.key === 'user:right-after'));
    profiler.stop();
    assert.equal(commands.find((c) => c.key === 'user:right-after')?.service, 'user-service');
  });

  it("credits a service's commands to it, not to `default`, when its connections opened before they logged in", async function () {
    const { profiler, commands } = await profile();
    // A pool opening: connections accepted, not logged in yet, which CLIENT LIST lists as `default`.
    const pool = await Promise.all(Array.from({ length: 10 }, () => login(server, { disableClientInfo: true })));
    // Meanwhile another service's first command makes the profiler ask CLIENT LIST.
    const auth = await serviceClient('auth-service', 'auth-pw');
    await auth.set('auth:meanwhile', 'x');
    await eventually('the other service named', () =>
      commands.some((c) => c.key === 'auth:meanwhile' && c.service === 'auth-service'),
    );
    await Promise.all(
      pool.map(async (connection, i) => {
        await connection.call('AUTH', 'user-service', 'user-pw');
        await connection.get(`user:pooled:${i}`);
      }),
    );
    const pooled = () => commands.filter((c) => c.key?.startsWith('user:pooled:'));
    await eventually("the pool's commands profiled", () => pooled().length === 10);
    profiler.stop();
    assert.deepEqual(
      pooled().map((c) => c.service),
      Array<string>(10).fill('user-service'),
    );
  });

  /** A connection from `localPort`, as behind Docker's published port, where ports come round again. */
  async function connectionFrom(localPort: number): Promise<Socket> {
    const socket = connect({ host: server.host, port: server.port, localPort });
    await once(socket, 'connect');
    socket.resume(); // its replies are not read: let them flow, or its close never comes
    return server.keep(Object.assign(socket, { disconnect: () => socket.destroy() }));
  }

  const resp = (...args: string[]): string =>
    `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('');

  it('credits the user a connection switched to with AUTH or HELLO … AUTH', async function () {
    const { profiler, commands } = await profile();
    const client = await serviceClient('auth-service', 'auth-pw');
    await client.get('auth:before-switch');
    await eventually('the first user named', () => commands.some((c) => c.service === 'auth-service'));
    await client.call('AUTH', 'user-service', 'user-pw');
    await client.get('user:after-auth');
    // The user is CLIENT LIST's at the next look (MONITOR hides AUTH's): one switch per look.
    await eventually('the GET after AUTH profiled', () => commands.some((c) => c.key === 'user:after-auth'));
    await client.call('HELLO', '2', 'AUTH', 'default', 'any'); // `default` has no password
    await client.get('user:after-hello');
    await eventually('the last GET profiled', () => commands.some((c) => c.key === 'user:after-hello'));
    profiler.stop();
    assert.deepEqual(
      commands.filter((c) => c.command === 'GET').map((c) => [c.key, c.service]),
      [
        ['auth:before-switch', 'auth-service'],
        ['user:after-auth', 'user-service'],
        ['user:after-hello', 'default'],
      ],
    );
  });

  it('credits a connection that logs in again while CLIENT LIST is asked (a client that sends AUTH per request) to its user, not to "unknown"', async function () {
    // Connected before the profile starts, without ioredis's ready check: its first line is the GET.
    const client = server.keep(
      new Redis({
        host: server.host,
        port: server.port,
        username: 'auth-service',
        password: 'auth-pw',
        enableReadyCheck: false,
        lazyConnect: true,
      }),
    );
    await client.connect();
    let looks = 0;
    const { profiler, commands } = await profile({
      backlogCheckMs: 600_000, // only the lookups ask CLIENT LIST
      listClients: async () => {
        // The first three looks: the connection logs in again (same user) while the look is out,
        // and its AUTH line reaches the profiler before the answer does.
        if (++looks <= 3) {
          await client.call('AUTH', 'auth-service', 'auth-pw');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        return listClients(admin);
      },
    });
    await client.get('auth:per-request');
    await eventually('the GET and the three logins profiled', () => commands.length >= 4 || undefined, {
      timeoutMs: 10_000,
    });
    profiler.stop();
    console.log(
      looks,
      commands.map((c) => [c.command, c.service]),
    );
    assert.ok(looks >= 3, `CLIENT LIST asked ${looks} times`);
    assert.deepEqual(
      commands.map((c) => [c.command, c.service]),
      [
        ['GET', 'auth-service'],
        ['AUTH', 'auth-service'],
        ['AUTH', 'auth-service'],
        ['AUTH', 'auth-service'],
      ],
    );
  });

  it("credits a connection that reuses a gone connection's address to its own user", async function () {
    const { profiler, commands } = await profile({ backlogCheckMs: 200 });
    const localPort = await freePort();
    const first = await connectionFrom(localPort);
    first.write(resp('AUTH', 'auth-service', 'auth-pw') + resp('GET', 'auth:from-first'));
    await eventually('the first connection named', () =>
      commands.some((c) => c.key === 'auth:from-first' && c.service === 'auth-service'),
    );
    // The server closes it (so the port is free again at once on this side), as a restart would.
    const closed = once(first, 'close');
    await admin.client('KILL', 'ADDR', `127.0.0.1:${localPort}`);
    await closed;
    // A later connection: the profiler's next CLIENT LIST (a second at most) has seen the first gone.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await connectionFrom(localPort);
    second.write(resp('GET', 'user:from-second')); // the `default` user, no AUTH needed
    await eventually('the second connection profiled', () => commands.some((c) => c.key === 'user:from-second'));
    profiler.stop();
    assert.equal(commands.find((c) => c.key === 'user:from-second')?.service, 'default');
  });

  it('names the service of a burst of thousands of commands from a new connection, none shown as unknown', async function () {
    const { profiler, commands } = await profile();
    const auth = await serviceClient('auth-service', 'auth-pw');
    await auth.set('auth:first', 'x');
    await eventually('the first service named', () => commands.some((c) => c.service === 'auth-service'));
    // Within the second after that look: a service's first connection sends a pipelined burst.
    const user = await serviceClient('user-service', 'user-pw');
    const burst = user.pipeline();
    for (let i = 0; i < 5000; i++) burst.get(`user:burst:${i}`);
    await burst.exec();
    const profiled = () => commands.filter((c) => c.key?.startsWith('user:burst:'));
    await eventually('the burst profiled', () => profiled().length === 5000);
    profiler.stop();
    const services = new Map<string, number>();
    for (const { service = 'unknown' } of profiled()) services.set(service, (services.get(service) ?? 0) + 1);
    assert.deepEqual([...services], [['user-service', 5000]]);
  });

  it('shows the key and namespace of commands whose keys follow a count (ZUNION … BZMPOP)', async function () {
    await admin.rpush('user:list', 'a', 'b', 'c');
    await admin.zadd('user:zset', 1, 'a', 2, 'b', 3, 'c');
    await admin.sadd('user:set', 'a');
    const { profiler, commands } = await profile();
    const counted: string[][] = [
      ['ZUNION', '2', 'user:zset', 'auth:zset'],
      ['ZINTER', '1', 'user:zset'],
      ['ZDIFF', '2', 'user:zset', 'auth:zset'],
      ['ZINTERCARD', '1', 'user:zset'],
      ['SINTERCARD', '1', 'user:set'],
      ['LMPOP', '1', 'user:list', 'LEFT'],
      ['ZMPOP', '1', 'user:zset', 'MIN'],
      ['BLMPOP', '1', '1', 'user:list', 'LEFT'], // the keys hold values: they do not block
      ['BZMPOP', '1', '1', 'user:zset', 'MIN'],
    ];
    for (const [name, ...args] of counted) await admin.call(name as string, ...args);
    await eventually('the last profiled', () => commands.some((c) => c.command === 'BZMPOP'));
    profiler.stop();
    assert.deepEqual(
      commands.map((c) => [c.command, c.key, c.namespace]),
      counted.map(([name, ...args]) => [name, args.find((arg) => arg.startsWith('user:')), 'user']),
    );
  });

  it('never shows the arguments of AUTH or CONFIG SET requirepass', async function () {
    const { profiler, commands } = await profile();
    const client = await serviceClient('auth-service', 'auth-pw');
    await client.call('AUTH', 'user-service', 'user-pw');
    await admin.config('SET', 'requirepass', 'n3w-s3cret');
    await admin.config('SET', 'requirepass', '');
    await admin.call('ACL', 'SETUSER', 'temp-user', 'on', '>t3mp-s3cret');
    await admin.call('ACL', 'DELUSER', 'temp-user');
    await admin.get('user:marker');
    await eventually('the marker profiled', () => commands.some((c) => c.key === 'user:marker'));
    profiler.stop();
    const shown = commands
      .map((c) => [c.command, ...(c.key === undefined ? [] : [c.key]), ...c.args].join(' '))
      .join('\n');
    assert.doesNotMatch(shown, /user-pw|auth-pw|n3w-s3cret|t3mp-s3cret/);
    // Redis 7 leaves admin commands (CONFIG, ACL) out of MONITOR; AUTH is there, redacted.
    assert.match(shown, /^AUTH \(redacted\) \(redacted\)$/m);
  });

  it("never shows the password of a MIGRATE … AUTH run inside a script: the script's text and its arguments", async function () {
    const { profiler, commands } = await profile();
    await admin.set('user:to-move', 'x');
    // Port 1 refuses the connection: the MIGRATE fails (IOERR), but the server has already shown the script.
    const literal =
      "local p = 'l1teral-pw' return redis.call('MIGRATE','127.0.0.1','1','user:to-move','0','100','AUTH',p)";
    const fromArgv = "return redis.call('migrate','127.0.0.1','1',KEYS[1],'0','100','AUTH',ARGV[1])";
    await assert.rejects(admin.eval(literal, 0), /IOERR/);
    await assert.rejects(admin.eval(fromArgv, 1, 'user:to-move', 'argv-pw'), /IOERR/);
    await admin.get('user:marker');
    await eventually('the marker profiled', () => commands.some((c) => c.key === 'user:marker'));
    profiler.stop();
    const shown = commands
      .map((c) => [c.command, ...(c.key === undefined ? [] : [c.key]), ...c.args].join(' '))
      .join('\n');
    assert.doesNotMatch(shown, /l1teral-pw|argv-pw/);
    // What a user still sees: the scripts ran, on which key, and the MIGRATE they called.
    assert.equal(commands.filter((c) => c.command === 'EVAL').length, 2);
    assert.ok(commands.some((c) => c.command === 'EVAL' && c.key === 'user:to-move'));
    assert.equal(commands.filter((c) => c.command === 'MIGRATE' && c.source === 'lua').length, 2);
  });

  it('never shows the password a script passes to MIGRATE … AUTH when the script is not in the line (EVALSHA, FCALL) or builds the name', async function () {
    const { profiler, commands } = await profile();
    await admin.set('user:to-move', 'x');
    const migrate = MIGRATE_SCRIPT;
    const sha = String(await admin.call('SCRIPT', 'LOAD', migrate));
    await assert.rejects(admin.evalsha(sha, 1, 'user:to-move', 'sha-pw'), /IOERR/);
    await admin.call('FUNCTION', 'LOAD', 'REPLACE', MIGRATE_LIBRARY);
    await assert.rejects(admin.fcall('mv', 1, 'user:to-move', 'fcall-pw'), /IOERR/);
    const built = "local p = 'bu1lt-pw' return redis.call('MIG'..'RATE','127.0.0.1','1',KEYS[1],'0','100','AUTH',p)";
    await assert.rejects(admin.eval(built, 1, 'user:to-move'), /IOERR/);
    await assert.rejects(
      admin.eval(built.replace("'MIG'..'RATE'", 'ARGV[2]'), 1, 'user:to-move', 'argv-pw', 'MIGRATE'),
      /IOERR/,
    );
    await admin.get('user:marker');
    await eventually('the marker profiled', () => commands.some((c) => c.key === 'user:marker'));
    profiler.stop();
    await admin.call('FUNCTION', 'DELETE', 'movers');
    const shown = commands
      .map((c) => [c.command, ...(c.key === undefined ? [] : [c.key]), ...c.args].join(' '))
      .join('\n');
    assert.doesNotMatch(shown, /sha-pw|fcall-pw|bu1lt-pw|argv-pw/);
    assert.ok(commands.some((c) => c.command === 'EVALSHA' && c.key === 'user:to-move'));
    assert.ok(commands.some((c) => c.command === 'FCALL' && c.key === 'user:to-move'));
  });

  it('stops by itself at the line limit and at the time limit, and closes its connection', async function () {
    const lines = await profile({ maxLines: 5 });
    for (let i = 0; i < 20; i++) await admin.get(`user:line:${i}`);
    const byLines = await lines.ended;
    assert.deepEqual([byLines.end, byLines.lines, lines.commands.length], [{ reason: 'line-limit', lines: 5 }, 5, 5]);
    assert.equal(lines.profiler.running, false);

    const timed = await profile({ maxSeconds: 1 });
    const byTime = await timed.ended;
    assert.deepEqual(byTime.end, { reason: 'time-limit', seconds: 1 });
    await eventually('no MONITOR connection left', async () => (await monitorConnections()) === 0);
  });

  it("reports its end only after its start has finished, even when the lines that came with MONITOR's OK reach the line limit", async function () {
    // A busy server: the lines of other clients' pipelines arrive in the same chunk as MONITOR's OK.
    const flooders = await Promise.all([1, 2, 3, 4].map(() => server.connect()));
    let flooding = true;
    const floods = flooders.map(async (client) => {
      while (flooding) {
        const pipeline = client.pipeline();
        for (let i = 0; i < 500; i++) pipeline.get(`user:flood:${i}`);
        await pipeline.exec();
      }
    });
    try {
      let endedDuringStart = 0;
      for (let attempt = 0; attempt < 20; attempt++) {
        let started = false;
        const profiler = await Profiler.start(
          endpoint(),
          {},
          {
            maxSeconds: 5,
            maxLines: 10,
            delimiter: ':',
            listClients: async () => [],
            onCommand: () => undefined,
            onEnd: () => {
              if (!started) endedDuringStart += 1;
            },
          },
        );
        started = true;
        profiler.stop();
      }
      // The window would otherwise say the profile runs after saying it stopped.
      assert.equal(endedDuringStart, 0, 'profiles whose end was reported before their start finished');
    } finally {
      flooding = false;
      await Promise.all(floods);
    }
  });

  it('stops by itself when the server holds more unread MONITOR output for it than its backlog limit', async function () {
    const backlog = await profile({ maxBacklogBytes: 256 * 1024, backlogCheckMs: 200 });
    // A consumer too busy to read (an extension host under load) is simulated by pausing the
    // profiler's socket: the server then buffers MONITOR's output for it, as under a real flood.
    (backlog.profiler as unknown as { socket: { pause(): void } }).socket.pause();
    const flood = admin.pipeline();
    for (let i = 0; i < 50_000; i++) flood.set(`user:flood:${i}`, 'x'.repeat(64));
    await flood.exec();
    const ended = await backlog.ended;
    assert.equal(ended.end.reason, 'backlog');
    assert.ok(ended.end.reason === 'backlog' && ended.end.bytes > 256 * 1024, JSON.stringify(ended.end));
    await eventually('no MONITOR connection left', async () => (await monitorConnections()) === 0);
  });

  /** Profiler options for a start that is expected to fail: short limits, no client lookups, nothing watched. */
  const NOTHING_TO_WATCH = {
    maxSeconds: 5,
    maxLines: 10,
    delimiter: ':',
    listClients: async () => [],
    onCommand: () => undefined,
    onEnd: () => undefined,
  };

  it('refuses a user without the MONITOR right with one error naming +monitor', async function () {
    await assert.rejects(
      Profiler.start({ ...endpoint(), username: 'auth-service' }, { password: 'auth-pw' }, NOTHING_TO_WATCH),
      (error: unknown) =>
        error instanceof MissingRightError && error.grant === '+monitor' && /MONITOR/.test(error.message),
    );
  });

  it('starts when a password is stored but the server asks for none, as the other connections do', async function () {
    const { profiler, commands } = await profile({}, { password: 'stale-pass' });
    await admin.get('user:after-stale-password');
    await eventually('the GET profiled', () => commands.some((c) => c.key === 'user:after-stale-password'));
    profiler.stop();
  });

  it('says a login refused with another reply is an authentication failure, not an unreachable server', async function () {
    // A fake server: Redis 7 refuses a login only with WRONGPASS; this is Redis 5's reply to AUTH
    // with a user name, which a real server here cannot give.
    const fake = createServer((socket) =>
      socket.once('data', () =>
        socket.write(
          "-ERR wrong number of arguments for 'auth' command\r\n+OK\r\n:7\r\n-NOAUTH Authentication required.\r\n",
        ),
      ),
    );
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        Profiler.start(
          { host: '127.0.0.1', port: (fake.address() as AddressInfo).port, db: 0, tls: false, username: 'ops' },
          { password: 'ops-pw' },
          NOTHING_TO_WATCH,
        ),
        (error: unknown) => error instanceof RedisConnectionError && error.kind === 'auth-failed',
      );
    } finally {
      fake.close();
    }
  });

  it('says the connection was lost when the server goes away, and does not reconnect', async function () {
    const doomed = await startRedisServer();
    let ended: ProfilerEnded | undefined;
    const profiler = await Profiler.start(
      { host: doomed.host, port: doomed.port, db: 0, tls: false },
      {},
      {
        maxSeconds: 60,
        maxLines: 100,
        delimiter: ':',
        listClients: async () => [],
        onCommand: () => undefined,
        onEnd: (end) => (ended = end),
      },
    );
    await doomed.stop();
    await eventually('the profile ended', () => ended);
    assert.equal(ended?.end.reason, 'connection-lost');
    assert.equal(profiler.running, false);
  });
});

describe('Profiler on a Redis that serves its maximum number of clients', function () {
  this.timeout(20_000);
  // maxclients 1: the suite's own connection holds the one place, as leaked connections would.
  const server = useRedisServer({ extraArgs: ['--maxclients', '1'] });

  it('says the server is full (maxclients), not that it is unreachable and the stack must be started', async function () {
    // The port probe of the server's start may hold the place a moment longer.
    await eventually('the one place taken', async () => {
      try {
        await (await server.connect()).ping();
        return true;
      } catch {
        return false;
      }
    });
    const error = await Profiler.start(
      { host: server.host, port: server.port, db: 0, tls: false },
      {},
      {
        maxSeconds: 5,
        maxLines: 10,
        delimiter: ':',
        listClients: async () => [],
        onCommand: () => undefined,
        onEnd: () => undefined,
      },
    ).then(
      (profiler) => {
        profiler.stop();
        return assert.fail('the profiler started');
      },
      (e: unknown) => e,
    );
    const message = error instanceof Error ? error.message : String(error);
    assert.match(message, /maxclients|max(imum)? number of clients/i);
    assert.doesNotMatch(message, /unreachable|Start the shared Redis stack/);
  });
});

describe('Profiler on a Redis that accepts the connection but answers nothing (SIGSTOP)', function () {
  this.timeout(30_000);

  it('fails the start with "did not answer in time" instead of starting forever (the window could neither start nor stop it)', async function () {
    const paused = await startRedisServer();
    paused.pause(); // a real hang: the kernel accepts, Redis answers nothing
    try {
      const start = Profiler.start(
        { host: paused.host, port: paused.port, db: 0, tls: false },
        {},
        {
          maxSeconds: 60,
          maxLines: 10,
          delimiter: ':',
          connectTimeoutMs: 300,
          listClients: async () => [],
          onCommand: () => undefined,
          onEnd: () => undefined,
        },
      );
      const outcome = await settled(start, 6000);
      if (outcome.value) outcome.value.stop();
      const error = outcome.error;
      assert.ok(error instanceof RedisConnectionError, `expected a RedisConnectionError, got ${String(error)}`);
      assert.equal(error.kind, 'timeout');
    } finally {
      paused.resume();
      await paused.stop();
    }
  });
});

describe('Profiler on a read-only replica', function () {
  this.timeout(30_000);

  it('names the writes the replica replays from its master as replication, not as the user "(superuser)"', async function () {
    const master = await startRedisServer();
    const replica = await startRedisServer({ extraArgs: ['--replicaof', '127.0.0.1', String(master.port)] });
    const writer = new Redis({ host: master.host, port: master.port });
    const reader = new Redis({ host: replica.host, port: replica.port });
    let profiler: Profiler | undefined;
    try {
      await eventually('the replica in sync', async () =>
        /master_link_status:up/.test(await reader.info('replication')),
      );
      const commands: ProfiledCommand[] = [];
      profiler = await Profiler.start(
        { host: replica.host, port: replica.port, db: 0, tls: false },
        {},
        {
          maxSeconds: 20,
          maxLines: 1000,
          delimiter: ':',
          listClients: () => listClients(reader),
          onCommand: (command) => commands.push(command),
          onEnd: () => undefined,
        },
      );
      await writer.set('auth:replicated', 'x');
      await eventually('the replayed SET profiled', () =>
        commands.find((c) => c.command === 'SET' && c.key === 'auth:replicated'),
      );
      const replayed = commands.find((c) => c.command === 'SET' && c.key === 'auth:replicated');
      assert.notEqual(replayed?.service, '(superuser)');
      assert.match(replayed?.service ?? '', /replication/i);
    } finally {
      profiler?.stop();
      writer.disconnect();
      reader.disconnect();
      await replica.stop();
      await master.stop();
    }
  });
});
