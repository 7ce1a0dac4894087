import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  changedSettings,
  DEFAULT_DECLARED_NAMESPACES,
  DEFAULTS,
  readSettings,
  SettingKey,
} from '../../../src/settingsModel';

const root = join(__dirname, '..', '..', '..', '..');

type Read = ReturnType<typeof readSettings>;

/** Reads `given` as the user's settings; anything not in it is unset. */
function read(given: Record<string, unknown>): Read {
  return readSettings((key) => given[key]);
}

describe('settings (src/settingsModel.ts)', () => {
  it('has the defaults package.json contributes, for every sharedRedis setting it contributes', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: {
        configuration:
          | { properties: Record<string, { default?: unknown }> }
          | Array<{ properties: Record<string, { default?: unknown }> }>;
      };
    };
    const configuration = manifest.contributes.configuration;
    const properties = Array.isArray(configuration)
      ? (Object.assign({}, ...configuration.map((c) => c.properties)) as Record<string, { default?: unknown }>)
      : configuration.properties;
    const { values } = read({});
    for (const [name, schema] of Object.entries(properties)) {
      const key = name.replace(/^sharedRedis\./, '') as SettingKey;
      assert.ok(key in values, `${name} is contributed but not read by the settings module`);
      if (key === 'namespaces') assert.deepEqual(schema.default, DEFAULT_DECLARED_NAMESPACES);
      else assert.deepEqual(schema.default, DEFAULTS[key], `${name}'s default`);
    }
  });

  it('reads unset settings as their defaults, with no problem', () => {
    const { values, problems } = read({});
    assert.deepEqual(problems, []);
    assert.equal(values.delimiter, ':');
    assert.equal(values.scanCount, 1000);
    assert.deepEqual(
      values.namespaces.map((n) => [n.name, n.owner, n.cache]),
      [
        ['auth', 'Auth Service', false],
        ['user', 'User Service', false],
        ['shared', 'Shared', false],
        ['user:search', 'User Service', true],
        ['user:profile', 'User Service', true],
        ['shared:cache', 'Shared', true],
      ],
    );
  });

  it('refuses an empty delimiter with one message naming the setting, and uses ":"', () => {
    const { values, problems } = read({ delimiter: '' });
    assert.equal(values.delimiter, ':');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.key, 'delimiter');
    assert.match(problems[0]?.message ?? '', /sharedRedis\.delimiter/);
  });

  it('keeps a delimiter that is not ":" exactly as written', () => {
    assert.equal(read({ delimiter: '/' }).values.delimiter, '/');
    assert.equal(read({ delimiter: '::' }).values.delimiter, '::');
    assert.equal(read({ delimiter: '*' }).values.delimiter, '*');
  });

  it('refuses a delimiter with a space (users.acl could not express it) in one message naming the setting once', () => {
    const { values, problems } = read({ delimiter: ' | ' });
    assert.equal(values.delimiter, ':');
    assert.equal(problems.length, 1);
    const message = problems[0]?.message ?? '';
    assert.match(message, /contains a space/);
    assert.equal(message.split('sharedRedis.delimiter').length - 1, 1, message);
    assert.match(message, /refuse to rewrite users\.acl\.$/);
  });

  it('refuses numbers out of range or not whole, naming the setting and its range', () => {
    for (const [key, bad] of [
      ['scanCount', 0],
      ['scanCount', 2.5],
      ['port', 70000],
      ['db', -1],
      ['pageSize', '200'],
      ['memoryWarningPercent', 0],
    ] as const) {
      const { values, problems } = read({ [key]: bad });
      assert.equal(values[key], DEFAULTS[key], `${key} = ${JSON.stringify(bad)} falls back to the default`);
      assert.equal(problems.length, 1, `${key} = ${JSON.stringify(bad)}`);
      assert.match(
        problems[0]?.message ?? '',
        new RegExp(`sharedRedis\\.${key} must be a whole number from \\d+ to \\d+`),
      );
    }
    assert.equal(read({ scanCount: 10 }).values.scanCount, 10);
    assert.equal(read({ scanCount: 100000 }).values.scanCount, 100000);
  });

  it('trims text settings, and an empty host is the default host', () => {
    const { values, problems } = read({ host: '  ', username: ' ops ', projectName: ' team ' });
    assert.deepEqual(problems, []);
    assert.equal(values.host, '127.0.0.1');
    assert.equal(values.username, 'ops');
    assert.equal(values.projectName, 'team');
  });

  it('refuses a connection URL (or a user, password or port) in host without repeating it, and connects to nothing (not 127.0.0.1) until it is fixed', () => {
    for (const bad of [
      'redis://app:S3cretPw@10.0.0.5',
      'rediss://:S3cretPw@cache.internal:6380/2',
      'app:S3cretPw@10.0.0.5',
      'cache.internal:6380',
      '10.0.0.5/2',
      'my host',
    ]) {
      const { problems, blocked } = read({ host: bad });
      assert.equal(problems.length, 1, bad);
      const message = problems[0]?.message ?? '';
      assert.equal(problems[0]?.key, 'host');
      assert.equal(blocked?.key, 'host', bad);
      assert.equal(blocked?.message, message);
      const repeated = ['S3cretPw', 'redis://', '10.0.0.5', 'cache.internal', 'my host', '127.0.0.1'].filter((p) =>
        message.includes(p),
      );
      assert.deepEqual(repeated, [], `${bad}: ${message}`);
      assert.match(
        message,
        /^The setting sharedRedis\.host must be a host name or IP address only\b.*Set Password.*; until it is fixed the extension connects to no Redis \(never to another server or database\)\.$/,
      );
    }
    for (const good of [
      '127.0.0.1',
      'redis.internal',
      'host.docker.internal',
      'shared_redis',
      '::1',
      'fe80::1%eth0',
      'localhost',
    ]) {
      assert.deepEqual(read({ host: good }).problems, [], good);
      assert.equal(read({ host: good }).values.host, good);
      assert.equal(read({ host: good }).blocked, undefined, good);
    }
  });

  it('accepts an internationalized host name (as its punycode form) and a bracketed IPv6 address (as written without brackets)', () => {
    const idn = read({ host: 'rédis.example' });
    assert.deepEqual(idn.problems, []);
    assert.equal(idn.blocked, undefined);
    assert.equal(idn.values.host, 'xn--rdis-bpa.example');
    const bracketed = read({ host: '[::1]' });
    assert.deepEqual(bracketed.problems, []);
    assert.equal(bracketed.blocked, undefined);
    assert.equal(bracketed.values.host, '::1');
    assert.equal(read({ host: '[fe80::1%eth0]' }).values.host, 'fe80::1%eth0');
    // Brackets around anything but an IPv6 address, or with a port after them, are still refused.
    assert.equal(read({ host: '[::1]:6380' }).blocked?.key, 'host');
    assert.equal(read({ host: '[redis.internal]' }).blocked?.key, 'host');
    assert.equal(read({ host: 'rédis .example' }).blocked?.key, 'host');
  });

  it('a mistyped safety setting fails closed: readOnly "true" (text) is read-only, db "3" connects to no database until fixed', () => {
    const { values, problems, blocked } = read({ readOnly: 'true', db: '3' });
    assert.equal(values.readOnly, true);
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        'The setting sharedRedis.db must be a whole number from 0 to 15; until it is fixed the extension connects to no Redis (never to another server or database).',
        'The setting sharedRedis.readOnly must be true or false; until it is fixed the extension is read-only: commands that change or delete keys are disabled.',
      ],
    );
    assert.equal(blocked?.key, 'db');
    assert.equal(read({ readOnly: false, db: 3 }).blocked, undefined);
  });

  it('an invalid workspace value of db, port or host connects to nothing until it is fixed, never to the user value (another server or database), naming the setting and the scope', () => {
    const layered = (key: SettingKey, workspace: unknown, user: unknown): Read =>
      readSettings(
        (k) => (k === key ? workspace : undefined),
        (k) =>
          k === key
            ? [
                { scope: 'folder', value: undefined },
                { scope: 'workspace', value: workspace },
                { scope: 'user', value: user },
              ]
            : [],
      );
    const db = layered('db', '3', 0);
    assert.equal(db.blocked?.key, 'db');
    assert.deepEqual(
      db.problems.map((p) => p.message),
      [
        'The setting sharedRedis.db in the workspace settings must be a whole number from 0 to 15; until it is fixed the extension connects to no Redis (never to another server or database).',
      ],
    );
    assert.equal(db.blocked?.message, db.problems[0]?.message);
    const port = layered('port', 70000, 6380);
    assert.equal(port.blocked?.key, 'port');
    assert.equal(port.problems.length, 1);
    assert.match(
      port.blocked?.message ?? '',
      /^The setting sharedRedis\.port in the workspace settings must be .* connects to no Redis/,
    );
    const host = layered('host', 'dev-redis.local:6380', 'prod-redis.example');
    assert.equal(host.blocked?.key, 'host');
    assert.notEqual(host.values.host, 'prod-redis.example');
    assert.equal(host.problems.length, 1);
    assert.match(
      host.blocked?.message ?? '',
      /^The setting sharedRedis\.host in the workspace settings must be a host name or IP address only\b.*; until it is fixed the extension connects to no Redis \(never to another server or database\)\.$/,
    );
    const leaked = ['dev-redis', 'prod-redis', '6380', '127.0.0.1'].filter((p) =>
      (host.blocked?.message ?? '').includes(p),
    );
    assert.deepEqual(leaked, []);
    const url = layered('host', 'redis://app:S3cretPw@10.0.0.5', 'redis.internal');
    assert.equal(url.blocked?.key, 'host');
    assert.ok(!(url.blocked?.message ?? '').includes('S3cretPw'));
    // Neither scope valid: still blocked, naming the most specific scope.
    const none = layered('db', '3', 'three');
    assert.equal(none.blocked?.key, 'db');
    assert.match(
      none.blocked?.message ?? '',
      /^The setting sharedRedis\.db in the workspace settings must be .* connects to no Redis/,
    );
    // Valid in the most specific scope: used, nothing blocked.
    const fine = layered('db', 3, 'three');
    assert.equal(fine.values.db, 3);
    assert.equal(fine.blocked, undefined);
    // readOnly never gives way to a lower "false".
    const readOnly = layered('readOnly', 'true', false);
    assert.equal(readOnly.values.readOnly, true);
    assert.equal(readOnly.blocked, undefined);
    assert.match(
      readOnly.problems[0]?.message ?? '',
      /^The setting sharedRedis\.readOnly in the workspace settings must be true or false; until it is fixed the extension is read-only/,
    );
  });

  it('takes composeFile as one path or a list of paths', () => {
    assert.equal(read({ composeFile: ' stack/compose.yml ' }).values.composeFile, 'stack/compose.yml');
    assert.deepEqual(read({ composeFile: ['a.yml', ' ', 'b.yml'] }).values.composeFile, ['a.yml', 'b.yml']);
    const bad = read({ composeFile: [1] });
    assert.equal(bad.values.composeFile, '');
    assert.match(bad.problems[0]?.message ?? '', /sharedRedis\.composeFile must be a path, or a list of paths/);
  });

  it('leaves out malformed namespace entries, saying which, and keeps the rest', () => {
    const { values, problems } = read({
      namespaces: [
        { name: 'auth' },
        { owner: 'x' },
        { name: 'billing', cache: 'yes' },
        { name: ' orders ', ttlRequired: true },
      ],
    });
    assert.deepEqual(
      values.namespaces.map((n) => [n.name, n.cache]),
      [
        ['auth', false],
        ['orders', true],
      ],
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /^sharedRedis\.namespaces\[1\], \[2\]: each entry needs a "name"/);
    assert.deepEqual(read({ namespaces: 'auth' }).values.namespaces, []);
    assert.match(read({ namespaces: 'auth' }).problems[0]?.message ?? '', /must be a list/);
  });

  it('keeps the first of two entries that declare one namespace, saying which was left out (each view lists a namespace once)', () => {
    const { values, problems } = read({
      namespaces: [{ name: 'auth', owner: 'Auth Service' }, { name: 'user' }, { name: ' auth ', cache: true }],
    });
    assert.deepEqual(
      values.namespaces.map((n) => [n.name, n.owner, n.cache]),
      [
        ['auth', 'Auth Service', false],
        ['user', undefined, false],
      ],
    );
    assert.deepEqual(
      problems.map((p) => p.message),
      [
        'sharedRedis.namespaces[2] declares "auth" again, as [0] does: each namespace is declared once; [2] is ignored (merge what it adds into [0]).',
      ],
    );
  });

  it('says which settings changed, by value', () => {
    const before = read({}).values;
    assert.deepEqual([...changedSettings(before, read({}).values)], []);
    assert.deepEqual([...changedSettings(before, read({ port: 6380, namespaces: [{ name: 'auth' }] }).values)].sort(), [
      'namespaces',
      'port',
    ]);
    // The same value written out is no change.
    assert.deepEqual([...changedSettings(before, read({ delimiter: ':', scanCount: 1000 }).values)], []);
  });
});
