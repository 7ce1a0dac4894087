/**
 * E2E level: the extension's UI in the real VS Code 1.100 workbench (code-server),
 * driven through headless Chromium by playwright-core, against a real redis-server.
 *
 *   node out/test/e2e/run.js
 *
 * Starts redis-server and code-server (workspace settings point at that redis), opens
 * the workbench with this extension loaded, and runs mocha over out/test/e2e/*.test.js
 * in this process with the ResultsReporter (SHARED_REDIS_RESULTS, default
 * test-results/e2e.json). Screenshots go to test-results/e2e-*.png. Exit code 1 on any
 * failure; everything it started is stopped on the way out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Mocha from 'mocha';
import {
  onCleanup,
  createWorkspace,
  launchBrowser,
  readResults,
  repoRoot,
  requireBuilt,
  runLevel,
  startCodeServer,
  startTestRedis,
  tempDir,
  LauncherError,
} from '../support/codeServer';
import type { LevelResults } from '../support/levelResults';
import ResultsReporter from '../support/resultsReporter';
import { setE2eContext } from './context';
import { connectEngine } from '../../src/docker/engine';
import { freePort } from '../support/redisServer';
import { OFFLINE_REDIS_IMAGE, removeProject } from '../support/stackFixture';

const LEVEL = 'e2e';

const OUTPUT = resolve(process.env['SHARED_REDIS_RESULTS'] ?? join(repoRoot(), 'test-results', `${LEVEL}.json`));

async function main(): Promise<LevelResults> {
  const output = OUTPUT;
  const root = repoRoot();
  const screenshotsDir = join(root, 'test-results');
  rmSync(output, { force: true });
  if (existsSync(screenshotsDir)) {
    for (const old of readdirSync(screenshotsDir).filter((f) => f.startsWith('e2e-') && f.endsWith('.png'))) {
      rmSync(join(screenshotsDir, old), { force: true });
    }
  }
  const started = Date.now();
  const testFiles = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  requireBuilt(root, 'dist/extension.js');
  if (testFiles.length === 0) {
    throw new LauncherError(`No *.test.js in ${__dirname}: run \`npm run compile-tests\` first.`);
  }

  const redis = await startTestRedis();
  // The design's namespaces (auth:session:*, user:profile:*, shared:config:app ...), as the demo seeds them.
  const seeded = spawnSync(process.execPath, [join(root, 'scripts/seed.mjs'), String(redis.port)], {
    encoding: 'utf8',
  });
  if (seeded.status !== 0) throw new LauncherError(`seeding the test redis-server failed: ${seeded.stderr}`);
  const dir = tempDir('shared-redis-e2e-');
  // The bundled stack, started from the Stack view, runs as its own project on a free
  // port with the offline image, so it never touches a stack a developer runs here.
  const stackPort = await freePort();
  const stackId = Math.random().toString(36).slice(2, 8);
  const stackEnv = {
    REDIS_IMAGE: OFFLINE_REDIS_IMAGE,
    REDIS_PORT: String(stackPort),
    REDIS_NETWORK: `srtest-e2e-net-${stackId}`,
    COMPOSE_PROJECT_NAME: `srtest-e2e-${stackId}`,
  };
  onCleanup(async () => {
    const { docker } = await connectEngine(undefined);
    await removeProject(docker, stackEnv.COMPOSE_PROJECT_NAME);
    await docker
      .getNetwork(stackEnv.REDIS_NETWORK)
      .remove()
      .catch(() => undefined);
  });
  const server = await startCodeServer({ dir, root, env: stackEnv });
  const folder = createWorkspace(dir, { 'sharedRedis.host': redis.host, 'sharedRedis.port': redis.port });
  console.log(`${LEVEL}: redis-server on ${redis.port}, code-server on ${server.port} (log: ${server.logFile})`);
  const { page } = await launchBrowser({ consoleLog: join(dir, 'browser-console.log') });
  setE2eContext({
    page,
    workbenchUrl: server.workbenchUrl({ folder, extensionDevelopmentPath: root }),
    screenshotsDir,
    redisPort: redis.port,
    workspaceFolder: folder,
    stackPort,
    userDataDir: server.userDataDir,
    workbenchUrlFor: (other) => server.workbenchUrl({ folder: other, extensionDevelopmentPath: root }),
  });

  // SHARED_REDIS_E2E_GREP runs a subset while working on one area (keep the test that opens the workbench in it).
  const grep = process.env['SHARED_REDIS_E2E_GREP'];
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: ResultsReporter,
    reporterOptions: { output },
    // A hang guard, not a speed target: on a throttled CI machine a test that takes 20 s here
    // took 90 s and more (each palette command and page redraw is CPU-bound in Chromium).
    timeout: 240_000,
    color: false,
    ...(grep ? { grep: new RegExp(grep) } : {}),
  });
  for (const file of testFiles) mocha.addFile(join(__dirname, file));
  await new Promise<number>((done) => mocha.run(done));
  const results = readResults(output);
  if (!results) throw new LauncherError(`mocha finished without writing ${output}`);
  console.log(`${LEVEL}: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return results;
}

runLevel(LEVEL, OUTPUT, main);
