import * as assert from 'node:assert/strict';
import { groupClients } from '../../../../src/redis/observe/clientGroups';
import { parseClientList } from '../../../../src/redis/observe/clientList';
import { DEFAULT_DECLARED_NAMESPACES } from '../../../../src/settingsModel';

const line = (id: number, user: string, age: number, idle: number, name = ''): string =>
  `id=${id} addr=127.0.0.1:${5000 + id} name=${name} age=${age} idle=${idle} flags=N db=0 cmd=get user=${user}`;

describe('clients grouped by service', () => {
  const options = {
    namespaces: DEFAULT_DECLARED_NAMESPACES,
    delimiter: ':',
    expectedUsers: ['auth-service', 'user-service', 'shared-service'],
  };

  it("counts each user's connections with the oldest age and the idle range, services first, missing ones listed", () => {
    const clients = parseClientList(
      [
        line(1, 'operator', 50, 0, 'shared-redis-vscode'),
        line(2, 'user-service', 10, 4),
        line(3, 'auth-service', 30, 1),
        line(4, 'user-service', 90, 60),
        line(5, 'operator', 5, 5, 'redis-cli'),
      ].join('\n'),
    );
    const snapshot = groupClients(clients, options);
    assert.deepEqual(
      snapshot.groups.map((g) => [
        g.user,
        g.service,
        g.count,
        g.oldestAgeSeconds,
        g.shortestIdleSeconds,
        g.longestIdleSeconds,
        g.own,
      ]),
      [
        ['auth-service', 'Auth Service', 1, 30, 1, 1, 0],
        ['user-service', 'User Service', 2, 90, 4, 60, 0],
        ['operator', undefined, 2, 50, 0, 5, 1],
      ],
    );
    assert.deepEqual(
      snapshot.groups[1]?.clients.map((c) => c.id),
      ['4', '2'],
      'oldest first',
    );
    assert.deepEqual(snapshot.missing, [{ user: 'shared-service', service: 'Shared' }]);
    assert.equal(snapshot.total, 5);
  });

  it('keeps services before other users when a service user is expected twice (setting and ACL USERS)', () => {
    const clients = parseClientList(
      [
        line(1, 'default', 5, 5),
        line(2, 'user-service', 5, 5),
        line(3, 'auth-service', 5, 5),
        line(4, 'aaa', 1, 1),
      ].join('\n'),
    );
    const expectedUsers = [...options.expectedUsers, 'auth-service', 'shared-service', 'user-service'];
    const snapshot = groupClients(clients, { ...options, expectedUsers });
    assert.deepEqual(
      snapshot.groups.map((g) => g.user),
      ['auth-service', 'user-service', 'aaa', 'default'],
    );
    assert.deepEqual(
      snapshot.missing.map((m) => m.user),
      ['shared-service'],
    );
  });

  it('lists a bounded number of connections per group and says how many are not shown', () => {
    const clients = parseClientList(
      Array.from({ length: 20_000 }, (_, i) => line(i, 'user-service', i % 1000, i % 7)).join('\n'),
    );
    const snapshot = groupClients(clients, { ...options, perGroup: 200 });
    const [group] = snapshot.groups;
    assert.equal(group?.count, 20_000);
    assert.equal(group?.clients.length, 200);
    assert.equal(group?.notShown, 19_800);
    assert.equal(group?.oldestAgeSeconds, 999);
    assert.equal(group?.longestIdleSeconds, 6);
  });

  it('an empty server: every expected service is not connected', () => {
    const snapshot = groupClients([], options);
    assert.deepEqual(snapshot.groups, []);
    assert.deepEqual(
      snapshot.missing.map((m) => m.user),
      ['auth-service', 'user-service', 'shared-service'],
    );
  });
});
