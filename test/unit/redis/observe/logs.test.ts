import * as assert from 'node:assert/strict';
import Redis, { RedisOptions } from 'ioredis';
import { DeniedAccess, deniedAccessLine, parseAclLog, readAclLog } from '../../../../src/redis/observe/aclLog';
import { listClients, MissingRightError } from '../../../../src/redis/observe/clientList';
import { groupClients } from '../../../../src/redis/observe/clientGroups';
import { deniedAccessesMarkdown, slowLogMarkdown } from '../../../../src/redis/observe/reports';
import { formatMicros, parseSlowLog, readSlowLog, resetSlowLog } from '../../../../src/redis/observe/slowLog';
import { deniedAccessFindings, slowLogFindings } from '../../../../src/redis/checks/observed';
import { DEFAULT_DECLARED_NAMESPACES } from '../../../../src/settingsModel';
import { useRedisServer } from '../../../support/useRedisServer';
import { login } from './login';
import { MIGRATE_LIBRARY, MIGRATE_SCRIPT } from './migrateScripts';

const ACL = [
  'user default on nopass ~* &* +@all',
  'user auth-service on >auth-pw ~auth:* &auth:* +@all',
  'user user-service on >user-pw ~user:* &user:* +@all -keys',
  'user watcher on >watch-pw ~* -@all +ping',
  // May read the slow log but not reset it (nor ask its length): what an admin gives a developer.
  'user reader on >read-pw ~* -@all +ping +slowlog|get',
].join('\n');

