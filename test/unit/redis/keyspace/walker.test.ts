import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import Redis from 'ioredis';
import { RedisConnectionError } from '../../../../src/redis/errors';
import { KeyspaceCancelledError, KeyspaceCommandError } from '../../../../src/redis/keyspace/errors';
import { NamespaceModel, NamespaceNode } from '../../../../src/redis/keyspace/namespaceModel';
import {
  cursorFraction,
  partProgress,
  walkKeyspace,
  walkKeyspace as walk,
  WalkOptions,
  WalkProgress,
  WalkTarget,
} from '../../../../src/redis/keyspace/walker';
import { IoredisScanSource } from '../../../../src/redis/keyspace/ioredisScanSource';
import { cursorParts, firstCursor, isLastCursor } from '../../../../src/redis/keyspace/scanSource';
import { eventually } from '../../../support/eventually';
import { startRedisServer } from '../../../support/redisServer';
import { useRedisServer } from '../../../support/useRedisServer';
import {
  clientOf,
  endpointOf,
  modelCounts,
  oddKeys,
  random,
  referenceCounts,
  stringKeys,
  writeKeys,
  WrittenKey,
} from './support';

const FAST = { timeoutMs: 1000, maxReconnects: 0, connectionName: 'shared-redis-unit' };

/** A few thousand random keys over nested namespaces, mixed types, ~70% with TTLs. */
function randomKeys(seed: number, count: number): WrittenKey[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const paths = [
    'auth:session',
    'auth:token',
    'auth:refresh',
    'user:profile',
    'user:roles',
    'shared:config',
    'shared:cache:pages',
    'shared:cache:api',
    'billing',
    'a:b:c:d',
    '',
  ];
  const types = ['string', 'hash', 'set', 'list', 'zset'] as const;
  const keys = new Map<string, WrittenKey>();
  while (keys.size < count) {
    const path = pick(paths);
    const id = Math.floor(next() * 1e9).toString(36);
    const name = path === '' ? `top-${id}` : `${path}:${id}`;
    keys.set(name, { key: Buffer.from(name), type: pick(types), ttl: next() < 0.7 });
  }
  return [...keys.values()];
}

function allHeldNames(node: NamespaceNode): Buffer[] {
  return [...(node.directKeyNames() ?? []), ...node.childNamespaces().flatMap(allHeldNames)];
}

