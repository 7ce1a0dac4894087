import * as assert from 'node:assert/strict';
import { parseDuration } from '../../../../src/docker/compose/duration';
import { canonicalJson, configHash } from '../../../../src/docker/compose/hash';
import { dependencyOrder } from '../../../../src/docker/compose/order';
import { enabledProfiles, isServiceEnabled } from '../../../../src/docker/compose/profiles';
import {
  isValidProjectName,
  normalizeProjectName,
  ProjectNameError,
  resolveProjectName,
} from '../../../../src/docker/compose/projectName';
import { parsePortSpec } from '../../../../src/docker/compose/schema/ports';
import { splitShellWords } from '../../../../src/docker/compose/shellwords';

describe('splitShellWords', () => {
  it('splits on blanks and honours quotes and backslashes like a shell', () => {
    assert.deepEqual(splitShellWords('redis-server --appendonly yes'), ['redis-server', '--appendonly', 'yes']);
    assert.deepEqual(splitShellWords('  sh   -c  "redis-cli -a \\"$$P\\" ping"  '), [
      'sh',
      '-c',
      'redis-cli -a "$$P" ping',
    ]);
    assert.deepEqual(splitShellWords(`echo 'single "kept" \\n' a\\ b "" x`), [
      'echo',
      'single "kept" \\n',
      'a b',
      '',
      'x',
    ]);
    assert.deepEqual(splitShellWords('echo "back\\\\slash \\n"'), ['echo', 'back\\slash \\n']);
    assert.deepEqual(splitShellWords('a"b"\'c\'d'), ['abcd']);
    assert.deepEqual(splitShellWords(''), []);
  });

  it('refuses unterminated quotes and a trailing backslash', () => {
    assert.throws(() => splitShellWords('echo "open'), /unterminated double quote/);
    assert.throws(() => splitShellWords("echo 'open"), /unterminated single quote/);
    assert.throws(() => splitShellWords('echo \\'), /lone backslash/);
  });
});

describe('parseDuration', () => {
  it('reads Compose (Go) durations in nanoseconds', () => {
    assert.equal(parseDuration('5s'), 5e9);
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('500ms'), 5e8);
    assert.equal(parseDuration('1h2m3s4ms5us6ns'), 3723004005006);
    assert.equal(parseDuration('1.5s'), 1.5e9);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('10µs'), 10000);
    assert.equal(parseDuration('10μs'), 10000); // Greek mu, as Go's time.ParseDuration takes it
  });

  it('refuses anything else', () => {
    for (const text of ['5', '', 's', '5 s', '5d', '-5s', '1m30', 'abc']) {
      assert.equal(parseDuration(text), undefined, text);
    }
  });
});

describe('parsePortSpec', () => {
  it('reads the short syntax forms', () => {
    assert.deepEqual(parsePortSpec('127.0.0.1:6379:6379'), [
      { target: 6379, published: '6379', hostIp: '127.0.0.1', protocol: 'tcp' },
    ]);
    assert.deepEqual(parsePortSpec('6380:6379'), [{ target: 6379, published: '6380', protocol: 'tcp' }]);
    assert.deepEqual(parsePortSpec('6379'), [{ target: 6379, protocol: 'tcp' }]);
    assert.deepEqual(parsePortSpec('6379/udp'), [{ target: 6379, protocol: 'udp' }]);
    assert.deepEqual(parsePortSpec('127.0.0.1::6379'), [{ target: 6379, hostIp: '127.0.0.1', protocol: 'tcp' }]);
    assert.deepEqual(parsePortSpec('[::1]:6379:6379/tcp'), [
      { target: 6379, published: '6379', hostIp: '::1', protocol: 'tcp' },
    ]);
    assert.deepEqual(parsePortSpec('::1:6379:6379'), [
      { target: 6379, published: '6379', hostIp: '::1', protocol: 'tcp' },
    ]);
  });

  it('maps ranges one to one, or a host range onto one port', () => {
    assert.deepEqual(parsePortSpec('127.0.0.1:7000-7001:8000-8001'), [
      { target: 8000, published: '7000', hostIp: '127.0.0.1', protocol: 'tcp' },
      { target: 8001, published: '7001', hostIp: '127.0.0.1', protocol: 'tcp' },
    ]);
    assert.deepEqual(parsePortSpec('8000-8010:80'), [{ target: 80, published: '8000-8010', protocol: 'tcp' }]);
    assert.deepEqual(parsePortSpec('9000-9001'), [
      { target: 9000, protocol: 'tcp' },
      { target: 9001, protocol: 'tcp' },
    ]);
  });

  it('says what is wrong with a bad one', () => {
    assert.equal(parsePortSpec('70000:6379'), 'port 70000 is out of range 0-65535');
    assert.equal(parsePortSpec('6379:0'), 'port 0 is out of range 1-65535');
    assert.equal(parsePortSpec('localhost:6379:6379'), '"localhost" is not an IP address');
    assert.equal(parsePortSpec('6379/http'), 'unknown protocol "http" (tcp, udp or sctp)');
    assert.equal(parsePortSpec('1-3:1-2'), 'the host and container port ranges differ in length');
    assert.equal(parsePortSpec('abc'), '"abc" is not a port or a port range');
    assert.equal(parsePortSpec('9-8'), 'the range 9-8 ends before it starts');
  });
});

