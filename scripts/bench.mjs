// `npm run bench`: builds, runs every benchmark in out/test/bench/*.bench.js (each
// writes a Markdown section to BENCH_OUTPUT) and assembles docs/benchmarks.md with the
// machine it ran on. Figures are medians; ratios are against a baseline measured in
// the same run. Targets are reported here, never asserted in the test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';

const only = process.argv.slice(2);
const run = (cmd, args, env = {}) =>
  spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } }).status === 0;

if (process.env.SHARED_REDIS_SKIP_SETUP !== '1' && !run('bash', ['scripts/setup.sh'])) process.exit(1);
if (!run('npm', ['run', '--silent', 'build']) || !run('npm', ['run', '--silent', 'compile-tests'])) process.exit(1);

mkdirSync('test-results', { recursive: true });
const benches = readdirSync('out/test/bench')
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)));
const sections = [];
let failed = false;
for (const file of benches) {
  const name = file.replace(/\.bench\.js$/, '');
  const output = `test-results/bench-${name}.md`;
  console.log(`\n== bench ${name}`);
  if (!run('node', ['--expose-gc', `out/test/bench/${file}`], { BENCH_OUTPUT: output }) || !existsSync(output)) {
    failed = true;
    sections.push(`## ${name}\n\nThe benchmark did not finish; see its output.\n`);
    continue;
  }
  sections.push(readFileSync(output, 'utf8').trim() + '\n');
}

const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}']).stdout?.toString().trim() || 'none';
const redis = /v=(\S+)/.exec(spawnSync('redis-server', ['--version']).stdout?.toString() ?? '')?.[1] ?? 'none';
const header = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Reproduce with \`npm run bench\`
(or \`npm run bench -- NAME\` for one section).

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()},
Node ${process.version}, redis-server ${redis}, Docker Engine ${docker}.
`;
if (only.length === 0) {
  writeFileSync('docs/benchmarks.md', [header, ...sections].join('\n'));
  console.log('\nwrote docs/benchmarks.md');
} else {
  console.log('\n(one section only: docs/benchmarks.md left as it was)');
}
process.exit(failed ? 1 : 0);
