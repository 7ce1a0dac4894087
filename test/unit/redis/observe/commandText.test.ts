import * as assert from 'node:assert/strict';
import { commandText, shortArgument } from '../../../../src/redis/observe/commandText';

describe('commands as the Slow Log and Denied Accesses show them', () => {
  it('redacts passwords of AUTH, HELLO, ACL SETUSER, CONFIG SET requirepass/masterauth and MIGRATE', () => {
    assert.equal(commandText(['auth', 'hunter2']), 'AUTH (redacted)');
    assert.equal(commandText(['AUTH', 'user-service', 'hunter2']), 'AUTH (redacted) (redacted)');
    assert.equal(
      commandText(['hello', '3', 'AUTH', 'svc', 'hunter2', 'SETNAME', 'x']),
      'HELLO 3 AUTH (redacted) (redacted) SETNAME x',
    );
    assert.equal(
      commandText(['acl', 'setuser', 'svc', 'on', '>hunter2', '~svc:*']),
      'ACL setuser svc (redacted) (redacted) (redacted)',
    );
    assert.equal(
      commandText(['config', 'set', 'maxmemory', '1gb', 'requirepass', 'hunter2', 'masterauth', 'm']),
      'CONFIG set maxmemory 1gb requirepass (redacted) masterauth (redacted)',
    );
    assert.equal(commandText(['CONFIG', 'SET', 'REQUIREPASS', 'hunter2']), 'CONFIG SET REQUIREPASS (redacted)');
    assert.equal(commandText(['migrate', 'h', '1', 'k', '0', '5', 'auth', 'pw']), 'MIGRATE h 1 k 0 5 auth (redacted)');
    for (const text of [
      commandText(['auth', 'hunter2']),
      commandText(['hello', '3', 'auth', 'u', 'hunter2']),
      commandText(['acl', 'setuser', 'u', '>hunter2']),
      commandText(['config', 'set', 'requirepass', 'hunter2']),
    ]) {
      assert.doesNotMatch(text, /hunter2/);
    }
  });

  it('hides a password typed in the user name slot of HELLO … AUTH and MIGRATE … AUTH2, as Redis and the profiler do', () => {
    // A server before 6.2 keeps these in SLOWLOG as sent; Redis 7 redacts both itself, so no real server here can show it.
    const hello = commandText(['hello', '3', 'AUTH', 'pw-typed-as-user', 'x']);
    const migrate = commandText(['migrate', 'h', '1', '', '0', '5', 'AUTH2', 'pw-typed-as-user', 'x', 'KEYS', 'k']);
    assert.doesNotMatch(hello, /typed-as-user/);
    assert.doesNotMatch(migrate, /typed-as-user/);
    assert.equal(migrate, 'MIGRATE h 1 "" 0 5 AUTH2 (redacted) (redacted) KEYS k');
  });

  it('reads MIGRATE as Redis does: a password that reads `auth2` is one argument, and the keys after it stay shown', () => {
    assert.equal(
      commandText(['migrate', 'h', '1', '', '0', '5', 'AUTH', 'auth2', 'KEYS', 'user:a', 'user:b']),
      'MIGRATE h 1 "" 0 5 AUTH (redacted) KEYS user:a user:b',
    );
    assert.equal(
      commandText(['migrate', 'h', '1', '', '0', '5', 'AUTH2', 'auth', 'auth2', 'KEYS', 'user:a']),
      'MIGRATE h 1 "" 0 5 AUTH2 (redacted) (redacted) KEYS user:a',
    );
  });

  it('redacts the password of HELLO … AUTH after a SETNAME whose name is `auth`', () => {
    // As a server that does not redact keeps it in SLOWLOG (Redis 7 redacts it itself).
    const text = commandText(['hello', '3', 'SETNAME', 'auth', 'AUTH', 'auth-service', 'hunter2']);
    assert.doesNotMatch(text, /hunter2/);
    assert.equal(text, 'HELLO 3 SETNAME auth AUTH (redacted) (redacted)');
  });

  it("keeps Redis's own (redacted) marker and other commands' arguments", () => {
    assert.equal(commandText(['auth', '(redacted)', '(redacted)']), 'AUTH (redacted) (redacted)');
    assert.equal(commandText(['keys', 'user:*']), 'KEYS user:*');
    assert.equal(commandText(['get', 'auth:session:42']), 'GET auth:session:42');
    assert.equal(commandText([]), '');
  });

  it('cuts long arguments with their full size, also those the server already cut', () => {
    assert.equal(shortArgument('a'.repeat(300), 10), 'aaaaaaaaaa…(300 bytes)');
    assert.equal(shortArgument(`${'a'.repeat(128)}... (172 more bytes)`, 10), 'aaaaaaaaaa…(300 bytes)');
    assert.equal(shortArgument('é'.repeat(50), 4), 'éééé…(100 bytes)');
    assert.equal(shortArgument(''), '""');
    assert.equal(shortArgument('two words'), '"two words"');
    assert.equal(shortArgument('a\r\nb'), 'a\\x0d\\x0ab');
  });

  it("shows so many arguments, and says how many more (the server's own count included)", () => {
    const del = ['del', ...Array.from({ length: 20 }, (_, i) => `k${i}`)];
    assert.equal(commandText(del, { maxArgs: 3 }), 'DEL k0 k1 k2 … (+17 more)');
    const cutByServer = ['del', ...Array.from({ length: 31 }, (_, i) => `k${i}`), '... (69 more arguments)'];
    assert.equal(commandText(cutByServer, { maxArgs: 2 }), 'DEL k0 k1 … (+98 more)');
  });
});