describe('SLOWLOG and ACL LOG on a real Redis, by service', function () {
  this.timeout(20_000);
  const server = useRedisServer({ acl: ACL });

  const open = (options: RedisOptions = {}): Promise<Redis> => login(server, options);

  it('reads the slow log with the service of each entry, redacted and shortened', async () => {
    const operator = await open({ connectionName: 'shared-redis-vscode' });
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await operator.call('CONFIG', 'SET', 'slowlog-max-len', '50');
    await resetSlowLog(operator);
    const auth = await open({ username: 'auth-service', password: 'auth-pw', connectionName: 'auth-api' });
    await auth.set('auth:session:1', 'x'.repeat(500));
    await auth.call('AUTH', 'auth-service', 'auth-pw');
    const log = await readSlowLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');

    const set = log.entries.find((e) => e.args[0]?.toLowerCase() === 'set');
    assert.equal(set?.user, 'auth-service');
    assert.equal(set?.service, 'Auth Service');
    assert.equal(set?.clientName, 'auth-api');
    assert.equal(log.maxLength, 50);
    assert.equal(log.thresholdMicros, 0);
    const markdown = slowLogMarkdown(log, 'the test server', new Date(0));
    assert.match(markdown, /it keeps the newest 50 \(slowlog-max-len\)/);
    assert.match(
      markdown,
      /\| auth-service \(Auth Service\) \| \d+ µs \| `SET auth:session:1 x{40}…\(500 bytes\)` \| 127\.0\.0\.1:\d+ "auth-api" \|/,
    );
    assert.match(markdown, /`AUTH \(redacted\) \(redacted\)`/);
    assert.doesNotMatch(markdown, /auth-pw/);

    const findings = slowLogFindings(log);
    assert.deepEqual(
      findings.map((f) => f.label),
      ['auth-service'],
      'only services are findings, not the operator',
    );
    assert.match(findings[0]?.description ?? '', /took \d+ µs/);
  });

  it('reads the ACL LOG: who tried what, why, how often; a wrong password without the password', async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    const user = await open({ username: 'user-service', password: 'user-pw', connectionName: 'user-api' });
    for (let i = 0; i < 3; i++) await assert.rejects(user.get('auth:session:42'), /NOPERM/);
    await assert.rejects(user.call('KEYS', 'user:*'), /NOPERM/);
    await assert.rejects(async () => {
      const refused = await open({ username: 'auth-service', password: 'not-the-password' });
      await refused.ping();
    });

    const entries = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    const lines = entries.map(deniedAccessLine);
    assert.deepEqual(
      lines.map((l) => l.replace(/last \d+ s ago/, 'last N s ago')),
      [
        'auth-service failed to log in: wrong password, or the user does not exist or is disabled (1×, last N s ago)',
        'user-service tried `KEYS`: no permission for the command (1×, last N s ago)',
        'user-service tried `GET auth:session:42`: no permission for the key (3×, last N s ago)',
      ],
    );
    assert.equal(entries[2]?.service, 'User Service');
    assert.equal(entries[2]?.clientName, 'user-api');
    const markdown = deniedAccessesMarkdown(entries, 'the test server', new Date(0));
    assert.match(markdown, /- \*\*user-service\*\* \(User Service\) tried `GET auth:session:42`/);
    assert.doesNotMatch(markdown, /not-the-password/);

    const findings = deniedAccessFindings(entries);
    assert.deepEqual(
      findings.map((f) => [f.label, f.count, f.severity]),
      [
        ['auth-service', 1, 'error'],
        ['user-service', 4, 'warning'],
      ],
    );
    assert.match(
      findings[1]?.description ?? '',
      /^tried `KEYS`: no permission for the command \(1×, last \d+ s ago\) · \+1 more$/,
    );
  });

  it("a service's connection named like the extension's (shared-redis-…) is still the service's: its refusals are findings, and it is no connection of the extension", async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    const spoof = await open({
      username: 'user-service',
      password: 'user-pw',
      connectionName: 'shared-redis-cache-warmer',
    });
    await assert.rejects(spoof.get('auth:session:42'), /NOPERM/);
    const entries = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    assert.deepEqual(
      deniedAccessFindings(entries).map((f) => f.label),
      ['user-service'],
    );
    const clients = await listClients(operator);
    const snapshot = groupClients(clients, {
      namespaces: DEFAULT_DECLARED_NAMESPACES,
      delimiter: ':',
      expectedUsers: [],
    });
    assert.equal(snapshot.groups.find((g) => g.user === 'user-service')?.own, 0, "not counted as the extension's own");
  });

  it('does not show a password a client sent in place of the user name (AUTH and HELLO with the two swapped)', async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    const swapped = await open();
    await assert.rejects(swapped.call('AUTH', 'auth-pw-typed-as-user', 'auth-service'), /WRONGPASS/);
    await assert.rejects(swapped.call('HELLO', '2', 'AUTH', 'hello-pw-typed-as-user', 'x'), /WRONGPASS/);
    const entries = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    assert.equal(entries.length, 2);
    const shown = [
      ...entries.map(deniedAccessLine),
      deniedAccessesMarkdown(entries, 'the test server', new Date(0)),
      ...deniedAccessFindings(entries).flatMap((f) => [f.label, f.description, f.detail]),
    ].join('\n');
    assert.doesNotMatch(shown, /typed-as-user/);
    assert.match(
      deniedAccessLine(entries[0] as DeniedAccess),
      /^\(a user name that does not exist, not shown\) failed to log in/,
    );
  });

  it("shows a user name holding `$'`, `$&` or `` $` `` as it is in the Denied Accesses report", async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    const names = ["ops$'team", 'ops$&x', 'ops$`y'];
    for (const name of names) {
      await operator.call('ACL', 'SETUSER', name, 'on', '>pw', '~user:*', '+get');
      const refused = await open({ username: name, password: 'pw' });
      await assert.rejects(refused.get('auth:secret'), /NOPERM/);
      refused.disconnect();
      await operator.call('ACL', 'DELUSER', name);
    }
    const entries = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    const items = deniedAccessesMarkdown(entries, 'the test server', new Date(0))
      .split('\n')
      // Redis 7.2+ also logs the client library's refused handshake (handshakeDenials.test).
      .filter((line) => line.startsWith('- ') && !line.includes("client library's handshake"))
      .map((line) => line.replace(/ \(1×.*$/, ''));
    assert.deepEqual(
      items,
      [...names].reverse().map((name) => `- **${name}** tried \`GET auth:secret\`: no permission for the key`),
    );
  });

  it('an entry for a user deleted since keeps its name, and no service', async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    await operator.call('ACL', 'SETUSER', 'billing-service', 'on', '>b', '~billing:*', '+@all');
    const billing = await open({ username: 'billing-service', password: 'b' });
    await assert.rejects(billing.get('auth:x'), /NOPERM/);
    billing.disconnect();
    await operator.call('ACL', 'DELUSER', 'billing-service');
    const [entry] = await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    assert.equal(entry?.username, 'billing-service');
    assert.equal(entry?.service, undefined);
    assert.match(deniedAccessLine(entry as DeniedAccess), /^billing-service tried `GET auth:x`/);
  });

  it('never shows the password of a MIGRATE … AUTH a script runs: EVALSHA, FCALL, a long EVAL the server cut, a name built at run time', async () => {
    const operator = await open();
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await resetSlowLog(operator);
    await operator.set('user:to-move', 'x');
    // Port 1 refuses the connection: each MIGRATE fails (IOERR), after the server logged the script.
    const migrate = MIGRATE_SCRIPT;
    const sha = String(await operator.call('SCRIPT', 'LOAD', migrate));
    await assert.rejects(operator.evalsha(sha, 1, 'user:to-move', 'sha-pw'), /IOERR/);
    await operator.call('FUNCTION', 'LOAD', 'REPLACE', MIGRATE_LIBRARY);
    await assert.rejects(operator.fcall('mv', 1, 'user:to-move', 'fcall-pw'), /IOERR/);
    // SLOWLOG keeps 128 bytes of the text: the MIGRATE is past the cut.
    await assert.rejects(operator.eval(`-- ${'x'.repeat(150)}\n${migrate}`, 1, 'user:to-move', 'long-pw'), /IOERR/);
    const built = "return redis.call('MIG'..'RATE','127.0.0.1','1',KEYS[1],'0','100','AUTH',ARGV[1])";
    await assert.rejects(operator.eval(built, 1, 'user:to-move', 'built-pw'), /IOERR/);
    await operator.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, 'user:plain', 'plain-value');
    const log = await readSlowLog(operator, DEFAULT_DECLARED_NAMESPACES, ':');
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    await operator.call('FUNCTION', 'DELETE', 'movers');

    const markdown = slowLogMarkdown(log, 'the test server', new Date(0));
    assert.doesNotMatch(markdown, /sha-pw|fcall-pw|long-pw|built-pw/);
    // Which key each touched stays shown; a script that cannot call MIGRATE is shown whole.
    assert.match(markdown, new RegExp(`\`EVALSHA ${sha} 1 user:to-move \\(redacted\\)\``));
    assert.match(markdown, /`FCALL mv 1 user:to-move \(redacted\)`/);
    assert.match(
      markdown,
      /`EVAL return redis\.call\('SET', KEYS\[1\], ARGV\[1…\(42 bytes\) 1 user:plain plain-value`/,
    );
  });

  it('names the key a script was refused, also one that reads like a MIGRATE or a call (`auth:migrate:state`, `auth:call:7`)', async () => {
    const operator = await open();
    await operator.call('ACL', 'LOG', 'RESET');
    const user = await open({ username: 'user-service', password: 'user-pw' });
    for (const key of ['auth:migrate:state', 'auth:call:7']) {
      await assert.rejects(user.eval("return redis.call('GET', KEYS[1])", 1, key), /NOPERM|denied|permission/i);
    }
    const lines = (await readAclLog(operator, DEFAULT_DECLARED_NAMESPACES, ':')).map(deniedAccessLine).join('\n');
    assert.match(lines, /auth:migrate:state/);
    assert.match(lines, /auth:call:7/);
  });

  it('shows the slow log to a user who may read it (+slowlog|get) but not reset it', async () => {
    const operator = await open();
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await operator.set('user:read-only-slow', 'x');
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    const reader = await open({ username: 'reader', password: 'read-pw' });
    const log = await readSlowLog(reader, [], ':');
    assert.ok(
      log.entries.some((e) => e.args[1] === 'user:read-only-slow'),
      'the slow command is listed',
    );
    assert.ok(log.length >= log.entries.length);
  });

  it('names the missing right for a user without +slowlog or +acl|log, and changes nothing', async () => {
    const operator = await open();
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    const watcher = await open({ username: 'watcher', password: 'watch-pw' });
    await operator.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    const before = Number(await operator.call('SLOWLOG', 'LEN'));
    await assert.rejects(
      readSlowLog(watcher, [], ':'),
      (e: unknown) =>
        e instanceof MissingRightError && e.grant === '+slowlog' && /"watcher" may not run SLOWLOG GET/.test(e.message),
    );
    await assert.rejects(
      resetSlowLog(watcher),
      (e: unknown) => e instanceof MissingRightError && e.command === 'SLOWLOG RESET',
    );
    await assert.rejects(
      readAclLog(watcher, [], ':'),
      (e: unknown) => e instanceof MissingRightError && e.grant === '+acl|log',
    );
    assert.ok(Number(await operator.call('SLOWLOG', 'LEN')) >= before, 'the slow log was not reset');
  });
});

