import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBundledStack, resolveStackLocation, writeStackFiles } from '../../../../src/docker/stack/location';
import { BUNDLED_CLUSTER_STACK, BUNDLED_STACK, DEFAULT_POLICY } from '../../../support/stackFixture';

/** Every file and folder under `dir` (itself included) that others may write to: they could replace users.acl or .env. */
function writableByOthers(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    const stat = statSync(path);
    if ((stat.mode & 0o022) !== 0) found.push(`${path} (${(stat.mode & 0o777).toString(8)})`);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(dir);
  return found;
}

/**
 * A session started with umask 000 (some desktop launchers, a container's default) made the
 * stack's folders 0777: another user of the machine could rename their own users.acl into the
 * acl folder (a user with every key and their password) or replace .env.
 */
describe('stack files written under umask 000', () => {
  let root: string;
  let umask: number;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'umask-zero-'));
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  for (const [what, bundled] of [
    ['the stack', BUNDLED_STACK],
    ['the cluster stack', BUNDLED_CLUSTER_STACK],
  ] as const) {
    it(`${what}: no folder or file made is writable by others`, () => {
      const dir = join(root, 'team', 'redis');
      writeStackFiles(bundled, dir, DEFAULT_POLICY);
      assert.deepEqual(writableByOthers(join(root, 'team')), []);
    });
  }

  // Backup or Restore (ensureBackupFolder: mkdirSync(dirname(folder), { recursive: true })) makes
  // <workspace>/shared-redis with the umask's mode before any Create Stack; so did every earlier
  // version's Create Stack. mkdirSync's mode does nothing to a folder that exists.
  it('a stack folder that already exists (made 0777 by Backup, or an earlier version) is made 0755 too', () => {
    const dir = join(root, 'team', 'shared-redis');
    mkdirSync(join(dir), { recursive: true });
    writeStackFiles(BUNDLED_STACK, dir, DEFAULT_POLICY);
    assert.deepEqual(writableByOthers(dir), []);
  });

  it('the bundled stack: a compose file written again (the extension updated it, or it went missing) is not writable by others', () => {
    const location = resolveStackLocation({ workspaceFolders: [], globalStorageDir: root });
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    rmSync(location.composeFile);
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    writeFileSync(location.composeFile, '# an older release\'s file\n', { mode: 0o666 });
    chmodSync(location.composeFile, 0o666);
    prepareBundledStack(BUNDLED_STACK, location, DEFAULT_POLICY);
    assert.deepEqual(writableByOthers(join(root, 'shared-redis')), []);
  });
});

