import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LevelResults } from './levelResults';
import { freePort, RedisServer, startRedisServer } from './redisServer';

/**
 * Helpers for the levels that need a real VS Code: code-server (VS Code 1.100's
 * workbench and Node extension host, offline, from test/harness), Chromium driven by
 * playwright-core, and the bookkeeping that stops all of it on the way out.
 */

export const HARNESS_VERSION = '4.100.3';
export const CHROMIUM_PATH = process.env['SHARED_REDIS_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const VIEWPORT = { width: 1400, height: 900 };
/**
 * How long the workbench page may take to load: 11 MB of script, compressed by code-server as
 * it is served. Seconds on a quiet machine; 27 s was seen on a throttled one, where Playwright's
 * default 30 s failed a whole level before its first test.
 */
export const WORKBENCH_LOAD_TIMEOUT_MS = 120_000;
/** The file the integration suite reads, in the root of the workspace folder it runs in. */
export const TEST_CONFIG_FILE = '.shared-redis-test.json';

/** What the launchers tell the suite that runs inside the extension host. */
export interface SuiteConfig {
  /** Where the suite writes its LevelResults JSON. */
  readonly results: string;
  /** The user-data-dir's logs folder, where the extension's log channel writes its file. */
  readonly logsDir: string;
  /** The test redis-server's port (also in the workspace settings as sharedRedis.port). */
  readonly redisPort: number;
  /** A loopback port nothing listens on. */
  readonly closedPort: number;
}

/** The repository root: the nearest folder above this file whose package.json is this extension's. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'shared-redis') return dir;
      } catch {
        /* not ours; keep looking */
      }
    }
    if (dirname(dir) === dir) throw new Error(`No shared-redis package.json above ${from}`);
  }
}

/** A launcher-level failure with a message meant for the person reading the CI log. */
export class LauncherError extends Error {
  override readonly name = 'LauncherError';
}

/** The harness's code-server binary, or a LauncherError that says how to install it. */
export function codeServerBinary(root: string = repoRoot()): string {
  const harness = join(root, 'test', 'harness');
  const bin = join(harness, 'node_modules', '.bin', 'code-server');
  const manifest = join(harness, 'node_modules', 'code-server', 'package.json');
  const version = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version
    : undefined;
  if (!existsSync(bin) || version !== HARNESS_VERSION) {
    throw new LauncherError(
      `The code-server test harness is not installed${version ? ` (found ${version}, want ${HARNESS_VERSION})` : ''}. ` +
        'Install it with: bash test/harness/install.sh (or run scripts/setup.sh, which does it).',
    );
  }
  return bin;
}

/** Fails with a clear message when the build outputs a level needs are missing. */
export function requireBuilt(root: string, ...relativePaths: string[]): void {
  const missing = relativePaths.filter((p) => !existsSync(join(root, p)));
  if (missing.length > 0) {
    throw new LauncherError(`Missing ${missing.join(', ')}: run \`npm run build && npm run compile-tests\` first.`);
  }
}

// ---------------------------------------------------------------- cleanup on exit

const cleanups: Array<() => Promise<void> | void> = [];
let signalsHooked = false;

/** Registers work to do when the run ends, normally or by SIGINT/SIGTERM. Runs last-registered first. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
  if (signalsHooked) return;
  signalsHooked = true;
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalled) return; // a second Ctrl+C while cleaning up: the exit handler kills the rest
      signalled = true;
      console.error(`\nReceived ${signal}; stopping code-server, Chromium and redis-server.`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

const pidsToKill = new Map<number, { group: boolean }>();
const dirsToRemove = new Set<string>();
let exitHooked = false;

/**
 * Last resort when this process ends without finishing its cleanups (an uncaught
 * exception, process.exit): the 'exit' handler SIGKILLs these processes and removes
 * the temp folders synchronously. (playwright-core kills its browser the same way.)
 */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const [target, { group }] of pidsToKill) {
      try {
        process.kill(group ? -target : target, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (process.env['SHARED_REDIS_KEEP_TMP'] !== '1') {
      for (const dir of dirsToRemove) {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          /* best effort */
        }
      }
    }
  });
  process.on('uncaughtException', (error) => {
    console.error('uncaught exception:', error);
    void runCleanups().finally(() => process.exit(1));
  });
}

export function killOnExit(pid: number, options: { group: boolean }): () => void {
  hookExit();
  pidsToKill.set(pid, options);
  return () => pidsToKill.delete(pid);
}

let cleaning: Promise<void> | undefined;

/**
 * Runs every registered cleanup once, last registered first (errors are reported, not
 * thrown). Concurrent callers (the normal end and a signal) share one run.
 */
