import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { RedisOptions } from 'ioredis';
import {
  isExtensionConnection,
  listClients,
  MissingRightError,
  parseClientList,
  serviceOfUser,
} from '../../../../src/redis/observe/clientList';
import { DEFAULT_DECLARED_NAMESPACES } from '../../../../src/settingsModel';
import { useRedisServer } from '../../../support/useRedisServer';
import { login } from './login';

const ACL = [
  'user default on nopass ~* &* +@all',
  'user auth-service on >auth-pw ~auth:* &auth:* +@all',
  'user user-service on >user-pw ~user:* &user:* +@all',
  'user watcher on >watch-pw ~* -@all +ping +info',
].join('\n');

describe('CLIENT LIST on a real Redis', function () {
  this.timeout(20_000);
  const socketDir = mkdtempSync(join(tmpdir(), 'client-list-'));
  const socket = join(socketDir, 'redis.sock');
  after(() => rmSync(socketDir, { recursive: true, force: true }));
  // Listens on IPv4, IPv6 loopback and a unix socket, to see each address form Redis prints.
  const server = useRedisServer({ acl: ACL, extraArgs: ['--bind', '127.0.0.1 ::1', '--unixsocket', socket] });

  const open = (options: RedisOptions = {}): Promise<Redis> => login(server, options);

  it('lists every connection with its user, name, database, address and last command', async () => {
    const auth = await open({ username: 'auth-service', password: 'auth-pw', connectionName: 'auth-api', db: 2 });
    const user = await open({ username: 'user-service', password: 'user-pw', connectionName: 'odd=name=x' });
    const v6 = await open({ host: '::1', username: 'user-service', password: 'user-pw', connectionName: 'v6' });
    const unix = await open({ path: socket, connectionName: 'shared-redis-vscode-walk' });
    await auth.get('auth:session:1');
    await user.set('user:profile:1', 'x');
    await v6.ping();
    await unix.ping();
    const operator = await open({ connectionName: 'shared-redis-vscode' });

    const clients = await listClients(operator);
    const byName = new Map(clients.map((c) => [c.name, c]));

    const authRow = byName.get('auth-api');
    assert.equal(authRow?.user, 'auth-service');
    assert.equal(authRow?.db, 2);
    assert.equal(authRow?.lastCommand, 'get');
    assert.match(authRow?.addr ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(authRow?.laddr, `127.0.0.1:${server.port}`);
    assert.ok(authRow && authRow.ageSeconds >= 0 && authRow.idleSeconds >= 0);
    assert.match(authRow?.id ?? '', /^\d+$/);

    // A name may hold `=`: the field splits at its first `=` only.
    assert.equal(byName.get('odd=name=x')?.user, 'user-service');
    assert.equal(byName.get('odd=name=x')?.lastCommand, 'set');
    assert.match(byName.get('v6')?.addr ?? '', /^\[::1\]:\d+$/);
    assert.equal(byName.get('shared-redis-vscode-walk')?.addr, `${socket}:0`);
    assert.match(byName.get('shared-redis-vscode-walk')?.flags ?? '', /U/);
    assert.equal(byName.get('shared-redis-vscode')?.lastCommand, 'client|list');

    assert.deepEqual(
      clients
        .filter((c) =>
          isExtensionConnection({ name: c.name, service: serviceOfUser(c.user, DEFAULT_DECLARED_NAMESPACES) }),
        )
        .map((c) => c.name)
        .sort(),
      ['shared-redis-vscode', 'shared-redis-vscode-walk'],
    );
    assert.equal(new Set(clients.map((c) => c.id)).size, clients.length);
  });

  it('names the missing right, and what to grant, for a user without +client', async () => {
    const watcher = await open({ username: 'watcher', password: 'watch-pw' });
    await assert.rejects(listClients(watcher), (error: unknown) => {
      assert.ok(error instanceof MissingRightError, String(error));
      assert.equal(error.command, 'CLIENT LIST');
      assert.equal(error.grant, '+client|list');
      assert.match(error.message, /"watcher" may not run CLIENT LIST.*ACL SETUSER watcher \+client\|list/);
      assert.doesNotMatch(error.message, /watch-pw/);
      return true;
    });
  });
});

describe('parseClientList', () => {
  it('reads a Redis 5 line (no user, no laddr) with the defaults a user would expect', () => {
    const [client] = parseClientList(
      'id=7 addr=10.0.0.5:41234 fd=8 name= age=12 idle=3 flags=N db=1 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get\n',
    );
    assert.equal(client?.user, 'default');
    assert.equal(client?.laddr, undefined);
    assert.equal(client?.name, '');
    assert.equal(client?.ageSeconds, 12);
    assert.equal(client?.idleSeconds, 3);
    assert.equal(client?.db, 1);
    assert.equal(client?.fields.get('qbuf'), '0');
  });

  it('skips empty lines, CRLF endings and lines without an id', () => {
    const clients = parseClientList('id=1 addr=a:1 name=x cmd=ping\r\n\r\ngarbage line\nid=2 addr=b:2 name= cmd=\n');
    assert.deepEqual(
      clients.map((c) => [c.id, c.name, c.lastCommand]),
      [
        ['1', 'x', 'ping'],
        ['2', '', ''],
      ],
    );
  });

  it('parses thousands of clients', () => {
    const text = Array.from(
      { length: 5000 },
      (_, i) => `id=${i} addr=127.0.0.1:${1000 + i} name=c${i} user=u db=0`,
    ).join('\n');
    const clients = parseClientList(text);
    assert.equal(clients.length, 5000);
    assert.equal(clients[4999]?.name, 'c4999');
  });
});

describe('serviceOfUser', () => {
  it('maps service users to the owner of their declared namespace', () => {
    assert.equal(serviceOfUser('auth-service', DEFAULT_DECLARED_NAMESPACES), 'Auth Service');
    assert.equal(serviceOfUser('user-service', DEFAULT_DECLARED_NAMESPACES), 'User Service');
    assert.equal(serviceOfUser('shared-service', DEFAULT_DECLARED_NAMESPACES), 'Shared');
  });

  it('finds the owner through a nested namespace and another delimiter', () => {
    assert.equal(serviceOfUser('billing-service', [{ name: 'billing/invoices', owner: 'Billing' }], '/'), 'Billing');
    assert.equal(serviceOfUser('billing-service', [{ name: 'billing:invoices', owner: 'Billing' }], ':'), 'Billing');
    // The first surface named it `prefix`; a trailing delimiter is ignored.
    assert.equal(serviceOfUser('billing-service', [{ prefix: 'billing:', owner: 'Billing' }]), 'Billing');
  });

  it('gives an owner-less service its user name, and no service to other users', () => {
    assert.equal(serviceOfUser('orders-service', [{ name: 'orders' }]), 'orders-service');
    assert.equal(serviceOfUser('operator', DEFAULT_DECLARED_NAMESPACES), undefined);
    assert.equal(serviceOfUser('default', DEFAULT_DECLARED_NAMESPACES), undefined);
    assert.equal(serviceOfUser('gone-service', DEFAULT_DECLARED_NAMESPACES), undefined);
    assert.equal(serviceOfUser('auth', DEFAULT_DECLARED_NAMESPACES), undefined);
  });
});
