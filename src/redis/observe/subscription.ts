import type Redis from 'ioredis';
import { connectRedis, DEFAULT_TUNING } from '../connection';
import type { RedisCredentials, RedisEndpoint } from '../endpoint';
import { filterPatternFor } from '../keyspace/binary';
import { isNoPermission, MissingRightError } from './clientList';
import { showArgument } from './monitor';

/** A message as a subscription shows it: binary-safe and shortened. */
export interface ReceivedMessage {
  readonly timeMs: number;
  readonly channel: string;
  readonly message: string;
  readonly bytes: number;
}

export const SUBSCRIBER_CONNECTION_NAME = 'shared-redis-subscriber';

/** A channel name with glob characters is a pattern (PSUBSCRIBE), as redis-cli users write it. */
export function isPattern(channel: string): boolean {
  return /[*?[]/.test(channel);
}

/**
 * The channel pattern a namespace's own messages use: `auth:*` for namespace `auth`. PSUBSCRIBE
 * matches as SCAN MATCH does, so the namespace's and the delimiter's glob characters are escaped:
 * namespace `a*` hears `a*:1`, not `ab:1` of another namespace.
 */
export function namespaceChannelPattern(namespace: Buffer, delimiter: string): string {
  // As the key filter's pattern: a byte that is not part of UTF-8 text (the pattern is typed text) becomes `?`,
  // one byte, so that the pattern matches a little more, never less.
  return filterPatternFor(Buffer.concat([namespace, Buffer.from(delimiter, 'utf8')]));
}

/** What a user may publish or subscribe to: `&auth:*` in the ACL rules. */
function channelGrant(channel: string): string {
  return `&${channel}`;
}

/**
 * One SUBSCRIBE or PSUBSCRIBE on a connection of its own, which does not reconnect (a lost
 * connection ends the subscription and says so), except through Sentinel: there a failover
 * drops it on purpose (the failover detector hears `+switch-master`), and it reconnects to the
 * master the Sentinels name now, subscribing again (ioredis's autoResubscribe). A message
 * published during the switch is not delivered (Pub/Sub keeps nothing). Closed by `close()`.
 */
export class Subscription {
  private ended = false;

  private constructor(
    private readonly client: Redis,
    readonly channel: string,
  ) {}

  /**
   * Subscribes; a user whose ACL rules do not allow the channel gets a MissingRightError naming
   * `&<channel>`. `onEnd` is called once, when the connection closes for any reason.
   */
  static async open(
    endpoint: RedisEndpoint,
    credentials: RedisCredentials,
    channel: string,
    onMessage: (message: ReceivedMessage) => void,
    onEnd: (why: string) => void,
  ): Promise<Subscription> {
    const client = await connectRedis(endpoint, credentials, {
      ...DEFAULT_TUNING,
      maxReconnects: endpoint.sentinel?.kind === 'sentinel' ? DEFAULT_TUNING.maxReconnects : 0,
      connectionName: SUBSCRIBER_CONNECTION_NAME,
    });
    const subscription = new Subscription(client, channel);
    const show = (from: Buffer, message: Buffer): void =>
      onMessage({
        timeMs: Date.now(),
        channel: showArgument({ bytes: from.subarray(0, 256), length: from.length }, 80),
        message: showArgument({ bytes: message.subarray(0, 512), length: message.length }, 200),
        bytes: message.length,
      });
    client.on('messageBuffer', (from: Buffer, message: Buffer) => show(from, message));
    client.on('pmessageBuffer', (_pattern: Buffer, from: Buffer, message: Buffer) => show(from, message));
    try {
      if (isPattern(channel)) await client.psubscribe(channel);
      else await client.subscribe(channel);
    } catch (error) {
      client.disconnect();
      const verb = isPattern(channel) ? 'PSUBSCRIBE' : 'SUBSCRIBE';
      if (isNoPermission(error)) {
        throw new MissingRightError(`${verb} ${channel}`, channelGrant(channel), endpoint.username || 'default');
      }
      throw error;
    }
    client.once('end', () => {
      const why = subscription.ended ? 'unsubscribed' : 'the connection to Redis was lost';
      subscription.ended = true;
      onEnd(why);
    });
    return subscription;
  }

  get open(): boolean {
    return !this.ended;
  }

  close(): void {
    this.ended = true;
    this.client.disconnect();
  }
}

/** PUBLISH one message; resolves to how many subscribers got it. NOPERM: a MissingRightError naming `&<channel>`. */
export async function publish(client: Redis, channel: string, message: string): Promise<number> {
  try {
    return await client.publish(channel, message);
  } catch (error) {
    if (isNoPermission(error)) {
      const user = (client.options as { username?: string }).username || 'default';
      throw new MissingRightError(`PUBLISH ${channel}`, channelGrant(channel), user);
    }
    throw error;
  }
}
