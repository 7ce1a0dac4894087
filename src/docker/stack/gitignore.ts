import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A path relative to a repository's folder (`/` separators) as a .gitignore line matching
 * exactly it, by git's own rules: glob characters escaped, and anchored to the folder with a
 * leading `/` when it has no other slash (`.env` alone would ignore every `.env` below) or
 * starts with `#` or `!`.
 * Written by hand: no library here writes gitignore patterns.
 */
export function gitignorePattern(path: string): string {
  const escaped = path.replace(/[[\]*?\\]/g, '\\$&');
  // A leading `#` would make the line a comment and `!` a negation: the anchor avoids both.
  return escaped.includes('/') && !/^[#!]/.test(escaped) ? escaped : `/${escaped}`;
}

/**
 * The .gitignore line for the temporary files writeFileAtomic makes beside `path` (relative,
 * `/` separators): `.<name>.<random>.tmp`, which a crash mid-write leaves holding the new text.
 */
function temporaryFilesPattern(path: string): string {
  const slash = path.lastIndexOf('/');
  return `${gitignorePattern(`${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.`)}*.tmp`;
}

/**
 * Adds `path` (relative to `folder`) to the folder's .gitignore under `comment`, unless a line
 * there already is that path or, for `alsoCoveredBy`, one of those lines; and the line for its
 * temporary files (a crash mid-write leaves one with the secrets), unless there already. True
 * when a line was added.
 */
export function ignoreInGit(folder: string, path: string, comment: string, alsoCoveredBy: readonly string[] = []): boolean {
  const gitignore = join(folder, '.gitignore');
  const pattern = gitignorePattern(path);
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const lines = new Set(current.split(/\r?\n/).map((l) => l.trim()));
  const covering = [pattern, pattern.startsWith('/') ? pattern.slice(1) : `/${pattern}`, ...alsoCoveredBy];
  const temporary = temporaryFilesPattern(path);
  const missing = [
    ...(covering.some((l) => lines.has(l)) ? [] : [pattern]),
    ...(lines.has(temporary) ? [] : [temporary]),
  ];
  if (missing.length === 0) return false;
  writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}# ${comment}\n${missing.join('\n')}\n`);
  return true;
}

/**
 * True when git tracks `file` (its index has it): a .gitignore line does not stop git from
 * committing changes to it. False where git is not installed, the folder is no repository,
 * or git does not answer within 5 s.
 */
export function isTrackedByGit(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['ls-files', '--error-unmatch', '--', basename(file)],
      { cwd: dirname(file), timeout: 5000, windowsHide: true },
      (error) => resolve(error === null),
    );
  });
}
