// `npm test`: prepares the machine, builds, then runs every test level (unit, integration
// inside VS Code, e2e through a browser). Each level writes test-results/<level>.json;
// this adds them up and ends with one line: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const LEVELS = {
  unit: [
    'npx',
    'mocha',
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
for (const level of levels) {
  const output = `test-results/${level}.json`;
  rmSync(output, { force: true });
  const [command, ...args] = LEVELS[level];
  const ok = step(`${level} tests`, command, args, { SHARED_REDIS_RESULTS: output, ...LEVEL_ENV[level] });
  if (!existsSync(output)) {
    // A level that never reported counts as one failure, so it cannot pass silently.
    lines.push(`${level}: did not report results (exit ${ok ? 0 : 'non-zero'})`);
    totals.failed += 1;
    continue;
  }
  const results = JSON.parse(readFileSync(output, 'utf8'));
  if (!ok && results.failed === 0) results.failed = 1;
  totals.passed += results.passed;
  totals.failed += results.failed;
  totals.skipped += results.skipped;
  lines.push(`${level}: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  for (const failure of results.failures ?? []) lines.push(`  ✗ ${failure.title}`);
}

console.log('\n== summary');
for (const line of lines) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
