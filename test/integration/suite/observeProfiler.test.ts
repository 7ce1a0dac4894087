import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import * as vscode from 'vscode';
import { parseDotenv } from '../../../src/docker/compose/dotenv';
import { ClientInfo, MissingRightError, parseClientList } from '../../../src/redis/observe/clientList';
import { PROFILER_CONNECTION_NAME } from '../../../src/redis/observe/profiler';
import { publish, SUBSCRIBER_CONNECTION_NAME } from '../../../src/redis/observe/subscription';
import { ProfilerService } from '../../../src/profilerService';
import { PubSubService } from '../../../src/pubSubService';
import { recordingLogger } from './recordingLogger';
import type { AddServiceUsersResult } from '../../../src/commands/security/serviceUsers';
import type { SharedRedisInternals } from '../../../src/secondStage';
import { useWorkspaceStack } from '../../support/useWorkspaceStack';
import { api, eventually } from './extensionApi';

describe('Profiler and Pub/Sub on a real stack with service users', function () {
  this.timeout(180_000);
  const stack = useWorkspaceStack({
    settings: { port: undefined, host: undefined },
    restore: ['namespaces', 'profilerMaxSeconds', 'profilerMaxLines'],
  });
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedRedis');
  const clients: Redis[] = [];
  let shared: SharedRedisInternals;
  let env: Record<string, string>;
  /** The operator's own connection, to read CLIENT LIST as the server sees it. */
  let watcher: Redis;

  const login = async (username: string, password: string): Promise<Redis> => {
    const client = new Redis({
      host: '127.0.0.1',
      port: stack.fixture.port,
      username,
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const connections = async (): Promise<ClientInfo[]> => parseClientList(String(await watcher.call('CLIENT', 'LIST')));
  const monitors = async (): Promise<ClientInfo[]> =>
    (await connections()).filter((c) => c.name === PROFILER_CONNECTION_NAME || c.flags.includes('O'));
  /** The profiler's output since `from` (an index into what it wrote). */
  const output = (from = 0): string[] => shared.profilerOutput.shown.lines.slice(from);
  const ended = async (): Promise<NonNullable<SharedRedisInternals['profiler']['state']['ended']>> =>
    eventually('the profile to end', () => shared.profiler.state.ended, 30_000);

  before(async () => {
    shared = await api();
    assert.equal(await vscode.commands.executeCommand('sharedRedis.start'), 'running');
    await eventually(
      'the session to follow the stack',
      async () => shared.session.endpoint.port === stack.fixture.port,
    );
    const added = await vscode.commands.executeCommand<AddServiceUsersResult>('sharedRedis.addServiceUsers');
    assert.ok(added.outcome === 'added' || added.outcome === 'none-missing', added.message);
    env = parseDotenv(readFileSync(join(stack.fixture.dir, '.env'), 'utf8'));
    watcher = await login('operator', env['REDIS_PASSWORD'] ?? '');
  });

  afterEach(async () => {
    shared.profiler.stop();
    await config().update('profilerMaxSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('profilerMaxLines', undefined, vscode.ConfigurationTarget.Workspace);
  });

  after(() => clients.forEach((c) => c.disconnect()));

  it('attributes commands to auth-service and user-service, filters, never shows a password, and closes MONITOR on Stop', async () => {
    const from = output().length;
    await shared.profiler.start();
    await shared.profiler.start(); // a second Start while it runs starts nothing more
    assert.equal((await monitors()).length, 1, 'one MONITOR connection');
    assert.match(shared.profilerOutput.shown.statusText ?? '', /^\$\(debug-stop\) Profiling \d+ s · [\d,]+ cmds$/);

    const authPassword = env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '';
    const userPassword = env['REDIS_SERVICE_PASSWORD_USER'] ?? '';
    const auth = await login('auth-service', authPassword);
    const user = await login('user-service', userPassword);
    await auth.set('auth:session:42', 'token');
    await user.hset('user:profile:42', 'name', 'a "quoted" value\nwith a newline');
    await user.get('user:profile:missing');
    // Arguments a reader could split wrongly: a space, an empty one, a literal backslash-x sequence.
    await user.set('user:quoted', 'hello world');
    await user.hset('user:empty', 'f', '', 'g', 'a b');
    await user.set('user:backslash', '\\x00');
    await watcher.config('SET', 'masterauth', 'sEcret-Master-Auth');
    await eventually(
      'both services in the profile',
      () => {
        const lines = output(from);
        return (
          lines.some((l) => /auth-service +SET +auth:session:42 +token$/.test(l)) &&
          lines.some((l) =>
            /user-service +HSET +user:profile:42 +name "a \\"quoted\\" value\\x0awith a newline"$/.test(l),
          ) &&
          lines.some((l) => /user-service +GET +user:profile:missing$/.test(l)) &&
          lines.some((l) => /user-service +SET +user:quoted +"hello world"$/.test(l)) &&
          lines.some((l) => /user-service +HSET +user:empty +f "" g "a b"$/.test(l)) &&
          lines.some((l) => /user-service +SET +user:backslash +\\\\x00$/.test(l))
        );
      },
      { detail: () => output(from).join('\n') },
    );
    assert.ok(
      output(from).some((l) => / AUTH +\(redacted\) \(redacted\)$/.test(l)),
      output(from).join('\n'),
    );

    await vscode.commands.executeCommand('sharedRedis.filterProfiler', { services: ['auth-service'] });
    await eventually('the filter to be noted', () => output(from).some((l) => l === '-- Filter: service auth-service'));
    const filteredFrom = output().length;
    await user.get('user:profile:after-filter');
    await auth.get('auth:session:after-filter');
    await eventually('the auth-service line after the filter', () =>
      output(filteredFrom).some((l) => l.includes('auth:session:after-filter')),
    );
    assert.ok(!output(filteredFrom).some((l) => l.includes('user:profile:after-filter')), 'user-service filtered out');
    await vscode.commands.executeCommand('sharedRedis.filterProfiler', {});

    assert.equal(await vscode.commands.executeCommand('sharedRedis.stopProfiler'), 'stopped');
    const end = await ended();
    assert.equal(end.end.reason, 'stopped');
    await eventually('the MONITOR connection gone', async () => (await monitors()).length === 0);
    await eventually('the rates at the end', () =>
      output(from).some((l) => /^-- whole profile .*auth-service/.test(l)),
    );
    assert.equal(shared.profilerOutput.shown.statusText, undefined, 'no status bar item, no timer');
    const everything = output(from).join('\n');
    for (const secret of [authPassword, userPassword, 'sEcret-Master-Auth']) assert.ok(!everything.includes(secret));
  });

  it('shows in the status bar at least as many commands as its output already lists', async () => {
    const from = output().length;
    await shared.profiler.start();
    const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    await auth.get('auth:session:counted');
    await eventually('the command in the output', () => output(from).some((l) => l.includes('auth:session:counted')));
    // Read at once: the output and the status bar are updated in the same turn.
    const listed = output(from).filter((l) => !l.startsWith('--')).length;
    const counted = Number(
      (/· ([\d,]+) cmds$/.exec(shared.profilerOutput.shown.statusText ?? '')?.[1] ?? '0').replace(/,/g, ''),
    );
    assert.ok(counted >= listed, `the status bar says ${counted} cmds while the output lists ${listed}`);
  });

  it('stops by itself at its time limit, and at its line limit', async () => {
    await config().update('profilerMaxSeconds', 1, vscode.ConfigurationTarget.Workspace);
    await shared.profiler.start();
    const timed = await ended();
    assert.deepEqual(timed.end, { reason: 'time-limit', seconds: 1 });
    assert.ok(output().some((l) => /^-- Profiler stopped by itself at its time limit of 1 s/.test(l)));
    await eventually('the MONITOR connection gone', async () => (await monitors()).length === 0);

    await config().update('profilerMaxSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('profilerMaxLines', 10, vscode.ConfigurationTarget.Workspace);
    await shared.profiler.start();
    const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    for (let i = 0; i < 30; i++) await auth.get(`auth:limit:${i}`);
    const limited = await ended();
    assert.deepEqual([limited.end, limited.lines], [{ reason: 'line-limit', lines: 10 }, 10]);
    await eventually('the MONITOR connection gone', async () => (await monitors()).length === 0);
  });

  it('closes its MONITOR connection when disposed (window closed, extension deactivated)', async () => {
    const own = new ProfilerService(shared.session, recordingLogger([]));
    await own.start();
    assert.equal((await monitors()).length, 1);
    own.dispose();
    await eventually('the MONITOR connection gone', async () => (await monitors()).length === 0);
    assert.equal(own.running, false);
  });

  it('closes its MONITOR connection when disposed while it is still starting (no profile runs on with nothing to stop it)', async () => {
    const own = new ProfilerService(shared.session, recordingLogger([]));
    const starting = own.start();
    own.dispose();
    await starting.catch(() => undefined);
    // The start's own connection must not stay: nothing could stop it before its time limit.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await monitors()).length, 0);
    assert.equal(own.running, false);
  });

  it('shows a message published by another client, publishes one, and closes the subscription on Unsubscribe', async () => {
    assert.equal(await vscode.commands.executeCommand('sharedRedis.subscribe', 'auth:*'), 'auth:*');
    await eventually('the subscriber connection', async () =>
      (await connections()).some((c) => c.name === SUBSCRIBER_CONNECTION_NAME),
    );
    const [subscription] = shared.pubSub.active;
    assert.ok(subscription);
    const auth = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    assert.equal(await auth.publish('auth:events', Buffer.from([0x68, 0x69, 0x00, 0xff])), 1);
    const published = await vscode.commands.executeCommand<string>(
      'sharedRedis.publish',
      'auth:events',
      'from the command',
    );
    assert.equal(published, 'Published to auth:events: 1 subscriber received it.');
    await eventually('both messages shown', () => {
      const lines = shared.subscriptionOutput.received.get(subscription.id) ?? [];
      return (
        lines.some((l) => /^\d\d:\d\d:\d\d {2}auth:events {2}hi\\x00\\xff$/.test(l)) &&
        lines.some((l) => /^\d\d:\d\d:\d\d {2}auth:events {2}from the command$/.test(l))
      );
    });
    // A service may not publish outside its namespace's channels: one error naming the grant.
    await assert.rejects(
      publish(auth, 'user:events', 'x'),
      (error: unknown) => error instanceof MissingRightError && error.grant === '&user:events',
    );

    assert.equal(await vscode.commands.executeCommand('sharedRedis.unsubscribe', 'auth:*'), 'auth:*');
    await eventually(
      'the subscriber connection gone',
      async () => !(await connections()).some((c) => c.name === SUBSCRIBER_CONNECTION_NAME),
    );
    assert.deepEqual(shared.pubSub.active, []);
  });

  it('closes a subscription whose start was under way when it was disposed (no subscriber connection left for good)', async () => {
    const own = new PubSubService(shared.session, recordingLogger([]));
    const subscribing = own.subscribe('auth:disposed-while-subscribing');
    own.dispose();
    await subscribing.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const left = (await connections()).filter(
      (c) => c.name === SUBSCRIBER_CONNECTION_NAME && c.fields.get('cmd') === 'subscribe',
    );
    assert.deepEqual(
      left.map((c) => c.addr),
      [],
      'a subscriber connection nothing can close any more',
    );
  });

  it('says whether it subscribed to one channel or to a pattern, and a \\[ makes a [ in a channel name literal', async () => {
    const publisher = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    const firstLine = (id: number): string => shared.subscriptionOutput.received.get(id)?.[0] ?? '';
    const subscribed = async (channel: string): Promise<number> => {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.subscribe', channel), channel);
      const subscription = shared.pubSub.active.find((s) => s.channel === channel);
      assert.ok(subscription, channel);
      return subscription.id;
    };
    try {
      const exact = await subscribed('auth:events');
      assert.match(firstLine(exact), /^-- Subscribed to the channel auth:events\./);
      const glob = await subscribed('auth:[ab]');
      assert.match(
        firstLine(glob),
        /^-- Subscribed to the pattern auth:\[ab\] \(PSUBSCRIBE: \*, \? and \[…\] match other channels; write \\\[ for a literal \[\)\./,
      );
      const literal = await subscribed('auth:\\[ab]');
      assert.equal(await publisher.publish('auth:[ab]', 'to the bracketed name'), 1);
      assert.equal(await publisher.publish('auth:a', 'to a'), 1);
      await eventually('the bracketed channel heard by the escaped pattern', () =>
        (shared.subscriptionOutput.received.get(literal) ?? []).some((l) =>
          l.endsWith('auth:[ab]  to the bracketed name'),
        ),
      );
      assert.ok(!(shared.subscriptionOutput.received.get(literal) ?? []).some((l) => l.includes('to a')));
    } finally {
      publisher.disconnect();
      for (const channel of ['auth:events', 'auth:[ab]', 'auth:\\[ab]']) {
        await vscode.commands.executeCommand('sharedRedis.unsubscribe', channel);
      }
    }
  });

  it('subscribing to a channel again writes to its output channel of before, not to one more of the same name', async () => {
    for (let round = 0; round < 3; round++) {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.subscribe', 'auth:again'), 'auth:again');
      assert.equal(await vscode.commands.executeCommand('sharedRedis.unsubscribe', 'auth:again'), 'auth:again');
    }
    assert.deepEqual(
      shared.subscriptionOutput.outputNames.filter((name) => name.endsWith(': auth:again')),
      ['Shared Redis Pub/Sub: auth:again'],
    );
  });

  it('under a flood of messages writes them in batches and says how many it did not show, instead of one write per message', async () => {
    const publisher = await login('auth-service', env['REDIS_SERVICE_PASSWORD_AUTH'] ?? '');
    try {
      assert.equal(await vscode.commands.executeCommand('sharedRedis.subscribe', 'auth:flood'), 'auth:flood');
      const subscription = shared.pubSub.active.find((s) => s.channel === 'auth:flood');
      assert.ok(subscription);
      const pipeline = publisher.pipeline();
      for (let i = 0; i < 20_000; i++) pipeline.publish('auth:flood', `message ${i}`);
      await pipeline.exec();
      const output = shared.subscriptionOutput;
      await eventually(
        'every message shown or counted as not shown',
        () => output.shownMessages(subscription.id) + output.notShownMessages(subscription.id) === 20_000,
        {
          detail: () =>
            `${output.shownMessages(subscription.id)} shown, ${output.notShownMessages(subscription.id)} counted`,
        },
      );
      const said = (output.notes.get(subscription.id) ?? []).reduce(
        (sum, l) => sum + Number(/^-- ([\d,]+) messages not shown: /.exec(l)?.[1]?.replace(/,/g, '') ?? 0),
        0,
      );
      assert.equal(said, output.notShownMessages(subscription.id), 'the output says how many it did not show');
      assert.ok(
        shared.subscriptionOutput.writes(subscription.id) < 200,
        `${shared.subscriptionOutput.writes(subscription.id)} writes to the output channel for 20,000 messages`,
      );
    } finally {
      publisher.disconnect();
      await vscode.commands.executeCommand('sharedRedis.unsubscribe', 'auth:flood');
    }
  });
});
