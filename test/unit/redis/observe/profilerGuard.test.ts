import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { listClients } from '../../../../src/redis/observe/clientList';
import { ProfiledCommand, Profiler, ProfilerEnded } from '../../../../src/redis/observe/profiler';
import { useRedisServer } from '../../../support/useRedisServer';
import { eventually } from '../../../support/eventually';

/** Users who may MONITOR but not look at the profile's own output buffer, as some teams set them up. */
const ACL = [
  'user default on nopass ~* &* +@all',
  'user no-list on >no-list-pw ~* &* +@all -client|list',
  'user no-client on >no-client-pw ~* &* +@all -client',
].join('\n');

describe("Profiler's memory guard on a real Redis whose ACL refuses what the guard needs", function () {
  this.timeout(30_000);
  const server = useRedisServer({ acl: ACL });
  const running: Profiler[] = [];
  afterEach(() => running.splice(0).forEach((profiler) => profiler.stop()));

  /** Profiles as `user` (its CLIENT LIST too, as the extension's session is that user); records what it is told. */
  async function profileAs(user: string, password: string) {
    const session = server.keep(new Redis({ host: server.host, port: server.port, username: user, password }));
    const told: string[] = [];
    const commands: ProfiledCommand[] = [];
    const ends: ProfilerEnded[] = [];
    const guard = { onBacklogUnwatched: (reason: string) => told.push(reason) };
    const profiler = await Profiler.start(
      { host: server.host, port: server.port, db: 0, tls: false, username: user },
      { password },
      {
        maxSeconds: 60,
        maxLines: 10_000,
        delimiter: ':',
        backlogCheckMs: 100,
        listClients: () => listClients(session),
        onCommand: (command) => commands.push(command),
        onEnd: (ended) => ends.push(ended),
        ...guard,
      },
    );
    running.push(profiler);
    return { profiler, told, commands, ends, session };
  }

  it('says once that it cannot watch the output buffer when CLIENT LIST is refused, naming the right, and keeps profiling', async () => {
    const { told, commands, ends, session } = await profileAs('no-list', 'no-list-pw');
    await eventually('the guard said it cannot watch', () => told.length > 0, 5000);
    // Many checks later, still once.
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(told.length, 1, told.join(' | '));
    assert.match(told[0] ?? '', /CLIENT LIST/);
    assert.match(told[0] ?? '', /\+client\|list/);
    assert.match(told[0] ?? '', /no-list/);
    await session.set('user:still-profiled', 'v');
    await eventually('the profile goes on', () => commands.some((c) => c.key === 'user:still-profiled'));
    assert.deepEqual(ends, []);
  });

  it('says once that it cannot watch when CLIENT ID is refused (no client rights at all)', async () => {
    const { told } = await profileAs('no-client', 'no-client-pw');
    await eventually('the guard said it cannot watch', () => told.length > 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(told.length, 1, told.join(' | '));
    assert.match(told[0] ?? '', /CLIENT (ID|LIST)/);
    assert.match(told[0] ?? '', /no-client/);
  });
});