describe('project names', () => {
  it('normalises as Compose does', () => {
    assert.equal(normalizeProjectName('Shared Redis'), 'sharedredis');
    assert.equal(normalizeProjectName('My_Stack-2'), 'my_stack-2');
    assert.equal(normalizeProjectName('__-.dotted.name'), 'dottedname');
    assert.equal(normalizeProjectName('Ünïcode'), 'ncode');
    assert.equal(normalizeProjectName('***'), '');
    assert.ok(isValidProjectName('shared-redis'));
    assert.ok(!isValidProjectName('-x'));
    assert.ok(!isValidProjectName('Upper'));
  });

  it('takes the option, then COMPOSE_PROJECT_NAME, then name:, then the folder', () => {
    const workingDir = '/work/Shared Redis';
    assert.deepEqual(resolveProjectName({ explicit: 'opt', environment: 'env', fromFile: 'file', workingDir }), {
      name: 'opt',
      source: 'option',
    });
    assert.deepEqual(resolveProjectName({ environment: 'env', fromFile: 'file', workingDir }), {
      name: 'env',
      source: 'COMPOSE_PROJECT_NAME',
    });
    assert.deepEqual(resolveProjectName({ environment: '', fromFile: 'My File', workingDir }), {
      name: 'myfile',
      source: 'name',
    });
    assert.deepEqual(resolveProjectName({ fromFile: '!!', workingDir }), { name: 'sharedredis', source: 'folder' });
  });

  it('refuses an explicit name that is not valid, suggesting the normalised one', () => {
    assert.throws(
      () => resolveProjectName({ explicit: 'My Stack', workingDir: '/x' }),
      (error: unknown) => {
        assert.ok(error instanceof ProjectNameError);
        assert.equal(
          error.message,
          'invalid project name "My Stack" (the project name option): it must contain only lowercase letters, digits, "-" and "_", and start with a letter or digit; "mystack" would do',
        );
        return true;
      },
    );
    assert.throws(
      () => resolveProjectName({ workingDir: '/tmp/...' }),
      /cannot make a project name out of the folder name "..."/,
    );
  });
});

describe('profiles', () => {
  it('joins COMPOSE_PROFILES and explicit profiles', () => {
    assert.deepEqual(enabledProfiles(' commander, debug ,,', ['debug', 'extra']), ['commander', 'debug', 'extra']);
    assert.deepEqual(enabledProfiles(undefined), []);
  });

  it('enables services without profiles always, others when a profile (or *) is on', () => {
    assert.ok(isServiceEnabled([], []));
    assert.ok(!isServiceEnabled(['commander'], []));
    assert.ok(isServiceEnabled(['commander', 'ui'], ['ui']));
    assert.ok(isServiceEnabled(['commander'], ['*']));
  });
});

describe('dependencyOrder', () => {
  it('puts dependencies first and keeps file order otherwise', () => {
    const deps: Record<string, string[]> = { web: ['api'], api: ['redis', 'db'], db: [], redis: [], tool: [] };
    assert.deepEqual(
      dependencyOrder(['web', 'api', 'db', 'redis', 'tool'], (n) => deps[n] ?? []),
      { order: ['db', 'redis', 'api', 'web', 'tool'] },
    );
  });

  it('finds a cycle', () => {
    const deps: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: [] };
    assert.deepEqual(
      dependencyOrder(['d', 'a', 'b', 'c'], (n) => deps[n] ?? []),
      { cycle: ['a', 'b', 'c', 'a'] },
    );
    assert.deepEqual(
      dependencyOrder(['self'], () => ['self']),
      { cycle: ['self', 'self'] },
    );
  });
});

describe('config hash', () => {
  it('is canonical: key order does not matter, values do', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ y: 2, x: undefined, z: 'q' }] }), '{"a":[{"y":2,"z":"q"}],"b":1}');
    assert.equal(configHash({ a: 1, b: { c: 2, d: 3 } }), configHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(configHash({ a: 1 }), configHash({ a: 2 }));
    assert.match(configHash({}), /^[0-9a-f]{64}$/);
  });
});
