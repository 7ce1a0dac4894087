import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { walkKeyspace } from '../../../src/redis/keyspace/walker';
import {
  codeServerBinary,
  createWorkspace,
  launchBrowser,
  repoRoot,
  startCodeServer,
  tempDir,
} from '../../support/codeServer';
import { cpuTimes, stealShare } from '../../support/cpuSteal';
import { eventually } from '../../support/eventually';
import { freePort, RedisServer } from '../../support/redisServer';
import { channelLog } from '../../support/files';
import { activityBarIcon, pane, UI_TIMEOUT } from '../startup/workbench';
import { groupThousands } from '../../../src/redis/keyspace/format';
import { Keyspace, SPARSE_NAMESPACE, SPARSE_TYPE, WIDE_NAMESPACE } from './fill';
import { CpuProfile, Inspector } from './inspector';
import { resetStats, ScanStats, scanStats, serverCpuMs } from './serverStats';
import { awaitSights, installWatcher, Sights, sights } from './watcher';
import { loadavg } from 'node:os';
import { CpuByRole, cpuByRole, cpuSince } from './processCpu';

/** How long a whole walk may take in the view before the run is given up (10M keys on a busy 2-core machine). */
const WALK_TIMEOUT = 600_000;

export interface UserPathRun {
  /** From the click on the activity bar icon: first namespace row with a count shown. */
  readonly firstNamespaceMs: number;
  /** From the click: every top-level row shows its exact count and the view stopped counting. */
  readonly countsMs: number;
  /** From the click on the sparse (or wide) namespace: its first child rows shown. */
  readonly expandMs: number;
  /** The server's SCAN work during the view's walk. */
  readonly scan: ScanStats;
  /** Extension host heap after a forced GC: before the click, with the complete model, after the expansion. */
  readonly heapBefore: number;
  readonly heapWalked: number;
  readonly heapExpanded: number;
  readonly steal: number;
  readonly load: number;
  readonly profile?: CpuProfile;
  /** The extension's own log lines after the click, with their time from the click (ms). */
  readonly log: { ms: number; line: string }[];
  /** From the click until the extension logged the end of its walk (the log's ms resolution), or NaN. */
  readonly walkEndMs: number;
  /** CPU time each process used from the click until the counts showed. */
  readonly cpu: CpuByRole;
}

export interface BareWalk {
  readonly wallMs: number;
  readonly scan: ScanStats;
  /** The server's own CPU time over the walk (INFO cpu): its SCANs plus reading requests and writing replies. */
  readonly serverCpuMs: number;
}

