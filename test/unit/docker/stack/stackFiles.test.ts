import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareBundledStack, resolveStackLocation, writeStackFiles } from '../../../../src/docker/stack/location';
import { addServicePasswords, stackAclFile, syncAclFile } from '../../../../src/docker/stack/serviceAccess';
import { BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

const mode = (file: string): number => statSync(file).mode & 0o777;
const SERVICE_ACCESS = resolve(__dirname, '../../../../src/docker/stack/serviceAccess.js');

/**
 * Runs `call` of serviceAccess in a child process whose files may not grow past `limitKb`
 * (bash's `ulimit -f`): the kernel fails the write that crosses it with EFBIG, a real
 * write failing midway (as on a full disk), and the child dies of the exception.
 */
function runWithFileSizeLimit(limitKb: number, call: string): { status: number | null; stderr: string } {
  const script = `const access = require(${JSON.stringify(SERVICE_ACCESS)}); ${call}`;
  const result = spawnSync('bash', ['-c', `ulimit -f ${limitKb}; exec "${process.execPath}" -e "$0"`, script], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('the stack\'s secret files: private, and never half written', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'stack-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a new stack: .env is 0600, users.acl sits in its own folder (the container mounts the folder)', () => {
    writeStackFiles(BUNDLED_STACK, dir, DEFAULT_POLICY);
    assert.equal(mode(join(dir, '.env')), 0o600);
    assert.equal(stackAclFile(dir), join(dir, 'acl', 'users.acl'));
    assert.match(readFileSync(stackAclFile(dir), 'utf8'), /^user default on #/);
    // Only hashes, read by the container's unprivileged redis user through the mount: not writable by others.
    assert.equal(mode(stackAclFile(dir)), 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ['.env', 'acl', 'docker-compose.yml']);
  });

  it('the bundled stack of an older release copies its users.acl, hand-added users and all, into the acl folder', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: dir });
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    const stackDir = join(dir, 'shared-redis');
    const current = readFileSync(stackAclFile(stackDir), 'utf8');
    // As an older release left it: the compose file mounting ./users.acl, that file beside it.
    renameSync(stackAclFile(stackDir), join(stackDir, 'users.acl'));
    rmSync(join(stackDir, 'acl'), { recursive: true });
    writeFileSync(join(stackDir, 'users.acl'), `${current}user reporting on #abc ~report:* +@read\n`);
    writeFileSync(location.composeFile, '# the older release\'s file\n');
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    assert.equal(readFileSync(stackAclFile(stackDir), 'utf8'), `${current}user reporting on #abc ~report:* +@read\n`);
    // The old file stays: the container made by the older release bind-mounts it alone.
    assert.equal(readFileSync(join(stackDir, 'users.acl'), 'utf8'), `${current}user reporting on #abc ~report:* +@read\n`);
    assert.deepEqual(readdirSync(stackDir).sort(), ['.env', 'acl', 'docker-compose.yml', 'users.acl']);
  });

  it('a folder where users.acl belongs (the engine made it for a missing file) is named plainly, and nothing is written', () => {
    writeStackFiles(BUNDLED_STACK, dir, DEFAULT_POLICY);
    const files = { envFile: join(dir, '.env'), aclFile: join(dir, 'users.acl'), aclMountedAlone: true };
    mkdirSync(files.aclFile);
    assert.throws(() => syncAclFile(files, DEFAULT_POLICY), {
      message: `${files.aclFile} is a folder, not the ACL file: the Docker engine made it when the stack was started without that file. Stop the stack, remove the empty folder, and start the stack from VS Code, which writes the file first.`,
    });
    assert.deepEqual(readdirSync(files.aclFile), []);
  });

  it('appending service passwords to a .env that was readable by everyone makes it 0600', () => {
    const env = join(dir, '.env');
    writeFileSync(env, '# mine\nREDIS_PASSWORD=first-password-0123456789abcdef0123\n');
    chmodSync(env, 0o644);
    addServicePasswords(env, ['auth']);
    assert.equal(mode(env), 0o600);
    assert.match(readFileSync(env, 'utf8'), /^# mine\nREDIS_PASSWORD=first-password-0123456789abcdef0123\nREDIS_SERVICE_PASSWORD_AUTH=.{48}\n$/);
  });

  it('a write to .env that fails midway leaves the old .env, whole', () => {
    const env = join(dir, '.env');
    const old = `# mine\nREDIS_PASSWORD=first-password-0123456789abcdef0123\n${'# padding line of the team\'s notes\n'.repeat(100)}`;
    writeFileSync(env, old, { mode: 0o600 });
    const namespaces = Array.from({ length: 400 }, (_, i) => `service${i}`);
    const run = runWithFileSizeLimit(16, `access.addServicePasswords(${JSON.stringify(env)}, ${JSON.stringify(namespaces)});`);
    assert.notEqual(run.status, 0, 'the write failed');
    assert.match(run.stderr, /EFBIG/);
    assert.equal(readFileSync(env, 'utf8'), old);
    assert.deepEqual(readdirSync(dir), ['.env'], 'no temporary file left behind');
  });

  it('a write to users.acl that fails midway leaves the old users.acl, whole', () => {
    writeStackFiles(BUNDLED_STACK, dir, DEFAULT_POLICY);
    const acl = stackAclFile(dir);
    const old = readFileSync(acl, 'utf8');
    const namespaces = Array.from({ length: 200 }, (_, i) => `service${i}`);
    addServicePasswords(join(dir, '.env'), namespaces);
    const policy = { declared: namespaces, delimiter: ':' };
    const run = runWithFileSizeLimit(16, `access.syncAclFile(${JSON.stringify({ envFile: join(dir, '.env'), aclFile: acl })}, ${JSON.stringify(policy)});`);
    assert.notEqual(run.status, 0, 'the write failed');
    assert.match(run.stderr, /EFBIG/);
    assert.equal(readFileSync(acl, 'utf8'), old);
    assert.deepEqual(readdirSync(join(dir, 'acl')), ['users.acl'], 'no temporary file left behind');
    // Without the limit the same call writes the whole new file.
    assert.equal(syncAclFile({ envFile: join(dir, '.env'), aclFile: acl }, policy), 'updated');
    assert.equal(readFileSync(acl, 'utf8').trim().split('\n').length, 205, 'default, operator, auth, user, shared and the 200 new services');
  });
});
