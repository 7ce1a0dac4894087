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
 * Adds `path` (relative to `folder`) to the folder's .gitignore under `comment`, unless a line
 * there already is that path or, for `alsoCoveredBy`, one of those lines. True when added.
 */
export function ignoreInGit(folder: string, path: string, comment: string, alsoCoveredBy: readonly string[] = []): boolean {
  const gitignore = join(folder, '.gitignore');
  const pattern = gitignorePattern(path);
  const current = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  const covering = new Set([pattern, pattern.startsWith('/') ? pattern.slice(1) : `/${pattern}`, ...alsoCoveredBy]);
  if (lines.some((l) => covering.has(l))) return false;
  writeFileSync(gitignore, `${current}${current && !current.endsWith('\n') ? '\n' : ''}# ${comment}\n${pattern}\n`);
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
