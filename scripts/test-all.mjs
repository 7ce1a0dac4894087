// `npm test`: prepares the machine, builds, then runs every test level (unit, integration
// inside VS Code, e2e through a browser). Each level writes test-results/<level>.json;
// this adds them up and ends with one line: `N passed, N failed, N skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';

const LEVELS = {
  unit: [
    'npx',
    'mocha',
    // Ends once every test has reported, whatever a failed test left open: a subscription through
    // Sentinel that a failure never closed kept reconnecting and the level never ended (CI, 2026-12-04).
    '--exit',
    '--reporter',
    './out/test/support/resultsReporter.js',
    '--timeout',
    '20000',
    'out/test/unit/**/*.test.js',
  ],
  integration: ['node', 'out/test/integration/runCodeServer.js'],
  e2e: ['node', 'out/test/e2e/run.js'],
};
// The unit suites share started Redis Clusters, put back as new between them (test/support/sharedRedisCluster.ts).
const LEVEL_ENV = { unit: { SHARED_REDIS_SHARE_CLUSTERS: '1' } };

const requested = process.argv.slice(2);
const levels = requested.length > 0 ? requested : Object.keys(LEVELS);
for (const level of levels) {
  if (!LEVELS[level]) {
    console.error(`Unknown test level "${level}". Use one or more of: ${Object.keys(LEVELS).join(', ')}.`);
    process.exit(2);
  }
}

function step(title, command, args, env = {}) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

if (process.env.SHARED_REDIS_SKIP_SETUP !== '1' && !step('setup', 'bash', ['scripts/setup.sh'])) {
  console.error('Setup failed: the tests need the packages and services it reports above.');
  process.exit(1);
}
for (const [title, script] of [
  ['typecheck', 'typecheck'],
  ['lint', 'lint'],
  ['build', 'build'],
  ['compile tests', 'compile-tests'],
]) {
  if (!step(title, 'npm', ['run', '--silent', script])) {
    console.error(`${title} failed; no tests were run.`);
    process.exit(1);
  }
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
function report(level, ok) {
  const output = `test-results/${level}.json`;
  if (!existsSync(output)) {
    // A level that never reported counts as one failure, so it cannot pass silently.
    lines.push(`${level}: did not report results (exit ${ok ? 0 : 'non-zero'})`);
    totals.failed += 1;
    return;
  }
  const results = JSON.parse(readFileSync(output, 'utf8'));
  if (!ok && results.failed === 0) results.failed = 1;
  totals.passed += results.passed;
  totals.failed += results.failed;
  totals.skipped += results.skipped;
  lines.push(`${level}: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  for (const failure of results.failures ?? []) lines.push(`  ✗ ${failure.title}`);
}
// The unit level waits mostly on the engine and its containers, the integration level on
// code-server: run together they share a 2-core machine better than one after the other (CI ran
// past its 90 minutes on a throttled machine with the levels in a row). The e2e level waits for
// the unit level to end: its clicks while the Keys view redraws and its live charts want the
// machine to themselves (a click was lost once with the unit level beside it). The unit level's
// output is kept in a file and printed whole once it ends. SHARED_REDIS_SERIAL_LEVELS=1 runs the
// levels in a row.
const alongside = levels.includes('unit') && levels.length > 1 && process.env.SHARED_REDIS_SERIAL_LEVELS !== '1';
function levelEnv(level) {
  // Beside the unit level, the integration level takes its ports below the kernel's ephemeral
  // range, where the unit level's never are (see freePort in test/support/redisServer.ts).
  const ports = alongside && level === 'integration' ? { SHARED_REDIS_PORT_BAND: 'below-ephemeral' } : {};
  return { SHARED_REDIS_RESULTS: `test-results/${level}.json`, ...LEVEL_ENV[level], ...ports };
}

let unitDone;
if (alongside) {
  mkdirSync('test-results', { recursive: true });
  rmSync('test-results/unit.json', { force: true });
  const logFile = 'test-results/unit.log';
  const log = openSync(logFile, 'w');
  const [command, ...args] = LEVELS.unit;
  console.log(`\n== unit tests: running alongside the integration level (output in ${logFile}, printed when it ends)`);
  const child = spawn(command, args, { stdio: ['ignore', log, log], env: { ...process.env, ...levelEnv('unit') } });
  unitDone = new Promise((resolve) => {
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  }).then((ok) => {
    closeSync(log);
    return ok;
  });
}
async function unitEnded() {
  if (!unitDone) return;
  const ok = await unitDone;
  unitDone = undefined;
  console.log('\n== unit tests (ran alongside the level above)');
  process.stdout.write(readFileSync('test-results/unit.log', 'utf8'));
  report('unit', ok);
}
for (const level of levels) {
  if (alongside && level === 'unit') continue;
  if (level === 'e2e') await unitEnded();
  rmSync(`test-results/${level}.json`, { force: true });
  const [command, ...args] = LEVELS[level];
  report(level, step(`${level} tests`, command, args, levelEnv(level)));
}
await unitEnded();

console.log('\n== summary');
for (const line of lines) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
