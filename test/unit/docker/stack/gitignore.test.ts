import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ignoreInGit, isTrackedByGit } from '../../../../src/docker/stack/gitignore';

/** Which of `paths` git itself ignores in `repo` (`git check-ignore`, exit 1 when none). */
function ignoredByGit(repo: string, paths: readonly string[]): string[] {
  try {
    return execFileSync('git', ['check-ignore', '--no-index', ...paths], { cwd: repo, encoding: 'utf8', timeout: 10_000 })
      .split('\n')
      .filter(Boolean);
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

describe('keeping a stack secret file out of git (.gitignore, checked by git itself)', () => {
  let repo: string;
  beforeEach(() => {
    repo = mkdtempSync(join(tmpdir(), 'gitignore-'));
    execFileSync('git', ['init', '-q'], { cwd: repo });
  });
  afterEach(() => rmSync(repo, { recursive: true, force: true }));

  it('ignores exactly that file, whatever characters its folders have', () => {
    for (const path of ['shared-redis/.env', 'infra [local]/*redis?/.env', '#team/!stack/.env', 'a\\b/.env']) {
      assert.equal(ignoreInGit(repo, path, 'Generated passwords'), true, path);
    }
    assert.deepEqual(ignoredByGit(repo, ['shared-redis/.env', 'infra [local]/*redis?/.env', '#team/!stack/.env', 'a\\b/.env']).length, 4);
    assert.deepEqual(ignoredByGit(repo, ['other/.env', 'infra l/xredisy/.env', 'shared-redis/.env.example']), []);
  });

  it('a .env at the folder root is anchored there: the services’ own .env files below stay visible to git', () => {
    ignoreInGit(repo, '.env', 'Generated passwords');
    assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /^\/\.env$/m);
    assert.deepEqual(ignoredByGit(repo, ['.env', 'app/.env']), ['.env']);
  });

  it('adds nothing when a line already covers it, and keeps what the file had', () => {
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n/shared-redis/.env\nshared-redis/..env.*.tmp');
    assert.equal(ignoreInGit(repo, 'shared-redis/.env', 'Generated passwords'), false);
    assert.equal(ignoreInGit(repo, 'shared-redis/acl/replication.conf', "The cluster replicas' login"), true);
    assert.equal(
      readFileSync(join(repo, '.gitignore'), 'utf8'),
      "node_modules\n/shared-redis/.env\nshared-redis/..env.*.tmp\n# The cluster replicas' login\nshared-redis/acl/replication.conf\nshared-redis/acl/.replication.conf.*.tmp\n",
    );
    assert.equal(ignoreInGit(repo, 'x/.env', 'Generated passwords', ['*.env']), true);
    writeFileSync(join(repo, '.gitignore'), '*.env\nx/..env.*.tmp\n');
    assert.equal(ignoreInGit(repo, 'x/.env', 'Generated passwords', ['*.env']), false);
  });

  it('also ignores the temporary files a crash mid-write leaves beside it (they hold every password), also under an older .gitignore line', () => {
    const temps = ['shared-redis/..env.2fb1898ab4ce.tmp', 'shared-redis/acl/.replication.conf.0123456789ab.tmp'];
    assert.equal(ignoreInGit(repo, 'shared-redis/.env', 'Generated passwords', ['.env', '*.env', '**/.env']), true);
    assert.equal(ignoreInGit(repo, 'shared-redis/acl/replication.conf', "The cluster replicas' login"), true);
    assert.deepEqual(ignoredByGit(repo, temps), temps);
    // A folder whose .gitignore an older release wrote: the file's line alone, or a broader one.
    writeFileSync(join(repo, '.gitignore'), '# Generated passwords of the shared Redis stack\nshared-redis/.env\n');
    assert.equal(ignoreInGit(repo, 'shared-redis/.env', 'Generated passwords', ['.env', '*.env', '**/.env']), true);
    assert.deepEqual(ignoredByGit(repo, [temps[0] ?? '']), [temps[0]]);
    assert.equal(ignoreInGit(repo, 'shared-redis/.env', 'Generated passwords', ['.env', '*.env', '**/.env']), false, 'added once');
    writeFileSync(join(repo, '.gitignore'), '.env\n');
    ignoreInGit(repo, 'shared-redis/.env', 'Generated passwords', ['.env', '*.env', '**/.env']);
    assert.deepEqual(ignoredByGit(repo, [temps[0] ?? '', 'shared-redis/.env']), [temps[0], 'shared-redis/.env']);
    // Only those: the example file and another file's temporaries stay visible to git.
    assert.deepEqual(ignoredByGit(repo, ['shared-redis/.env.example', 'shared-redis/.docker-compose.yml.0123456789ab.tmp']), []);
  });

  it('tells a file git tracks (a committed .env) from one it does not, and says no outside a repository', async () => {
    mkdirSync(join(repo, 'shared-redis'));
    const env = join(repo, 'shared-redis', '.env');
    writeFileSync(env, 'REDIS_PASSWORD=\n');
    assert.equal(await isTrackedByGit(env), false);
    execFileSync('git', ['add', 'shared-redis/.env'], { cwd: repo });
    assert.equal(await isTrackedByGit(env), true);
    const outside = mkdtempSync(join(tmpdir(), 'no-repo-'));
    try {
      writeFileSync(join(outside, '.env'), '');
      assert.equal(await isTrackedByGit(join(outside, '.env')), false);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
