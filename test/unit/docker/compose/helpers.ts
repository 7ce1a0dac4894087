import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ComposeFileError } from '../../../../src/docker/compose/errors';

/** Repo root, from out/test/unit/docker/compose (compiled) or test/unit/docker/compose. */
export const REPO_ROOT = resolve(
  __dirname,
  __dirname.includes(`${join('out', 'test')}`) ? '../../../../..' : '../../../..',
);
export const FIXTURES = join(REPO_ROOT, 'test/unit/docker/compose/fixtures');
export const SHIPPED_STACK = join(REPO_ROOT, 'stack/docker-compose.yml');

export interface TempProject {
  readonly dir: string;
  /** The compose file's path. */
  readonly file: string;
  cleanup(): void;
}

/** Writes `files` (relative paths) into a fresh `<tmp>/<folder>/` and names its docker-compose.yml. */
export function tempProject(files: Readonly<Record<string, string>>, folder = 'project'): TempProject {
  const root = mkdtempSync(join(tmpdir(), 'compose-'));
  const dir = join(root, folder);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return { dir, file: join(dir, 'docker-compose.yml'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs `body` with a temp project and always removes it. */
export async function withProject<T>(
  files: Readonly<Record<string, string>>,
  body: (project: TempProject) => Promise<T>,
  folder?: string,
): Promise<T> {
  const project = tempProject(files, folder);
  try {
    return await body(project);
  } finally {
    project.cleanup();
  }
}

/** Asserts `promise` rejects with a ComposeFileError whose message is exactly `message`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, message: string): Promise<ComposeFileError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ComposeFileError, `expected a ComposeFileError, got ${String(caught)}`);
  assert.equal(caught.message, message);
  return caught;
}

/** Lines joined with \n, so a YAML snippet's line numbers can be read off the array. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Debian's docker-compose (Compose v1, 1.29.2), the real tool the loader is cross-checked with. */
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

/** In a `before`: skips the suite without docker-compose, except under CI, where a missing tool is a failure. */
export function requireDockerCompose(context: Mocha.Context): void {
  if (existsSync(DOCKER_COMPOSE)) return;
  // npm run setup installs it.
  if (process.env['CI'] === 'true') throw new Error(`${DOCKER_COMPOSE} is missing: run "npm run setup".`);
  console.warn(
    `    Skipping: ${DOCKER_COMPOSE} is not installed (Debian package docker-compose; "npm run setup" installs it).`,
  );
  context.skip();
}
