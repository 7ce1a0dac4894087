import * as assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { ComposeFileError } from '../../../../src/docker/compose/errors';
import { loadComposeProject } from '../../../../src/docker/compose/load';
import { envFileFix, fillEnvFile, writeMissingEnvFile } from '../../../../src/docker/stack/checkoutEnv';
import { StackLocation } from '../../../../src/docker/stack/location';
import { BUNDLED_CLUSTER_STACK, BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

/**
 * A teammate's checkout of a workspace stack: `shared-redis/docker-compose.yml` is committed,
 * its `.env` (generated passwords) never is, so the compose file fails on
 * `${REDIS_PASSWORD:?…}`, whose message says "the extension generates one".
 */
describe("a checkout of the team's stack without its .env", () => {
  let root: string;
  let dir: string;
  let stack: StackLocation;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'checkout-env-'));
    dir = join(root, 'shared-redis');
    mkdirSync(dir);
    stack = {
      composeFile: join(dir, 'docker-compose.yml'),
      composeFiles: [join(dir, 'docker-compose.yml')],
      envFile: join(dir, '.env'),
      source: 'workspace',
    };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** The .env to create, when the fix is to create it. */
  const missingEnvFile = (error: unknown, at: StackLocation, env: NodeJS.ProcessEnv): string | undefined => {
    const fix = envFileFix(error, at, env);
    return fix && !fix.exists ? fix.file : undefined;
  };

  const loadError = async (env: NodeJS.ProcessEnv = {}): Promise<unknown> =>
    loadComposeProject([stack.composeFile], { envFile: stack.envFile, env }).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('is recognised, and its .env is written 0600 with new passwords only; the compose file then loads', async () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    const compose = readFileSync(stack.composeFile);
    const error = await loadError();
    assert.equal(missingEnvFile(error, stack, {}), stack.envFile);

    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), true);
    assert.equal(statSync(stack.envFile).mode & 0o777, 0o600);
    const values = parseDotenv(readFileSync(stack.envFile, 'utf8'));
    // Only the passwords: the compose file's own defaults (port, image, memory) stay in force.
    assert.deepEqual(Object.keys(values).sort(), [
      'COMMANDER_PASSWORD',
      'REDIS_PASSWORD',
      'REDIS_SERVICE_PASSWORD_AUTH',
      'REDIS_SERVICE_PASSWORD_SHARED',
      'REDIS_SERVICE_PASSWORD_USER',
    ]);
    for (const [key, value] of Object.entries(values)) assert.ok((value ?? '').length >= 32, `${key} is a long password`);
    assert.equal(new Set(Object.values(values)).size, 5, 'each password its own');
    assert.deepEqual(readdirSync(dir).sort(), ['.env', 'docker-compose.yml'], 'nothing else is written, no temporary file');
    assert.ok(readFileSync(stack.composeFile).equals(compose), 'the compose file is unchanged');
    assert.equal(await loadError(), undefined, 'the compose file loads now');
  });

  it('a cluster stack gets no Redis Commander password (its compose file has none)', async () => {
    copyFileSync(join(BUNDLED_CLUSTER_STACK, 'docker-compose.yml'), stack.composeFile);
    assert.equal(missingEnvFile(await loadError(), stack, {}), stack.envFile);
    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), true);
    const values = parseDotenv(readFileSync(stack.envFile, 'utf8'));
    assert.ok(values['REDIS_PASSWORD']);
    assert.equal(values['COMMANDER_PASSWORD'], undefined);
    assert.equal(await loadError(), undefined);
  });

  it("also writes a service's password the compose file names and the settings do not declare; a variable of the team's own is then named", async () => {
    writeFileSync(
      stack.composeFile,
      'services:\n  redis:\n    image: redis\n    environment:\n' +
        '      A: ${REDIS_PASSWORD:?set it}\n      B: ${REDIS_SERVICE_PASSWORD_BILLING:?set it}\n      C: ${TEAM_TOKEN:?ask the team lead}\n',
    );
    assert.equal(missingEnvFile(await loadError(), stack, {}), stack.envFile);
    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), true);
    assert.ok(parseDotenv(readFileSync(stack.envFile, 'utf8'))['REDIS_SERVICE_PASSWORD_BILLING']);
    const next = await loadError();
    assert.ok(next instanceof ComposeFileError);
    assert.deepEqual(
      next.problems.map((problem) => problem.variable),
      ['TEAM_TOKEN'],
    );
  });

  it('is not offered where a new .env would not help or would replace something', async () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    const error = await loadError();
    // The process environment's empty REDIS_PASSWORD wins over any .env (Compose's order).
    assert.equal(missingEnvFile(await loadError({ REDIS_PASSWORD: '' }), stack, { REDIS_PASSWORD: '' }), undefined);
    // The bundled stack writes its own .env.
    assert.equal(missingEnvFile(error, { ...stack, source: 'bundled' }, {}), undefined);
    // A variable of the team's own: the extension cannot know its value.
    writeFileSync(stack.composeFile, 'services:\n  redis:\n    image: ${TEAM_IMAGE:?set TEAM_IMAGE}\n');
    assert.equal(missingEnvFile(await loadError(), stack, {}), undefined);
    // A folder where .env belongs.
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    mkdirSync(stack.envFile);
    assert.equal(envFileFix(await loadError(), stack, {}), undefined);
  });

  it('a .env that leaves the passwords empty or out gets them written in, every other byte kept', async () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    const before = '# the team\'s notes\r\nREDIS_PORT=6390\r\nexport REDIS_PASSWORD=""\r\nREDIS_IMAGE=redis:7.2-alpine';
    writeFileSync(stack.envFile, before, { mode: 0o644 });
    const fix = envFileFix(await loadError(), stack, {});
    assert.deepEqual(fix, { file: stack.envFile, exists: true, passwords: ['REDIS_PASSWORD', 'COMMANDER_PASSWORD'] });

    assert.equal(fillEnvFile(fix), true);
    const after = readFileSync(stack.envFile, 'utf8');
    const password = /^export REDIS_PASSWORD=(\S+)\r$/m.exec(after)?.[1] ?? '';
    const commander = /^COMMANDER_PASSWORD=(\S+)\r$/m.exec(after)?.[1] ?? '';
    assert.ok(password.length >= 32 && commander.length >= 32 && password !== commander);
    assert.equal(
      after,
      `# the team's notes\r\nREDIS_PORT=6390\r\nexport REDIS_PASSWORD=${password}\r\nREDIS_IMAGE=redis:7.2-alpine\r\nCOMMANDER_PASSWORD=${commander}\r\n`,
    );
    assert.equal(statSync(stack.envFile).mode & 0o777, 0o600, 'it holds passwords now: readable by its owner only');
    assert.equal(await loadError(), undefined);
    assert.equal(parseDotenv(after)['REDIS_PORT'], '6390');

    // A second click (another window filled it in meanwhile): nothing changes.
    assert.equal(fillEnvFile(fix), false);
    assert.equal(readFileSync(stack.envFile, 'utf8'), after);
  });


  it('fills a password as the parser reads the file: not inside a quoted value, the last of two definitions, in a value that refers to it, in CRLF', () => {
    const fill = (text: string): Record<string, string> => {
      writeFileSync(stack.envFile, text, { mode: 0o600 });
      assert.equal(fillEnvFile({ file: stack.envFile, exists: true, passwords: ['REDIS_PASSWORD'] }), true);
      return parseDotenv(readFileSync(stack.envFile, 'utf8'));
    };
    const quoted = fill('NOTE="first\nREDIS_PASSWORD=\nlast"\nREDIS_PORT=1\n');
    assert.equal(quoted['NOTE'], 'first\nREDIS_PASSWORD=\nlast', "the quoted value is the team's, untouched");
    assert.ok((quoted['REDIS_PASSWORD'] ?? '').length >= 32);

    const twice = fill('REDIS_PASSWORD=\nA=1\nREDIS_PASSWORD=\n');
    assert.ok((twice['REDIS_PASSWORD'] ?? '').length >= 32, 'the definition Compose uses holds it');

    const referring = fill('REDIS_PASSWORD=\nURL=redis://:${REDIS_PASSWORD}@cache:6379\n');
    assert.equal(referring['URL'], `redis://:${referring['REDIS_PASSWORD'] ?? '?'}@cache:6379`);

    fill('A=1\r\n');
    assert.match(readFileSync(stack.envFile, 'utf8'), /^A=1\r\nREDIS_PASSWORD=\S+\r\n$/);
  });

  it('never replaces a .env that appeared meanwhile, nor a link to a file that does not exist', async () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    // Another window wrote it between the view's row and the click.
    writeFileSync(stack.envFile, 'REDIS_PASSWORD=written-by-another-window\n', { mode: 0o600 });
    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), false);
    assert.equal(readFileSync(stack.envFile, 'utf8'), 'REDIS_PASSWORD=written-by-another-window\n');
    rmSync(stack.envFile);
    // A link into a secrets folder that is not mounted: the link stays, nothing is written through it.
    const target = join(root, 'secrets', 'redis.env');
    symlinkSync(target, stack.envFile);
    assert.equal(missingEnvFile(await loadError(), stack, {}), undefined);
    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), false);
    assert.deepEqual(readdirSync(dir).sort(), ['.env', 'docker-compose.yml']);
    assert.throws(() => statSync(target));
  });

  it('on a file system without hard links it is created in place, still never over another file', async () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    // A fake: FAT, exFAT and some network mounts refuse link(2); this machine's file systems
    // do not, and it has no tool to make one. The module object the code under test calls.
    const fs = createRequire(__filename)('node:fs') as typeof import('node:fs');
    const link = fs.linkSync;
    Object.assign(fs, {
      linkSync: () => {
        throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
      },
    });
    try {
      assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), true);
      assert.equal(statSync(stack.envFile).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir).sort(), ['.env', 'docker-compose.yml']);
      assert.equal(await loadError(), undefined);
      const written = readFileSync(stack.envFile, 'utf8');
      assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), false);
      assert.equal(readFileSync(stack.envFile, 'utf8'), written);
    } finally {
      Object.assign(fs, { linkSync: link });
    }
  });

  it('removes the temporary files a crash left beside it (they hold passwords), not one being written now', () => {
    copyFileSync(join(BUNDLED_STACK, 'docker-compose.yml'), stack.composeFile);
    const crashed = join(dir, '..env.0123456789ab.tmp');
    const writing = join(dir, '..env.ba9876543210.tmp');
    writeFileSync(crashed, 'REDIS_PASSWORD=left-by-a-crash\n', { mode: 0o600 });
    writeFileSync(writing, 'REDIS_PASSWORD=another-window\n', { mode: 0o600 });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(crashed, anHourAgo, anHourAgo);
    assert.equal(writeMissingEnvFile(stack, DEFAULT_POLICY), true);
    assert.deepEqual(readdirSync(dir).sort(), ['..env.ba9876543210.tmp', '.env', 'docker-compose.yml']);
  });
});