export function runCleanups(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      try {
        await cleanup?.();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();
  return cleaning;
}

/** A test redis-server (see redisServer.ts) that is stopped at cleanup, or killed if this process dies. */
export async function startTestRedis(): Promise<RedisServer> {
  const redis = await startRedisServer();
  const forget = killOnExit(redis.pid, { group: false });
  onCleanup(async () => {
    await redis.stop();
    forget();
  });
  return redis;
}

// ---------------------------------------------------------------- temp folders and settings

/** A fresh temp folder, removed at cleanup unless SHARED_REDIS_KEEP_TMP=1. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  hookExit();
  dirsToRemove.add(dir);
  onCleanup(() => {
    if (process.env['SHARED_REDIS_KEEP_TMP'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    dirsToRemove.delete(dir);
  });
  return dir;
}

/** Marks the suite's mocha output in the extension host's console, so the launcher can echo it. */
export const SUITE_OUTPUT_MARKER = '[shared-redis-suite]';

/** Quiet defaults for a test window: no welcome page, tips, trust prompt or telemetry. */
export const QUIET_USER_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.enabled': false,
};

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A workspace folder for a test window: `.vscode/settings.json` with the given settings
 * (e.g. sharedRedis.port of the test redis-server) and, when given, the suite config.
 */
export function createWorkspace(parent: string, settings: Record<string, unknown>, suiteConfig?: SuiteConfig): string {
  const folder = join(parent, 'workspace');
  writeJson(join(folder, '.vscode', 'settings.json'), settings);
  if (suiteConfig) writeJson(join(folder, TEST_CONFIG_FILE), suiteConfig);
  writeFileSync(join(folder, 'README.md'), '# Shared Redis test workspace\n');
  return folder;
}

/** Writes the results file for a level that failed before its tests could report. */
export function writeLauncherFailure(output: string, level: string, error: unknown): void {
  const results: LevelResults = {
    passed: 0,
    failed: 1,
    skipped: 0,
    failures: [
      {
        title: `${level}: the test run did not complete`,
        error: error instanceof Error ? error.message : String(error),
      },
    ],
  };
  writeJson(output, results);
}

export function readResults(output: string): LevelResults | undefined {
  if (!existsSync(output)) return undefined;
  try {
    return JSON.parse(readFileSync(output, 'utf8')) as LevelResults;
  } catch {
    return undefined; // half-written: read it again on the next poll
  }
}

