import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

// Apart from tls.ts (which loads the Redis client's errors): the first stage reads the settings.

/**
 * Expands a path setting: `${workspaceFolder}`, `${userHome}` and a leading `~`; a relative
 * path is taken from the workspace folder. Empty means unset.
 */
export function expandSettingPath(
  value: string | undefined,
  places: { workspaceFolder?: string | undefined; home?: string },
): string | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  // PEM text is not a path: keep it as is so that reading it gives tls.ts's clear message.
  if (looksLikePem(raw)) return raw;
  const home = places.home ?? homedir();
  let path = raw.replace(/\$\{userHome\}/g, home);
  if (places.workspaceFolder !== undefined) path = path.replace(/\$\{workspaceFolder\}/g, places.workspaceFolder);
  if (path === '~') path = home;
  else if (path.startsWith('~/') || path.startsWith('~\\')) path = join(home, path.slice(2));
  if (!isAbsolute(path) && places.workspaceFolder !== undefined && !path.includes('${')) {
    path = resolve(places.workspaceFolder, path);
  }
  return path;
}

export function looksLikePem(value: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(value);
}
