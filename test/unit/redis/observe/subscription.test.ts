import * as assert from 'node:assert/strict';
import type { RedisEndpoint } from '../../../../src/redis/endpoint';
import { namespaceChannelPattern, ReceivedMessage, Subscription } from '../../../../src/redis/observe/subscription';
import { eventually } from '../../../support/eventually';
import { useRedisServer } from '../../../support/useRedisServer';

/** A plain endpoint (no TLS, no Sentinel) for one of the suite's servers. */
function endpointOf(server: { readonly host: string; readonly port: number }): RedisEndpoint {
  return {
    host: server.host,
    port: server.port,
    db: 0,
    tls: false,
    tlsSettings: { verifyCertificate: true },
    sentinel: undefined,
  };
}

describe('Subscription (SUBSCRIBE / PSUBSCRIBE) on a real Redis', function () {
  this.timeout(20_000);
  const server = useRedisServer();
  const endpoint = (): RedisEndpoint => endpointOf(server);
  const open: Subscription[] = [];
  afterEach(() => open.splice(0).forEach((subscription) => subscription.close()));

  it('shows a long message in a non-Latin script as text, not as escaped bytes, when it cuts it', async function () {
    const received: ReceivedMessage[] = [];
    open.push(
      await Subscription.open(
        endpoint(),
        {},
        'auth:*',
        (message) => received.push(message),
        () => undefined,
      ),
    );
    const publisher = await server.connect();
    // 910 bytes: the subscription keeps the first 512, which end inside the 276th character.
    const text = 'Привет '.repeat(70);
    await publisher.publish('auth:events', text);
    await eventually('the message received', () => received.length === 1);
    const shown = received[0]?.message ?? '';
    assert.doesNotMatch(shown, /\\x/, `shown as escaped bytes: ${shown}`);
    assert.ok(shown.startsWith(text.slice(0, 200)), `not the message's text: ${shown}`);
    assert.match(shown, /… \(\d+(\.\d+)? (B|KiB)\)$/, 'says it is shortened, with its size');
  });

  // Each namespace with glob characters, and a channel of another namespace that its pattern would
  // match unescaped; `[ab]` and `a\\b` unescaped would even miss their own channel ([ab]:1, a\b:1).
  const namespaces: [namespace: string, foreign: string][] = [
    ['a*', 'ab:1'],
    ['a?', 'ab:1'],
    ['[ab]', 'a:1'],
    ['a\\b', 'ab:1'],
  ];
  for (const [namespace, foreign] of namespaces) {
    it(`hears namespace ${namespace}'s own channels, not ${foreign} of another namespace`, async function () {
      const received: ReceivedMessage[] = [];
      open.push(
        await Subscription.open(
          endpoint(),
          {},
          namespaceChannelPattern(Buffer.from(namespace, 'utf8'), ':'),
          (message) => received.push(message),
          () => undefined,
        ),
      );
      const publisher = await server.connect();
      const own = `${namespace}:1`;
      // One subscriber gets messages in the order they were published: once its own arrived,
      // the foreign one, published first, would have arrived too.
      await publisher.publish(foreign, 'not yours');
      await publisher.publish(own, 'yours');
      await eventually(`the message on ${own}`, () => received.some((m) => m.message === 'yours'), 3000);
      // The message, not the channel: a channel shows as escaped text (a\\b for a\b).
      assert.deepEqual(
        received.map((m) => m.message),
        ['yours'],
        `heard ${received.map((m) => m.channel).join(', ')}`,
      );
    });
  }

  it('hears the channels of a namespace whose name holds bytes that are not UTF-8 (caf\\xe9, Latin-1)', async function () {
    const namespace = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const received: ReceivedMessage[] = [];
    open.push(
      await Subscription.open(
        endpoint(),
        {},
        namespaceChannelPattern(namespace, ':'),
        (message) => received.push(message),
        () => undefined,
      ),
    );
    const publisher = await server.connect();
    await publisher.publish(Buffer.concat([namespace, Buffer.from(':1')]), 'yours');
    await eventually('the message on caf\\xe9:1', () => received.some((m) => m.message === 'yours'), 3000);
  });
});

describe('Subscription on a Redis that serves its maximum number of clients', function () {
  this.timeout(20_000);
  // maxclients 1: the suite's own connection holds the one place, as leaked connections would.
  const server = useRedisServer({ extraArgs: ['--maxclients', '1'] });

  it('says the server refused the connection at its client limit (maxclients) and what to do, not that it is unreachable', async function () {
    // The port probe of the server's start may hold the place a moment longer.
    await eventually('the one place taken', async () => {
      try {
        await (await server.connect()).ping();
        return true;
      } catch {
        return false;
      }
    });
    const endpoint = endpointOf(server);
    const error = await Subscription.open(
      endpoint,
      {},
      'auth:*',
      () => undefined,
      () => undefined,
    ).then(
      (subscription) => {
        subscription.close();
        return assert.fail('subscribed on a server with no place left');
      },
      (e: unknown) => e,
    );
    const message = error instanceof Error ? error.message : String(error);
    assert.match(message, /maximum number of clients \(maxclients\)/);
    assert.match(message, /raise maxclients/, `says what to do: ${message}`);
    assert.doesNotMatch(message, /unreachable|Start the shared Redis stack/);
  });
});