describe('slow log and ACL log replies', () => {
  it("leaves the extension's own refusals (its isolation check's probes) out of the findings", () => {
    const entries = parseAclLog(
      [
        [
          'count',
          4,
          'reason',
          'key',
          'context',
          'toplevel',
          'object',
          'user:probe',
          'username',
          'auth-service',
          'age-seconds',
          '1',
          'client-info',
          'id=9 addr=127.0.0.1:3 name=shared-redis-isolation-check cmd=get user=auth-service',
        ],
        [
          'count',
          1,
          'reason',
          'key',
          'context',
          'toplevel',
          'object',
          'auth:x',
          'username',
          'user-service',
          'age-seconds',
          '1',
          'client-info',
          'id=10 addr=127.0.0.1:4 name=user-api cmd=get user=user-service',
        ],
      ],
      DEFAULT_DECLARED_NAMESPACES,
    );
    assert.deepEqual(
      deniedAccessFindings(entries).map((f) => f.label),
      ['user-service'],
    );
    const slow = parseSlowLog([
      [1, 1700000000, 50000, ['get', 'auth:x'], '127.0.0.1:3', 'shared-redis-isolation-check'],
      [2, 1700000000, 40000, ['keys', 'user:*'], '127.0.0.1:4', 'user-api'],
    ]).map((e) => ({
      ...e,
      user: e.clientAddr.endsWith(':3') ? 'auth-service' : 'user-service',
      service: 'Some Service',
    }));
    assert.deepEqual(
      slowLogFindings({ entries: slow, length: 2, maxLength: 128, thresholdMicros: 10000 }).map((f) => f.label),
      ['user-service'],
    );
  });

  it('reads a Redis 3 slow log entry (no client address or name)', () => {
    const [entry] = parseSlowLog([[5, 1700000000, 12000, ['keys', '*']]]);
    assert.equal(entry?.clientAddr, '');
    assert.equal(entry?.time.toISOString(), '2023-11-14T22:13:20.000Z');
    assert.equal(formatMicros(entry?.durationMicros ?? 0), '12 ms');
    assert.equal(formatMicros(850), '850 µs');
    assert.equal(formatMicros(1_200_000), '1.20 s');
  });

  it('says a refusal inside a script or MULTI, and a channel', () => {
    const [lua, channel] = parseAclLog(
      [
        [
          'count',
          2,
          'reason',
          'key',
          'context',
          'lua',
          'object',
          'auth:x',
          'username',
          'user-service',
          'age-seconds',
          '130.5',
          'client-info',
          'id=7 addr=127.0.0.1:1 cmd=eval user=user-service',
        ],
        [
          'count',
          1,
          'reason',
          'channel',
          'context',
          'multi',
          'object',
          'auth:events',
          'username',
          'u',
          'age-seconds',
          '7200',
          'client-info',
          'id=8 addr=127.0.0.1:2 cmd=subscribe user=u',
        ],
      ],
      DEFAULT_DECLARED_NAMESPACES,
    );
    assert.equal(
      deniedAccessLine(lua as DeniedAccess),
      'user-service tried `EVAL auth:x`: no permission for the key inside a script (2×, last 2 min ago)',
    );
    assert.equal(
      deniedAccessLine(channel as DeniedAccess),
      'u tried `SUBSCRIBE auth:events`: no permission for the channel inside MULTI (1×, last 2 h ago)',
    );
  });
});
