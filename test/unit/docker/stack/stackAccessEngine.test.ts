import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Docker from 'dockerode';
import Redis from 'ioredis';
import type { EngineConnection } from '../../../../src/docker/engine';
import { reloadAcl } from '../../../../src/redis/acl/reload';
import { serviceUser } from '../../../../src/redis/acl/rules';
import { addServicePasswords, readStackAccess, stackAclFile, syncAclFile } from '../../../../src/docker/stack/serviceAccess';
import { redisPassword, StackController, StackSettings } from '../../../../src/docker/stack/stackController';
import { requireEngine } from '../../../support/engine';
import { freePort } from '../../../support/redisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, projectResources, StackFixture, stackFixture } from '../../../support/stackFixture';

function settingsOf(fixture: StackFixture, env: NodeJS.ProcessEnv): StackSettings {
  return { location: { composeFile: fixture.composeFile, envFile: `${fixture.dir}/.env`, source: 'setting' }, bundledStackDir: BUNDLED_STACK, projectName: fixture.project, policy: DEFAULT_POLICY, env };
}

/** Debian's docker-compose (Compose v1) in the fixture's folder, as a teammate would run it. */
function compose(fixture: StackFixture, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('docker-compose', ['-p', fixture.project, ...args], { cwd: fixture.dir, encoding: 'utf8', env: { ...process.env, REDIS_PASSWORD: undefined } as NodeJS.ProcessEnv });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * The stack mounts the `acl` folder, so users.acl can be replaced whole (written beside
 * it, renamed into place) and a running Redis still reads the new file on ACL LOAD; and
 * a missing folder fails the start instead of turning into an empty directory.
 */
/** A stack folder as a team might have it before Create Stack or Start wrote its acl folder. */
function withoutAcl(fixture: StackFixture): StackFixture {
  rmSync(dirname(stackAclFile(fixture.dir)), { recursive: true, force: true });
  return fixture;
}

describe('the stack\'s users.acl and REDIS_PASSWORD, on the real engine with docker-compose', function () {
  this.timeout(180_000);
  let engine: EngineConnection | undefined;
  let docker: Docker;
  const fixtures: StackFixture[] = [];
  before(async function () {
    engine = await requireEngine(this);
    if (engine) docker = engine.docker;
  });
  after(async () => { for (const f of fixtures) await f.cleanup(docker); });

  it('docker-compose up without users.acl fails clearly and creates no directory in its place', async () => {
    const fixture = withoutAcl(stackFixture(await freePort()));
    fixtures.push(fixture);
    const up = compose(fixture, 'up', '-d');
    assert.notEqual(up.status, 0, up.output);
    assert.match(up.output, /bind source path does not exist|No such file or directory|users\.acl/, up.output);
    assert.ok(!existsSync(dirname(stackAclFile(fixture.dir))) && !existsSync(`${fixture.dir}/users.acl`), 'the engine made no directory where the ACL belongs');
  });

  it('a user added while Redis runs (users.acl renamed into place) logs in after ACL LOAD, with no restart', async () => {
    const fixture = withoutAcl(stackFixture(await freePort()));
    fixtures.push(fixture);
    const files = { envFile: `${fixture.dir}/.env`, aclFile: stackAclFile(fixture.dir) };
    assert.equal(syncAclFile(files, DEFAULT_POLICY), 'created');
    assert.ok(lstatSync(files.aclFile).isFile());
    const up = compose(fixture, 'up', '-d');
    assert.equal(up.status, 0, up.output);
    const [container] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${fixture.project}`] } });
    assert.ok(container);
    const inodeBefore = statSync(files.aclFile).ino;

    addServicePasswords(files.envFile, ['auth']);
    assert.equal(syncAclFile(files, DEFAULT_POLICY), 'updated');
    assert.notEqual(statSync(files.aclFile).ino, inodeBefore, 'replaced by a rename, not rewritten in place');
    const endpoint = { host: '127.0.0.1', port: fixture.port, db: 0, tls: false };
    // Redis may still be loading right after `up -d`: ACL LOAD is retried until it answers.
    for (let attempt = 1; ; attempt++) {
      try { await reloadAcl(endpoint, fixture.password); break; } catch (error) { if (attempt >= 50) throw error; await new Promise((r) => setTimeout(r, 200)); }
    }
    const password = readStackAccess(files, DEFAULT_POLICY).services.find((s) => s.user.namespace === 'auth')?.password;
    const client = new Redis({ host: '127.0.0.1', port: fixture.port, username: serviceUser('auth').username, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      assert.equal(await client.set('auth:session:1', 'v'), 'OK');
    } finally {
      client.disconnect();
    }
    const [after] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${fixture.project}`] } });
    assert.equal(after?.Id, container.Id, 'the same container');
    assert.equal((await docker.getContainer(container.Id).inspect()).RestartCount, 0);
  });

  // REDIS_PASSWORD in the process environment wins over .env in Compose's interpolation (the
  // healthcheck's REDISCLI_AUTH), while users.acl is written from .env: Start refuses, saying which wins and why.
  for (const [what, environment] of [['a different value', 'another-password-from-the-shell-0123456789'], ['an empty value', '']] as const) {
    it(`${what} in the environment: Start refuses with one message naming both places, and nothing is created or written`, async () => {
      const fixture = withoutAcl(stackFixture(await freePort()));
      fixtures.push(fixture);
      const controller = new StackController(docker);
      let message = '';
      try {
        await controller.start(settingsOf(fixture, { REDIS_PASSWORD: environment }));
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      assert.match(message, /^REDIS_PASSWORD is set in the environment VS Code was started from/, message);
      assert.ok(message.includes(`${fixture.dir}/.env`), message);
      assert.match(message, /Compose takes the environment's value/);
      assert.ok(!message.includes(fixture.password) && (environment === '' || !message.includes(environment)), 'no password in the message');
      assert.deepEqual(await projectResources(docker, fixture.project), { containers: 0, networks: 0, volumes: 0 });
      assert.ok(!existsSync(stackAclFile(fixture.dir)), 'users.acl was not written');
    });
  }

  it('the same value in both places starts as usual (no engine work needed to see the agreement)', async () => {
    const fixture = stackFixture(await freePort());
    fixtures.push(fixture);
    const controller = new StackController(docker);
    const project = await controller.load(settingsOf(fixture, { REDIS_PASSWORD: fixture.password }));
    // The extension logs in with the value users.acl was made from: .env's.
    assert.equal(redisPassword(project, { REDIS_PASSWORD: fixture.password }), fixture.password);
    assert.equal(readFileSync(`${fixture.dir}/.env`, 'utf8').includes(fixture.password), true);
  });
});
