import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A packaged extension, as a user installs it. */
export interface Packaged {
  readonly id: string;
  readonly vsix: string;
  readonly bytes: number;
}

const run = (cwd: string, command: string, args: string[]): void => {
  execFileSync(command, args, {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_yes: 'true' },
  });
};

/**
 * `vsce package` of the repository's working tree (its git-tracked files as they are now),
 * in a copy, so the packaging's production build does not overwrite the tree's dist/.
 */
export function packageExtension(root: string, into: string): Packaged {
  const copy = join(into, 'source');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && !file.startsWith('test/'));
  for (const file of files) {
    try {
      if (!statSync(join(root, file)).isFile()) continue;
    } catch {
      continue;
    } // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const vsix = join(into, 'shared-redis.vsix');
  run(copy, join(root, 'node_modules', '.bin', 'vsce'), [
    'package',
    '--no-dependencies',
    '--no-rewrite-relative-links',
    '--out',
    vsix,
  ]);
  const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return { id: `${manifest.publisher}.${manifest.name}`, vsix, bytes: statSync(vsix).size };
}

/** The baseline: an extension that does nothing, activated on the same event as ours was (onStartupFinished). */
export function packageEmptyExtension(root: string, into: string): Packaged {
  const dir = join(into, 'empty-extension');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'startup-baseline',
        displayName: 'Startup baseline',
        publisher: 'shared-redis-bench',
        version: '0.0.1',
        engines: { vscode: '^1.100.0' },
        main: './extension.js',
        activationEvents: ['onStartupFinished'],
        files: ['extension.js'],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'extension.js'),
    'exports.activate = function activate() {};\nexports.deactivate = function deactivate() {};\n',
  );
  writeFileSync(
    join(dir, 'README.md'),
    '# Startup baseline\n\nAn extension that does nothing, for the startup benchmark.\n',
  );
  const vsix = join(into, 'startup-baseline.vsix');
  run(dir, join(root, 'node_modules', '.bin', 'vsce'), [
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--out',
    vsix,
  ]);
  return { id: 'shared-redis-bench.startup-baseline', vsix, bytes: statSync(vsix).size };
}