describe('walkKeyspace against a real redis-server', function () {
  this.timeout(30_000);
  const server = useRedisServer();
  let client: Redis;
  let written: WrittenKey[];
  const odd = oddKeys();

  before(async () => {
    client = await server.connect();
    written = randomKeys(1, 4000);
    await writeKeys(client, written);
    await writeKeys(
      client,
      odd.map((key) => ({ key, type: 'string', ttl: false })),
    );
  });

  const targets: [string, () => WalkTarget, WalkOptions][] = [
    [
      'eight parts on two connections of its own (the default)',
      () => ({ endpoint: endpointOf(server), credentials: {}, tuning: FAST }),
      {},
    ],
    [
      'four parts on two connections of its own',
      () => ({ endpoint: endpointOf(server), credentials: {}, tuning: FAST }),
      { parts: 4 },
    ],
    [
      'one loop on one connection of its own',
      () => ({ endpoint: endpointOf(server), credentials: {}, tuning: FAST }),
      { parts: 1 },
    ],
    ['an ioredis client', () => ({ client }), {}],
  ];

  for (const [name, target, base] of targets) {
    const walkKeyspace = (walkTarget: WalkTarget, options: WalkOptions = {}): ReturnType<typeof walk> =>
      walk(walkTarget, { ...base, ...options });
    describe(`through ${name}`, () => {
      it('counts every namespace at every depth exactly as the reference computed from the data written', async () => {
        const walk = walkKeyspace(target(), { count: 100 });
        const model = await walk.done;
        assert.equal(model, walk.model);
        assert.equal(model.complete, true);
        assert.equal(model.state, 'complete');
        const keys = [...written.map((w) => w.key), ...odd];
        const reference = referenceCounts(keys);
        assert.equal(model.totalKeys, keys.length);
        assert.equal(model.totalKeys, await client.dbsize());
        assert.deepEqual(modelCounts(model.root), reference.counts);
        assert.equal(model.root.directCount, reference.direct.get(null)?.length);
        // Each namespace: its count is its direct keys plus its children's counts.
        const check = (node: NamespaceNode): void => {
          const sum = node.directCount + node.childNamespaces().reduce((s, c) => s + c.count, 0);
          assert.equal(node.count, sum, node.displayPath());
          node.childNamespaces().forEach(check);
        };
        check(model.root);
      });

      it('keeps the exact bytes of every odd key', async () => {
        const model = await walkKeyspace(target(), { count: 50, keepNamesUpTo: 10_000 }).done;
        const held = allHeldNames(model.root).map((b) => b.toString('hex'));
        for (const key of odd) {
          assert.ok(
            held.includes(key.toString('hex')),
            `missing ${JSON.stringify(key.subarray(0, 40).toString('latin1'))}`,
          );
        }
        // And the bytes work for commands: every held name exists as written.
        const exists = await client.exists(...odd);
        assert.equal(exists, odd.length);
      });

      it('filters with MATCH and TYPE', async () => {
        const byMatch = await walkKeyspace(target(), { match: 'auth:*', count: 100 }).done;
        const authKeys = written.filter((w) => w.key.toString().startsWith('auth:')).map((w) => w.key);
        assert.equal(byMatch.totalKeys, authKeys.length);
        assert.deepEqual(modelCounts(byMatch.root), referenceCounts(authKeys).counts);

        const byType = await walkKeyspace(target(), { type: 'hash', count: 100 }).done;
        const hashes = written.filter((w) => w.type === 'hash').map((w) => w.key);
        assert.equal(byType.totalKeys, hashes.length);
        assert.deepEqual(modelCounts(byType.root), referenceCounts(hashes).counts);

        const both = await walkKeyspace(target(), { match: Buffer.from('user:*'), type: 'set', count: 100 }).done;
        assert.equal(
          both.totalKeys,
          written.filter((w) => w.type === 'set' && w.key.toString().startsWith('user:')).length,
        );
        assert.equal(both.match?.toString(), 'user:*');
        assert.equal(both.type, 'set');
      });

      it('reports progress while it walks, namespaces first, and a final event', async () => {
        const events: WalkProgress[] = [];
        let sawPartial = false;
        const model = await walkKeyspace(target(), {
          count: 10,
          progressIntervalMs: 0,
          onProgress: (p) => {
            events.push(p);
            if (!p.done && p.model.root.childCount > 0 && p.model.complete === false) sawPartial = true;
          },
        }).done;
        assert.ok(events.length > 10);
        assert.ok(sawPartial);
        const first = events[0];
        assert.ok(first && first.keysCounted > 0 && !first.done);
        const last = events[events.length - 1];
        assert.ok(last?.done);
        assert.equal(last.keysCounted, model.totalKeys);
        assert.equal(last.fraction, 1);
        assert.equal(last.expectedKeys, model.totalKeys);
        for (let i = 1; i < events.length; i++) {
          assert.ok((events[i] as WalkProgress).keysCounted >= (events[i - 1] as WalkProgress).keysCounted);
        }
      });

      it('stops when cancelled, rejects with an AbortError and marks the model cancelled', async () => {
        const controller = new AbortController();
        const walk = walkKeyspace(target(), {
          count: 10,
          signal: controller.signal,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.batches === 3) controller.abort();
          },
        });
        await assert.rejects(
          walk.done,
          (error: unknown) => error instanceof KeyspaceCancelledError && error.name === 'AbortError',
        );
        assert.equal(walk.model.state, 'cancelled');
        assert.equal(walk.model.complete, false);
        assert.ok(walk.model.totalKeys < written.length);

        const early = new AbortController();
        early.abort();
        await assert.rejects(walkKeyspace(target(), { signal: early.signal }).done, KeyspaceCancelledError);
      });

      it("gives the server's refusal of a bad TYPE as a KeyspaceCommandError", async () => {
        // Redis 7 answers an unknown TYPE with an empty result, older ones with an error; either is fine, never a crash.
        const walk = walkKeyspace(target(), { type: 'no-such-type' });
        try {
          const model = await walk.done;
          assert.equal(model.totalKeys, 0);
        } catch (error) {
          assert.ok(error instanceof KeyspaceCommandError, String(error));
        }
      });
    });
  }

  it('survives keys deleted while it walks: counts stay consistent and deleted keys are counted at most once', async () => {
    const scratch = await startRedisServer();
    const scratchClient = await clientOf(scratch);
    try {
      const keys = stringKeys(3000, (i) => `ns:${i % 3}:${i}`);
      await writeKeys(scratchClient, keys);
      const doomed = keys.filter((_, i) => i % 7 === 0).map((k) => k.key);
      let deleted = false;
      const walk = walkKeyspace(
        { endpoint: endpointOf(scratch), credentials: {}, tuning: FAST },
        {
          count: 20,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (!deleted && p.batches >= 5) {
              deleted = true;
              void scratchClient.del(...doomed);
            }
          },
        },
      );
      const model = await walk.done;
      assert.ok(deleted);
      assert.equal(model.complete, true);
      // Keys present for the whole walk are all counted; deleted ones at most once.
      assert.ok(model.totalKeys >= keys.length - doomed.length, `${model.totalKeys}`);
      assert.ok(model.totalKeys <= keys.length, `${model.totalKeys}`);
      const ns = model.findNamespace('ns');
      assert.equal(ns?.count, model.totalKeys);
      assert.equal(
        ns?.childNamespaces().reduce((s, c) => s + c.count, 0),
        model.totalKeys,
      );
    } finally {
      scratchClient.disconnect();
      await scratch.stop();
    }
  });

  for (const parts of [1, 2, 4] as const) {
    it(`counts each key present throughout exactly once while the table grows and shrinks under the walk (${parts} part${parts === 1 ? '' : 's'})`, async () => {
      const scratch = await startRedisServer();
      const writer = await clientOf(scratch);
      try {
        await writeKeys(
          writer,
          stringKeys(2000, (i) => `stay:${i % 4}:${i}`),
        );
        const transient = stringKeys(60_000, (i) => `tmp:${i}`);
        let phase: 'before' | 'growing' | 'grown' | 'shrinking' = 'before';
        let work: Promise<unknown> = Promise.resolve();
        const model = await walkKeyspace(
          { endpoint: endpointOf(scratch), credentials: {}, tuning: FAST },
          {
            parts,
            count: 6,
            progressIntervalMs: 0,
            onProgress: (p) => {
              if (phase === 'before' && p.batches >= 10) {
                phase = 'growing';
                work = writeKeys(writer, transient).then(() => {
                  phase = 'grown';
                });
              } else if (phase === 'grown') {
                phase = 'shrinking';
                // Down to 2,000 keys in a table sized for 60,000: the server shrinks it (and rehashes) while the walk goes on.
                work = (async () => {
                  for (let i = 0; i < transient.length; i += 5000) {
                    await writer.del(...transient.slice(i, i + 5000).map((t) => t.key));
                  }
                })();
              }
            },
          },
        ).done;
        // The deletions began while the walk still ran (the walk ends after them otherwise too).
        assert.equal(phase, 'shrinking');
        await work;
        if (process.env['KEYSPACE_DEBUG']) {
          console.log(`duplicates ${model.duplicates}, tmp counted ${model.findNamespace('tmp')?.count}`);
        }
        assert.equal(model.findNamespace('stay')?.count, 2000);
        for (let i = 0; i < 4; i++) assert.equal(model.findNamespace(`stay:${i}`)?.count, 500);
        assert.ok((model.findNamespace('tmp')?.count ?? 0) <= transient.length);
        assert.equal(model.totalKeys, 2000 + (model.findNamespace('tmp')?.count ?? 0));
      } finally {
        writer.disconnect();
        await scratch.stop();
      }
    });
  }

  it('walks the configured database and authenticates on its own connection', async () => {
    const guarded = await startRedisServer({ password: 'keyspace-unit-secret' });
    try {
      const admin = await clientOf(guarded, 3);
      await writeKeys(admin, [{ key: Buffer.from('db3:only'), type: 'string', ttl: false }]);
      admin.disconnect();
      const model = await walkKeyspace({
        endpoint: endpointOf(guarded, 3),
        credentials: { password: 'keyspace-unit-secret' },
        tuning: FAST,
      }).done;
      assert.equal(model.totalKeys, 1);
      assert.equal(model.findNamespace('db3')?.count, 1);

      const wrong = walkKeyspace({ endpoint: endpointOf(guarded), credentials: { password: 'not-it' }, tuning: FAST });
      await assert.rejects(wrong.done, (error: unknown) => {
        assert.ok(error instanceof RedisConnectionError, String(error));
        assert.equal(error.kind, 'auth-failed');
        assert.ok(!error.message.includes('not-it'));
        return true;
      });
      assert.equal(wrong.model.state, 'failed');

      const none = walkKeyspace({ endpoint: endpointOf(guarded), credentials: {}, tuning: FAST });
      await assert.rejects(
        none.done,
        (error: unknown) => error instanceof RedisConnectionError && error.kind === 'auth-failed',
      );
    } finally {
      await guarded.stop();
    }
  });

  it('fails with an unreachable RedisConnectionError when nothing listens', async () => {
    const gone = await startRedisServer();
    const endpoint = endpointOf(gone);
    await gone.stop();
    const walk = walkKeyspace({ endpoint, credentials: {}, tuning: FAST });
    await assert.rejects(
      walk.done,
      (error: unknown) => error instanceof RedisConnectionError && error.kind === 'unreachable',
    );
    assert.equal(walk.model.complete, false);
  });

  for (const via of ['its own connection', 'an ioredis client'] as const) {
    it(`reports Redis killed mid-walk (through ${via}) as a RedisConnectionError and never as final counts`, async () => {
      const doomed = await startRedisServer();
      const doomedClient = await clientOf(doomed);
      try {
        await writeKeys(
          doomedClient,
          stringKeys(20_000, (i) => `k:${i % 5}:${i}`),
        );
        let killed: Promise<void> | undefined;
        const options: WalkOptions = {
          count: 10,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.batches === 20 && !killed) killed = doomed.stop();
          },
        };
        const walk = walkKeyspace(
          via === 'an ioredis client'
            ? { client: doomedClient }
            : { endpoint: endpointOf(doomed), credentials: {}, tuning: FAST },
          options,
        );
        await assert.rejects(walk.done, (error: unknown) => {
          assert.ok(error instanceof RedisConnectionError, `got ${String(error)}`);
          assert.equal(error.kind, 'unreachable');
          return true;
        });
        await killed;
        const model: NamespaceModel = walk.model;
        assert.equal(model.complete, false);
        assert.equal(model.state, 'failed');
        assert.ok(model.error instanceof RedisConnectionError);
        assert.ok(model.totalKeys > 0 && model.totalKeys < 20_000, `${model.totalKeys}`);
        assert.equal(model.findNamespace('k:1')?.hasAllDirectKeyNames, false);
      } finally {
        doomedClient.disconnect();
        await doomed.stop();
      }
    });
  }

  it('reports a paused (hung) Redis as a timeout', async () => {
    const hung = await startRedisServer();
    try {
      const admin = await clientOf(hung);
      await writeKeys(
        admin,
        stringKeys(5000, (i) => `h:${i}`),
      );
      admin.disconnect();
      const walk = walkKeyspace(
        { endpoint: endpointOf(hung), credentials: {}, tuning: { ...FAST, timeoutMs: 300 } },
        {
          count: 10,
          progressIntervalMs: 0,
          onProgress: (p) => {
            if (p.batches === 5) hung.pause();
          },
        },
      );
      await assert.rejects(
        walk.done,
        (error: unknown) => error instanceof RedisConnectionError && error.kind === 'timeout',
      );
      assert.equal(walk.model.state, 'failed');
    } finally {
      hung.resume();
      await hung.stop();
    }
  });

  it('walks an empty database and a one-key database to completion, in 1, 2, 4 or 8 parts', async () => {
    const tiny = await startRedisServer();
    try {
      for (const parts of [1, 2, 4, 8] as const) {
        const events: WalkProgress[] = [];
        const empty = await walkKeyspace(
          { endpoint: endpointOf(tiny), credentials: {}, tuning: FAST },
          { parts, onProgress: (p) => events.push(p) },
        ).done;
        assert.equal(empty.complete, true);
        assert.equal(empty.totalKeys, 0);
        assert.deepEqual(
          events.map((e) => e.done),
          [true],
        );
      }
      const admin = await clientOf(tiny);
      await writeKeys(admin, [{ key: Buffer.from('only:one'), type: 'string', ttl: false }]);
      admin.disconnect();
      for (const parts of [1, 2, 4, 8] as const) {
        const one = await walkKeyspace({ endpoint: endpointOf(tiny), credentials: {}, tuning: FAST }, { parts }).done;
        assert.equal(one.totalKeys, 1);
        assert.equal(one.findNamespace('only')?.count, 1);
      }
    } finally {
      await tiny.stop();
    }
  });

  it('walks with the connections a server near its client limit lets it open, and still counts every key once', async () => {
    const crowded = await startRedisServer({ extraArgs: ['--maxclients', '2'] });
    try {
      const admin = await clientOf(crowded);
      await writeKeys(
        admin,
        stringKeys(3000, (i) => `near:${i % 3}:${i}`),
      );
      // The admin connection stays open: one of the walk's two connections finds room.
      const model = await walkKeyspace({ endpoint: endpointOf(crowded), credentials: {}, tuning: FAST }).done;
      admin.disconnect();
      assert.equal(model.totalKeys, 3000);
      for (let i = 0; i < 3; i++) assert.equal(model.findNamespace(`near:${i}`)?.count, 1000);
    } finally {
      await crowded.stop();
    }
  });

  it('leaves none of its connections open when it ends, done or cancelled, however fast', async () => {
    const scratch = await startRedisServer();
    try {
      const admin = await clientOf(scratch);
      const target = { endpoint: endpointOf(scratch), credentials: {}, tuning: FAST };
      // A closed connection leaves the server's list a moment later; a leaked one never does.
      const noneLeft = (when: string): Promise<true> =>
        eventually(
          `no connection of the walk left open ${when}`,
          async () =>
            !String(await admin.client('LIST'))
              .split('\n')
              .some((line) => / name=shared-redis-unit-walk /.test(line)) || undefined,
          { timeoutMs: 3000, intervalMs: 50 },
        );
      await writeKeys(admin, [{ key: Buffer.from('only:one'), type: 'string', ttl: false }]);
      // One key: the first connection walks every part before the others have opened.
      for (let i = 0; i < 5; i++) {
        assert.equal((await walkKeyspace(target).done).totalKeys, 1);
        await noneLeft('after a complete walk of one key');
      }
      await writeKeys(
        admin,
        stringKeys(5000, (i) => `many:${i}`),
      );
      // Cancelled at its first keys, while the other connections are opening.
      for (let i = 0; i < 5; i++) {
        const cancel = new AbortController();
        const cancelled = walkKeyspace(target, { signal: cancel.signal, onProgress: () => cancel.abort() });
        await assert.rejects(cancelled.done, KeyspaceCancelledError);
        await noneLeft('after a walk cancelled at its first keys');
      }
      admin.disconnect();
    } finally {
      await scratch.stop();
    }
  });

  it('walks a server whose INFO is renamed away (as some managed servers do) with one plain loop', async () => {
    const hidden = await startRedisServer({ extraArgs: ['--rename-command', 'INFO', 'INFO_HIDDEN_FOR_TEST'] });
    // ioredis's ready check sends INFO: without it, as a client of such a server must.
    const admin = new Redis({ host: hidden.host, port: hidden.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await admin.connect();
      await writeKeys(
        admin,
        stringKeys(3000, (i) => `hid:${i % 3}:${i}`),
      );
      for (const parts of [1, 8] as const) {
        const model = await walkKeyspace({ endpoint: endpointOf(hidden), credentials: {}, tuning: FAST }, { parts })
          .done;
        assert.equal(model.totalKeys, 3000, `${parts} part(s) asked`);
        for (let i = 0; i < 3; i++) assert.equal(model.findNamespace(`hid:${i}`)?.count, 1000);
      }
    } finally {
      admin.disconnect();
      await hidden.stop();
    }
  });

  it('asks for more keys per call once the server has refused the other connections', async () => {
    // Room for the admin, the monitor and the walk's first connection only.
    const crowded = await startRedisServer({ extraArgs: ['--maxclients', '3'] });
    const admin = await clientOf(crowded);
    const monitor = await admin.duplicate().monitor();
    try {
      await writeKeys(
        admin,
        stringKeys(40_000, (i) => `full:${i}`),
      );
      const counts = new Set<string>();
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (String(args[0]).toUpperCase() === 'SCAN') counts.add(String(args[3]));
      });
      const model = await walkKeyspace({ endpoint: endpointOf(crowded), credentials: {}, tuning: FAST }).done;
      assert.equal(model.totalKeys, 40_000);
      // Eight loops on two connections would ask 250 each; the four on the one that opened ask 500 once it knows.
      await eventually('the monitor saw a SCAN of COUNT 500', () => counts.has('500') || undefined, {
        timeoutMs: 3000,
        intervalMs: 50,
      });
    } finally {
      monitor.disconnect();
      admin.disconnect();
      await crowded.stop();
    }
  });

  it('ends when every part is walked, without waiting for connections that open slowly, and closes them', async () => {
    const scratch = await startRedisServer();
    const admin = await clientOf(scratch);
    await writeKeys(
      admin,
      stringKeys(10, (i) => `slow:${i}`),
    );
    // A proxy (or port forward) that passes the first connection and leaves every later one unanswered.
    const held: net.Socket[] = [];
    let closedByWalk = 0;
    let proxied = false;
    const proxy = net.createServer((socket) => {
      if (proxied) {
        held.push(socket);
        // Read (and drop) what the walk sends, so its closing the connection is seen.
        socket.resume();
        socket.on('close', () => closedByWalk++);
        socket.on('error', () => undefined);
        return;
      }
      proxied = true;
      const upstream = net.connect(scratch.port, scratch.host);
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      // Unanswered connections would keep a walk that waited for them 60 s: longer than this test may take.
      const model = await walkKeyspace({
        endpoint: { host: '127.0.0.1', port, db: 0, tls: false },
        credentials: {},
        tuning: { ...FAST, timeoutMs: 60_000 },
      }).done;
      assert.equal(model.totalKeys, 10);
      assert.equal(model.complete, true);
      await eventually(
        'every unanswered connection closed by the walk',
        () => (held.length > 0 && closedByWalk === held.length) || undefined,
        { timeoutMs: 3000, intervalMs: 50 },
      );
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      admin.disconnect();
      await scratch.stop();
    }
  });

  it('refuses options that cannot give exact counts', () => {
    const target = { endpoint: endpointOf(server), credentials: {} };
    assert.throws(() => walkKeyspace(target, { parts: 2, dedupe: false }), RangeError);
    assert.throws(() => walkKeyspace(target, { parts: 4, dedupe: false }), RangeError);
    assert.throws(() => walkKeyspace(target, { parts: 3 as never }), RangeError);
    assert.throws(() => walkKeyspace(target, { count: 0 }), RangeError);
    assert.throws(() => walkKeyspace(target, { delimiter: '' }), RangeError);
  });

  it('splits the cursor space into 2, 4 or 8 parts whose SCAN loops together return every key, whatever the table size', async () => {
    const scratch = await startRedisServer();
    try {
      // Tables of 4 to 8,192 buckets (one database each): smaller than the 8 parts, and large.
      for (const [db, size] of [1, 3, 40, 5000].entries()) {
        const client = await clientOf(scratch, db);
        const written = Array.from({ length: size }, (_, i) => `part:${i}`);
        await writeKeys(
          client,
          written.map((key) => ({ key: Buffer.from(key), type: 'string' as const, ttl: false })),
        );
        for (const of of [2, 4, 8] as const) {
          const seen = new Set<string>();
          const progress: number[] = [];
          for (const part of cursorParts(of)) {
            const request = { count: 7, part };
            await new IoredisScanSource(client).scanAll(request, {
              key: (bytes, start, end) => seen.add(bytes.toString('latin1', start, end)),
              batchEnd: (cursor) => progress.push(partProgress(cursor, request)),
            });
            assert.equal(progress.at(-1), 1 / of, `part ${part.index} of ${of} ends at its share`);
          }
          assert.deepEqual([...seen].sort(), [...written].sort(), `${size} keys in ${of} parts`);
        }
        client.disconnect();
      }
    } finally {
      await scratch.stop();
    }
  });

  it('starts each part at its own cursor and ends it when a cursor enters the next part', () => {
    // 8 parts: the cursors of a table of 8 buckets in walk order are 0, 4, 2, 6, 1, 5, 3, 7.
    assert.deepEqual(
      cursorParts(8).map((part) => firstCursor({ count: 1, part })),
      ['0', '4', '2', '6', '1', '5', '3', '7'],
    );
    const second = { count: 1, part: { index: 1, of: 4 } as const }; // cursors ≡ 2 (mod 4)
    assert.equal(firstCursor(second), '2');
    assert.equal(isLastCursor('1002', second), false);
    assert.equal(isLastCursor('1001', second), true);
    assert.equal(isLastCursor('0', second), true);
    // The halves are the parts of 2.
    assert.equal(firstCursor({ count: 1, half: 'odd' }), '1');
    assert.equal(isLastCursor('13', { count: 1, half: 'even' }), true);
    assert.equal(isLastCursor('13', { count: 1, half: 'odd' }), false);
  });

  it('turns the cursor into how far the walk is', () => {
    assert.equal(cursorFraction('0'), 0);
    // For a table of 8 buckets the cursors go 0, 4, 2, 6, 1, 5, 3, 7 (reverse binary).
    const order = ['4', '2', '6', '1', '5', '3', '7'].map(cursorFraction);
    assert.deepEqual(
      order,
      [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875].map((f) => f),
    );
    assert.equal(cursorFraction('garbage'), 0);
  });
});
