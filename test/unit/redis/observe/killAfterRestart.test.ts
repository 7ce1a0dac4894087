import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { killClientOn } from '../../../../src/redis/cluster/clusterClients';
import { listClients } from '../../../../src/redis/observe/clientList';
import { replacedClientMessage } from '../../../../src/redis/observe/killConfirmation';
import { RedisServer, startRedisServer } from '../../../support/redisServer';

describe('Kill Client when Redis restarted while it asked (a real redis-server, restarted)', function () {
  this.timeout(30_000);
  let server: RedisServer | undefined;
  const opened: Redis[] = [];
  /** A service's connection: it does not reconnect, so a kill stays visible. */
  const service = async (port: number, name: string): Promise<Redis> => {
    const client = new Redis({ host: '127.0.0.1', port, connectionName: name, retryStrategy: () => null });
    opened.push(client);
    await client.ping();
    return client;
  };
  after(async function () {
    for (const client of opened.splice(0)) client.disconnect();
    await server?.stop();
  });

  it('kills nothing when the id it offered now names another connection, and says the client list changed', async () => {
    server = await startRedisServer();
    const { port } = server;
    // The extension's connection, which reconnects after the restart as the session's does.
    const session = new Redis({ host: '127.0.0.1', port, connectionName: 'shared-redis-vscode' });
    opened.push(session);
    await service(port, 'auth-api');
    const offered = (await listClients(session)).find((c) => c.name === 'auth-api');
    assert.ok(offered, 'auth-api is listed');

    // Redis restarts while the question is open: its ids start again from small numbers.
    await server.stop();
    server = await startRedisServer({ port });
    await session.ping();
    let other: Redis | undefined;
    for (let i = 0; i < 50 && !other; i++) {
      const candidate = await service(port, 'user-api');
      if (String(await candidate.client('ID')) === offered.id) other = candidate;
    }
    assert.ok(other, `a connection of after the restart has id ${offered.id} again`);

    const topology = {
      kind: 'single' as const,
      client: session,
      endpoint: { host: '127.0.0.1', port, db: 0, tls: false },
    };
    assert.equal(await killClientOn(topology, offered), false, 'nothing was killed');
    assert.equal(await other.ping(), 'PONG', 'the connection that has the id now is still connected');
    const now = (await listClients(session)).find((c) => c.id === offered.id);
    assert.ok(now && now.name === 'user-api');
    const message = replacedClientMessage(offered, now, 'Redis at 127.0.0.1');
    assert.match(message, new RegExp(`^Client #${offered.id} \\(default, ${offered.addr}\\) is no longer connected`));
    assert.match(message, /Nothing was killed/);
    assert.match(message, /client list changed/);
    assert.match(message, /look again/i);
  });
});
