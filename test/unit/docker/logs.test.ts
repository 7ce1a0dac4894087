import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import Redis from 'ioredis';
import { connectEngine } from '../../../src/docker/engine';
import { LineBuffer } from '../../../src/docker/lineStream';
import { followLogs, tailLogs } from '../../../src/docker/stack/logs';
import { requireEngine } from '../../support/engine';
import { settled } from '../../support/settled';
import { eventually } from '../../support/eventually';
import { freePort } from '../../support/redisServer';

const IMAGE = 'shared-redis/redis-offline:7.0.15';

describe('log lines keep multi-byte UTF-8 characters', function () {
  this.timeout(60_000);

  it('whatever byte a chunk boundary falls on', () => {
    const text = 'auth:session:ü · 鍵 · 🔑 · €\nzweite Zeile: ñ\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at <= bytes.length; at++) {
      const lines = new LineBuffer();
      const got = [...lines.push(bytes.subarray(0, at)), ...lines.push(bytes.subarray(at)), ...lines.flush()];
      assert.deepEqual(got, ['auth:session:ü · 鍵 · 🔑 · €', 'zweite Zeile: ñ'], `split at byte ${at}`);
    }
  });

  it('a partial multi-byte character at the very end becomes one replacement character, not lost silently', () => {
    const lines = new LineBuffer();
    assert.deepEqual(lines.push(Buffer.from([0x61, 0xe2, 0x82])), []);
    assert.deepEqual(lines.flush(), ['a\ufffd']);
  });

  describe('from a real container on the engine', () => {
    let docker: Docker;
    const created: Docker.Container[] = [];
    // redis-cli names the host it could not reach, byte for byte. A line longer than 16 KiB
    // reaches the log as several entries (the engine cuts lines at 16 KiB), so the engine
    // itself splits the line, here in the middle of a 3-byte '€' (a 30-byte prefix and
    // 'xy', then (16384 − 32) mod 3 = 2 bytes into a '€'). The containers log through the
    // engine's `local` driver, which keeps the bytes of each piece as they are: the default
    // `json-file` driver stores each piece as a JSON string and so replaces the cut
    // character itself, before any reader sees it.
    const host = `xy${'€'.repeat(7000)}`;

    before(async function () {
      // A container start can outlast the probe's short request timeout on a busy engine.
      if (await requireEngine(this)) docker = (await connectEngine(undefined, { timeoutMs: 30_000 })).docker;
    });
    after(async () => {
      for (const container of created) await container.remove({ force: true }).catch(() => undefined);
    });

    async function exitedContainer(tty: boolean): Promise<string> {
      const container = await docker.createContainer({
        name: `srtest-logs-${randomBytes(4).toString('hex')}`,
        Image: IMAGE,
        Cmd: ['redis-cli', '-h', host, 'ping'],
        Tty: tty,
        HostConfig: { LogConfig: { Type: 'local', Config: {} } },
      });
      created.push(container);
      await container.start();
      await container.wait();
      return container.id;
    }

    for (const tty of [false, true]) {
      it(`tails and follows a ${tty ? 'TTY' : 'multiplexed'} container's log intact`, async () => {
        const id = await exitedContainer(tty);
        const expectLine = (lines: string[]): void => {
          const line = lines.find((l) => l.startsWith('Could not connect to Redis at '));
          assert.ok(line, `no redis-cli line in ${JSON.stringify(lines.map((l) => l.slice(0, 60)))}`);
          assert.ok(!line.includes('\ufffd'), `a character was broken at ${line.indexOf('\ufffd')}`);
          assert.equal(
            line.slice('Could not connect to Redis at '.length, 'Could not connect to Redis at '.length + host.length),
            host,
          );
        };
        expectLine(await tailLogs(docker, id, 20));
        const followed: string[] = [];
        await new Promise<void>((resolve, reject) => {
          followLogs(docker, id, (line) => followed.push(line), { tail: 20, onEnd: resolve }).catch(reject);
        });
        expectLine(followed);
      });
    }
  });
});

