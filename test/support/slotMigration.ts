import Redis from 'ioredis';
import { RedisClusterFixture } from './redisCluster';

/** One slot being moved between two masters of a test cluster, as `redis-cli --cluster reshard` moves it. */
export interface SlotMigration {
  /** Moves up to `count` more keys (MIGRATE); resolves to how many moved (0: none left). */
  step(count: number): Promise<number>;
  /** Moves every key left and gives the slot to the target on every master (CLUSTER SETSLOT … NODE). */
  finish(): Promise<void>;
  close(): void;
}

/**
 * Starts moving `slot` from the master on `fromPort` to the one on `toPort` for real: SETSLOT
 * IMPORTING on the target, MIGRATING on the source; then `step` MIGRATEs keys (the password
 * reaches MIGRATE through its AUTH argument, on a connection of the test's own).
 */
export async function startSlotMigration(
  fixture: RedisClusterFixture,
  slot: number,
  fromPort: number,
  toPort: number,
): Promise<SlotMigration> {
  const open = (port: number): Redis => {
    const client = new Redis({ host: fixture.host, port, password: fixture.password, retryStrategy: () => null });
    client.on('error', () => undefined);
    return client;
  };
  const source = open(fromPort);
  const target = open(toPort);
  const others = (await fixture.masterPorts()).filter((port) => port !== fromPort && port !== toPort).map(open);
  const close = (): void => [source, target, ...others].forEach((client) => client.disconnect());
  try {
    const sourceId = String(await source.cluster('MYID'));
    const targetId = String(await target.cluster('MYID'));
    await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    const step = async (count: number): Promise<number> => {
      const keys = (await source.cluster('GETKEYSINSLOT', slot, count)) as string[];
      if (keys.length === 0) return 0;
      const auth = fixture.password === undefined ? [] : ['AUTH', fixture.password];
      await source.call('MIGRATE', fixture.host, String(toPort), '', '0', '5000', ...auth, 'KEYS', ...keys);
      return keys.length;
    };
    return {
      step,
      finish: async () => {
        while ((await step(500)) > 0);
        // The target first, then the source, then the others, as redis-cli does.
        for (const client of [target, source, ...others]) await client.cluster('SETSLOT', slot, 'NODE', targetId);
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}
