/**
 * Startup cost of the extension in code-server (VS Code 1.100, the path a user takes):
 * the packaged .vsix and an empty baseline extension installed into a fresh user-data
 * dir, the workbench opened in Chromium, and VS Code's own activation timing read back
 * (Developer: Startup Performance, "Extension Activation Stats": Load Code, Call
 * Activate, Finish Activate, as the extension host reported them). Then the Shared Redis
 * activity bar icon is clicked and the time until the Stack view settles is measured,
 * with the activation (or second stage) that click causes.
 *
 *   npm run bench -- startup        (or: node out/test/bench/startup.bench.js)
 *
 * Writes a Markdown section to $BENCH_OUTPUT (default test-results/bench-startup.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import {
  codeServerBinary,
  launchBrowser,
  repoRoot,
  runCleanups,
  startCodeServer,
  tempDir,
  writeJson,
} from '../support/codeServer';
import { cpuTimes, stealShare } from '../support/cpuSteal';
import { eventually } from '../support/eventually';
import { channelLog } from '../support/files';
import { freePort } from '../support/redisServer';
import { stackFixture } from '../support/stackFixture';
import { packageEmptyExtension, packageExtension, Packaged } from './startup/packages';
import {
  activationTimes,
  ActivationTimes,
  activityBarIcon,
  extensionHostLog,
  pane,
  UI_TIMEOUT,
} from './startup/workbench';

const RUNS = Number(process.env['BENCH_STARTUP_RUNS'] ?? 5);
const OUTPUT = process.env['BENCH_OUTPUT'] ?? 'test-results/bench-startup.md';
/** Activation events that activate an extension while the window starts, without a click. */
// workspaceContains is not eager here: the bench workspace names its stack by setting and has no shared-redis/ folder.
const EAGER = /^(\*|onStartupFinished)$/;

