import { readdirSync, readFileSync, Stats, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file below `dir` that `keep` accepts (all by default); files that vanish while listing are left out. */
export function filesUnder(dir: string, keep: (path: string, stat: Stats) => boolean = () => true): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const path = join(dir, name);
    let stat: Stats;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory()) found.push(...filesUnder(path, keep));
    else if (stat.isFile() && keep(path, stat)) found.push(path);
  }
  return found;
}

/** The lines of an extension's own log channel (its output channel's file) under a user-data dir. */
export function channelLog(userDataDir: string, channel: string): string[] {
  return filesUnder(join(userDataDir, 'logs'), (path) => path.endsWith(`${channel}.log`)).flatMap((file) =>
    readFileSync(file, 'utf8').split('\n'),
  );
}
