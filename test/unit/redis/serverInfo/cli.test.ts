import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  containerCliLaunch,
  findExecutable,
  localCliLaunch,
  redisCliInstallHint,
} from '../../../../src/redis/serverInfo';

describe('redis-cli launch', () => {
  const endpoint = { host: '10.0.0.5', port: 6380, db: 3, tls: false };

  it('puts the password in REDISCLI_AUTH and never in the arguments', () => {
    const launch = localCliLaunch({ ...endpoint, username: 'alice' }, 'se cret"pw');
    assert.deepEqual(launch.args, ['--no-raw', '-h', '10.0.0.5', '-p', '6380', '-n', '3', '--user', 'alice']);
    assert.deepEqual(launch.env, { REDISCLI_AUTH: 'se cret"pw' });
    assert.ok(!launch.args.some((arg) => arg.includes('se cret')));
    assert.ok(!launch.args.includes('-a'));
  });

  it('sets no REDISCLI_AUTH without a password, and asks for TLS when the endpoint uses it', () => {
    assert.deepEqual(localCliLaunch(endpoint, undefined).env, {});
    assert.deepEqual(localCliLaunch(endpoint, '').env, {});
    assert.deepEqual(localCliLaunch({ ...endpoint, tls: true }, undefined).args.slice(-3), [
      '--tls',
      '--sni',
      '10.0.0.5',
    ]);
  });

  it("inside the container talks to the container's own port, the password in the exec's Env", () => {
    const launch = containerCliLaunch(endpoint, 'pw');
    assert.deepEqual(launch.args, ['redis-cli', '-n', '3']);
    assert.deepEqual(launch.env, { REDISCLI_AUTH: 'pw' });
  });

  it('says how to get redis-cli', () => {
    assert.match(redisCliInstallHint('linux'), /apt-get install redis-tools/);
    assert.match(redisCliInstallHint('darwin'), /brew install redis/);
  });

  it('finds an executable on the PATH, skipping what is not executable', () => {
    const a = mkdtempSync(join(tmpdir(), 'cli-a-'));
    const b = mkdtempSync(join(tmpdir(), 'cli-b-'));
    try {
      writeFileSync(join(a, 'redis-cli'), 'not executable');
      chmodSync(join(a, 'redis-cli'), 0o644);
      writeFileSync(join(b, 'redis-cli'), '#!/bin/sh\n');
      chmodSync(join(b, 'redis-cli'), 0o755);
      assert.equal(findExecutable('redis-cli', [a, '', b].join(delimiter), 'linux'), join(b, 'redis-cli'));
      assert.equal(findExecutable('redis-cli', a, 'linux'), undefined);
      assert.equal(findExecutable('redis-cli', '', 'linux'), undefined);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
});