interface Run {
  readonly ours: ActivationTimes | undefined;
  readonly baseline: ActivationTimes | undefined;
  /** The extension host began activating it before the click (its own log, not the manifest). */
  readonly activatedAtStartup: boolean;
  /** From the click on the activity bar icon until the Stack view shows a row or a settled welcome. */
  readonly viewMs: number;
  readonly viewShows: string;
  /** The activation the click caused, when the extension was not active before it. */
  readonly onOpen: ActivationTimes | undefined;
  /** The extension's own log lines with a duration, written after the click. */
  readonly logAfterClick: string[];
  readonly activatedLine: string | undefined;
  readonly steal: number;
  /** The machine's 1-minute load average at the end of the run (other work on the same CPUs). */
  readonly load: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? Number.NaN
    : sorted.length % 2
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const total = (t: ActivationTimes | undefined): number =>
  t ? t.loadCode + t.callActivate + t.finishActivate : Number.NaN;
const ms = (value: number): string => (Number.isNaN(value) ? '—' : `${value.toFixed(0)} ms`);

/** What the installed bundle loads at activation: the main file (and any other .js next to it, loaded later). */
function bundleSizes(extensionsDir: string, id: string): { main: string; mainBytes: number; events: string[] } {
  const folder = readdirSync(extensionsDir).find((name) => name.startsWith(`${id}-`));
  if (!folder) throw new Error(`${id} is not installed in ${extensionsDir}`);
  const manifest = JSON.parse(readFileSync(join(extensionsDir, folder, 'package.json'), 'utf8')) as {
    main: string;
    activationEvents?: string[];
  };
  const main = join(extensionsDir, folder, manifest.main.endsWith('.js') ? manifest.main : `${manifest.main}.js`);
  return { main: manifest.main, mainBytes: readFileSync(main).length, events: manifest.activationEvents ?? [] };
}

async function oneRun(root: string, ours: Packaged, baseline: Packaged, eager: boolean): Promise<Run> {
  const dir = tempDir('shared-redis-bench-startup-');
  const extensionsDir = join(dir, 'extensions');
  const userDataDir = join(dir, 'user-data');
  mkdirSync(extensionsDir, { recursive: true });
  // Installed as a user installs it, into this run's fresh dirs.
  execFileSync(
    codeServerBinary(root),
    [
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      userDataDir,
      '--install-extension',
      ours.vsix,
      '--install-extension',
      baseline.vsix,
    ],
    { stdio: 'ignore' },
  );
  // A workspace with a stack file (not started), so the Stack view has something to show.
  const stack = stackFixture(await freePort());
  const workspace = join(dir, 'workspace');
  writeJson(join(workspace, '.vscode', 'settings.json'), {
    'sharedRedis.composeFile': stack.composeFile,
    'sharedRedis.projectName': stack.project,
  });

  const steal = cpuTimes();
  const server = await startCodeServer({ dir });
  const session = await launchBrowser({ consoleLog: join(dir, 'browser-console.log') });
  try {
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const { page } = session;
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`, {
      timeout: UI_TIMEOUT,
      waitUntil: 'domcontentloaded',
    });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await activityBarIcon(page, 'Shared Redis').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // onStartupFinished has fired once the baseline activated; an eager extension activates with it.
    const activated = (id: string): boolean =>
      extensionHostLog(server.userDataDir).some((line) => line.includes(`_doActivateExtension ${id},`));
    await eventually('the baseline extension to activate at startup', () => activated(baseline.id), UI_TIMEOUT);
    const atStartup = await eventually(
      'the activation times of the extensions activated at startup',
      async () => {
        const rows = await activationTimes(page);
        const row = (id: string): ActivationTimes | undefined => rows.find((r) => r.extension === id);
        return row(baseline.id) && (!eager || row(ours.id))
          ? { ours: row(ours.id), baseline: row(baseline.id) }
          : undefined;
      },
      { timeoutMs: UI_TIMEOUT, intervalMs: 1000 },
    );
    const activatedAtStartup = activated(ours.id);

    // The user opens the Shared Redis view.
    const logBefore = channelLog(server.userDataDir, 'Shared Redis').length;
    const clicked = performance.now();
    await activityBarIcon(page, 'Shared Redis').click();
    const view = pane(page, 'Stack');
    const viewShows = await eventually(
      'the Stack view to show a row or a settled welcome',
      async () => {
        const row = (await view.locator('.pane-body .monaco-list-row').allTextContents())[0];
        if (row !== undefined) return `row: ${row.trim()}`;
        const welcome = (await view.locator('.welcome-view-content p').allTextContents()).join(' ').trim();
        return welcome && !/^Looking for/.test(welcome) ? `welcome: ${welcome}` : undefined;
      },
      { timeoutMs: UI_TIMEOUT, intervalMs: 20 },
    );
    const viewMs = performance.now() - clicked;
    const onOpen = atStartup.ours
      ? undefined
      : await eventually(
          'the activation times after opening the view',
          async () => (await activationTimes(page)).find((r) => r.extension === ours.id),
          { timeoutMs: UI_TIMEOUT, intervalMs: 1000 },
        );
    const log = channelLog(server.userDataDir, 'Shared Redis');
    return {
      ...atStartup,
      activatedAtStartup,
      viewMs,
      viewShows,
      onOpen,
      logAfterClick: log.slice(logBefore).filter((line) => /\d ms\b/.test(line)),
      activatedLine: log.find((line) => line.includes('Activated in')),
      steal: stealShare(steal),
      load: loadavg()[0] ?? 0,
    };
  } finally {
    await session.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = repoRoot();
  const work = tempDir('shared-redis-bench-packages-');
  const ours = packageExtension(root, work);
  const baseline = packageEmptyExtension(root, work);
  const probe = tempDir('shared-redis-bench-probe-');
  execFileSync(codeServerBinary(root), ['--extensions-dir', probe, '--install-extension', ours.vsix], {
    stdio: 'ignore',
  });
  const bundle = bundleSizes(probe, ours.id);
  const eager = bundle.events.some((event) => EAGER.test(event));
  console.log(
    `${ours.id}: ${(ours.bytes / 1024).toFixed(0)} KiB .vsix, main ${bundle.main} ${(bundle.mainBytes / 1024).toFixed(0)} KiB, activation events ${bundle.events.join(', ') || '(none)'}`,
  );

  const runs: Run[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const run = await oneRun(root, ours, baseline, eager);
    // Run 0 warms up: the page cache, code-server's first load of the workbench.
    if (i > 0) runs.push(run);
    console.log(
      `run ${i}/${RUNS}${i === 0 ? ' (warm-up)' : ''}: ours ${JSON.stringify(run.ours ?? null)}, baseline ${JSON.stringify(run.baseline ?? null)}, ` +
        `view ${run.viewMs.toFixed(0)} ms (${run.viewShows}), on open ${JSON.stringify(run.onOpen ?? null)}, CPU steal ${(run.steal * 100).toFixed(1)}%`,
    );
    for (const line of run.logAfterClick) console.log(`  log after the click: ${line}`);
  }

  const pick = (f: (r: Run) => number): number => median(runs.map(f));
  const ourTotal = pick((r) => total(r.ours));
  const baseTotal = pick((r) => total(r.baseline));
  const rows: string[][] = [
    [
      'Activates at startup',
      `${runs.filter((r) => r.activatedAtStartup).length} of ${runs.length} runs`,
      `activation events: ${bundle.events.join(', ') || 'none declared (VS Code adds onView/onCommand from the contributions)'}`,
    ],
    [
      'Bundle loaded at activation (`main`)',
      `${(bundle.mainBytes / 1024).toFixed(0)} KiB (${bundle.main})`,
      'what `require()` reads and compiles',
    ],
    [
      'Module load at startup (Load Code)',
      ms(pick((r) => r.ours?.loadCode ?? Number.NaN)),
      `baseline ${ms(pick((r) => r.baseline?.loadCode ?? Number.NaN))}`,
    ],
    [
      'activate() at startup (Call + Finish Activate)',
      ms(pick((r) => (r.ours ? r.ours.callActivate + r.ours.finishActivate : Number.NaN))),
      `baseline ${ms(pick((r) => (r.baseline ? r.baseline.callActivate + r.baseline.finishActivate : Number.NaN)))}`,
    ],
    [
      'Startup total, ours ÷ empty extension',
      Number.isNaN(ourTotal)
        ? '— (not activated at startup)'
        : `${ms(ourTotal)} ÷ ${ms(baseTotal)} = ${(ourTotal / Math.max(baseTotal, 1)).toFixed(1)}×`,
      '',
    ],
    ['Open the view: click → Stack view settled', ms(pick((r) => r.viewMs)), runs[0]?.viewShows ?? ''],
    [
      'Activation caused by opening the view (Load Code + Call + Finish)',
      ms(pick((r) => total(r.onOpen))),
      runs.some((r) => r.onOpen)
        ? `Load Code ${ms(pick((r) => r.onOpen?.loadCode ?? Number.NaN))}`
        : 'none: already active',
    ],
  ];
  const section = [
    '## Startup cost in code-server',
    '',
    `The packaged extension (\`vsce package\` of this tree, ${(ours.bytes / 1024).toFixed(0)} KiB .vsix) and an empty extension (activation event \`onStartupFinished\`, \`activate() {}\`) installed with \`code-server --install-extension\` into a fresh user-data dir per run; code-server ${'4.100.3'} (VS Code 1.100.3) with the workbench in headless Chromium, a workspace whose settings point at a stack file that is not started. Figures are VS Code's own: the "Extension Activation Stats" of *Developer: Startup Performance* (Load Code = loading the main module, Call Activate = the synchronous part of \`activate()\`, Finish Activate = until its promise resolved), medians of ${RUNS} runs after one warm-up. "Open the view" is from the click on the activity bar icon until the Stack view shows its first row or a settled welcome (measured in the test process). CPU steal during the runs: median ${(median(runs.map((r) => r.steal)) * 100).toFixed(1)}%, 1-minute load average median ${median(runs.map((r) => r.load)).toFixed(1)}; on a shared 2-vCPU VM the figures move with the load. ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
    '',
    'Reproduce: `SHARED_REDIS_SKIP_SETUP=1 npm run bench -- startup` (or `node out/test/bench/startup.bench.js` after `npm run compile-tests`; `BENCH_STARTUP_RUNS=N` for more runs).',
    '',
    '| Figure | Median | Note |',
    '| --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `All runs (ours / empty, Load Code + Call + Finish ms): ${runs.map((r) => `${r.ours ? `${r.ours.loadCode}+${r.ours.callActivate}+${r.ours.finishActivate}` : '—'} / ${r.baseline ? `${r.baseline.loadCode}+${r.baseline.callActivate}+${r.baseline.finishActivate}` : '—'}`).join('; ')}.`,
    `Open the view, all runs: ${runs.map((r) => r.viewMs.toFixed(0)).join(', ')} ms.`,
    ...(runs[0]?.activatedLine
      ? [
          `The extension's own log: \`${runs[0].activatedLine.replace(/^\S+ \S+ /, '')}\`${runs[0].logAfterClick.length ? `; after the click: ${runs[0].logAfterClick.map((l) => `\`${l.replace(/^\S+ \S+ /, '')}\``).join(', ')}` : ''}.`,
        ]
      : []),
    '',
  ].join('\n');
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, section);
  console.log(`\n${section}`);
}

main().then(
  () => runCleanups(),
  async (error: unknown) => {
    console.error(error);
    await runCleanups();
    process.exitCode = 1;
  },
);