/** Runs the user's path once: a fresh code-server with the packaged extension, the Keys view opened by a click. */
export async function userPathRun(options: {
  readonly vsix: string;
  readonly redis: RedisServer;
  readonly admin: Redis;
  readonly keyspace: Keyspace;
  /** 'sparse': expand the sparse namespace; 'wide': expand the namespace of 250,000 ids. */
  readonly expand: 'sparse' | 'wide';
  /** Record a CPU profile of the extension host from the click until the counts show. */
  readonly profile?: boolean;
  /**
   * The team's workspace: it holds the stack's compose file (shared-redis/docker-compose.yml),
   * so VS Code activates the extension at startup (workspaceContains) and the click only opens
   * the view. Without it the click also activates the extension.
   */
  readonly team?: boolean;
  /** More settings of the workspace (beside the connection's). */
  readonly settings?: Record<string, unknown>;
}): Promise<UserPathRun> {
  const { redis, admin, keyspace } = options;
  const dir = tempDir('shared-redis-bench-keysview-');
  try {
    execFileSync(
      codeServerBinary(repoRoot()),
      [
        '--extensions-dir',
        join(dir, 'extensions'),
        '--user-data-dir',
        join(dir, 'user-data'),
        '--install-extension',
        options.vsix,
      ],
      { stdio: 'ignore' },
    );
    const workspace = createWorkspace(dir, {
      ...options.settings,
      'sharedRedis.host': redis.host,
      'sharedRedis.port': redis.port,
    });
    if (options.team) {
      mkdirSync(join(workspace, 'shared-redis'));
      copyFileSync(
        join(repoRoot(), 'stack', 'docker-compose.yml'),
        join(workspace, 'shared-redis', 'docker-compose.yml'),
      );
    }
    const inspectPort = await freePort();
    const server = await startCodeServer({ dir });
    const session = await launchBrowser({ consoleLog: join(dir, 'browser-console.log') });
    let inspector: Inspector | undefined;
    try {
      const { page } = session;
      // The payload's inspect-extensions makes code-server start the extension host with --inspect=PORT.
      const payload = [
        ['inspect-extensions', String(inspectPort)],
        ['skipWelcome', 'true'],
      ];
      await page.goto(
        `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
        { timeout: UI_TIMEOUT, waitUntil: 'domcontentloaded' },
      );
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      await activityBarIcon(page, 'Shared Redis').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      inspector = await Inspector.connect(inspectPort);
      await installWatcher(page);
      if (options.team) {
        await eventually(
          'the extension activated at startup (its second stage loaded)',
          () => channelLog(server.userDataDir, 'Shared Redis').some((line) => line.includes('Loaded the second stage')),
          { timeoutMs: UI_TIMEOUT, intervalMs: 100 },
        );
      }
      await settled();
      const heapBefore = await inspector.heapAfterGc();

      const counts: Record<string, string> = {};
      for (const [label, count] of keyspace.topLevel) counts[label] = `${groupThousands(count)} key`;
      await awaitSights(page, { firstNamespace: true, counts });
      await resetStats(admin);
      if (options.profile) {
        await inspector.send('Profiler.enable');
        await inspector.send('Profiler.setSamplingInterval', { interval: 200 });
        await inspector.send('Profiler.start');
      }
      const cpu = cpuTimes();
      const processes = cpuByRole();
      await activityBarIcon(page, 'Shared Redis').click();
      const walked = await waitFor(
        page,
        'every top-level count exact',
        (s) => s.marks['counts'] !== undefined,
        WALK_TIMEOUT,
      );
      const profile = options.profile
        ? (await inspector.send<{ profile: CpuProfile }>('Profiler.stop')).profile
        : undefined;
      const steal = stealShare(cpu);
      const processCpu = cpuSince(processes);
      const scan = await scanStats(admin);
      const heapWalked = await inspector.heapAfterGc();

      const expanding = options.expand === 'sparse' ? SPARSE_NAMESPACE : WIDE_NAMESPACE;
      await awaitSights(page, {
        childRow: { level: 2, ...(options.expand === 'sparse' ? { descriptionStarts: `${SPARSE_TYPE} ·` } : {}) },
      });
      await pane(page, 'Keys')
        .locator('.monaco-list-row[aria-level="1"]', {
          has: page.locator('.label-name', { hasText: new RegExp(`^${expanding}$`) }),
        })
        .click();
      const expanded = await waitFor(
        page,
        `the first rows under ${expanding}`,
        (s) => s.marks['childRow'] !== undefined,
        UI_TIMEOUT,
      );
      // The rows of the first page settle (and their data is read) before the heap is measured.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const heapExpanded = await inspector.heapAfterGc();
      const log = logSince(server.userDataDir, walked.clickAt ?? Number.NaN);
      const since = (s: Sights, mark: string): number => (s.marks[mark] ?? Number.NaN) - (s.clickAt ?? Number.NaN);
      return {
        firstNamespaceMs: since(walked, 'firstNamespace'),
        countsMs: since(walked, 'counts'),
        expandMs: since(expanded, 'childRow'),
        scan,
        heapBefore,
        heapWalked,
        heapExpanded,
        steal,
        load: loadavg()[0] ?? 0,
        cpu: processCpu,
        log,
        walkEndMs: log.find((l) => l.line.includes('[Extension/Keys] Walked'))?.ms ?? Number.NaN,
        ...(profile ? { profile } : {}),
      };
    } finally {
      inspector?.close();
      await session.close();
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until the workbench has finished starting (extensions activated at startup, the
 * first layout): the extension host and the renderer used under 10% of a core for a
 * second, or 30 s passed. The click then measures the Keys view, not VS Code's start.
 */
async function settled(): Promise<void> {
  const busy = (cpu: CpuByRole): number =>
    (cpu.get('extension host') ?? 0) + (cpu.get('Chromium renderer (workbench)') ?? 0);
  const deadline = Date.now() + 30_000;
  let before = cpuByRole();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const used = busy(cpuSince(before));
    before = cpuByRole();
    if (used < 100) return;
  }
}

/** The extension's log channel lines written after `since` (epoch ms), timed from it. */
function logSince(userDataDir: string, since: number): { ms: number; line: string }[] {
  const lines: { ms: number; line: string }[] = [];
  for (const line of channelLog(userDataDir, 'Shared Redis')) {
    const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) (.*)$/.exec(line);
    if (!stamp) continue;
    const at = new Date(`${stamp[1]}T${stamp[2]}`).getTime() - since;
    if (at >= -1000) lines.push({ ms: at, line: stamp[3] ?? '' });
  }
  return lines;
}

async function waitFor(
  page: Parameters<typeof sights>[0],
  what: string,
  done: (s: Sights) => boolean,
  timeoutMs: number,
): Promise<Sights> {
  let last: Sights | undefined;
  return eventually(
    what,
    async () => {
      last = await sights(page);
      return done(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 100, detail: () => `the Keys view shows: ${last?.rows.join(' | ') ?? 'nothing'}` },
  );
}

/** The bare walk: walkKeyspace in this Node process (as keyspace.bench), with the server's SCAN figures. */
export async function bareWalk(redis: RedisServer, admin: Redis, expectedTotal: number): Promise<BareWalk> {
  await resetStats(admin);
  const cpuBefore = await serverCpuMs(admin);
  const started = performance.now();
  const model = await walkKeyspace({
    endpoint: { host: redis.host, port: redis.port, db: 0, tls: false },
    credentials: {},
  }).done;
  const wallMs = performance.now() - started;
  if (model.totalKeys !== expectedTotal) {
    throw new Error(`the bare walk counted ${model.totalKeys} keys, not ${expectedTotal}`);
  }
  const serverCpu = (await serverCpuMs(admin)) - cpuBefore;
  return { wallMs, scan: await scanStats(admin), serverCpuMs: serverCpu };
}
