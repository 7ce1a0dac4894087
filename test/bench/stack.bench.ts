/**
 * Start-to-healthy of the bundled stack (image present, containers absent): the
 * extension's StackController against `docker-compose up -d` plus waiting for healthy,
 * on the same file and engine, runs interleaved (alternating which goes first).
 * Also the CPU time the starting process spends per start (what the extension host pays).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { connectEngine } from '../../src/docker/engine';
import { waitUntilReady } from '../../src/docker/stack/health';
import { StackController } from '../../src/docker/stack/stackController';
import { freePort } from '../support/redisServer';
import { BUNDLED_STACK, DEFAULT_POLICY, removeProject, stackFixture } from '../support/stackFixture';

const ROUNDS = Number(process.env['BENCH_STACK_ROUNDS'] ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const engine = await connectEngine(undefined);
  const docker = engine.docker;
  const fixture = stackFixture(await freePort());
  const settings = {
    location: { composeFile: fixture.composeFile, envFile: `${fixture.dir}/.env`, source: 'setting' as const },
    bundledStackDir: BUNDLED_STACK,
    projectName: fixture.project,
    env: {},
    policy: DEFAULT_POLICY,
  };
  const containersAbsent = async (): Promise<void> => {
    await removeProject(docker, fixture.project);
    await docker
      .getNetwork(fixture.network)
      .remove()
      .catch(() => undefined);
  };

  const ours: number[] = [];
  const cpu: number[] = [];
  const compose: number[] = [];
  const runOurs = async (): Promise<void> => {
    await containersAbsent();
    const controller = new StackController(docker);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await controller.start(settings);
    ours.push(performance.now() - started);
    const used = process.cpuUsage(cpuBefore);
    cpu.push((used.user + used.system) / 1000);
  };
  const runCompose = async (): Promise<void> => {
    await containersAbsent();
    const started = performance.now();
    const up = spawnSync('docker-compose', ['-p', fixture.project, '-f', fixture.composeFile, 'up', '-d'], {
      cwd: fixture.dir,
      encoding: 'utf8',
    });
    if (up.status !== 0) throw new Error(`docker-compose up failed: ${up.stderr}`);
    const [container] = await docker.listContainers({
      filters: { label: [`com.docker.compose.project=${fixture.project}`] },
    });
    if (!container) throw new Error('docker-compose started no container');
    // The same wait as the extension's, polling at the same interval.
    await waitUntilReady(docker, container.Id, 'shared-redis', true);
    compose.push(performance.now() - started);
  };

  try {
    await runOurs();
    await runCompose(); // warm-up: first runs pay for cold caches on both sides
    ours.length = 0;
    cpu.length = 0;
    compose.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        await runOurs();
        await runCompose();
      } else {
        await runCompose();
        await runOurs();
      }
      console.log(
        `round ${round + 1}: extension ${ours.at(-1)?.toFixed(0)} ms, docker-compose ${compose.at(-1)?.toFixed(0)} ms`,
      );
    }
  } finally {
    await fixture.cleanup(docker);
  }

  const ratio = median(ours) / median(compose);
  const section = `## Stack: start to healthy

The bundled stack (\`stack/docker-compose.yml\`, healthcheck every 2 s) with the image present and
no containers, ${ROUNDS} interleaved rounds after one warm-up each, alternating which goes first.
Baseline: \`docker-compose up -d\` (Debian's Compose ${composeVersion()}) on the same file and engine,
then waiting for healthy with the same 200 ms inspect loop the extension uses.

| figure | median | target |
|---|---|---|
| extension (\`StackController.start\`) | ${median(ours).toFixed(0)} ms | |
| \`docker-compose up -d\` + wait healthy | ${median(compose).toFixed(0)} ms | |
| ratio extension / docker-compose | ${ratio.toFixed(2)} | ≤ 1.0 ${ratio <= 1 ? '(met)' : '(NOT met)'} |
| CPU time of the starting process per start | ${median(cpu).toFixed(0)} ms | |

Both are dominated by the first healthcheck, which Docker runs one interval after the start.
All rounds: extension ${ours.map((v) => v.toFixed(0)).join(', ')} ms; docker-compose ${compose.map((v) => v.toFixed(0)).join(', ')} ms.
`;
  const output = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-stack.md';
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, section);
  console.log(section);
}

function composeVersion(): string {
  return (
    /(\d+\.\d+\.\d+)/.exec(
      spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).stdout ?? '',
    )?.[1] ?? 'v1'
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