describe('following logs whose stream breaks', () => {
  for (const tty of [false, true]) {
    it(`says the ${tty ? 'TTY' : 'multiplexed'} stream ended when it breaks instead of waiting forever`, async () => {
      // Injected: the engine's log stream failing mid-way (an engine restart) cannot be
      // produced on demand. The multiplexed frames and docker-modem's demuxer are real.
      const frame = (text: string): Buffer => {
        const payload = Buffer.from(text);
        const header = Buffer.alloc(8);
        header.writeUInt8(1, 0);
        header.writeUInt32BE(payload.length, 4);
        return tty ? payload : Buffer.concat([header, payload]);
      };
      const broken = new PassThrough();
      const { default: DockerClient } = await import('dockerode');
      const modem = new DockerClient({ socketPath: '/nonexistent' }).modem;
      const fakeEngine = {
        modem,
        getContainer: () => ({ inspect: async () => ({ Config: { Tty: tty } }), logs: async () => broken }),
      } as unknown as Docker;
      const lines: string[] = [];
      const ended = new Promise<void>((resolve) => {
        void followLogs(fakeEngine, 'c0ffee', (line) => lines.push(line), { onEnd: resolve }).then(() => {
          broken.write(frame('first line\nsecond '));
          setImmediate(() => broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
        });
      });
      const outcome = await settled(ended, 5000);
      assert.equal(outcome.error, undefined, 'onEnd was not called');
      assert.deepEqual(lines, ['first line', 'second ']);
    });
  }

  it('says nothing more once disposed (Show Logs again clears the output and follows anew)', async () => {
    const stream = new PassThrough();
    const { default: DockerClient } = await import('dockerode');
    const fakeEngine = {
      modem: new DockerClient({ socketPath: '/nonexistent' }).modem,
      getContainer: () => ({ inspect: async () => ({ Config: { Tty: true } }), logs: async () => stream }),
    } as unknown as Docker;
    const said: string[] = [];
    const follower = await followLogs(fakeEngine, 'c0ffee', (line) => said.push(line), {
      onEnd: () => said.push('(ended)'),
    });
    stream.write('a partial line');
    follower.dispose();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(said, []);
  });
});

describe('following a quiet container', function () {
  this.timeout(60_000);
  let docker: Docker;
  let container: Docker.Container | undefined;
  let redis: Redis | undefined;
  // A client like the user's engine connection: a request times out (here after 2 s) when the
  // engine does not answer. A followed log is not a request: it may stay quiet for hours.
  const withRequestTimeout = new Docker({ socketPath: '/var/run/docker.sock', timeout: 2000 });

  before(async function () {
    if (await requireEngine(this)) docker = new Docker({ socketPath: '/var/run/docker.sock' });
  });
  after(async () => {
    redis?.disconnect();
    await container?.remove({ force: true }).catch(() => undefined);
  });

  it('keeps following through a quiet spell longer than the client request timeout', async () => {
    const port = await freePort();
    container = await docker.createContainer({
      name: `srtest-quiet-${randomBytes(4).toString('hex')}`,
      Image: IMAGE,
      Cmd: ['redis-server', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      HostConfig: { PortBindings: { '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      ExposedPorts: { '6379/tcp': {} },
    });
    await container.start();
    const lines: string[] = [];
    let ended = false;
    const follower = await followLogs(withRequestTimeout, container.id, (line) => lines.push(line), {
      onEnd: () => {
        ended = true;
      },
    });
    try {
      await eventually('Redis to say it is ready', () => lines.some((l) => l.includes('Ready to accept connections')));
      // Three times the client's timeout without a line, then Redis logs one.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      await redis.save();
      await eventually(
        'the line Redis logs after the quiet spell',
        () => lines.some((l) => l.includes('DB saved on disk')) || ended,
      );
      assert.equal(ended, false, `the follower stopped during the quiet spell; it saw: ${lines.slice(-3).join(' | ')}`);
    } finally {
      follower.dispose();
    }
  });
});
