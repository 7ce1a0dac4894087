/**
 * Integration level on desktop VS Code (Electron), for machines with internet access:
 * @vscode/test-electron downloads VS Code (SHARED_REDIS_VSCODE_VERSION, default
 * `stable`; the offline launcher, runCodeServer, covers 1.100.3) and runs the same
 * suite as runCodeServer against a real redis-server.
 *
 *   npm run test:electron        (Linux without a display: xvfb-run -a npm run test:electron)
 *
 * As with code-server, the suite's results file decides, not VS Code's exit code.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import {
  createWorkspace,
  LauncherError,
  QUIET_USER_SETTINGS,
  readResults,
  repoRoot,
  requireBuilt,
  runLevel,
  startTestRedis,
  tempDir,
  TEST_CONFIG_FILE,
  writeJson,
} from '../support/codeServer';
import type { LevelResults } from '../support/levelResults';
import { freePort } from '../support/redisServer';

const LEVEL = 'integration';

const OUTPUT = resolve(process.env['SHARED_REDIS_RESULTS'] ?? join(repoRoot(), 'test-results', `${LEVEL}.json`));

async function main(): Promise<LevelResults> {
  const output = OUTPUT;
  const root = repoRoot();
  rmSync(output, { force: true });
  requireBuilt(root, 'dist/extension.js', 'out/test/integration/suite/index.js');

  const redis = await startTestRedis();
  const closedPort = await freePort();

  const dir = tempDir('shared-redis-electron-');
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = join(dir, 'extensions');
  writeJson(join(userDataDir, 'User', 'settings.json'), QUIET_USER_SETTINGS);
  const folder = createWorkspace(
    dir,
    { 'sharedRedis.host': redis.host, 'sharedRedis.port': redis.port },
    {
      results: output,
      logsDir: join(userDataDir, 'logs'),
      redisPort: redis.port,
      closedPort,
    },
  );
  console.log(`${LEVEL} (electron): redis-server on ${redis.port}, workspace ${folder}`);

  let exitCode: number | undefined;
  try {
    exitCode = await runTests({
      version: process.env['SHARED_REDIS_VSCODE_VERSION'] ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'integration', 'suite', 'index'),
      // Electron passes the environment through, so the config file is named explicitly too.
      extensionTestsEnv: { SHARED_REDIS_TEST_CONFIG: join(folder, TEST_CONFIG_FILE) },
      launchArgs: [
        folder,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${extensionsDir}`,
        '--disable-extensions',
        '--disable-gpu',
        '--disable-telemetry',
      ],
    });
  } catch (error) {
    // A non-zero exit rejects; the results file (if any) still says what ran.
    if (!existsSync(output)) throw error;
    console.log(`${LEVEL} (electron): VS Code ended with ${error instanceof Error ? error.message : String(error)}`);
  }
  const results = readResults(output);
  if (!results) {
    throw new LauncherError(
      `VS Code exited${exitCode === undefined ? '' : ` with ${exitCode}`} without the suite reporting (no ${output}).`,
    );
  }
  return results;
}

runLevel(`${LEVEL} (electron)`, OUTPUT, main);