export function printResults(level: string, results: LevelResults): void {
  console.log(`\n${level}: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  for (const failure of results.failures) {
    const detail = failure.error
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('at '))
      .slice(0, 4);
    console.log(`  ✗ ${failure.title}\n${detail.map((line) => `    ${line}`).join('\n')}`);
  }
}

// ---------------------------------------------------------------- code-server

export interface CodeServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** code-server's own stdout and stderr. */
  readonly logFile: string;
  readonly process: ChildProcess;
  /** The workbench URL for `folder`, with the extension under development loaded and, optionally, a test suite run. */
  workbenchUrl(options: { folder: string; extensionDevelopmentPath: string; extensionTestsPath?: string }): string;
  /** Stops code-server and everything it started (its whole process group). */
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Parent folder for user-data-dir, extensions-dir and logs; a temp one when omitted. */
  readonly dir?: string;
  /** Extra user settings on top of QUIET_USER_SETTINGS. */
  readonly userSettings?: Record<string, unknown>;
  readonly root?: string;
  readonly startTimeoutMs?: number;
  /** Extra environment for code-server and so for the extension host. */
  readonly env?: Record<string, string>;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const root = options.root ?? repoRoot();
  const bin = codeServerBinary(root);
  const dir = options.dir ?? tempDir('shared-redis-code-server-');
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = join(dir, 'extensions');
  const logFile = join(dir, 'code-server.log');
  const configFile = join(dir, 'code-server.yaml');
  mkdirSync(extensionsDir, { recursive: true });
  writeJson(join(userDataDir, 'User', 'settings.json'), { ...QUIET_USER_SETTINGS, ...options.userSettings });
  // code-server otherwise writes ~/.config/code-server/config.yaml and ~/.local/share/code-server.
  writeFileSync(configFile, 'auth: none\ncert: false\n');
  // ... and its extension hosts leave IPC sockets in $TMPDIR: keep all of it in `dir`.
  const xdgConfig = join(dir, 'xdg-config');
  const xdgData = join(dir, 'xdg-data');
  const tmp = join(dir, 'tmp');
  for (const folder of [xdgConfig, xdgData, tmp]) mkdirSync(folder, { recursive: true });

  const port = await freePort();
  const log = createWriteStream(logFile);
  const child = spawn(
    bin,
    [
      '--config',
      configFile,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    {
      cwd: root,
      // Its own process group, so stop() reaches the extension hosts and helpers it forks.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, XDG_CONFIG_HOME: xdgConfig, XDG_DATA_HOME: xdgData, TMPDIR: tmp },
    },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new LauncherError(`code-server did not start (${bin})`);

  const forget = killOnExit(pid, { group: true });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= stopProcessGroup(child, pid).finally(() => {
      forget();
      log.end();
    });
    return stopped;
  };
  onCleanup(stop);

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new LauncherError(
      `${error instanceof Error ? error.message : String(error)}\n--- ${logFile}:\n${tail(logFile)}`,
    );
  }

  return {
    port,
    url,
    userDataDir,
    extensionsDir,
    logFile,
    process: child,
    workbenchUrl: ({ folder, extensionDevelopmentPath, extensionTestsPath }) => {
      const remote = (path: string): string =>
        `vscode-remote://127.0.0.1:${port}${path.split('/').map(encodeURIComponent).join('/')}`;
      const payload: Array<[string, string]> = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
      if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
      payload.push(['skipWelcome', 'true'], ['skipReleaseNotes', 'true']);
      return `${url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    stop,
  };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopProcessGroup(child: ChildProcess, pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name);
    } catch {
      /* the group is gone */
    }
  };
  if (!alive()) return;
  signal('SIGTERM');
  const deadline = Date.now() + 5_000;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) signal('SIGKILL');
  while (alive() && Date.now() < deadline + 2_000) await sleep(50);
  if (child.exitCode === null && child.signalCode === null) {
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(1_000)]);
  }
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LauncherError(
        `code-server exited (${child.exitCode ?? child.signalCode}) before it answered at ${url}`,
      );
    }
    const status = await new Promise<number>((resolvePromise) => {
      const request = get(url, (response) => {
        response.resume();
        resolvePromise(response.statusCode ?? 0);
      });
      request.setTimeout(2_000, () => request.destroy());
      request.once('error', () => resolvePromise(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) {
      throw new LauncherError(`code-server did not answer at ${url} within ${timeoutMs / 1000} s`);
    }
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- Chromium

export interface BrowserSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, through playwright-core (which cannot download a
 * browser here). Browser console lines go to `consoleLog` (a file) and the suite's
 * own output (lines with SUITE_OUTPUT_MARKER) to `echo` as well.
 */
export async function launchBrowser(
  options: { consoleLog?: string; echo?: (line: string) => void } = {},
): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new LauncherError(
      `Chromium is not at ${CHROMIUM_PATH}: apt-get install -y chromium (or set SHARED_REDIS_CHROMIUM).`,
    );
  }
  const { chromium } = await import('playwright-core');
  // Signals are handled by onCleanup (which closes the browser in order, then exits);
  // playwright's own 'exit' handler still kills the browser if this process dies.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= browser.close().catch(() => undefined);
    return closed;
  };
  onCleanup(close);
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const sink = options.consoleLog ? createWriteStream(options.consoleLog) : undefined;
  sink?.on('error', () => undefined);
  // The page keeps logging until the browser is gone: drop lines once the file is closed.
  const write = (line: string): void => {
    if (sink && !sink.writableEnded) sink.write(line);
  };
  if (sink) onCleanup(() => close().then(() => new Promise<void>((r) => sink.end(r))));
  page.on('console', (message) => {
    const text = message.text();
    write(`[${message.type()}] ${text}\n`);
    const marker = text.indexOf(SUITE_OUTPUT_MARKER);
    if (options.echo && marker >= 0) options.echo(text.slice(marker + SUITE_OUTPUT_MARKER.length + 1));
  });
  page.on('pageerror', (error) => write(`[pageerror] ${error.message}\n`));
  return { browser, context, page, close };
}

/**
 * Runs a launcher's `main` and ends the process: a results file is written even when
 * `main` fails before the suite reports, cleanups always run, and the exit code is 1 on
 * any failure or when no test ran.
 */
export function runLevel(level: string, output: string, main: () => Promise<LevelResults>): void {
  main()
    .catch((error: unknown) => {
      if (!existsSync(output)) writeLauncherFailure(output, level, error);
      throw error;
    })
    .then(
      async (results) => {
        await runCleanups();
        printResults(level, results);
        process.exit(results.failed > 0 || results.passed === 0 ? 1 : 0);
      },
      async (error: unknown) => {
        await runCleanups();
        console.error(`\n${level}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
}
